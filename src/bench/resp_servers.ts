/**
 * The servers the RESP benchmark compares: walnut (the built CLI, `bin/walnut.js serve`)
 * and redis-server, each a child process on a free loopback port in a fresh temporary
 * directory, ready once it answers PING, with its resident memory read from /proc.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, unlink } from "node:fs/promises";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const HOST = "127.0.0.1";
const READY_TIMEOUT_MS = 30_000;
const READY_POLL_MS = 50;
/** Long enough for walnut to close its WAL and write a CPU profile on SIGTERM. */
const STOP_TIMEOUT_MS = 30_000;
/** How much of a child's output is kept to explain a failed start. */
const OUTPUT_TAIL_CHARS = 2000;
/** How long a full garbage collection of a large heap may take on a busy machine. */
const GC_REPORT_TIMEOUT_MS = 60_000;
const WALNUT_CLI = fileURLToPath(new URL("../../bin/walnut.js", import.meta.url));
const GC_HOOK = fileURLToPath(new URL("./resp_gc_hook.js", import.meta.url));

export interface BenchServer {
  /** What runs, as the tables print it: "walnut --fsync no", "redis appendfsync always". */
  readonly label: string;
  readonly port: number;
  readonly pid: number;
  /** VmRSS from /proc/<pid>/status. */
  rssBytes(): Promise<number>;
  /** SIGTERM, wait for a clean exit (SIGKILL after STOP_TIMEOUT_MS), remove the directory. */
  stop(): Promise<void>;
  /** walnut started with `gcReport`: full garbage collections, then its memory usage. */
  collectGarbage?(): Promise<NodeJS.MemoryUsage>;
  /** Milliseconds from the process's spawn to its first PONG (a redis still LOADING answers an error). */
  readonly readyMs: number;
  /** Where the server keeps its files (`<directory>/data`). */
  readonly dataDir: string;
}

/** Where a server runs: a directory of its own, kept on stop(), to start it again on the same data (the restart benchmark). */
export interface ServerPlacement {
  /** An existing directory; the server's data goes in `<directory>/data`. A fresh temporary one, removed on stop(), unless given. */
  directory?: string;
  /** How long to wait for the first PONG (READY_TIMEOUT_MS unless given). */
  readyTimeoutMs?: number;
}

export interface WalnutServerOptions extends ServerPlacement {
  fsync: "always" | "everysec" | "no";
  /** Run node with --cpu-prof, writing the profile here when the server exits. */
  cpuProfileDir?: string;
  /** Preload resp_gc_hook.js so that collectGarbage() works (node --expose-gc). */
  gcReport?: boolean;
  /** Keep walnut's default checkpoints (by time and by WAL size); off unless asked. */
  checkpoints?: boolean;
  /** More `walnut serve` flags. */
  extraArgs?: string[];
  /** More environment variables for the process (NODE_OPTIONS for a larger heap, say). */
  env?: Record<string, string>;
  /** node (V8) flags before the script, for those NODE_OPTIONS refuses (--optimize-for-size). */
  nodeFlags?: string[];
  /** The `walnut` entry point to run (another build's bin/walnut.js, for A/B runs); this build's by default. */
  cli?: string;
}

export interface RedisServerOptions extends ServerPlacement {
  /** true: `--appendonly yes --appendfsync always`; false: no persistence at all. */
  appendFsyncAlways: boolean;
  /** More redis-server arguments; later ones override earlier ones (`--appendonly no` to load dump.rdb, say). */
  extraArgs?: string[];
  /** What the tables call this server (from the persistence flags unless given). */
  label?: string;
}

/** Whether `program` can be run (it answers `--version`). */
export function isInstalled(program: string): boolean {
  const probe = spawnSync(program, ["--version"], { stdio: "ignore" });
  return probe.error === undefined && probe.status === 0;
}

/**
 * walnut with checkpoints off (neither by time nor by WAL size), as redis runs with
 * `--save ''`: the figures are the request path and the WAL, not a checkpoint that
 * happens to fall inside a run. `checkpoints: true` keeps the defaults instead.
 */
export async function startWalnut(options: WalnutServerOptions): Promise<BenchServer> {
  const profiling = options.cpuProfileDir === undefined ? [] : ["--cpu-prof", "--cpu-prof-dir", options.cpuProfileDir];
  const gcHook = options.gcReport === true ? ["--expose-gc", "--import", GC_HOOK] : [];
  return startChild({
    label: `walnut --fsync ${options.fsync}`,
    command: process.execPath,
    gcReport: options.gcReport === true,
    args: (dir, port) => [
      ...(options.nodeFlags ?? []),
      ...profiling,
      ...gcHook,
      options.cli ?? WALNUT_CLI,
      "serve",
      "--data-dir", dir,
      "--port", String(port),
      "--http-port", "0",
      "--fsync", options.fsync,
      ...(options.checkpoints === true ? [] : ["--checkpoint-interval", "0", "--checkpoint-wal-bytes", "0"]),
      ...(options.extraArgs ?? []),
    ],
    ...(options.env === undefined ? {} : { env: options.env }),
    placement: options,
  });
}

export async function startRedis(options: RedisServerOptions): Promise<BenchServer> {
  const persistence = options.appendFsyncAlways
    ? ["--appendonly", "yes", "--appendfsync", "always"]
    : ["--appendonly", "no"];
  return startChild({
    label: options.label ?? (options.appendFsyncAlways ? "redis appendfsync always" : "redis no persistence"),
    command: "redis-server",
    args: (dir, port) => ["--port", String(port), "--bind", HOST, "--save", "", ...persistence, "--dir", dir, ...(options.extraArgs ?? [])],
    placement: options,
  });
}

interface ChildSpec {
  label: string;
  command: string;
  gcReport?: boolean;
  args: (dir: string, port: number) => string[];
  env?: Record<string, string>;
  placement: ServerPlacement;
}

async function startChild(spec: ChildSpec): Promise<BenchServer> {
  const ownDirectory = spec.placement.directory === undefined;
  const dir = spec.placement.directory ?? (await mkdtemp(join(tmpdir(), "walnut-bench-resp-")));
  const removeDirectory = (): Promise<void> => (ownDirectory ? rm(dir, { recursive: true, force: true }) : Promise.resolve());
  const port = await freePort();
  const dataDir = join(dir, "data");
  await mkdir(dataDir, { recursive: true });
  const gcReportPath = join(dir, "gc-report.json");
  const env = { ...process.env, ...spec.env, ...(spec.gcReport === true ? { WALNUT_BENCH_GC_REPORT: gcReportPath } : {}) };
  // The data directory is a subdirectory, so that the report file is not walnut's.
  const spawnedMs = performance.now();
  const child = spawn(spec.command, spec.args(dataDir, port), { stdio: ["ignore", "pipe", "pipe"], env });
  let output = "";
  const keepTail = (chunk: Buffer): void => {
    output = (output + chunk.toString("utf8")).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on("data", keepTail);
  child.stderr?.on("data", keepTail);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const spawned = new Promise<void>((resolve, reject) => {
    child.once("spawn", () => resolve());
    child.once("error", reject);
  });
  let readyMs: number;
  try {
    await spawned;
    await waitForPing(port, exited, () => output, spec.placement.readyTimeoutMs ?? READY_TIMEOUT_MS);
    readyMs = performance.now() - spawnedMs;
  } catch (error) {
    await stopChild(child, exited);
    await removeDirectory();
    throw error;
  }
  return {
    label: spec.label,
    port,
    pid: child.pid as number,
    readyMs,
    dataDir,
    rssBytes: () => residentBytes(child.pid as number),
    async stop() {
      await stopChild(child, exited);
      await removeDirectory();
    },
    ...(spec.gcReport === true ? { collectGarbage: () => requestGcReport(child, gcReportPath) } : {}),
  };
}

async function requestGcReport(child: ChildProcess, reportPath: string): Promise<NodeJS.MemoryUsage> {
  await unlink(reportPath).catch(() => undefined);
  child.kill("SIGUSR2");
  const deadline = Date.now() + GC_REPORT_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const text = await readFile(reportPath, "utf8").catch(() => null);
    if (text !== null && text.endsWith("}")) return JSON.parse(text) as NodeJS.MemoryUsage;
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
  }
  throw new Error(`Cannot collect garbage in walnut: no report in ${reportPath} within ${GC_REPORT_TIMEOUT_MS} ms`);
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
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

/** A port that was free a moment ago: listen on port 0, note the port, close. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, HOST, () => {
      const address = probe.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

async function waitForPing(port: number, exited: Promise<void>, output: () => string, timeoutMs: number): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (gone) throw new Error(`Cannot start the server on port ${port}: it exited. Its output:\n${output()}`);
    if (await answersPing(port)) return;
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
  }
  throw new Error(`Cannot start the server on port ${port}: no PONG within ${timeoutMs} ms. Its output:\n${output()}`);
}

async function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: HOST, port });
    let reply = "";
    const finish = (ready: boolean): void => {
      socket.destroy();
      resolve(ready);
    };
    socket.setTimeout(READY_TIMEOUT_MS, () => finish(false));
    socket.once("error", () => finish(false));
    socket.once("connect", () => socket.write("*1\r\n$4\r\nPING\r\n"));
    socket.on("data", (chunk) => {
      reply += chunk.toString("latin1");
      if (reply.includes("\r\n")) finish(reply.startsWith("+PONG"));
    });
    socket.once("end", () => finish(false));
  });
}

async function residentBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (match === null) throw new Error(`Cannot read resident memory: no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}
