/**
 * The shipped program as a cluster under faults: three `walnut serve --fsync always`
 * processes on loopback, ioredis clients writing through every member, and
 *
 *   1. kill -9 of the leader at a random moment, failover, restart on the same data
 *      directory, catch-up by log (several rounds);
 *   2. a follower stopped while the leader checkpoints and compacts past its log,
 *      restarted, catching up from the leader's checkpoint (InstallSnapshot), and
 *      once more killed with -9 while that checkpoint is sent or installed;
 *   3. the leader cut off from the others (through test-controlled TCP proxies): the
 *      majority elects a new leader and goes on; the old one acknowledges no write and
 *      serves no stale linearizable read; after healing it follows and converges.
 *
 * Every test ends with each member's own state (stale reads, once all members hold the
 * same log) holding every acknowledged write, and the INCR counter between the highest
 * INCR acknowledged and the number of INCRs attempted. The seed is printed on failure
 * with the members' logs; WALNUT_FUZZ_SEED replays its choices. WALNUT_DEEP=1 runs more
 * rounds. No wait is a fixed sleep: each polls /status or the acknowledgements.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { ProcessCluster } from "../processes/cluster_processes.js";
import { Workload, checkState } from "./cluster_workload.js";
import { DEEP, Random, runSeed, waitUntil } from "./server_fixtures.js";

const KILL_ROUNDS = DEEP ? 12 : 3;
const PARTITION_ROUNDS = DEEP ? 6 : 2;
/** A kill comes after between 1 and this many acknowledged writes in a round. */
const ACKS_BEFORE_FAULT_MAX = 600;
/** Writes acknowledged by the new leader's cluster before the old member comes back. */
const ACKS_AFTER_FAILOVER = 100;
/** A probe of a cut-off member that the member has not answered after this long counts as refused. */
const PROBE_GUARD_MS = 15_000;
/** Characters of each member's log shown on failure. */
const LOG_TAIL_CHARS = 6_000;
const TEST_TIMEOUT_MS = DEEP ? 3_600_000 : 600_000;

/** Runs `body` on a fresh cluster; on failure names the seed and shows every member's log. */
async function withCluster(
  options: { proxied: boolean; extraArgs?: string[] },
  body: (cluster: ProcessCluster, random: Random, workloads: Workload[]) => Promise<void>,
): Promise<void> {
  const seed = runSeed();
  const cluster = await ProcessCluster.start({ size: 3, ...options });
  const workloads: Workload[] = [];
  try {
    await body(cluster, new Random(seed), workloads);
  } catch (error) {
    const logs = cluster.ids.map((id) => `--- node ${id} (tail) ---\n${cluster.stderr(id).slice(-LOG_TAIL_CHARS)}`).join("\n");
    const failures = workloads.flatMap((w) => [...w.failureMessages]).join("\n  ");
    throw new Error(`seed ${seed} (WALNUT_FUZZ_SEED=${seed} replays): ${String(error)}\nclient errors seen:\n  ${failures}\n${logs}`, { cause: error });
  } finally {
    await Promise.all(workloads.map((workload) => workload.stop()));
    await cluster.close();
  }
}

/** Stops the load, waits until every member holds the same log, and checks each one's own state. */
async function checkEveryMember(cluster: ProcessCluster, workloads: Workload[]): Promise<void> {
  await Promise.all(workloads.map((workload) => workload.stop()));
  const index = await cluster.waitConverged();
  for (const id of cluster.ids) checkState(await cluster.ownState(id), workloads, `node ${id} at applied index ${index}`);
  assert.ok(workloads.some((workload) => workload.acknowledged.size > 0), "no write was acknowledged at all");
}

async function waitForAcks(workload: Workload, count: number): Promise<void> {
  await waitUntil(`${count} writes acknowledged`, () => workload.acks >= count);
}

test(`every acknowledged write survives kill -9 of the leader and is on every member after it rejoins (${KILL_ROUNDS} rounds)`, { timeout: TEST_TIMEOUT_MS }, async () => {
  await withCluster({ proxied: false }, async (cluster, random, workloads) => {
    await cluster.waitForLeader();
    const workload = new Workload({ ports: cluster.ids.map((id) => cluster.respPort(id)), lanesPerClient: 6, name: "kill" });
    workloads.push(workload);
    for (let round = 1; round <= KILL_ROUNDS; round++) {
      await waitForAcks(workload, workload.acks + 1 + random.below(ACKS_BEFORE_FAULT_MAX));
      const leader = await cluster.waitForLeader();
      assert.equal(await cluster.stop(leader, "SIGKILL"), "SIGKILL", `round ${round}: node ${leader} died of the kill`);
      await cluster.waitForLeader(cluster.ids.filter((id) => id !== leader));
      await waitForAcks(workload, workload.acks + ACKS_AFTER_FAILOVER);
      await cluster.restart(leader);
      const current = await cluster.status(await cluster.waitForLeader());
      await cluster.waitApplied(leader, current?.commitIndex ?? 0);
    }
    await checkEveryMember(cluster, workloads);
  });
});

const SMALL_LOG_ARGS = ["--checkpoint-wal-bytes", "64KiB", "--segment-size", "64KiB"];

/**
 * Writes through the leader and one follower while the other follower is stopped, until
 * the leader has checkpointed (and so compacted its log) past the stopped one's log.
 * Returns the leader and the stopped follower.
 */
async function stopFollowerPastCompaction(cluster: ProcessCluster, random: Random, workloads: Workload[]): Promise<{ leader: number; follower: number }> {
  const leader = await cluster.waitForLeader();
  const [follower, other] = cluster.ids.filter((id) => id !== leader) as [number, number];
  const ports = [leader, other].map((id) => cluster.respPort(id));
  const workload = new Workload({ ports, lanesPerClient: 4, name: "snapshot", valuePaddingBytes: 1000 });
  workloads.push(workload);
  await waitForAcks(workload, 1 + random.below(ACKS_BEFORE_FAULT_MAX));
  await cluster.stop(follower, random.below(2) === 0 ? "SIGTERM" : "SIGKILL");
  // The stopped follower's log cannot reach past the leader's.
  const behind = (await cluster.status(leader))?.lastIndex ?? 0;
  await waitUntil(`the leader checkpointed past index ${behind}`, async () => ((await cluster.status(leader))?.lastCheckpoint.index ?? 0) > behind);
  return { leader, follower };
}

test("a follower stopped while the leader compacts its log catches up from the leader's checkpoint", { timeout: TEST_TIMEOUT_MS }, async () => {
  await withCluster({ proxied: false, extraArgs: SMALL_LOG_ARGS }, async (cluster, random, workloads) => {
    const { leader, follower } = await stopFollowerPastCompaction(cluster, random, workloads);
    await cluster.restart(follower);
    await cluster.waitApplied(follower, (await cluster.status(leader))?.commitIndex ?? 0);
    // The node logs the install after it has applied the checkpoint: wait for the line.
    await waitUntil(`node ${follower} logs "installed checkpoint"`, () => /installed checkpoint/.test(cluster.stderr(follower)));
    await checkEveryMember(cluster, workloads);
  });
});

test("a follower killed while it receives or installs the leader's checkpoint recovers and converges", { timeout: TEST_TIMEOUT_MS }, async () => {
  await withCluster({ proxied: false, extraArgs: SMALL_LOG_ARGS }, async (cluster, random, workloads) => {
    const { leader, follower } = await stopFollowerPastCompaction(cluster, random, workloads);
    // The kill lands once the leader starts sending, or once the follower has the file.
    const [logOf, line] = random.pick([[leader, /sending checkpoint/], [follower, /received checkpoint/]] as const);
    const logBefore = cluster.stderr(logOf).length;
    await cluster.restart(follower);
    await waitUntil(`node ${logOf} logs ${line}`, () => line.test(cluster.stderr(logOf).slice(logBefore)));
    assert.equal(await cluster.stop(follower, "SIGKILL"), "SIGKILL");
    await cluster.restart(follower);
    await cluster.waitApplied(follower, (await cluster.status(leader))?.commitIndex ?? 0);
    await checkEveryMember(cluster, workloads);
  });
});

test(`a leader cut off from the others acknowledges no write, serves no stale linearizable read, and rejoins (${PARTITION_ROUNDS} rounds)`, { timeout: TEST_TIMEOUT_MS }, async () => {
  await withCluster({ proxied: true }, async (cluster, random, workloads) => {
    await cluster.waitForLeader();
    const workload = new Workload({ ports: cluster.ids.map((id) => cluster.respPort(id)), lanesPerClient: 4, name: "partition" });
    workloads.push(workload);
    for (let round = 1; round <= PARTITION_ROUNDS; round++) {
      await waitForAcks(workload, workload.acks + 1 + random.below(ACKS_BEFORE_FAULT_MAX));
      const old = await cluster.waitForLeader();
      const majority = cluster.ids.filter((id) => id !== old);
      const probeKey = `probe:${round}`;
      const probe = await probeClient(cluster.respPort(old));
      try {
        assert.equal(await probe.set(probeKey, "before"), "OK");
        cluster.network?.isolate(old);
        // Sent while the old leader may still believe it leads: it can never commit.
        const cutOffWrite = outcome(probe.set(`${probeKey}:cut-off`, "never"));
        const next = await cluster.waitForLeader(majority);
        const writer = await probeClient(cluster.respPort(next));
        assert.equal(await writer.set(probeKey, "after").finally(() => writer.disconnect()), "OK");
        await waitForAcks(workload, workload.acks + ACKS_AFTER_FAILOVER);
        assert.notEqual(await cutOffWrite, "OK", `node ${old} acknowledged a write while cut off from the majority`);
        await checkNoStaleRead(cluster, old, probe, probeKey);
      } finally {
        probe.disconnect();
      }
      cluster.network?.heal();
      await waitUntil(`node ${old} follows again`, async () => {
        const status = await cluster.status(old);
        return status !== null && status.role === "follower" && majority.includes(status.leader);
      });
      await cluster.waitApplied(old, (await cluster.status(await cluster.waitForLeader()))?.commitIndex ?? 0);
    }
    await checkEveryMember(cluster, workloads);
  });
});

/** A RESP client on one member, connected; commands give up after PROBE_GUARD_MS. */
async function probeClient(port: number): Promise<Redis> {
  const client = new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 0, lazyConnect: true, commandTimeout: PROBE_GUARD_MS });
  client.on("error", () => undefined);
  await client.connect();
  return client;
}

/** The reply, or the error's text: what a probe came back with. */
function outcome(reply: Promise<string | null>): Promise<string | null> {
  return reply.catch((error: unknown) => `error: ${String(error)}`);
}

/**
 * `probeKey` was "before" when the old leader was cut off, and "after" was acknowledged
 * since: the old leader still holds "before" (stale read) but must not serve it as a
 * linearizable read, through RESP or HTTP.
 */
async function checkNoStaleRead(cluster: ProcessCluster, old: number, probe: Redis, probeKey: string): Promise<void> {
  const base = `http://127.0.0.1:${cluster.httpPort(old)}/key/${encodeURIComponent(probeKey)}`;
  const stale = (await (await fetch(`${base}?consistency=stale`)).json()) as { value?: unknown };
  assert.equal(stale.value, "before", `node ${old} should still hold the old value (stale read)`);
  const http = await fetch(base, { signal: AbortSignal.timeout(PROBE_GUARD_MS) }).then(
    async (response) => ({ status: response.status, body: await response.text() }),
    (error: unknown) => ({ status: 0, body: String(error) }),
  );
  assert.ok(http.status !== 200 || !http.body.includes('"before"'), `node ${old} served a stale linearizable HTTP read: ${http.body}`);
  assert.notEqual(await outcome(probe.get(probeKey)), "before", `node ${old} served a stale linearizable RESP read`);
}

/** Writes acknowledged while a follower is behind, before it is let go to catch up. */
const ACKS_WHILE_BEHIND = 3_000;
/** Writes that must commit while the lagging follower is paused mid catch-up, and after it resumes. */
const ACKS_WHILE_PAUSED = 300;

test("a follower paused mid catch-up does not stall the leader: it keeps its term, commits and answers /status throughout", { timeout: TEST_TIMEOUT_MS }, async () => {
  await withCluster({ proxied: false }, async (cluster, _random, workloads) => {
    const leader = await cluster.waitForLeader();
    const { term } = (await cluster.status(leader))!;
    const [follower, other] = cluster.ids.filter((id) => id !== leader) as [number, number];
    cluster.pause(follower);
    const workload = new Workload({ ports: [leader, other].map((id) => cluster.respPort(id)), lanesPerClient: 6, name: "lagging" });
    workloads.push(workload);
    await waitForAcks(workload, ACKS_WHILE_BEHIND);
    const leaderIsUnchanged = async (when: string): Promise<void> => {
      const status = await cluster.status(leader);
      assert.ok(status !== null, `the leader answers /status ${when}`);
      assert.deepEqual([status.role, status.term], ["leader", term], `node ${leader} still leads in term ${term} ${when}`);
    };
    // Let it go, and stop it again as soon as the leader's appends reach it.
    cluster.resume(follower);
    const behindAt = (await cluster.status(follower))?.lastIndex ?? 0;
    await waitUntil(`node ${follower} starts catching up`, async () => ((await cluster.status(follower))?.lastIndex ?? 0) > behindAt);
    cluster.pause(follower);
    const pausedAt = workload.acks;
    while (workload.acks < pausedAt + ACKS_WHILE_PAUSED) {
      await leaderIsUnchanged("while the follower is paused mid catch-up");
      await waitForAcks(workload, Math.min(workload.acks + ACKS_WHILE_PAUSED / 3, pausedAt + ACKS_WHILE_PAUSED));
    }
    assert.ok(cluster.isPaused(follower), "every write above committed while the follower was paused");
    cluster.resume(follower);
    await waitForAcks(workload, workload.acks + ACKS_WHILE_PAUSED);
    await leaderIsUnchanged("after the follower resumed");
    await cluster.waitApplied(follower, (await cluster.status(leader))?.commitIndex ?? 0);
    await leaderIsUnchanged("once the follower caught up");
    await checkEveryMember(cluster, workloads);
  });
});
