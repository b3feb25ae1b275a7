/**
 * A cluster of real `walnut serve` child processes on loopback, for the process-level
 * fault tests (cluster_process.test.ts): start, kill and restart members, read each
 * member's /status, wait for a leader or for every member to hold the same log, and
 * read a member's own state (`?consistency=stale`) to check acknowledged writes.
 *
 * With `proxied`, peers talk through a PeerNetwork (tcp_proxy.ts) the test partitions.
 * Members can also be paused (SIGSTOP / SIGCONT), started with extra environment
 * variables (the fault campaign's file-system preload), sent RAFT commands (membership
 * changes), and wiped, as when an operator replaces a node whose disk is lost. The fault
 * campaign (src/faults/) drives it.
 * Every wait polls a condition; nothing sleeps for a fixed time.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { RespClient } from "../client/resp_client.js";
import type { Reply } from "../engine/reply.js";
import { PeerNetwork } from "./tcp_proxy.js";
import { freePort, waitUntil } from "./waiting.js";

const walnutBin = fileURLToPath(new URL("../../bin/walnut.js", import.meta.url));
/** How long one HTTP request to a member may take before it counts as unanswered. */
const HTTP_REQUEST_GUARD_MS = 5_000;
/** Keys per page when reading a member's whole keyspace. */
const KEYS_PAGE = 10_000;
const CLUSTER_SECRET = "cluster-process-test";
/** Tries at starting a cluster whose ports were taken under it. */
const START_ATTEMPTS = 3;

export interface MemberStatus {
  role: string;
  id: number;
  term: number;
  leader: number;
  commitIndex: number;
  appliedIndex: number;
  lastIndex: number;
  lastCheckpoint: { index: number; term: number };
  voters: number[];
  learners: number[];
}

interface Member {
  id: number;
  dataDir: string;
  respPort: number;
  httpPort: number;
  /** Where the node listens for peers. */
  peerPort: number;
  /** Where the others dial it (its proxy, or peerPort itself). */
  advertisedPeerPort: number;
  child: ChildProcess | null;
  /** Stopped by SIGSTOP and not yet continued. */
  paused: boolean;
  /** Extra environment variables for every run of this member. */
  env: Record<string, string>;
  exited: Promise<NodeJS.Signals | number | null>;
  /** stderr of every run of this member, in order. */
  stderr: string;
}

export interface ClusterOptions {
  size: number;
  /** Peers talk through a test-controlled PeerNetwork. */
  proxied: boolean;
  /** More `walnut serve` flags for every member. */
  extraArgs?: string[];
  /** Extra environment variables for member `id` (e.g. NODE_OPTIONS with a preload). */
  memberEnv?: (id: number, dataDir: string) => Record<string, string>;
}


export class ProcessCluster {
  private constructor(
    private readonly members: Map<number, Member>,
    readonly network: PeerNetwork | null,
    private readonly extraArgs: string[],
  ) {}

  /**
   * Starts `options.size` members and waits until each answers. A port picked as free
   * can be taken before a member binds it (another test's connection): then the whole
   * cluster starts again on fresh ports, a few times at most.
   */
  static async start(options: ClusterOptions): Promise<ProcessCluster> {
    for (let attempt = 1; ; attempt++) {
      const cluster = await ProcessCluster.spawnAll(options);
      try {
        for (const id of cluster.ids) await cluster.waitAnswering(id);
        return cluster;
      } catch (error) {
        await cluster.close();
        if (attempt === START_ATTEMPTS || !/EADDRINUSE/.test(String(error))) throw error;
      }
    }
  }

  private static async spawnAll(options: ClusterOptions): Promise<ProcessCluster> {
    const ports = await distinctFreePorts(options.size * 3);
    const members = new Map<number, Member>();
    for (let id = 1; id <= options.size; id++) {
      const [respPort, httpPort, peerPort] = ports.splice(0, 3) as [number, number, number];
      const dataDir = await mkdtemp(join(tmpdir(), `walnut-cluster-process-${id}-`));
      const env = options.memberEnv?.(id, dataDir) ?? {};
      members.set(id, { id, dataDir, respPort, httpPort, peerPort, advertisedPeerPort: peerPort, child: null, paused: false, env, exited: Promise.resolve(null), stderr: "" });
    }
    const network = options.proxied ? await PeerNetwork.start([...members.values()].map((m) => ({ id: m.id, realPort: m.peerPort }))) : null;
    for (const [id, port] of network?.proxyPorts ?? []) (members.get(id) as Member).advertisedPeerPort = port;
    const cluster = new ProcessCluster(members, network, options.extraArgs ?? []);
    for (const id of members.keys()) cluster.spawn(id);
    return cluster;
  }

  get ids(): number[] {
    return [...this.members.keys()];
  }

  respPort(id: number): number {
    return this.member(id).respPort;
  }

  httpPort(id: number): number {
    return this.member(id).httpPort;
  }

  stderr(id: number): string {
    return this.member(id).stderr;
  }

  isRunning(id: number): boolean {
    return this.member(id).child !== null;
  }

  isPaused(id: number): boolean {
    return this.member(id).paused;
  }

  dataDir(id: number): string {
    return this.member(id).dataDir;
  }

  /** Where member `id` itself listens for peers (behind its proxy when proxied). */
  peerListenPort(id: number): number {
    return this.member(id).peerPort;
  }

  /** The --cluster-secret every member runs with. */
  get clusterSecret(): string {
    return CLUSTER_SECRET;
  }

  /** Where the other members dial member `id` ("127.0.0.1:port": its proxy when proxied). */
  peerAddress(id: number): string {
    return `127.0.0.1:${this.member(id).advertisedPeerPort}`;
  }

  /** Starts (or restarts, on its data dir) member `id` and waits until it answers /status. */
  async restart(id: number): Promise<void> {
    this.spawn(id);
    await this.waitAnswering(id);
  }

  /** Sends `signal` to member `id` and waits for it to exit (a paused member is continued so it can). */
  async stop(id: number, signal: NodeJS.Signals): Promise<NodeJS.Signals | number | null> {
    const member = this.member(id);
    if (member.child === null) throw new Error(`node ${id} is not running`);
    member.child.kill(signal);
    if (member.paused) member.child.kill("SIGCONT");
    member.paused = false;
    const how = await member.exited;
    member.child = null;
    return how;
  }

  /** Freezes member `id` with SIGSTOP: its sockets stay open and nothing answers. */
  pause(id: number): void {
    const member = this.member(id);
    if (member.child === null || member.paused) throw new Error(`node ${id} is not running, or already paused`);
    member.child.kill("SIGSTOP");
    member.paused = true;
  }

  /** Lets a paused member `id` go on (SIGCONT). */
  resume(id: number): void {
    const member = this.member(id);
    if (member.child === null || !member.paused) throw new Error(`node ${id} is not paused`);
    member.child.kill("SIGCONT");
    member.paused = false;
  }

  /** Empties the data directory of stopped member `id` (a lost disk). */
  async wipe(id: number): Promise<void> {
    const member = this.member(id);
    if (member.child !== null) throw new Error(`node ${id} must be stopped before its data directory is wiped`);
    await rm(member.dataDir, { recursive: true, force: true });
    await mkdir(member.dataDir, { recursive: true });
  }

  /** Sends one command to member `id` over RESP and returns its reply (error replies too). */
  async command(id: number, argv: string[]): Promise<Reply> {
    const client = await RespClient.connect({ host: "127.0.0.1", port: this.respPort(id), connectTimeoutMs: HTTP_REQUEST_GUARD_MS });
    try {
      return await client.command(argv);
    } finally {
      client.close();
    }
  }

  /** Member `id`'s /status, or null if it does not answer. */
  async status(id: number): Promise<MemberStatus | null> {
    if (this.member(id).child === null || this.member(id).paused) return null;
    try {
      const response = await fetch(`http://127.0.0.1:${this.httpPort(id)}/status`, { signal: AbortSignal.timeout(HTTP_REQUEST_GUARD_MS) });
      return response.ok ? ((await response.json()) as MemberStatus) : null;
    } catch {
      return null;
    }
  }

  /** Waits until one of `among` leads and a majority of the cluster follows it in its term. */
  async waitForLeader(among: number[] = this.ids): Promise<number> {
    let leader = 0;
    await waitUntil(`a leader among nodes ${among.join(",")}`, async () => {
      const statuses = (await Promise.all(among.map((id) => this.status(id)))).filter((s): s is MemberStatus => s !== null);
      // A cut-off old leader may still call itself leader: take the one a majority follows.
      const followed = statuses.find(
        (candidate) =>
          candidate.role === "leader" &&
          statuses.filter((s) => s.leader === candidate.id && s.term === candidate.term).length > this.members.size / 2,
      );
      leader = followed?.id ?? 0;
      return followed !== undefined;
    });
    return leader;
  }

  /** Waits until member `id` has applied at least `index`. */
  async waitApplied(id: number, index: number): Promise<void> {
    await waitUntil(`node ${id} applied index ${index}`, async () => ((await this.status(id))?.appliedIndex ?? -1) >= index);
  }

  /** Waits until every running member (or each of `among`) reports the same commit and applied index; returns it. */
  async waitConverged(among: number[] = this.ids): Promise<number> {
    let index = 0;
    const running = among.filter((id) => this.isRunning(id));
    await waitUntil(`nodes ${running.join(",")} converge on one applied index`, async () => {
      const statuses = await Promise.all(running.map((id) => this.status(id)));
      const indexes = new Set(statuses.flatMap((s) => (s === null ? [-1, -2] : [s.appliedIndex, s.commitIndex, s.lastIndex])));
      index = statuses[0]?.appliedIndex ?? 0;
      return indexes.size === 1;
    });
    return index;
  }

  /** Every key and its value in member `id`'s own state (stale reads: no leader asked). */
  async ownState(id: number): Promise<Map<string, unknown>> {
    const state = new Map<string, unknown>();
    let start = "";
    for (;;) {
      const url = `http://127.0.0.1:${this.httpPort(id)}/keys?consistency=stale&limit=${KEYS_PAGE}&start=${encodeURIComponent(start)}`;
      const response = await fetch(url, { signal: AbortSignal.timeout(HTTP_REQUEST_GUARD_MS) });
      if (!response.ok) throw new Error(`node ${id}: GET /keys answered ${response.status}: ${await response.text()}`);
      const page = (await response.json()) as { keys: Array<{ key: string; value: unknown }> };
      const fresh = page.keys.filter((entry) => !state.has(entry.key));
      for (const entry of fresh) state.set(entry.key, entry.value);
      if (fresh.length === 0 || page.keys.length < KEYS_PAGE) return state;
      start = page.keys[page.keys.length - 1]?.key ?? "";
    }
  }

  /** Stops every member, the proxies, and removes the data directories. */
  async close(): Promise<void> {
    for (const member of this.members.values()) if (member.child !== null) await this.stop(member.id, "SIGKILL");
    await this.network?.close();
    await Promise.all([...this.members.values()].map((m) => rm(m.dataDir, { recursive: true, force: true })));
  }

  private member(id: number): Member {
    const member = this.members.get(id);
    if (member === undefined) throw new Error(`no node ${id}`);
    return member;
  }

  private spawn(id: number): void {
    const member = this.member(id);
    const peers = [...this.members.values()].map((m) => `${m.id}=127.0.0.1:${m.advertisedPeerPort}`).join(",");
    const args = [walnutBin, "serve", "--id", String(id), "--peers", peers, "--peer-port", String(member.peerPort),
      "--data-dir", member.dataDir, "--port", String(member.respPort), "--http-port", String(member.httpPort),
      "--cluster-secret", CLUSTER_SECRET, "--fsync", "always", "--checkpoint-interval", "0", ...this.extraArgs];
    const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, ...member.env } });
    member.child = child;
    member.paused = false;
    member.stderr += `=== started with: ${args.slice(1).join(" ")}\n`;
    child.stderr?.on("data", (chunk: Buffer) => (member.stderr += chunk.toString("utf8")));
    member.exited = new Promise((resolve) =>
      child.once("exit", (code, signal) => {
        if (member.child === child) member.child = null; // it died on its own: no longer running
        resolve(signal ?? code);
      }),
    );
  }

  private async waitAnswering(id: number): Promise<void> {
    const member = this.member(id);
    let exitedEarly = false;
    void member.exited.then(() => (exitedEarly = true));
    await waitUntil(`node ${id} answers /status`, async () => exitedEarly || (await this.status(id)) !== null);
    if (exitedEarly) throw new Error(`node ${id} exited before answering:\n${member.stderr}`);
  }
}

/** `count` free loopback ports, no two alike. */
async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}
