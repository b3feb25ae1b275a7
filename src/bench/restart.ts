/**
 * `npm run bench -- restart`: restart time, data on disk and memory, walnut beside
 * redis-server in one run.
 *
 * One file of WALNUT_BENCH_KEYS (1,000,000) `SET key:<n> <100 bytes>` is piped with
 * `redis-cli --pipe` into a fresh server of each kind, in a directory kept across restarts:
 *   - walnut: `walnut serve --fsync always`, checkpoints off (neither by time nor by WAL size);
 *   - redis-server 7.0: `appendonly yes, appendfsync always`, no RDB (`save ""`), and no
 *     automatic AOF rewrite (`auto-aof-rewrite-percentage 0`): a rewrite turns the AOF into
 *     an RDB snapshot plus a tail, which is redis's checkpoint, measured in its own rows.
 * Then, for each: stop (SIGTERM), start again on the same files (restart from the log: WAL
 * vs AOF), take a checkpoint (walnut: SAVE; redis: SAVE, which writes dump.rdb), stop, and
 * start again from the checkpoint (walnut: its checkpoint; redis with `appendonly no`, which
 * loads dump.rdb).
 *
 * A restart's time is from the process's spawn to its first PONG: walnut listens once its
 * data is loaded, and redis answers PING with -LOADING until its data is loaded, so for
 * both it is the time until the data is served (polled every 50 ms). Beside it, the CPU time
 * the process had used by then (user + system, from /proc): on a machine shared with other
 * work the wall time stretches with the load, the CPU time much less. Every restart checks
 * that all keys came back (DBSIZE). Bytes on disk are the sizes of the files: walnut's whole
 * data directory, redis's appendonlydir (the log) or dump.rdb (the checkpoint).
 */
import { readdir, readFile, stat, mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { keyCount, pipeInto, writeMassInsertionFile, type MassInsertionFile } from "./mass_insertion.js";
import { isInstalled, startRedis, startWalnut, type BenchServer } from "./resp_servers.js";

/** A restart of a large data set on a loaded machine can take minutes. */
const RESTART_TIMEOUT_MS = 600_000;
/** SAVE of a large data set on a loaded machine. */
const SAVE_TIMEOUT_MS = 600_000;

/** What the issue asks of walnut, as a ratio to redis-server's figure (null: no goal, shown for reference). */
const GOALS = {
  restartFromLog: 2,
  restartFromCheckpoint: 1.5,
  bytesOnDisk: 2,
  checkpointBytes: 2,
} as const;

/** The figures of one server. */
export interface RestartFigures {
  label: string;
  loadSeconds: number;
  loadErrors: number;
  rssAfterLoadBytes: number;
  logBytes: number;
  restartFromLogMs: number;
  restartFromLogCpuMs: number;
  keysAfterLogRestart: number;
  rssAfterLogRestartBytes: number;
  saveMs: number;
  checkpointBytes: number;
  restartFromCheckpointMs: number;
  restartFromCheckpointCpuMs: number;
  keysAfterCheckpointRestart: number;
  rssAfterCheckpointRestartBytes: number;
}

/** One line of the table: a figure for walnut beside redis's, and their ratio. */
export interface RestartRow {
  figure: string;
  walnut: number;
  redis: number;
  unit: "s" | "MiB" | "keys";
  goal: number | null;
}

const line = (text: string): void => void process.stdout.write(`${text}\n`);

export async function runRestartBench(): Promise<void> {
  const keys = Number(process.env.WALNUT_BENCH_KEYS ?? 1_000_000);
  if (!Number.isSafeInteger(keys) || keys < 1) throw new Error(`Cannot run the restart benchmark: WALNUT_BENCH_KEYS must be a whole number >= 1`);
  line(`# restart: ${keys} SETs (100-byte values) by redis-cli --pipe; load average ${loadavg().map((n) => n.toFixed(2)).join(" ")}`);
  const rows = await measureRestarts(keys);
  printTable(rows);
}

/** Loads `keys` keys into each server, restarts each from its log and from a checkpoint; the table's rows. */
export async function measureRestarts(keys: number): Promise<RestartRow[]> {
  for (const program of ["redis-server", "redis-cli"]) {
    if (!isInstalled(program)) throw new Error(`Cannot run the restart benchmark: ${program} is not installed (apt-get install redis-server redis-tools)`);
  }
  const file = await writeMassInsertionFile(keys);
  try {
    const walnut = await measureServer(file, walnutServer);
    const redis = await measureServer(file, redisServer);
    return rowsOf(walnut, redis);
  } finally {
    await file.remove();
  }
}

/** How to start one kind of server on a directory, and where its log and checkpoint lie. */
interface ServerKind {
  start(directory: string, stage: "log" | "checkpoint"): Promise<BenchServer>;
  logBytes(dataDir: string): Promise<number>;
  checkpointBytes(dataDir: string): Promise<number>;
}

const walnutServer: ServerKind = {
  start: (directory) => startWalnut({ fsync: "always", directory, readyTimeoutMs: RESTART_TIMEOUT_MS }),
  // The whole data directory: WAL, control file, and any checkpoint.
  logBytes: (dataDir) => bytesUnder(dataDir),
  checkpointBytes: (dataDir) => bytesUnder(join(dataDir, "checkpoints")),
};

const redisServer: ServerKind = {
  start: (directory, stage) =>
    startRedis({
      appendFsyncAlways: true,
      directory,
      readyTimeoutMs: RESTART_TIMEOUT_MS,
      extraArgs: ["--auto-aof-rewrite-percentage", "0", ...(stage === "checkpoint" ? ["--appendonly", "no"] : [])],
      label: "redis-server",
    }),
  logBytes: (dataDir) => bytesUnder(join(dataDir, "appendonlydir")),
  checkpointBytes: (dataDir) => bytesUnder(join(dataDir, "dump.rdb")),
};

async function measureServer(file: MassInsertionFile, kind: ServerKind): Promise<RestartFigures> {
  const directory = await mkdtemp(join(tmpdir(), "walnut-bench-restart-"));
  try {
    const loaded = await kind.start(directory, "log");
    let loadSeconds: number;
    let loadErrors: number;
    let rssAfterLoadBytes: number;
    try {
      const startedMs = performance.now();
      loadErrors = (await pipeInto(loaded.port, file)).errors;
      loadSeconds = (performance.now() - startedMs) / 1000;
      rssAfterLoadBytes = await loaded.rssBytes();
    } finally {
      await loaded.stop();
    }
    const logBytes = await kind.logBytes(loaded.dataDir);

    const fromLog = await kind.start(directory, "log");
    const restartFromLogCpuMs = await cpuMsOf(fromLog.pid);
    let keysAfterLogRestart: number;
    let rssAfterLogRestartBytes: number;
    let saveMs: number;
    try {
      keysAfterLogRestart = await keyCount(fromLog.port);
      rssAfterLogRestartBytes = await fromLog.rssBytes();
      saveMs = await save(fromLog.port);
    } finally {
      await fromLog.stop();
    }
    const checkpointBytes = await kind.checkpointBytes(fromLog.dataDir);

    const fromCheckpoint = await kind.start(directory, "checkpoint");
    const restartFromCheckpointCpuMs = await cpuMsOf(fromCheckpoint.pid);
    let keysAfterCheckpointRestart: number;
    let rssAfterCheckpointRestartBytes: number;
    try {
      keysAfterCheckpointRestart = await keyCount(fromCheckpoint.port);
      rssAfterCheckpointRestartBytes = await fromCheckpoint.rssBytes();
    } finally {
      await fromCheckpoint.stop();
    }
    return {
      label: loaded.label,
      loadSeconds,
      loadErrors,
      rssAfterLoadBytes,
      logBytes,
      restartFromLogMs: fromLog.readyMs,
      restartFromLogCpuMs,
      keysAfterLogRestart,
      rssAfterLogRestartBytes,
      saveMs,
      checkpointBytes,
      restartFromCheckpointMs: fromCheckpoint.readyMs,
      restartFromCheckpointCpuMs,
      keysAfterCheckpointRestart,
      rssAfterCheckpointRestartBytes,
    };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/** SAVE through a connection of its own; the milliseconds until its reply. */
async function save(port: number): Promise<number> {
  const client = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0, commandTimeout: SAVE_TIMEOUT_MS });
  try {
    await client.connect();
    const startedMs = performance.now();
    const reply = await client.call("SAVE");
    if (reply !== "OK") throw new Error(`Cannot take a checkpoint: SAVE answered ${String(reply)}`);
    return performance.now() - startedMs;
  } finally {
    client.disconnect();
  }
}

/** Clock ticks per second in /proc/<pid>/stat (USER_HZ: 100 on Linux). */
const CLOCK_TICKS_PER_SECOND = 100;

/** The CPU time (user + system) process `pid` has used so far, in milliseconds. */
async function cpuMsOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which is in parentheses and may hold spaces): state is the 3rd field, utime the 14th, stime the 15th.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  if (!Number.isFinite(ticks)) throw new Error(`Cannot read the CPU time of process ${pid}: ${stat}`);
  return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** The bytes of the files at `path` (a file, or a directory and everything under it); 0 when it does not exist. */
async function bytesUnder(path: string): Promise<number> {
  const info = await stat(path).catch(() => null);
  if (info === null) return 0;
  if (!info.isDirectory()) return info.size;
  let total = 0;
  for (const entry of await readdir(path)) total += await bytesUnder(join(path, entry));
  return total;
}

export function rowsOf(walnut: RestartFigures, redis: RestartFigures): RestartRow[] {
  const seconds = (ms: number): number => ms / 1000;
  const mebibytes = (bytes: number): number => bytes / 2 ** 20;
  return [
    { figure: "keys after restart from the log", walnut: walnut.keysAfterLogRestart, redis: redis.keysAfterLogRestart, unit: "keys", goal: null },
    { figure: "keys after restart from the checkpoint", walnut: walnut.keysAfterCheckpointRestart, redis: redis.keysAfterCheckpointRestart, unit: "keys", goal: null },
    { figure: "load (redis-cli --pipe)", walnut: walnut.loadSeconds, redis: redis.loadSeconds, unit: "s", goal: null },
    { figure: "data on disk after the load (data dir vs appendonlydir)", walnut: mebibytes(walnut.logBytes), redis: mebibytes(redis.logBytes), unit: "MiB", goal: GOALS.bytesOnDisk },
    { figure: "RSS after the load", walnut: mebibytes(walnut.rssAfterLoadBytes), redis: mebibytes(redis.rssAfterLoadBytes), unit: "MiB", goal: null },
    { figure: "restart from the log (WAL vs AOF)", walnut: seconds(walnut.restartFromLogMs), redis: seconds(redis.restartFromLogMs), unit: "s", goal: GOALS.restartFromLog },
    { figure: "CPU until ready, restart from the log", walnut: seconds(walnut.restartFromLogCpuMs), redis: seconds(redis.restartFromLogCpuMs), unit: "s", goal: null },
    { figure: "RSS after restart from the log", walnut: mebibytes(walnut.rssAfterLogRestartBytes), redis: mebibytes(redis.rssAfterLogRestartBytes), unit: "MiB", goal: null },
    { figure: "checkpoint (SAVE)", walnut: seconds(walnut.saveMs), redis: seconds(redis.saveMs), unit: "s", goal: null },
    { figure: "checkpoint size (checkpoints/ vs dump.rdb)", walnut: mebibytes(walnut.checkpointBytes), redis: mebibytes(redis.checkpointBytes), unit: "MiB", goal: GOALS.checkpointBytes },
    { figure: "restart from the checkpoint (vs RDB)", walnut: seconds(walnut.restartFromCheckpointMs), redis: seconds(redis.restartFromCheckpointMs), unit: "s", goal: GOALS.restartFromCheckpoint },
    { figure: "CPU until ready, restart from the checkpoint", walnut: seconds(walnut.restartFromCheckpointCpuMs), redis: seconds(redis.restartFromCheckpointCpuMs), unit: "s", goal: null },
    { figure: "RSS after restart from the checkpoint", walnut: mebibytes(walnut.rssAfterCheckpointRestartBytes), redis: mebibytes(redis.rssAfterCheckpointRestartBytes), unit: "MiB", goal: null },
  ];
}

function printTable(rows: RestartRow[]): void {
  line("| figure | walnut --fsync always | redis appendfsync always | walnut / redis |");
  line("|---|---|---|---|");
  for (const row of rows) {
    line(`| ${row.figure} | ${formatFigure(row.walnut, row.unit)} | ${formatFigure(row.redis, row.unit)} | ${verdict(row)} |`);
  }
  line(
    `Goals: restart from the log <= ${GOALS.restartFromLog}x redis's from its AOF; from a checkpoint <= ${GOALS.restartFromCheckpoint}x redis's from its RDB; ` +
      `data on disk and checkpoint size <= ${GOALS.bytesOnDisk}x.`,
  );
}

function formatFigure(value: number, unit: RestartRow["unit"]): string {
  if (unit === "keys") return String(value);
  return `${value.toFixed(unit === "s" ? 2 : 1)} ${unit}`;
}

function verdict(row: RestartRow): string {
  if (row.unit === "keys") return row.walnut === row.redis ? "same" : "DIFFERENT";
  const ratio = row.walnut / row.redis;
  if (!Number.isFinite(ratio)) return "-";
  if (row.goal === null) return ratio.toFixed(2);
  return `${ratio.toFixed(2)} (${ratio <= row.goal ? "met" : "MISSED"})`;
}
