/**
 * `walnut cluster up [--nodes 3] [--data-dir ./walnut-cluster] [--port 6380] [--http-port 8380]
 * [--peer-port 7380] [--fsync always] [--cluster-secret S]`: a local cluster on loopback, in
 * the foreground. Node i serves RESP on port+i-1, HTTP on http-port+i-1 and Raft on
 * peer-port+i-1, with its data in <data-dir>/node-i. Each node's log lines are prefixed
 * with its id. Ctrl-C (or SIGTERM) stops every node cleanly.
 *
 * The cluster's settings and secret are kept in <data-dir>/cluster.toml, and each node runs
 * `walnut serve --config <data-dir>/node-i.toml` (cluster_record.ts): running the command
 * again restarts the same cluster on the same data, and one node can be restarted by hand
 * with the same line. Every port is checked before any node starts, and cluster up reports
 * success only once every node answers and knows a leader (so the commands it suggests work); a node that exits before that stops the rest and
 * makes cluster up exit non-zero with the node's own error.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { OptionSpec } from "../config/options.js";
import { resolveSettings, settingString, type ResolvedSettings } from "../config/resolve.js";
import { describeError, WalnutError } from "../lib/errors.js";
import {
  CLUSTER_DEFAULTS,
  CLUSTER_RECORD_FILE,
  nodeConfigPath,
  nodeDataDir,
  settleClusterSettings,
  writeClusterRecord,
  type ClusterSettings,
} from "./cluster_record.js";
import { printHelp, wantsHelp } from "./help.js";
import { refuseSharedPorts, refuseTakenPorts, type PlannedPort } from "./port_plan.js";

// No defaults here: a flag left out means "as recorded" on a restart (cluster_record.ts).
const clusterOptions: readonly OptionSpec[] = [
  { name: "nodes", kind: "integer", description: `How many nodes, 1 to 9 (default ${CLUSTER_DEFAULTS.nodes})` },
  { name: "data-dir", kind: "path", default: "./walnut-cluster", description: "Parent of each node's data directory; cluster.toml there keeps the settings" },
  { name: "port", kind: "port", description: `RESP port of node 1, node i: port + i - 1 (default ${CLUSTER_DEFAULTS.port})` },
  { name: "http-port", kind: "port", description: `HTTP port of node 1 (default ${CLUSTER_DEFAULTS.httpPort})` },
  { name: "peer-port", kind: "port", description: `Raft port of node 1 (default ${CLUSTER_DEFAULTS.peerPort})` },
  { name: "fsync", kind: "choice", choices: ["always", "everysec", "no"], description: `Durability mode (default ${CLUSTER_DEFAULTS.fsync})` },
  { name: "cluster-secret", kind: "string", description: "Shared peer secret (default: a random one, kept in cluster.toml)" },
];

const walnutBin = fileURLToPath(new URL("../../bin/walnut.js", import.meta.url));
/** How often a starting node's /status is asked whether it answers yet. */
const READY_POLL_MS = 100;
/** Lines of a node's stderr kept to explain why it exited. */
const TAIL_LINES = 5;

function prefixLines(prefix: string, stream: NodeJS.ReadableStream, out: NodeJS.WritableStream, tail?: string[]): void {
  let pending = "";
  stream.on("data", (chunk: Buffer) => {
    pending += chunk.toString("utf8");
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      out.write(`${prefix}${line}\n`);
      if (tail !== undefined && line.trim() !== "") {
        tail.push(line);
        if (tail.length > TAIL_LINES) tail.shift();
      }
    }
  });
}

/** The settings the flags give, each undefined when left out. */
function givenSettings(settings: ResolvedSettings): Partial<ClusterSettings> {
  const given: Partial<ClusterSettings> = {};
  const number = (name: string): number | undefined => {
    const value = settings.values.get(name);
    return typeof value === "number" ? value : undefined;
  };
  const nodes = number("nodes");
  if (nodes !== undefined) {
    if (nodes < 1 || nodes > 9) throw new WalnutError("BAD_CONFIG", `--nodes must be from 1 to 9 (got ${nodes})`);
    given.nodes = nodes;
  }
  const [port, httpPort, peerPort] = [number("port"), number("http-port"), number("peer-port")];
  if (port !== undefined) given.port = port;
  if (httpPort !== undefined) given.httpPort = httpPort;
  if (peerPort !== undefined) given.peerPort = peerPort;
  const fsync = settingString(settings, "fsync");
  if (fsync !== undefined) given.fsync = fsync;
  const secret = settingString(settings, "cluster-secret");
  if (secret !== undefined) given.secret = secret;
  return given;
}

/** Every port the cluster will listen on, with what it is for and the flag that sets it. */
function portPlan(settings: ClusterSettings): PlannedPort[] {
  const plan: PlannedPort[] = [];
  const ranges = [
    { base: settings.port, name: "RESP", flag: "--port" },
    { base: settings.httpPort, name: "HTTP", flag: "--http-port" },
    { base: settings.peerPort, name: "Raft", flag: "--peer-port" },
  ];
  for (const range of ranges) {
    const last = range.base + settings.nodes - 1;
    if (range.base === 0 || last > 65535) {
      throw new WalnutError("BAD_CONFIG", `Cannot start the cluster: ${range.flag} ${range.base} gives ${range.name} ports ${range.base}-${last}; each must be from 1 to 65535`);
    }
    for (let id = 1; id <= settings.nodes; id++) plan.push({ port: range.base + id - 1, what: `${range.name} of node ${id}`, flag: range.flag });
  }
  return plan;
}

/** How the user ran walnut, so the lines we print can be pasted as they are. */
function walnutCommand(): string {
  return process.env.npm_command === "exec" ? "npx walnut" : "walnut";
}

interface StartedNode {
  id: number;
  child: ChildProcess;
  /** The last lines it wrote to stderr, to say why it exited. */
  tail: string[];
  exitedWith: string | null;
}

/**
 * Our environment less the WALNUT_* settings node-i.toml makes: serve ranks the environment
 * above its config file, so an exported WALNUT_PORT would give every node one port.
 */
function nodeEnvironment(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ["ID", "PEERS", "CLUSTER_SECRET", "DATA_DIR", "PORT", "HTTP_PORT", "PEER_PORT", "FSYNC", "JOIN", "CONFIG"]) delete env[`WALNUT_${name}`];
  return env;
}

function startNode(dataDir: string, id: number): StartedNode {
  const args = [walnutBin, "serve", "--config", nodeConfigPath(dataDir, id),
    ...(process.stderr.isTTY ? ["--log-format", "pretty"] : [])]; // the nodes' stderr is a pipe to us, not the terminal
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], env: nodeEnvironment() });
  const node: StartedNode = { id, child, tail: [], exitedWith: null };
  prefixLines(`[node ${id}] `, child.stdout as NodeJS.ReadableStream, process.stdout);
  prefixLines(`[node ${id}] `, child.stderr as NodeJS.ReadableStream, process.stderr, node.tail);
  child.on("exit", (code, signal) => {
    node.exitedWith = signal ?? String(code);
    process.stderr.write(`[node ${id}] exited (${node.exitedWith})\n`);
  });
  return node;
}

/** Whether the node answers /status and knows a leader (it then takes commands). */
async function knowsLeader(httpPort: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${httpPort}/status`, { signal: AbortSignal.timeout(2_000) });
    if (!response.ok) return false;
    const status = (await response.json()) as { leader?: unknown };
    return typeof status.leader === "number" && status.leader !== 0;
  } catch {
    return false;
  }
}

/** Waits until every node answers /status with a leader; the first that exits before, or null. */
async function firstFailure(nodes: StartedNode[], settings: ClusterSettings): Promise<StartedNode | null> {
  const waiting = new Set(nodes);
  while (waiting.size > 0) {
    for (const node of waiting) {
      if (node.exitedWith !== null) return node;
      if (await knowsLeader(settings.httpPort + node.id - 1)) waiting.delete(node);
    }
    if (waiting.size > 0) await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
  }
  return null;
}

function stopAll(nodes: StartedNode[]): Promise<void> {
  return new Promise((resolve) => {
    const running = nodes.filter((node) => node.exitedWith === null && node.child.exitCode === null);
    let left = running.length;
    if (left === 0) return resolve();
    for (const node of running) {
      node.child.once("exit", () => --left === 0 && resolve());
      node.child.kill("SIGTERM");
    }
  });
}

function printHowTo(dataDir: string, settings: ClusterSettings, restart: boolean): void {
  const walnut = walnutCommand();
  const next = settings.nodes + 1;
  process.stdout.write(
    `walnut cluster of ${settings.nodes} ${restart ? "restarted on its data" : "started"}: try  ${walnut} cli -p ${settings.port} SET hello world  (Ctrl-C stops every node)\n` +
      `  settings and cluster secret (${settings.secret}) are kept in ${join(dataDir, CLUSTER_RECORD_FILE)}; the same command restarts this cluster\n` +
      `  restart one node:  ${walnut} serve --config ${nodeConfigPath(dataDir, 1)}   (node i: node-i.toml)\n` +
      `  join another:      ${walnut} serve --id ${next} --join 127.0.0.1:${settings.port} --peer-port ${settings.peerPort + next - 1} ` +
      `--port ${settings.port + next - 1} --http-port ${settings.httpPort + next - 1} --data-dir ${nodeDataDir(dataDir, next)} --cluster-secret ${settings.secret}\n`,
  );
}

export async function runCluster(argv: string[]): Promise<number> {
  const [action, ...rest] = argv;
  if (wantsHelp(argv)) return printHelp("walnut cluster up [flags]   (a local cluster on loopback; Ctrl-C stops it)", clusterOptions);
  if (action !== "up") {
    process.stderr.write("usage: walnut cluster up [--nodes 3] [--data-dir ./walnut-cluster] [--port 6380] [--http-port 8380] [--peer-port 7380]\n");
    return 2;
  }
  const resolved = resolveSettings(clusterOptions, { argv: rest, env: process.env, command: "cluster up" });
  const dataDir = settingString(resolved, "data-dir") ?? "./walnut-cluster";
  const { settings, restart } = await settleClusterSettings(dataDir, givenSettings(resolved));
  const plan = portPlan(settings);
  refuseSharedPorts("start the cluster", plan);
  await refuseTakenPorts("start the cluster", "127.0.0.1", plan);
  try {
    await mkdir(dataDir, { recursive: true });
    await writeClusterRecord(dataDir, settings);
  } catch (error) {
    throw new WalnutError("DATA_DIR", `Cannot start the cluster: cannot write its settings into ${dataDir}: ${describeError(error)}`);
  }

  const nodes: StartedNode[] = [];
  for (let id = 1; id <= settings.nodes; id++) {
    nodes.push(startNode(dataDir, id));
    const i = id - 1;
    process.stdout.write(`node ${id}: RESP 127.0.0.1:${settings.port + i}  HTTP http://127.0.0.1:${settings.httpPort + i}  Raft 127.0.0.1:${settings.peerPort + i}  data ${nodeDataDir(dataDir, id)}\n`);
  }
  let stopping = false;
  const stop = (): void => {
    if (stopping) return; // a second Ctrl-C must not orphan the nodes
    stopping = true;
    void stopAll(nodes);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);

  const failed = await firstFailure(nodes, settings);
  if (failed !== null && !stopping) {
    stopping = true;
    await stopAll(nodes);
    const why = failed.tail.at(-1) ?? "(it printed nothing)";
    process.stderr.write(`walnut cluster up: Cannot start the cluster: node ${failed.id} exited (${failed.exitedWith}) before it was ready: ${why}\n`);
    return 1;
  }
  if (!stopping) printHowTo(dataDir, settings, restart);
  await Promise.all(nodes.map((node) => (node.exitedWith !== null ? undefined : new Promise((resolve) => node.child.once("exit", resolve)))));
  return 0;
}
