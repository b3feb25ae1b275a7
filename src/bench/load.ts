/**
 * `npm run bench -- load`: bulk load, walnut beside redis-server in one run.
 *
 * One file of WALNUT_BENCH_KEYS (1,000,000) `SET key:<n> <100 bytes>` is piped with
 * `redis-cli --pipe` (Redis's documented mass insertion) into a fresh server of each kind:
 * redis-server with `appendonly yes, appendfsync always`, and walnut under each fsync mode
 * with its default checkpoints on (a checkpoint during the load is part of the load).
 * Reported per server: error replies, keys present when the last reply arrived, load time,
 * peak resident memory (VmRSS sampled every 100 ms), and the ratios to redis-server.
 * Goals: 0 errors; load time <= 1.5x redis-server's; peak RSS <= 2x.
 */
import { loadavg } from "node:os";
import { keyCount, pipeInto, writeMassInsertionFile, type MassInsertionFile } from "./mass_insertion.js";
import { isInstalled, startRedis, startWalnut, type BenchServer } from "./resp_servers.js";

const RSS_SAMPLE_MS = 100;
const LOAD_TIME_GOAL = 1.5;
const PEAK_RSS_GOAL = 2;

const line = (text: string): void => void process.stdout.write(`${text}\n`);

interface LoadResult {
  label: string;
  errors: number;
  replies: number;
  keysAtLastReply: number;
  seconds: number;
  peakRssBytes: number;
}

export async function runLoadBench(): Promise<void> {
  const keys = Number(process.env.WALNUT_BENCH_KEYS ?? 1_000_000);
  if (!Number.isSafeInteger(keys) || keys < 1) throw new Error(`Cannot run the load benchmark: WALNUT_BENCH_KEYS must be a whole number >= 1`);
  if (!isInstalled("redis-cli")) throw new Error("Cannot run the load benchmark: redis-cli is not installed (apt-get install redis-tools)");
  line(`# load: redis-cli --pipe of ${keys} SETs (100-byte values); load average ${loadavg().map((n) => n.toFixed(2)).join(" ")}`);
  const file = await writeMassInsertionFile(keys);
  const results: LoadResult[] = [];
  try {
    if (isInstalled("redis-server")) results.push(await measure(() => startRedis({ appendFsyncAlways: true }), file));
    else line("(redis-server is not installed: walnut's figures only)");
    for (const fsync of ["always", "everysec", "no"] as const) {
      results.push(await measure(() => startWalnut({ fsync, checkpoints: true }), file));
    }
  } finally {
    await file.remove();
  }
  printTable(results);
}

async function measure(start: () => Promise<BenchServer>, file: MassInsertionFile): Promise<LoadResult> {
  const server = await start();
  let peakRssBytes = await server.rssBytes();
  const sampler = setInterval(() => {
    server.rssBytes().then((rss) => (peakRssBytes = Math.max(peakRssBytes, rss)), () => undefined);
  }, RSS_SAMPLE_MS);
  try {
    const startedMs = performance.now();
    const piped = await pipeInto(server.port, file);
    const seconds = (performance.now() - startedMs) / 1000;
    const keysAtLastReply = await keyCount(server.port);
    peakRssBytes = Math.max(peakRssBytes, await server.rssBytes());
    return { label: server.label, errors: piped.errors, replies: piped.replies, keysAtLastReply, seconds, peakRssBytes };
  } finally {
    clearInterval(sampler);
    await server.stop();
  }
}

function printTable(results: LoadResult[]): void {
  const redis = results.find((result) => result.label.startsWith("redis"));
  line("| server | error replies | keys at last reply | load time | peak RSS | time / redis | RSS / redis |");
  line("|---|---|---|---|---|---|---|");
  for (const result of results) {
    const timeRatio = redis === undefined ? null : result.seconds / redis.seconds;
    const rssRatio = redis === undefined ? null : result.peakRssBytes / redis.peakRssBytes;
    line(
      `| ${result.label} | ${result.errors} | ${result.keysAtLastReply} | ${result.seconds.toFixed(1)} s | ${(result.peakRssBytes / 2 ** 20).toFixed(0)} MiB | ` +
        `${verdict(timeRatio, LOAD_TIME_GOAL)} | ${verdict(rssRatio, PEAK_RSS_GOAL)} |`,
    );
  }
  line(`Goals: 0 error replies; load time <= ${LOAD_TIME_GOAL}x redis-server's (appendfsync always); peak RSS <= ${PEAK_RSS_GOAL}x.`);
}

function verdict(ratio: number | null, goal: number): string {
  if (ratio === null) return "-";
  return `${ratio.toFixed(2)} (${ratio <= goal ? "met" : "MISSED"})`;
}
