/**
 * (e) of `npm run bench -- resp`: a three-node walnut cluster under redis-benchmark beside
 * one redis-server with `--appendonly yes --appendfsync always`, same machine, same run.
 *
 * The cluster is three `walnut serve --id N --peers ... --fsync always` processes on
 * loopback (cluster_processes.ts), checkpoints off as in the rest of the RESP benchmark.
 * redis-benchmark (`-t set,get -c 50 -d 100`, at -P 1 and -P 16) drives it through its
 * leader's RESP port and through a follower's, which forwards writes to the leader and
 * passes a read barrier for reads; redis gets the same commands. Each redis-benchmark
 * command runs in turns (leader, follower, redis) `rounds` times, and the median shows.
 * Goal (issue 15): through the leader, walnut >= 0.7x redis at -P 1.
 */
import { startWalnutCluster, type BenchCluster, type ClusterMember } from "./cluster_processes.js";
import { medians, redisBenchmark, type BenchmarkArgs, type BenchmarkTarget } from "./redis_benchmark.js";
import { startRedis, type BenchServer } from "./resp_servers.js";

const CLIENTS = 50;
const VALUE_BYTES = 100;
const PIPELINES = [1, 16];
const TESTS = ["SET", "GET"];
/** Issue 15's goal through the leader at -P 1; no goal is set at -P 16 or through a follower. */
const LEADER_GOAL_AT_P1 = 0.7;
const CHECKPOINTS_OFF = ["--checkpoint-interval", "0", "--checkpoint-wal-bytes", "0"];

const line = (text: string): void => void process.stdout.write(`${text}\n`);

export interface ClusterRowsOptions {
  /** redis-benchmark -n for each row. */
  requests: number;
  /** Runs of each redis-benchmark command per target; the median is shown. */
  rounds: number;
  /** Whether redis-server runs beside the cluster (false: walnut's figures only). */
  withRedis: boolean;
  /** Unmeasured `-P 16` requests sent to each target first. */
  warmUpRequests: number;
  /** More `walnut serve` flags for every member (`--read-mode lease`, say); none by default. */
  walnutArgs?: string[];
}

/** A row of the RESP benchmark's speed table; `goal` null where none is set. */
export interface ClusterRow {
  test: string;
  redisRps: number | null;
  walnutRps: number;
  goal: number | null;
}

/** Starts the cluster and redis, measures every row, stops both. Prints its heading and leader changes. */
export async function clusterRows(options: ClusterRowsOptions): Promise<ClusterRow[]> {
  line("");
  const walnutArgs = options.walnutArgs ?? [];
  const flags = walnutArgs.length === 0 ? "" : ` ${walnutArgs.join(" ")}`;
  line(`(e) cluster: 3 walnut nodes --fsync always${flags} (through the leader, through a follower) vs redis --appendonly yes --appendfsync always`);
  const cluster = await startWalnutCluster({ extraArgs: [...CHECKPOINTS_OFF, ...walnutArgs] });
  let redis: BenchServer | null = null;
  try {
    redis = options.withRedis ? await startRedis({ appendFsyncAlways: true }) : null;
    const leader = await cluster.leader();
    const follower = cluster.members.find((member) => member !== leader);
    if (follower === undefined) throw new Error(`Cannot measure through a follower: the cluster has no member besides its leader ${leader.name}`);
    const targets = {
      leader: { label: `walnut cluster leader (${leader.name})`, port: leader.clientPort },
      follower: { label: `walnut cluster follower (${follower.name})`, port: follower.clientPort },
      redis,
    };
    for (const target of [targets.leader, targets.follower, redis]) {
      if (target !== null) await redisBenchmark(target, benchmarkArgs(options.warmUpRequests, 16));
    }
    const rows: ClusterRow[] = [];
    for (const pipeline of PIPELINES) rows.push(...(await pipelineRows(targets, options, pipeline)));
    await reportLeaderChange(cluster, leader);
    return rows;
  } finally {
    await cluster.stop();
    await redis?.stop();
  }
}

function benchmarkArgs(requests: number, pipeline: number): BenchmarkArgs {
  return { tests: TESTS.join(",").toLowerCase(), clients: CLIENTS, requests, pipeline, dataBytes: VALUE_BYTES };
}

interface Targets {
  leader: BenchmarkTarget;
  follower: BenchmarkTarget;
  redis: BenchmarkTarget | null;
}

/** SET and GET through the leader and through the follower at one pipeline depth, each beside redis. */
async function pipelineRows(targets: Targets, options: ClusterRowsOptions, pipeline: number): Promise<ClusterRow[]> {
  const args = benchmarkArgs(options.requests, pipeline);
  const rounds = { leader: [] as Array<Map<string, number>>, follower: [] as Array<Map<string, number>>, redis: [] as Array<Map<string, number>> };
  for (let round = 0; round < options.rounds; round++) {
    rounds.leader.push(await redisBenchmark(targets.leader, args));
    rounds.follower.push(await redisBenchmark(targets.follower, args));
    if (targets.redis !== null) rounds.redis.push(await redisBenchmark(targets.redis, args));
  }
  const redisRates = targets.redis === null ? null : medians(rounds.redis);
  const rows: ClusterRow[] = [];
  for (const via of ["leader", "follower"] as const) {
    const walnutRates = medians(rounds[via]);
    for (const test of TESTS) {
      rows.push({
        test: `cluster ${test} via ${via} -c ${CLIENTS} -P ${pipeline} -d ${VALUE_BYTES} -n ${options.requests}`,
        redisRps: redisRates?.get(test) ?? null,
        walnutRps: walnutRates.get(test) ?? 0,
        goal: via === "leader" && pipeline === 1 ? LEADER_GOAL_AT_P1 : null,
      });
    }
  }
  return rows;
}

/** A leader change moves the "via leader" rows onto a follower part of the way: say so beside the table. */
async function reportLeaderChange(cluster: BenchCluster, leaderAtStart: ClusterMember): Promise<void> {
  const leaderAtEnd = await cluster.leader();
  if (leaderAtEnd !== leaderAtStart) line(`  the leader changed during the run (${leaderAtStart.name} -> ${leaderAtEnd.name}): for part of it, "via leader" and "via follower" are not what they say`);
}
