/**
 * The clusters the cluster benchmark compares: three walnut nodes (the built CLI,
 * `bin/walnut.js serve --id --peers`, --fsync always) and three etcd members, each a child
 * process on free loopback ports with its data in a fresh temporary directory. A cluster is
 * ready once its members agree on a leader (walnut: `GET /status`; etcd: its v3 JSON gateway,
 * `POST /v3/maintenance/status`). Members can be killed with SIGKILL one by one.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { request } from "node:http";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const HOST = "127.0.0.1";
const MEMBERS = 3;
const READY_TIMEOUT_MS = 30_000;
const POLL_MS = 50;
/** How long one status request may take before the member counts as not answering. */
const STATUS_TIMEOUT_MS = 1000;
const STOP_TIMEOUT_MS = 10_000;
/** How much of a member's output is kept to explain a failed start. */
const OUTPUT_TAIL_CHARS = 2000;
const WALNUT_CLI = fileURLToPath(new URL("../../bin/walnut.js", import.meta.url));

export interface ClusterMember {
  /** "walnut 2", "etcd n2". */
  readonly name: string;
  /** Where clients write: walnut's RESP port, etcd's client (HTTP) port. */
  readonly clientPort: number;
  isRunning(): boolean;
  /** kill -9, then wait for the exit. */
  killHard(): Promise<void>;
}

export interface BenchCluster {
  /** "walnut", "etcd". */
  readonly label: string;
  readonly members: readonly ClusterMember[];
  /** The member that running members agree leads, polling until they do. */
  leader(): Promise<ClusterMember>;
  /** SIGTERM every running member (SIGKILL if slow), then remove the data directories. */
  stop(): Promise<void>;
}

/** Whether etcd can be run (it answers `--version`). */
export function isEtcdInstalled(): boolean {
  const probe = spawnSync("etcd", ["--version"], { stdio: "ignore" });
  return probe.error === undefined && probe.status === 0;
}

/** A member as this file manages it: its process, plus how to ask it who leads. */
interface RunningMember extends StartedMember {
  /** The leader's name as this member sees it; null if it knows none or does not answer. */
  askLeader(): Promise<string | null>;
}

interface StartedMember extends ClusterMember {
  stop(): Promise<void>;
  /** The tail of its stdout and stderr, to explain a failed start. */
  output(): string;
}

export interface WalnutClusterOptions {
  /** More `walnut serve` flags for every member (`--checkpoint-interval 0`, say). */
  extraArgs?: string[];
}

export async function startWalnutCluster(options: WalnutClusterOptions = {}): Promise<BenchCluster> {
  const dir = await mkdtemp(join(tmpdir(), "walnut-bench-cluster-"));
  const free = await freePorts(3 * MEMBERS);
  const ports = Array.from({ length: MEMBERS }, (_, index) => ({ peer: free[3 * index] as number, resp: free[3 * index + 1] as number, http: free[3 * index + 2] as number }));
  const peers = ports.map((port, index) => `${index + 1}=${HOST}:${port.peer}`).join(",");
  const members = ports.map((port, index) => {
    const id = index + 1;
    const args = [WALNUT_CLI, "serve", "--id", String(id), "--peers", peers, "--data-dir", join(dir, `node-${id}`),
      "--port", String(port.resp), "--http-port", String(port.http), "--fsync", "always", ...(options.extraArgs ?? [])];
    const child = startMember({ name: `walnut ${id}`, clientPort: port.resp, command: process.execPath, args });
    return {
      ...child,
      async askLeader() {
        const status = await postJson({ port: port.http, method: "GET", path: "/status" });
        const leader = status === null ? 0 : Number((status as { leader?: unknown }).leader ?? 0);
        return leader > 0 ? `walnut ${leader}` : null;
      },
    };
  });
  return readyCluster({ label: "walnut", dir, members });
}

export async function startEtcdCluster(): Promise<BenchCluster> {
  const dir = await mkdtemp(join(tmpdir(), "walnut-bench-etcd-"));
  const free = await freePorts(2 * MEMBERS);
  const ports = Array.from({ length: MEMBERS }, (_, index) => ({ peer: free[2 * index] as number, client: free[2 * index + 1] as number }));
  // etcd names its leader by member id: each member's id comes from its own status header.
  const etcdNames = new Map<string, string>();
  const initialCluster = ports.map((port, index) => `n${index + 1}=http://${HOST}:${port.peer}`).join(",");
  const members = ports.map((port, index) => {
    const name = `n${index + 1}`;
    const clientUrl = `http://${HOST}:${port.client}`;
    const peerUrl = `http://${HOST}:${port.peer}`;
    const args = ["--name", name, "--data-dir", join(dir, name), "--listen-client-urls", clientUrl, "--advertise-client-urls", clientUrl,
      "--listen-peer-urls", peerUrl, "--initial-advertise-peer-urls", peerUrl, "--initial-cluster", initialCluster,
      "--initial-cluster-state", "new"];
    const child = startMember({ name: `etcd ${name}`, clientPort: port.client, command: "etcd", args });
    return { ...child, askLeader: () => askEtcdLeader(port.client, (memberId) => etcdNames.get(memberId) ?? null) };
  });
  return readyCluster({
    label: "etcd",
    dir,
    members,
    beforeReady: async () => {
      for (const [index, port] of ports.entries()) {
        const status = (await postJson({ port: port.client, method: "POST", path: "/v3/maintenance/status" })) as EtcdStatus | null;
        if (status?.header?.member_id !== undefined) etcdNames.set(status.header.member_id, `etcd n${index + 1}`);
      }
      return etcdNames.size === MEMBERS;
    },
  });
}

interface EtcdStatus {
  header?: { member_id?: string };
  leader?: string;
}

async function askEtcdLeader(clientPort: number, nameOf: (memberId: string) => string | null): Promise<string | null> {
  const status = (await postJson({ port: clientPort, method: "POST", path: "/v3/maintenance/status" })) as EtcdStatus | null;
  if (status?.leader === undefined || status.leader === "0") return null;
  return nameOf(status.leader);
}

interface ReadySpec {
  label: string;
  dir: string;
  members: RunningMember[];
  /** Polled before the leader is asked for; true once the cluster can answer. */
  beforeReady?: () => Promise<boolean>;
}

/** Waits until every member agrees on a leader; on failure stops everything and throws. */
async function readyCluster(spec: ReadySpec): Promise<BenchCluster> {
  const cluster: BenchCluster = {
    label: spec.label,
    members: spec.members,
    leader: () => agreedLeader(spec.members, Date.now() + READY_TIMEOUT_MS),
    async stop() {
      await Promise.all(spec.members.map((member) => member.stop()));
      await rm(spec.dir, { recursive: true, force: true });
    },
  };
  try {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (spec.beforeReady !== undefined && !(await spec.beforeReady())) {
      if (Date.now() > deadline) throw new Error(`Cannot start the ${spec.label} cluster: members did not answer within ${READY_TIMEOUT_MS} ms`);
      await sleep(POLL_MS);
    }
    await agreedLeader(spec.members, deadline);
    return cluster;
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}

async function agreedLeader(members: RunningMember[], deadline: number): Promise<ClusterMember> {
  let views: Array<string | null> = [];
  while (Date.now() < deadline) {
    const running = members.filter((member) => member.isRunning());
    if (running.length === 0) break;
    views = await Promise.all(running.map((member) => member.askLeader()));
    const leader = running.find((member) => member.name === views[0]);
    if (leader !== undefined && views.every((view) => view === leader.name)) return leader;
    await sleep(POLL_MS);
  }
  const report = members.map((member) => `${member.name} (${member.isRunning() ? "running" : "exited"}): ${member.output()}`).join("\n");
  throw new Error(`Cannot find a leader: the running members did not agree on one within ${READY_TIMEOUT_MS} ms (last views: ${views.join(", ")}). Output:\n${report}`);
}

interface MemberSpec {
  name: string;
  clientPort: number;
  command: string;
  args: string[];
}

function startMember(spec: MemberSpec): StartedMember {
  const child = spawn(spec.command, spec.args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const keepTail = (chunk: Buffer): void => {
    output = (output + chunk.toString("utf8")).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on("data", keepTail);
  child.stderr?.on("data", keepTail);
  child.once("error", (error) => keepTail(Buffer.from(`Cannot run ${spec.command}: ${error.message}\n`)));
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const isRunning = (): boolean => child.exitCode === null && child.signalCode === null && child.pid !== undefined;
  return {
    name: spec.name,
    clientPort: spec.clientPort,
    isRunning,
    output: () => output,
    async killHard() {
      if (isRunning()) child.kill("SIGKILL");
      await exited;
    },
    stop: () => stopChild(child, exited, isRunning),
  };
}

async function stopChild(child: ChildProcess, exited: Promise<void>, isRunning: () => boolean): Promise<void> {
  if (!isRunning()) return;
  child.kill("SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), STOP_TIMEOUT_MS);
  });
  const late = await Promise.race([exited.then(() => false), timedOut]);
  clearTimeout(timer);
  if (late) {
    child.kill("SIGKILL");
    await exited;
  }
}

interface JsonRequest {
  port: number;
  method: "GET" | "POST";
  path: string;
}

/** The parsed JSON answer of a status request; null if the member does not answer with JSON. */
async function postJson(spec: JsonRequest): Promise<unknown> {
  return new Promise((resolve) => {
    const outgoing = request({ host: HOST, port: spec.port, method: spec.method, path: spec.path, timeout: STATUS_TIMEOUT_MS }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("error", () => resolve(null));
      response.on("end", () => {
        try {
          resolve(response.statusCode === 200 ? JSON.parse(body) : null);
        } catch {
          resolve(null);
        }
      });
    });
    outgoing.on("timeout", () => outgoing.destroy());
    outgoing.on("error", () => resolve(null));
    outgoing.end(spec.method === "POST" ? "{}" : undefined);
  });
}

/** `count` distinct ports that were free a moment ago: listen on port 0 that often, note the ports, close. */
async function freePorts(count: number): Promise<number[]> {
  const probes = await Promise.all(Array.from({ length: count }, () => listenOnAnyPort()));
  await Promise.all(probes.map((probe) => new Promise((resolve) => probe.server.close(resolve))));
  return probes.map((probe) => probe.port);
}

async function listenOnAnyPort(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      resolve({ server, port: typeof address === "object" && address !== null ? address.port : 0 });
    });
  });
}

function sleep(durationMs: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, durationMs));
}
