/**
 * `npm run bench -- memory`: memory per key of `walnut serve` beside redis-server, in the
 * same run, for keys loaded over RESP.
 *
 * For each value size, one file of WALNUT_BENCH_KEYS `SET key:<n> <value>` is piped with
 * `redis-cli --pipe` into a fresh server of each kind: redis-server with no persistence
 * (`--save '' --appendonly no`) and walnut `--fsync no` with checkpoints off (a checkpoint
 * would add its own buffers to the figures), once as it starts by default and once per
 * set of node flags asked for (WALNUT_BENCH_NODE_FLAGS), so V8 settings are measured side
 * by side. Per server, growth over the load divided by the keys:
 *   - live: redis INFO used_memory; walnut heap used + external after two full GCs
 *     (resp_gc_hook.ts), read once walnut's WAL has caught up;
 *   - RSS: VmRSS, read MEMORY_SETTLE_MS after the load (before walnut's forced GCs);
 *   - RSS after GC (walnut): VmRSS once those GCs ran.
 * and the ratios walnut/redis of live to used_memory and of RSS to RSS. Goal: RSS <= 1.5x.
 *
 * With WALNUT_BENCH_SET_REQUESTS > 0 it then measures what the flags cost in speed:
 * `redis-benchmark -t set -c 50 -r <requests> -d <value bytes>` at -P 1 and -P 16 into a
 * fresh server of each kind, and the RSS growth per distinct key after it. Rounds
 * (WALNUT_BENCH_ROUNDS) alternate the servers, so a machine busy with other work slows
 * them alike; the medians are printed.
 *
 * Environment: WALNUT_BENCH_KEYS (1000000), WALNUT_BENCH_VALUE_BYTES ("16,100"),
 * WALNUT_BENCH_NODE_FLAGS (flag sets separated by ";", e.g.
 * "--max-semi-space-size=2;--optimize-for-size"; none by default), WALNUT_BENCH_ROUNDS (1),
 * WALNUT_BENCH_SET_REQUESTS (0: no speed runs).
 */
import { execFile } from "node:child_process";
import { loadavg } from "node:os";
import { promisify } from "node:util";
import { median } from "./measure.js";
import { pipeInto, writeMassInsertionFile, type MassInsertionFile } from "./mass_insertion.js";
import { isInstalled, startRedis, startWalnut, type BenchServer } from "./resp_servers.js";
import { liveBytes, redisCli, waitForWalCatchUp } from "./server_memory.js";

const HOST = "127.0.0.1";
/** Time for a server to settle after the load before RSS is read. */
const MEMORY_SETTLE_MS = 2000;
/** How long walnut may take to write the WAL entries it acknowledged during the load. */
const BENCHMARK_CLIENTS = 50;
const RSS_GOAL = 1.5;

const run = promisify(execFile);
const line = (text: string): void => void process.stdout.write(`${text}\n`);

/** A server the bench starts afresh for every measurement. */
interface Contender {
  label: string;
  start(): Promise<BenchServer>;
}

interface MemoryReading {
  liveBytesPerKey: number;
  rssBytesPerKey: number;
  /** walnut only: RSS growth once its forced GCs ran. */
  rssAfterGcBytesPerKey: number | null;
}

interface SpeedReading {
  setP1: number;
  setP16: number;
  /** RSS growth per distinct key written, after both runs. */
  rssBytesPerKey: number;
}

export interface MemoryRespOptions {
  keys: number;
  valueBytes: number[];
  /** Sets of node flags, each a walnut contender beside the default one. */
  nodeFlagSets: string[][];
  rounds: number;
  /** redis-benchmark -n (and -r) of the speed runs; 0 for none. */
  setRequests: number;
}

function countFromEnvironment(name: string, fallback: number, least = 1): number {
  const text = process.env[name];
  if (text === undefined || text === "") return fallback;
  const count = Number(text);
  if (!Number.isSafeInteger(count) || count < least) throw new Error(`Cannot run the memory benchmark: ${name} must be a whole number >= ${least}, not "${text}"`);
  return count;
}

function optionsFromEnvironment(): MemoryRespOptions {
  const sizes = (process.env.WALNUT_BENCH_VALUE_BYTES ?? "16,100").split(",").map((text) => Number(text.trim()));
  if (sizes.some((size) => !Number.isSafeInteger(size) || size < 1)) {
    throw new Error(`Cannot run the memory benchmark: WALNUT_BENCH_VALUE_BYTES must be sizes separated by commas, not "${process.env.WALNUT_BENCH_VALUE_BYTES}"`);
  }
  const flagSets = parseNodeFlagSets(process.env.WALNUT_BENCH_NODE_FLAGS ?? "");
  return {
    keys: countFromEnvironment("WALNUT_BENCH_KEYS", 1_000_000),
    valueBytes: sizes,
    nodeFlagSets: flagSets,
    rounds: countFromEnvironment("WALNUT_BENCH_ROUNDS", 1),
    setRequests: countFromEnvironment("WALNUT_BENCH_SET_REQUESTS", 0, 0),
  };
}

/** WALNUT_BENCH_NODE_FLAGS: sets separated by ";", flags in a set by blanks; empty sets dropped. */
export function parseNodeFlagSets(text: string): string[][] {
  return text
    .split(";")
    .map((set) => set.trim().split(/\s+/).filter((flag) => flag !== ""))
    .filter((set) => set.length > 0);
}

/** `npm run bench -- memory`. */
export async function runMemoryRespBench(): Promise<void> {
  line("walnut memory per key over RESP (npm run bench -- memory)");
  for (const tool of ["redis-server", "redis-cli", "redis-benchmark"]) {
    if (!isInstalled(tool)) {
      line(`${tool} is not installed; this benchmark compares against it: sudo apt-get install redis-server redis-tools`);
      return;
    }
  }
  await runMemoryRespBenchWith(optionsFromEnvironment());
}

export async function runMemoryRespBenchWith(options: MemoryRespOptions): Promise<void> {
  const load = loadavg().map((value) => value.toFixed(2)).join(" ");
  line(`load average ${load} (1/5/15 min); live figures do not depend on load, RSS and speed do`);
  const contenders = contendersFor(options.nodeFlagSets);
  for (const valueBytes of options.valueBytes) {
    await memoryTable(options, contenders, valueBytes);
    if (options.setRequests > 0) await speedTable(options, contenders, valueBytes);
  }
}

function contendersFor(flagSets: string[][]): Contender[] {
  const walnut = (flags: string[]): Contender => ({
    label: flags.length === 0 ? "walnut" : `walnut ${flags.join(" ")}`,
    start: () => startWalnut({ fsync: "no", gcReport: true, nodeFlags: flags }),
  });
  return [
    { label: "redis", start: () => startRedis({ appendFsyncAlways: false }) },
    walnut([]),
    ...flagSets.map(walnut),
  ];
}

async function memoryTable(options: MemoryRespOptions, contenders: Contender[], valueBytes: number): Promise<void> {
  line("");
  line(`${options.keys} x SET key:<n> <${valueBytes} bytes> with redis-cli --pipe, bytes per key (median of ${options.rounds} round(s)):`);
  const file = await writeMassInsertionFile(options.keys, valueBytes);
  const readings = new Map<string, MemoryReading[]>(contenders.map((contender) => [contender.label, []]));
  try {
    for (let round = 0; round < options.rounds; round++) {
      for (const contender of contenders) {
        readings.get(contender.label)?.push(await withServer(contender, (server) => loadAndMeasure(server, file)));
      }
    }
  } finally {
    await file.remove();
  }
  const redis = medianReading(readings.get("redis") ?? []);
  const table = [["server", "live", "RSS", "RSS after GC", "live / redis used_memory", "RSS / redis RSS"]];
  for (const contender of contenders) {
    const reading = medianReading(readings.get(contender.label) ?? []);
    const isRedis = contender.label === "redis";
    table.push([
      contender.label,
      reading.liveBytesPerKey.toFixed(1),
      reading.rssBytesPerKey.toFixed(1),
      reading.rssAfterGcBytesPerKey === null ? "-" : reading.rssAfterGcBytesPerKey.toFixed(1),
      isRedis ? "-" : `${(reading.liveBytesPerKey / redis.liveBytesPerKey).toFixed(2)}x`,
      isRedis ? "-" : `${(reading.rssBytesPerKey / redis.rssBytesPerKey).toFixed(2)}x${reading.rssBytesPerKey / redis.rssBytesPerKey <= RSS_GOAL ? "" : " (goal <= 1.5)"}`,
    ]);
  }
  printTable(table);
  line("  live: redis INFO used_memory; walnut heap used + external after two full GCs. RSS: VmRSS");
  line(`  ${MEMORY_SETTLE_MS} ms after the load; RSS after GC: once walnut's GCs ran. All growth over the load.`);
}

function medianReading(readings: MemoryReading[]): MemoryReading {
  const afterGc = readings.map((reading) => reading.rssAfterGcBytesPerKey).filter((value): value is number => value !== null);
  return {
    liveBytesPerKey: median(readings.map((reading) => reading.liveBytesPerKey)),
    rssBytesPerKey: median(readings.map((reading) => reading.rssBytesPerKey)),
    rssAfterGcBytesPerKey: afterGc.length === 0 ? null : median(afterGc),
  };
}

async function loadAndMeasure(server: BenchServer, file: MassInsertionFile): Promise<MemoryReading> {
  const liveBefore = await liveBytes(server);
  const rssBefore = await server.rssBytes();
  const result = await pipeInto(server.port, file);
  if (result.errors !== 0 || result.replies !== file.keys) {
    throw new Error(`Cannot load keys into ${server.label} with redis-cli --pipe: ${result.output.trim()}`);
  }
  const size = Number((await redisCli(server, ["DBSIZE"])).trim());
  if (size !== file.keys) throw new Error(`Cannot measure memory of ${server.label}: DBSIZE is ${size}, expected ${file.keys}`);
  await waitForWalCatchUp(server);
  await new Promise((resolve) => setTimeout(resolve, MEMORY_SETTLE_MS));
  const rssAfter = await server.rssBytes();
  const liveAfter = await liveBytes(server);
  const rssAfterGc = server.collectGarbage === undefined ? null : await server.rssBytes();
  return {
    liveBytesPerKey: (liveAfter - liveBefore) / file.keys,
    rssBytesPerKey: (rssAfter - rssBefore) / file.keys,
    rssAfterGcBytesPerKey: rssAfterGc === null ? null : (rssAfterGc - rssBefore) / file.keys,
  };
}

async function speedTable(options: MemoryRespOptions, contenders: Contender[], valueBytes: number): Promise<void> {
  const requests = options.setRequests;
  line("");
  line(`redis-benchmark -t set -c ${BENCHMARK_CLIENTS} -n ${requests} -r ${requests} -d ${valueBytes}, -P 1 then -P 16, a fresh server each (median of ${options.rounds} round(s)):`);
  const readings = new Map<string, SpeedReading[]>(contenders.map((contender) => [contender.label, []]));
  for (let round = 0; round < options.rounds; round++) {
    for (const contender of contenders) {
      readings.get(contender.label)?.push(await withServer(contender, (server) => setSpeed(server, requests, valueBytes)));
    }
  }
  const table = [["server", "SET rps -P 1", "SET rps -P 16", "RSS B/distinct key"]];
  for (const contender of contenders) {
    const runs = readings.get(contender.label) ?? [];
    table.push([
      contender.label,
      median(runs.map((reading) => reading.setP1)).toFixed(0),
      median(runs.map((reading) => reading.setP16)).toFixed(0),
      median(runs.map((reading) => reading.rssBytesPerKey)).toFixed(0),
    ]);
  }
  printTable(table);
}

async function setSpeed(server: BenchServer, requests: number, valueBytes: number): Promise<SpeedReading> {
  const rssBefore = await server.rssBytes();
  const setP1 = await setRate(server, requests, valueBytes, 1);
  const setP16 = await setRate(server, requests, valueBytes, 16);
  await waitForWalCatchUp(server);
  await new Promise((resolve) => setTimeout(resolve, MEMORY_SETTLE_MS));
  const rssAfter = await server.rssBytes();
  const keys = Number((await redisCli(server, ["DBSIZE"])).trim());
  return { setP1, setP16, rssBytesPerKey: (rssAfter - rssBefore) / Math.max(1, keys) };
}

async function setRate(server: BenchServer, requests: number, valueBytes: number, pipeline: number): Promise<number> {
  const args = ["-h", HOST, "-p", String(server.port), "-t", "set", "-c", String(BENCHMARK_CLIENTS), "-n", String(requests)];
  args.push("-r", String(requests), "-d", String(valueBytes), "-P", String(pipeline), "--csv");
  const { stdout } = await run("redis-benchmark", args, { maxBuffer: 1 << 20 });
  const match = /^"SET","([\d.]+)"/m.exec(stdout);
  if (match === null) throw new Error(`Cannot read redis-benchmark's SET rate for ${server.label}:\n${stdout}`);
  return Number(match[1]);
}

async function withServer<T>(contender: Contender, measure: (server: BenchServer) => Promise<T>): Promise<T> {
  const server = await contender.start();
  try {
    return await measure(server);
  } finally {
    await server.stop();
  }
}

function printTable(table: string[][]): void {
  const widths = (table[0] ?? []).map((_, column) => Math.max(...table.map((row) => (row[column] ?? "").length)));
  for (const row of table) {
    line(`  ${row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join("  ")}`.trimEnd());
  }
}
