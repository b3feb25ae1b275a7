/**
 * One `walnut serve --join` child process for the join tests (cluster_join.test.ts): a
 * fresh data directory and free ports, the joiner's log, its exit, its /status and its
 * own state (`?consistency=stale`). ProcessCluster (cluster_processes.ts) runs the
 * founding members; this is the node that arrives later, so it lives apart from them.
 *
 * Every wait polls a condition; nothing sleeps for a fixed time.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { StatusReport } from "../server/http/cluster_status_route.js";
import { freePort, waitUntil } from "./server_fixtures.js";

const walnutBin = fileURLToPath(new URL("../../bin/walnut.js", import.meta.url));
/** How long one HTTP request to the joiner may take before it counts as unanswered. */
const HTTP_REQUEST_GUARD_MS = 5_000;
/** Keys per page when reading the joiner's whole keyspace. */
const KEYS_PAGE = 10_000;
/** ProcessCluster starts its members with this secret; a joiner must present the same one. */
export const PROCESS_CLUSTER_SECRET = "cluster-process-test";

/** What GET /status answers, as far as the join tests read it. */
export type JoinerStatus = Pick<StatusReport, "role" | "id" | "term" | "leader" | "commitIndex" | "appliedIndex" | "lastIndex" | "voters" | "learners">;

export interface JoinOptions {
  id: number;
  /** The member's RESP address, "host:port". */
  through: string;
  secret?: string;
  /** More `walnut serve` flags. */
  extraArgs?: string[];
  /** The joiner's --data-dir (default: a fresh temporary directory); removed on close. */
  dataDir?: string;
}

export class JoiningNode {
  stderr = "";
  /** The exit code or signal, once the process has exited. */
  exitedWith: NodeJS.Signals | number | null | undefined = undefined;
  readonly exited: Promise<NodeJS.Signals | number | null>;

  private constructor(
    readonly id: number,
    readonly respPort: number,
    readonly httpPort: number,
    readonly peerPort: number,
    private readonly dataDir: string,
    private readonly child: ChildProcess,
  ) {
    child.stderr?.on("data", (chunk: Buffer) => (this.stderr += chunk.toString("utf8")));
    this.exited = new Promise((resolve) =>
      child.once("exit", (code, signal) => {
        this.exitedWith = signal ?? code;
        resolve(this.exitedWith);
      }),
    );
  }

  /** Spawns `walnut serve --join` on fresh ports and a fresh data directory; does not wait. */
  static async start(options: JoinOptions): Promise<JoiningNode> {
    const [respPort, httpPort, peerPort] = await distinctFreePorts(3);
    const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), `walnut-join-${options.id}-`)));
    const args = [walnutBin, "serve", "--id", String(options.id), "--join", options.through, "--peer-port", String(peerPort),
      "--data-dir", dataDir, "--port", String(respPort), "--http-port", String(httpPort),
      "--cluster-secret", options.secret ?? PROCESS_CLUSTER_SECRET, "--fsync", "always", "--checkpoint-interval", "0",
      ...(options.extraArgs ?? [])];
    const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
    return new JoiningNode(options.id, respPort, httpPort, peerPort, dataDir, child);
  }

  get isRunning(): boolean {
    return this.exitedWith === undefined;
  }

  /** GET /status, or null if the joiner does not answer (yet). */
  async status(): Promise<JoinerStatus | null> {
    if (!this.isRunning) return null;
    return memberStatus(this.httpPort);
  }

  /** Waits until the joiner answers /status; throws with its log if it exits first. */
  async waitAnswering(): Promise<void> {
    await waitUntil(`node ${this.id} answers /status`, async () => !this.isRunning || (await this.status()) !== null);
    if (!this.isRunning) throw new Error(`node ${this.id} exited (${String(this.exitedWith)}) before answering:\n${this.stderr}`);
  }

  /** Every key and its value in the joiner's own state. */
  ownState(): Promise<Map<string, unknown>> {
    return ownStateAt(this.httpPort);
  }

  /** Kills the process (if running) and removes its data directory. */
  async close(): Promise<void> {
    if (this.isRunning) {
      this.child.kill("SIGKILL");
      await this.exited;
    }
    await rm(this.dataDir, { recursive: true, force: true });
  }
}

/** GET /status of the node whose HTTP port is `httpPort`, or null if it does not answer. */
export async function memberStatus(httpPort: number): Promise<JoinerStatus | null> {
  try {
    const response = await fetch(`http://127.0.0.1:${httpPort}/status`, { signal: AbortSignal.timeout(HTTP_REQUEST_GUARD_MS) });
    return response.ok ? ((await response.json()) as JoinerStatus) : null;
  } catch {
    return null;
  }
}

/** Every key and its value in one node's own state (stale reads: no leader asked). */
export async function ownStateAt(httpPort: number): Promise<Map<string, unknown>> {
  const state = new Map<string, unknown>();
  let start = "";
  for (;;) {
    const url = `http://127.0.0.1:${httpPort}/keys?consistency=stale&limit=${KEYS_PAGE}&start=${encodeURIComponent(start)}`;
    const response = await fetch(url, { signal: AbortSignal.timeout(HTTP_REQUEST_GUARD_MS) });
    if (!response.ok) throw new Error(`GET /keys on port ${httpPort} answered ${response.status}: ${await response.text()}`);
    const page = (await response.json()) as { keys: Array<{ key: string; value: unknown }> };
    const fresh = page.keys.filter((entry) => !state.has(entry.key));
    for (const entry of fresh) state.set(entry.key, entry.value);
    if (fresh.length === 0 || page.keys.length < KEYS_PAGE) return state;
    start = page.keys[page.keys.length - 1]?.key ?? "";
  }
}

/** `count` free loopback ports, no two alike. */
async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}
