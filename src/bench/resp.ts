/**
 * `npm run bench -- resp`: walnut's RESP server beside redis-server, same machine, same run,
 * same redis-benchmark commands.
 *
 * (a) Speed: SET and GET, `redis-benchmark -c 50 -n 200000` at -P 1 and -P 16, walnut
 *     --fsync no against redis with no persistence (`--save '' --appendonly no`).
 *     Goals: walnut/redis >= 0.7 at -P 1, >= 0.5 at -P 16.
 * (b) Durable SET at -c 50 -P 1: walnut --fsync always against redis `--appendonly yes
 *     --appendfsync always`. Goal >= 1.0 (group commit should beat one fsync per loop turn).
 * (c) Memory per key: 1,000,000 `SET key:<i> <16 bytes>` streamed with `redis-cli --pipe`
 *     into a fresh server, resident memory (VmRSS) before and after. Goal: walnut within
 *     1.5x redis. Beside it, what each server counts as live (redis used_memory; walnut's
 *     heap after full GCs, through resp_gc_hook.ts) and walnut's RSS after those GCs.
 * (d) Where walnut's time goes: a CPU profile (`node --cpu-prof`) of walnut under
 *     `redis-benchmark -t get,set -P 16 -c 50`, top functions and scripts by self time,
 *     counting only the samples taken while redis-benchmark ran.
 * (e) A three-node walnut cluster (--fsync always) under `redis-benchmark -t set,get -c 50
 *     -d 100` at -P 1 and -P 16, through its leader and through a follower, against redis
 *     `--appendonly yes --appendfsync always` (resp_cluster.ts). Goal: >= 0.7 through the
 *     leader at -P 1.
 *
 * Environment: WALNUT_BENCH_REQUESTS (200000), WALNUT_BENCH_DURABLE_REQUESTS (50000; also
 * the cluster rows'),
 * WALNUT_BENCH_KEYS (1000000), WALNUT_BENCH_ROUNDS (1; the median of the rounds is shown).
 * redis-benchmark and redis-cli are required; without redis-server only walnut's figures
 * are printed.
 */
import { open as openFile, mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readOnlyCpuProfile, summarizeCpuProfile } from "./resp_profile.js";
import { isInstalled, startRedis, startWalnut, type BenchServer } from "./resp_servers.js";
import { medians, redisBenchmark, runTool, type BenchmarkArgs } from "./redis_benchmark.js";
import { clusterRows } from "./resp_cluster.js";
import { liveBytes, redisCli, unwrittenEntries, waitForWalCatchUp } from "./server_memory.js";

const CLIENTS = 50;
/** Unmeasured requests sent to each server first, so that walnut's JIT is warm when measured. */
const WARM_UP_REQUESTS = 20_000;
const MEMORY_VALUE_BYTES = 16;
/** Commands per chunk when writing the --pipe stream to its file. */
const PIPE_CHUNK_COMMANDS = 10_000;
/** Time for the server to settle (let the GC run) before reading RSS. */
const MEMORY_SETTLE_MS = 2000;
/** How long walnut may take to write the WAL entries it acknowledged during the load. */
const PROFILE_TOP_FUNCTIONS = 20;
const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url));

const line = (text: string): void => void process.stdout.write(`${text}\n`);

function countFromEnvironment(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === "") return fallback;
  const count = Number(text);
  if (!Number.isSafeInteger(count) || count < 1) throw new Error(`Cannot run the RESP benchmark: ${name} must be a whole number >= 1, not "${text}"`);
  return count;
}

export interface RespBenchOptions {
  /** redis-benchmark -n for the speed rows and the profile. */
  requests: number;
  /** redis-benchmark -n for the durable SET row. */
  durableRequests: number;
  /** Keys loaded for the memory figures. */
  memoryKeys: number;
  /** Runs of each redis-benchmark command per server; the median is shown. */
  rounds: number;
  /** Whether redis-server runs beside walnut (false: walnut's figures only). */
  withRedis: boolean;
}

interface SpeedRow {
  test: string;
  redisRps: number | null;
  walnutRps: number;
  /** walnut/redis at least this; null where no goal is set. */
  goal: number | null;
}

/** `npm run bench -- resp`: sizes from the environment, redis-server if installed. */
export async function runRespBench(): Promise<void> {
  line("walnut RESP benchmark (npm run bench -- resp)");
  if (!isInstalled("redis-benchmark") || !isInstalled("redis-cli")) {
    line("redis-benchmark and redis-cli are not installed; they drive this benchmark: sudo apt-get install redis-tools");
    return;
  }
  const withRedis = isInstalled("redis-server");
  if (!withRedis) line("redis-server is not installed: walnut's figures only (sudo apt-get install redis-server)");
  await runRespBenchWith({
    requests: countFromEnvironment("WALNUT_BENCH_REQUESTS", 200_000),
    durableRequests: countFromEnvironment("WALNUT_BENCH_DURABLE_REQUESTS", 50_000),
    memoryKeys: countFromEnvironment("WALNUT_BENCH_KEYS", 1_000_000),
    rounds: countFromEnvironment("WALNUT_BENCH_ROUNDS", 1),
    withRedis,
  });
}

export async function runRespBenchWith(options: RespBenchOptions): Promise<void> {
  describeMachine();
  const rows = [...(await speedRows(options)), await durableRow(options)];
  printSpeedTable(rows);
  await memoryPerKey(options);
  await profileWalnut(options);
  const warmUpRequests = Math.min(WARM_UP_REQUESTS, options.durableRequests);
  printSpeedTable(await clusterRows({ requests: options.durableRequests, rounds: options.rounds, withRedis: options.withRedis, warmUpRequests }));
}

function describeMachine(): void {
  const cores = cpus();
  const load = loadavg().map((value) => value.toFixed(2)).join(" ");
  line(`machine: ${cores.length} x ${cores[0]?.model ?? "unknown CPU"}; load average ${load} (1/5/15 min)`);
  if ((loadavg()[0] ?? 0) > cores.length / 2) line("  (the machine is busy with other work: expect noisy figures)");
}

/** (a): one server pair for all of it, SET and GET at each pipeline depth. */
async function speedRows(options: RespBenchOptions): Promise<SpeedRow[]> {
  line("");
  line(`(a) speed: walnut --fsync no vs redis with no persistence (--save '' --appendonly no)`);
  const pair = await startPair(() => startWalnut({ fsync: "no" }), options.withRedis ? () => startRedis({ appendFsyncAlways: false }) : null);
  try {
    const rows: SpeedRow[] = [];
    for (const pipeline of [1, 16]) {
      const args = { tests: "set,get", clients: CLIENTS, requests: options.requests, pipeline };
      const rates = await compareRates(pair, args, options.rounds);
      for (const test of ["SET", "GET"]) {
        rows.push({
          test: `${test} -c ${CLIENTS} -P ${pipeline} -n ${options.requests}`,
          redisRps: rates.redis?.get(test) ?? null,
          walnutRps: rates.walnut.get(test) ?? 0,
          goal: pipeline === 1 ? 0.7 : 0.5,
        });
      }
    }
    return rows;
  } finally {
    await stopPair(pair);
  }
}

/** (b): durable SET, on a fresh pair of servers. */
async function durableRow(options: RespBenchOptions): Promise<SpeedRow> {
  line(`(b) durable SET: walnut --fsync always vs redis --appendonly yes --appendfsync always`);
  const pair = await startPair(() => startWalnut({ fsync: "always" }), options.withRedis ? () => startRedis({ appendFsyncAlways: true }) : null);
  try {
    const args = { tests: "set", clients: CLIENTS, requests: options.durableRequests, pipeline: 1 };
    const rates = await compareRates(pair, args, options.rounds);
    return {
      test: `durable SET -c ${CLIENTS} -P 1 -n ${options.durableRequests}`,
      redisRps: rates.redis?.get("SET") ?? null,
      walnutRps: rates.walnut.get("SET") ?? 0,
      goal: 1.0,
    };
  } finally {
    await stopPair(pair);
  }
}

interface ServerPair {
  walnut: BenchServer;
  redis: BenchServer | null;
}

/** Starts both servers and warms each up. */
async function startPair(startWalnutServer: () => Promise<BenchServer>, startRedisServer: (() => Promise<BenchServer>) | null): Promise<ServerPair> {
  const walnut = await startWalnutServer();
  let redis: BenchServer | null = null;
  try {
    redis = startRedisServer === null ? null : await startRedisServer();
    await warmUp(walnut);
    if (redis !== null) await warmUp(redis);
    return { walnut, redis };
  } catch (error) {
    await stopPair({ walnut, redis });
    throw error;
  }
}

async function warmUp(server: BenchServer): Promise<void> {
  await redisBenchmark(server, { tests: "set,get", clients: CLIENTS, requests: WARM_UP_REQUESTS, pipeline: 16 });
}

async function stopPair(pair: ServerPair): Promise<void> {
  await pair.walnut.stop();
  await pair.redis?.stop();
}

/**
 * Requests per second by test name ("SET", "GET") for each server: the median of `rounds`
 * runs, taken in turns (walnut, redis, walnut, ...) so that a burst of load from other
 * work on the machine falls on both.
 */
async function compareRates(pair: ServerPair, args: BenchmarkArgs, rounds: number): Promise<{ walnut: Map<string, number>; redis: Map<string, number> | null }> {
  const walnutRounds: Array<Map<string, number>> = [];
  const redisRounds: Array<Map<string, number>> = [];
  for (let round = 0; round < rounds; round++) {
    walnutRounds.push(await redisBenchmark(pair.walnut, args));
    if (pair.redis !== null) redisRounds.push(await redisBenchmark(pair.redis, args));
  }
  return { walnut: medians(walnutRounds), redis: pair.redis === null ? null : medians(redisRounds) };
}

function printSpeedTable(rows: SpeedRow[]): void {
  const table = [["test", "redis rps", "walnut rps", "walnut/redis", "goal", ""]];
  for (const row of rows) {
    const ratio = row.redisRps === null ? null : row.walnutRps / row.redisRps;
    table.push([
      row.test,
      row.redisRps === null ? "-" : row.redisRps.toFixed(0),
      row.walnutRps.toFixed(0),
      ratio === null ? "-" : ratio.toFixed(2),
      row.goal === null ? "-" : `>= ${row.goal.toFixed(1)}`,
      ratio === null || row.goal === null ? "" : ratio >= row.goal ? "met" : "MISSED",
    ]);
  }
  line("");
  printTable(table);
}

/** Text columns (by default the first) are aligned left, figures right. */
function printTable(table: string[][], options: { textColumns: number[] } = { textColumns: [0] }): void {
  const widths = (table[0] ?? []).map((_, column) => Math.max(...table.map((row) => (row[column] ?? "").length)));
  const align = (cell: string, column: number): string =>
    options.textColumns.includes(column) ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0);
  for (const row of table) line(`  ${row.map(align).join("  ")}`.trimEnd());
}

async function withServer<T>(start: () => Promise<BenchServer>, run: (server: BenchServer) => Promise<T>): Promise<T> {
  const server = await start();
  try {
    return await run(server);
  } finally {
    await server.stop();
  }
}

/** (c) */
async function memoryPerKey(options: RespBenchOptions): Promise<void> {
  const keys = options.memoryKeys;
  line("");
  line(`(c) memory: ${keys} x SET key:<i> <${MEMORY_VALUE_BYTES} bytes> with redis-cli --pipe into a fresh server`);
  const dir = await mkdtemp(join(tmpdir(), "walnut-bench-pipe-"));
  try {
    const stream = join(dir, "set.resp");
    await writeSetStream(stream, keys);
    const load = { streamPath: stream, keys };
    const walnut = await withServer(() => startWalnut({ fsync: "no", gcReport: true }), (server) => loadAndMeasure(server, load));
    const redis = options.withRedis
      ? await withServer(() => startRedis({ appendFsyncAlways: false }), (server) => loadAndMeasure(server, load))
      : null;
    printMemoryTable([redis, walnut], keys);
    if (redis !== null) {
      const ratio = walnut.rssBytesPerKey / redis.rssBytesPerKey;
      line(`  walnut/redis RSS bytes per key: ${ratio.toFixed(2)} (goal <= 1.5: ${ratio <= 1.5 ? "met" : "MISSED"})`);
    }
    line("  walnut runs without checkpoints here, so its figures include the log entries it keeps in memory until one.");
    line("  WAL backlog: entries walnut had acknowledged but not yet written when the load ended;");
    line("  every figure after it is read once walnut's WAL has caught up.");
    line("  RSS: VmRSS growth over the load, read 2 s after it; live: redis used_memory growth,");
    line("  walnut heap used + external growth after two full GCs (node --expose-gc, SIGUSR2 hook);");
    line("  walnut RSS after GC: VmRSS growth once those GCs ran.");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function printMemoryTable(results: Array<MemoryResult | null>, keys: number): void {
  const perKey = (bytes: number | null): string => (bytes === null ? "-" : (bytes / keys).toFixed(0));
  const table = [["server", "RSS before", "RSS after", "RSS B/key", "live B/key", "RSS after GC B/key", "load keys/s", "WAL backlog"]];
  for (const result of results) {
    if (result === null) continue;
    table.push([
      result.label,
      `${(result.rssBeforeBytes / 2 ** 20).toFixed(1)} MiB`,
      `${(result.rssAfterBytes / 2 ** 20).toFixed(1)} MiB`,
      result.rssBytesPerKey.toFixed(0),
      perKey(result.liveGrowthBytes),
      perKey(result.rssGrowthAfterGcBytes),
      result.keysPerSecond.toFixed(0),
      result.walBacklogEntries === null ? "-" : String(result.walBacklogEntries),
    ]);
  }
  printTable(table);
}

/** The RESP stream `redis-cli --pipe` sends: `SET key:<i> <16 bytes>` for i in [0, keys). */
async function writeSetStream(path: string, keys: number): Promise<void> {
  const file = await openFile(path, "w");
  try {
    for (let first = 0; first < keys; first += PIPE_CHUNK_COMMANDS) {
      let chunk = "";
      for (let i = first; i < Math.min(keys, first + PIPE_CHUNK_COMMANDS); i++) {
        const key = `key:${i}`;
        const value = String(i).padStart(MEMORY_VALUE_BYTES, "v");
        chunk += `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${value.length}\r\n${value}\r\n`;
      }
      await file.write(chunk, null, "latin1");
    }
  } finally {
    await file.close();
  }
}

interface MemoryResult {
  label: string;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  rssBytesPerKey: number;
  /** What the server itself counts as in use: redis used_memory, walnut's heap after GC. */
  liveGrowthBytes: number | null;
  /** walnut only: RSS growth once full GCs ran. */
  rssGrowthAfterGcBytes: number | null;
  /** walnut only: entries applied and acknowledged but not yet written to the WAL when the load ended. */
  walBacklogEntries: number | null;
  keysPerSecond: number;
}

async function loadAndMeasure(server: BenchServer, load: { streamPath: string; keys: number }): Promise<MemoryResult> {
  const liveBefore = await liveBytes(server);
  const rssBeforeBytes = await server.rssBytes();
  const started = performance.now();
  const output = await runTool("redis-cli", ["-h", "127.0.0.1", "-p", String(server.port), "--pipe"], { stdinPath: load.streamPath });
  const seconds = (performance.now() - started) / 1000;
  const summary = /errors: (\d+), replies: (\d+)/.exec(output);
  if (summary === null || Number(summary[1]) !== 0 || Number(summary[2]) !== load.keys) {
    throw new Error(`Cannot load keys into ${server.label} with redis-cli --pipe: ${output.trim()}`);
  }
  const size = Number((await redisCli(server, ["DBSIZE"])).trim());
  if (size !== load.keys) throw new Error(`Cannot measure memory of ${server.label}: DBSIZE is ${size}, expected ${load.keys}`);
  const walBacklogEntries = await unwrittenEntries(server);
  await waitForWalCatchUp(server);
  await new Promise((resolve) => setTimeout(resolve, MEMORY_SETTLE_MS));
  const rssAfterBytes = await server.rssBytes();
  const liveAfter = await liveBytes(server);
  const rssAfterGcBytes = server.collectGarbage === undefined ? null : await server.rssBytes();
  return {
    label: server.label,
    rssBeforeBytes,
    rssAfterBytes,
    rssBytesPerKey: (rssAfterBytes - rssBeforeBytes) / load.keys,
    liveGrowthBytes: liveAfter - liveBefore,
    rssGrowthAfterGcBytes: rssAfterGcBytes === null ? null : rssAfterGcBytes - rssBeforeBytes,
    walBacklogEntries,
    keysPerSecond: load.keys / seconds,
  };
}

/** (d): samples are kept only while redis-benchmark ran, so that startup does not count. */
async function profileWalnut(options: RespBenchOptions): Promise<void> {
  line("");
  line(`(d) walnut --fsync no under redis-benchmark -t get,set -P 16 -c ${CLIENTS} -n ${options.requests}, node --cpu-prof`);
  const profileDir = await mkdtemp(join(tmpdir(), "walnut-bench-profile-"));
  try {
    const args = { tests: "get,set", clients: CLIENTS, requests: options.requests, pipeline: 16 };
    let window = { startMicros: 0, endMicros: 0 };
    const rates = await withServer(
      () => startWalnut({ fsync: "no", cpuProfileDir: profileDir }),
      async (server) => {
        await warmUp(server);
        const startMicros = monotonicMicros();
        const measured = await redisBenchmark(server, args);
        window = { startMicros, endMicros: monotonicMicros() };
        return measured;
      },
    );
    line(`  while profiled: SET ${rates.get("SET")?.toFixed(0)} rps, GET ${rates.get("GET")?.toFixed(0)} rps`);
    const profile = await readOnlyCpuProfile(profileDir);
    const summary = summarizeCpuProfile(profile, { top: PROFILE_TOP_FUNCTIONS, projectRoot: PROJECT_ROOT, window });
    line(`  busy ${summary.busyMs.toFixed(0)} ms, idle ${summary.idleMs.toFixed(0)} ms; top ${PROFILE_TOP_FUNCTIONS} functions by self time:`);
    const functions = [["self ms", "% busy", "function", "where"]];
    for (const entry of summary.top) {
      functions.push([entry.selfMs.toFixed(0), entry.busyPercent.toFixed(1), entry.functionName, entry.location]);
    }
    printTable(functions, { textColumns: [2, 3] });
    line("  self time by script:");
    const scripts = [["self ms", "% busy", "script"]];
    for (const entry of summary.byScript) scripts.push([entry.selfMs.toFixed(0), entry.busyPercent.toFixed(1), entry.script]);
    printTable(scripts, { textColumns: [2] });
  } finally {
    await rm(profileDir, { recursive: true, force: true });
  }
}

/** The clock V8's CPU profiles use (CLOCK_MONOTONIC on Linux), in microseconds. */
function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}
