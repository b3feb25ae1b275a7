/**
 * `npm run bench -- cluster`: a three-node walnut cluster (--fsync always) beside a
 * three-node etcd cluster, same machine, same run, same load generator (cluster_load.ts).
 *
 * (a) Writes: 1, 16, 64 and 256 writes in flight (one per connection), 100-byte values,
 *     WALNUT_BENCH_SECONDS (5) each, against each cluster's leader; throughput, p50 and p99
 *     side by side, and the fsyncs walnut's leader made per write (INFO wal_fsyncs).
 *     Goal at 64 in flight: walnut >= 1.5x etcd's throughput, p99 no worse.
 * (b) Failover: under a steady load of FAILOVER_IN_FLIGHT writes, kill -9 the leader and
 *     time from the kill to the first acknowledged write sent after it (to a surviving
 *     member: walnut's followers forward writes, etcd's members forward proposals), and to
 *     the moment the survivors agree on a new leader (polled). A client gives up on a write
 *     after FAILOVER_WRITE_TIMEOUT_MS and retries on the next survivor, so a system that
 *     holds writes during an election without answering them costs it up to that long.
 *     WALNUT_BENCH_FAILOVERS (3) rounds, each on fresh clusters.
 *
 * Both clusters run with a 100 ms heartbeat and a 1000 ms election timeout (walnut's
 * fixed values, etcd's defaults). Without etcd only walnut's figures are printed.
 */
import { cpus, loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import {
  etcdWriterFactory, openWalnutWriter, percentile, runFailoverLoad, runLoad, VALUE_BYTES,
  type FailoverLoad, type LoadResult, type WriterFactory,
} from "./cluster_load.js";
import { RespClient } from "../client/resp_client.js";
import { isEtcdInstalled, startEtcdCluster, startWalnutCluster, type BenchCluster } from "./cluster_processes.js";

const IN_FLIGHT_LEVELS = [1, 16, 64, 256];
const GOAL_IN_FLIGHT = 64;
const GOAL_THROUGHPUT_RATIO = 1.5;
/** Unmeasured writes first, so that walnut's JIT is warm when measured. */
const WARM_UP_MS = 1000;
const WARM_UP_IN_FLIGHT = 16;
const FAILOVER_IN_FLIGHT = 16;
/** The failover client's patience per write: the election timeout of both systems. */
const FAILOVER_WRITE_TIMEOUT_MS = 1000;
/** Steady load before the leader is killed. */
const FAILOVER_STEADY_MS = 1000;
/** How long to wait for a write to succeed after the kill before calling the failover stuck. */
const FAILOVER_TIMEOUT_MS = 30_000;
const FAILOVER_POLL_MS = 5;

const line = (text: string): void => void process.stdout.write(`${text}\n`);

function countFromEnvironment(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === "") return fallback;
  const count = Number(text);
  if (!Number.isSafeInteger(count) || count < 1) throw new Error(`Cannot run the cluster benchmark: ${name} must be a whole number >= 1, not "${text}"`);
  return count;
}

/** A system under test: how to start it and how to write to it. */
interface System {
  label: string;
  start(): Promise<BenchCluster>;
  openWriter: WriterFactory;
}

export async function runClusterBench(): Promise<void> {
  line("walnut cluster benchmark (npm run bench -- cluster)");
  const seconds = countFromEnvironment("WALNUT_BENCH_SECONDS", 5);
  const failovers = countFromEnvironment("WALNUT_BENCH_FAILOVERS", 3);
  describeMachine();
  const etcdWriters = etcdWriterFactory();
  const walnut: System = { label: "walnut", start: startWalnutCluster, openWriter: openWalnutWriter };
  const etcd: System | null = isEtcdInstalled() ? { label: "etcd", start: startEtcdCluster, openWriter: etcdWriters.open } : null;
  if (etcd === null) line("etcd is not installed: walnut's figures only (sudo apt-get update && sudo apt-get install -y etcd-server)");
  try {
    await writeRows({ walnut, etcd, durationMs: seconds * 1000 });
    await failoverRows({ walnut, etcd, rounds: failovers });
  } finally {
    etcdWriters.close();
  }
}

function describeMachine(): void {
  const cores = cpus();
  const load = loadavg().map((value) => value.toFixed(2)).join(" ");
  line(`machine: ${cores.length} x ${cores[0]?.model ?? "unknown CPU"}; load average ${load} (1/5/15 min)`);
  if ((loadavg()[0] ?? 0) > cores.length / 2) line("  (the machine is busy with other work: expect noisy figures)");
}

interface Comparison {
  walnut: System;
  etcd: System | null;
}

/** (a): both clusters up at once; at each level walnut runs, then etcd, so that bursts of other load fall on both. */
async function writeRows(options: Comparison & { durationMs: number }): Promise<void> {
  line("");
  line(`(a) writes: ${VALUE_BYTES}-byte values, ${options.durationMs / 1000} s per level, to the leader, one write in flight per connection`);
  const walnutCluster = await startCluster(options.walnut);
  let etcdCluster: BenchCluster | null = null;
  try {
    etcdCluster = options.etcd === null ? null : await startCluster(options.etcd);
    const walnutPort = (await walnutCluster.leader()).clientPort;
    const etcdPort = etcdCluster === null ? null : (await etcdCluster.leader()).clientPort;
    await runLoad({ openWriter: options.walnut.openWriter, clientPort: walnutPort, inFlight: WARM_UP_IN_FLIGHT, durationMs: WARM_UP_MS });
    if (options.etcd !== null && etcdPort !== null) await runLoad({ openWriter: options.etcd.openWriter, clientPort: etcdPort, inFlight: WARM_UP_IN_FLIGHT, durationMs: WARM_UP_MS });
    printWriteHeader();
    for (const inFlight of IN_FLIGHT_LEVELS) {
      const fsyncsBefore = await walnutFsyncs(walnutPort);
      const walnutResult = await runLoad({ openWriter: options.walnut.openWriter, clientPort: walnutPort, inFlight, durationMs: options.durationMs });
      const fsyncsPerWrite = ((await walnutFsyncs(walnutPort)) - fsyncsBefore) / walnutResult.writes;
      const etcdResult = options.etcd === null || etcdPort === null ? null
        : await runLoad({ openWriter: options.etcd.openWriter, clientPort: etcdPort, inFlight, durationMs: options.durationMs });
      printWriteRow({ inFlight, walnut: walnutResult, etcd: etcdResult, fsyncsPerWrite });
    }
  } finally {
    await walnutCluster.stop();
    await etcdCluster?.stop();
  }
}

/** The WAL fsyncs a walnut node has made since it started (INFO wal_fsyncs). */
async function walnutFsyncs(clientPort: number): Promise<number> {
  const client = await RespClient.connect({ host: "127.0.0.1", port: clientPort });
  try {
    const reply = await client.command(["INFO"]);
    const match = reply.type === "bulk" ? /^wal_fsyncs:(\d+)/m.exec(reply.value) : null;
    if (match === null) throw new Error(`Cannot read wal_fsyncs from walnut on port ${clientPort}: no such line in INFO`);
    return Number(match[1]);
  } finally {
    client.close();
  }
}

function printWriteHeader(): void {
  line("| in flight | walnut writes/s | etcd writes/s | walnut/etcd | walnut p50 ms | etcd p50 ms | walnut p99 ms | etcd p99 ms | p99 walnut/etcd | walnut leader fsyncs/write | failed writes (walnut/etcd) |");
  line("|---|---|---|---|---|---|---|---|---|---|---|");
}

interface WriteRow {
  inFlight: number;
  walnut: LoadResult;
  etcd: LoadResult | null;
  fsyncsPerWrite: number;
}

function printWriteRow({ inFlight, walnut, etcd, fsyncsPerWrite }: WriteRow): void {
  const rate = (result: LoadResult): number => result.writes / (result.elapsedMs / 1000);
  const p50 = (result: LoadResult): number => percentile(result.latenciesMs, 0.5);
  const p99 = (result: LoadResult): number => percentile(result.latenciesMs, 0.99);
  const cells = [
    String(inFlight),
    rate(walnut).toFixed(0),
    etcd === null ? "-" : rate(etcd).toFixed(0),
    etcd === null ? "-" : ratio(rate(walnut), rate(etcd)),
    p50(walnut).toFixed(2),
    etcd === null ? "-" : p50(etcd).toFixed(2),
    p99(walnut).toFixed(2),
    etcd === null ? "-" : p99(etcd).toFixed(2),
    etcd === null ? "-" : ratio(p99(walnut), p99(etcd)),
    fsyncsPerWrite.toFixed(2),
    `${walnut.failedWrites} / ${etcd === null ? "-" : etcd.failedWrites}`,
  ];
  line(`| ${cells.join(" | ")} |`);
  if (inFlight === GOAL_IN_FLIGHT && etcd !== null) {
    const throughputMet = rate(walnut) >= GOAL_THROUGHPUT_RATIO * rate(etcd);
    const latencyMet = p99(walnut) <= p99(etcd);
    line(`  goal at ${GOAL_IN_FLIGHT} in flight: throughput >= ${GOAL_THROUGHPUT_RATIO}x etcd ${throughputMet ? "met" : "missed"}; p99 no worse ${latencyMet ? "met" : "missed"}`);
  }
}

function ratio(numerator: number, denominator: number): string {
  return denominator > 0 ? (numerator / denominator).toFixed(2) : "-";
}

/** (b): `rounds` failovers of each system, alternating, each on a fresh cluster. */
async function failoverRows(options: Comparison & { rounds: number }): Promise<void> {
  line("");
  line(`(b) failover: kill -9 the leader under ${FAILOVER_IN_FLIGHT} writes in flight (client timeout ${FAILOVER_WRITE_TIMEOUT_MS} ms, then retry on a survivor)`);
  line("| round | system | killed | new leader | ms to new leader | ms to first write sent after the kill acknowledged | failed writes |");
  line("|---|---|---|---|---|---|---|");
  const times = new Map<string, number[]>();
  for (let round = 1; round <= options.rounds; round++) {
    for (const system of options.etcd === null ? [options.walnut] : [options.walnut, options.etcd]) {
      const result = await measureFailover(system);
      line(`| ${round} | ${system.label} | ${result.killed} | ${result.newLeader} | ${result.leaderMs.toFixed(0)} | ${result.failoverMs.toFixed(0)} | ${result.failedWrites} |`);
      times.set(system.label, [...(times.get(system.label) ?? []), result.failoverMs]);
    }
  }
  for (const [label, values] of times) {
    const sorted = [...values].sort((a, b) => a - b);
    line(`  ${label}: first write after the kill, median ${(sorted[Math.floor(sorted.length / 2)] as number).toFixed(0)} ms, min ${(sorted[0] as number).toFixed(0)}, max ${(sorted[sorted.length - 1] as number).toFixed(0)}`);
  }
}

interface FailoverResult {
  killed: string;
  newLeader: string;
  /** From the kill until the survivors agreed on a leader (polled every 50 ms). */
  leaderMs: number;
  /** From the kill until the first write sent after it was acknowledged. */
  failoverMs: number;
  failedWrites: number;
}

/**
 * Starts a cluster, once more if the first start fails: other work on the machine may take
 * a port between its probe and the member's bind. The failure is printed, not hidden.
 */
async function startCluster(system: System): Promise<BenchCluster> {
  try {
    return await system.start();
  } catch (error) {
    process.stderr.write(`${system.label} cluster did not start; trying once more with fresh ports: ${describe(error)}\n`);
    return system.start();
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A fresh cluster under steady load to its leader; kill -9 the leader; wait for a write sent after the kill to be acknowledged. */
async function measureFailover(system: System): Promise<FailoverResult> {
  const cluster = await startCluster(system);
  try {
    const leader = await cluster.leader();
    let targets = [leader.clientPort];
    let turn = 0;
    const load = runFailoverLoad({
      openWriter: system.openWriter,
      inFlight: FAILOVER_IN_FLIGHT,
      nextClientPort: () => targets[turn++ % targets.length] as number,
      writeTimeoutMs: FAILOVER_WRITE_TIMEOUT_MS,
    });
    await sleep(FAILOVER_STEADY_MS);
    targets = cluster.members.filter((member) => member !== leader).map((member) => member.clientPort);
    const killedMs = performance.now();
    await leader.killHard();
    const [newLeader, firstAfterKill] = await Promise.all([
      cluster.leader().then((member) => ({ name: member.name, agreedMs: performance.now() })),
      waitForWriteSentAfter(load, killedMs),
    ]);
    const result = await load.stop();
    if (firstAfterKill === null) line(`  ${system.label}: no write sent after the kill was acknowledged within ${FAILOVER_TIMEOUT_MS} ms`);
    return {
      killed: leader.name,
      newLeader: newLeader.name,
      leaderMs: newLeader.agreedMs - killedMs,
      failoverMs: firstAfterKill === null ? Number.POSITIVE_INFINITY : firstAfterKill - killedMs,
      failedWrites: result.failedWrites,
    };
  } finally {
    await cluster.stop();
  }
}

/** When the first write sent at or after `sinceMs` was acknowledged; null if none within FAILOVER_TIMEOUT_MS. */
async function waitForWriteSentAfter(load: FailoverLoad, sinceMs: number): Promise<number | null> {
  const deadline = sinceMs + FAILOVER_TIMEOUT_MS;
  while (performance.now() < deadline) {
    const answered = load.firstAnsweredSentSince(sinceMs);
    if (answered !== null) return answered;
    await sleep(FAILOVER_POLL_MS);
  }
  return null;
}

function sleep(durationMs: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, durationMs));
}
