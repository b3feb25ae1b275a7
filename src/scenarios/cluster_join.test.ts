/**
 * `walnut serve --join` with real processes: three `walnut serve` members under write load
 * (ProcessCluster), and a fourth process started with `--join <member's RESP address>`:
 *
 *   1. through a follower, catching up by log: it becomes a voter, holds every
 *      acknowledged write, and once the old leader is removed (RAFT REMOVE) and another old
 *      member killed, the two voters left (one old, the new one) still commit writes;
 *   2. through the leader after it checkpointed and compacted its log: the joiner catches
 *      up from the leader's checkpoint, becomes a voter and holds every acknowledged write;
 *   3. refusals: a wrong --cluster-secret, an id that is already a member, or a data
 *      directory that holds another cluster's node (README's join line once landed in
 *      ./walnut-data, which `npm start` uses) is refused with one clear line and a non-zero
 *      exit, and leaves the membership as it was; a joiner that was added but cannot
 *      open its data directory removes itself again, leaving no learner behind.
 *
 * Each member's own state is read with `?consistency=stale` once every running member
 * holds the same log. No wait is a fixed sleep: each polls /status or acknowledgements.
 */
import { spawn } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { ProcessCluster } from "../processes/cluster_processes.js";
import { Workload, checkState } from "./cluster_workload.js";
import { JoiningNode, memberStatus, ownStateAt, type JoinerStatus } from "./joining_node.js";
import { freePort, waitUntil } from "./server_fixtures.js";

const walnutBin = fileURLToPath(new URL("../../bin/walnut.js", import.meta.url));

/** The data directory of a single node (`walnut serve`, as `npm start` runs it), started once and stopped. */
async function singleNodeDataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "walnut-single-"));
  const [port, httpPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [walnutBin, "serve", "--data-dir", dir, "--port", String(port), "--http-port", String(httpPort)], { stdio: "ignore" });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  await waitUntil("the single node answers /status", async () => (await memberStatus(httpPort)) !== null);
  child.kill("SIGTERM");
  await exited;
  return dir;
}

const JOINER_ID = 4;
/** Writes acknowledged before the joiner starts, and again while it catches up. */
const ACKS_BEFORE_JOIN = 300;
const ACKS_DURING_JOIN = 100;
/** Writes the shrunken cluster must acknowledge after losing two of its founders. */
const ACKS_AFTER_SHRINK = 50;
/** Characters of each process's log shown on failure. */
const LOG_TAIL_CHARS = 4_000;
const TEST_TIMEOUT_MS = 120_000;
const SMALL_LOG_ARGS = ["--checkpoint-wal-bytes", "64KiB", "--segment-size", "64KiB"];

/** A member seen from the test: its HTTP port for /status and own state, its RESP port for writes. */
interface Endpoint {
  id: number;
  httpPort: number;
  respPort: number;
}

function endpointsOf(cluster: ProcessCluster, ids: number[]): Endpoint[] {
  return ids.map((id) => ({ id, httpPort: cluster.httpPort(id), respPort: cluster.respPort(id) }));
}

function joinerEndpoint(joiner: JoiningNode): Endpoint {
  return { id: joiner.id, httpPort: joiner.httpPort, respPort: joiner.respPort };
}

/** Runs `body` on a fresh three-member cluster; on failure shows every process's log. */
async function withCluster(
  extraArgs: string[],
  body: (cluster: ProcessCluster, workloads: Workload[], joiners: JoiningNode[]) => Promise<void>,
): Promise<void> {
  const cluster = await ProcessCluster.start({ size: 3, proxied: false, extraArgs });
  const workloads: Workload[] = [];
  const joiners: JoiningNode[] = [];
  try {
    await body(cluster, workloads, joiners);
  } catch (error) {
    const logs = [
      ...cluster.ids.map((id) => `--- node ${id} (tail) ---\n${cluster.stderr(id).slice(-LOG_TAIL_CHARS)}`),
      ...joiners.map((joiner) => `--- joiner ${joiner.id} (tail) ---\n${joiner.stderr.slice(-LOG_TAIL_CHARS)}`),
    ].join("\n");
    throw new Error(`${String(error)}\n${logs}`, { cause: error });
  } finally {
    await Promise.all(workloads.map((workload) => workload.stop()));
    await Promise.all(joiners.map((joiner) => joiner.close()));
    await cluster.close();
  }
}

/** Waits until one of `members` leads and a majority of its voters follow it in its term. */
async function waitForLeader(members: Endpoint[]): Promise<Endpoint> {
  let leader: Endpoint | undefined;
  await waitUntil(`a leader among nodes ${members.map((m) => m.id).join(",")}`, async () => {
    const statuses = (await Promise.all(members.map((m) => memberStatus(m.httpPort)))).filter((s): s is JoinerStatus => s !== null);
    const followed = statuses.find(
      (candidate) =>
        candidate.role === "leader" &&
        statuses.filter((s) => s.leader === candidate.id && s.term === candidate.term).length > candidate.voters.length / 2,
    );
    leader = members.find((member) => member.id === followed?.id);
    return leader !== undefined;
  });
  return leader!;
}

/** Waits until every one of `members` reports the same commit, applied and last index. */
async function waitConverged(members: Endpoint[]): Promise<number> {
  let index = 0;
  await waitUntil(`nodes ${members.map((m) => m.id).join(",")} converge on one applied index`, async () => {
    const statuses = await Promise.all(members.map((m) => memberStatus(m.httpPort)));
    const indexes = new Set(statuses.flatMap((s) => (s === null ? [-1, -2] : [s.appliedIndex, s.commitIndex, s.lastIndex])));
    index = statuses[0]?.appliedIndex ?? 0;
    return indexes.size === 1;
  });
  return index;
}

/** Waits until the joiner and the leader both count the joiner among the voters. */
async function waitVoter(joiner: JoiningNode, leader: Endpoint): Promise<void> {
  await waitUntil(`node ${joiner.id} becomes a voter`, async () => {
    const [own, leaders] = await Promise.all([joiner.status(), memberStatus(leader.httpPort)]);
    if (!joiner.isRunning) throw new Error(`node ${joiner.id} exited (${String(joiner.exitedWith)})`);
    return own !== null && leaders !== null && own.voters.includes(joiner.id) && leaders.voters.includes(joiner.id);
  });
}

/** Stops the load, waits until `members` hold the same log, and checks each one's own state. */
async function checkEveryMember(members: Endpoint[], workloads: Workload[]): Promise<void> {
  await Promise.all(workloads.map((workload) => workload.stop()));
  const index = await waitConverged(members);
  for (const member of members) checkState(await ownStateAt(member.httpPort), workloads, `node ${member.id} at applied index ${index}`);
}

async function waitForAcks(workload: Workload, count: number): Promise<void> {
  await waitUntil(`${count} writes acknowledged`, () => workload.acks >= count);
}

/** One RAFT command on `respPort`; the reply, or the error's text. */
async function raft(respPort: number, ...args: string[]): Promise<unknown> {
  const client = new Redis({ port: respPort, host: "127.0.0.1", maxRetriesPerRequest: 0, lazyConnect: true });
  client.on("error", () => undefined);
  try {
    await client.connect();
    return await client.call("RAFT", ...args).catch((error: unknown) => `error: ${String(error)}`);
  } finally {
    client.disconnect();
  }
}

test("a node joins through a follower under write load, catches up by log, votes, and keeps the cluster committing after two founders leave", { timeout: TEST_TIMEOUT_MS }, async () => {
  await withCluster([], async (cluster, workloads, joiners) => {
    const founders = endpointsOf(cluster, cluster.ids);
    const leader = await waitForLeader(founders);
    const follower = founders.find((member) => member.id !== leader.id)!;
    const load = new Workload({ ports: founders.map((m) => m.respPort), lanesPerClient: 3, name: "join-log" });
    workloads.push(load);
    await waitForAcks(load, ACKS_BEFORE_JOIN);

    const joiner = await JoiningNode.start({ id: JOINER_ID, through: `127.0.0.1:${follower.respPort}` });
    joiners.push(joiner);
    await joiner.waitAnswering();
    await waitForAcks(load, load.acks + ACKS_DURING_JOIN);
    await waitVoter(joiner, leader);
    assert.doesNotMatch(joiner.stderr, /installed checkpoint/, "the joiner caught up by log, not from a checkpoint");
    const everyone = [...founders, joinerEndpoint(joiner)];
    await checkEveryMember(everyone, workloads);

    // The old leader leaves; the voters are now two founders and the joiner.
    assert.equal(await raft(leader.respPort, "REMOVE", String(leader.id)), "OK");
    await cluster.stop(leader.id, "SIGKILL");
    const remaining = everyone.filter((member) => member.id !== leader.id);
    const next = await waitForLeader(remaining);
    const nextStatus = await memberStatus(next.httpPort);
    assert.deepEqual([...(nextStatus?.voters ?? [])].sort(), remaining.map((m) => m.id).sort());

    // Kill one more founder (the leader, if a founder leads): only the joiner's vote makes a majority.
    const doomed = next.id !== JOINER_ID ? next : remaining.find((member) => member.id !== JOINER_ID)!;
    await cluster.stop(doomed.id, "SIGKILL");
    const survivors = remaining.filter((member) => member.id !== doomed.id);
    await waitForLeader(survivors);
    const after = new Workload({ ports: survivors.map((m) => m.respPort), lanesPerClient: 3, name: "join-shrunk" });
    workloads.push(after);
    await waitForAcks(after, ACKS_AFTER_SHRINK);
    await checkEveryMember(survivors, workloads);
  });
});

test("a node joins through the leader after it compacted its log and catches up from the leader's checkpoint", { timeout: TEST_TIMEOUT_MS }, async () => {
  await withCluster(SMALL_LOG_ARGS, async (cluster, workloads, joiners) => {
    const founders = endpointsOf(cluster, cluster.ids);
    const leader = await waitForLeader(founders);
    const load = new Workload({ ports: founders.map((m) => m.respPort), lanesPerClient: 3, name: "join-snapshot", valuePaddingBytes: 1000 });
    workloads.push(load);
    await waitUntil("the leader checkpointed (and so compacted its log)", async () => ((await cluster.status(leader.id))?.lastCheckpoint.index ?? 0) > 0);

    const joiner = await JoiningNode.start({ id: JOINER_ID, through: `127.0.0.1:${leader.respPort}`, extraArgs: SMALL_LOG_ARGS });
    joiners.push(joiner);
    await joiner.waitAnswering();
    await waitVoter(joiner, leader);
    await waitUntil(`node ${JOINER_ID} logs "installed checkpoint"`, () => /installed checkpoint/.test(joiner.stderr));
    await checkEveryMember([...founders, joinerEndpoint(joiner)], workloads);
  });
});

test("joining with a wrong cluster secret, an id already in the cluster or another cluster's data dir is refused with one clear line and a non-zero exit, and a joiner that cannot start leaves no learner", { timeout: TEST_TIMEOUT_MS }, async () => {
  await withCluster([], async (cluster, workloads, joiners) => {
    const founders = endpointsOf(cluster, cluster.ids);
    const leader = await waitForLeader(founders);
    const follower = founders.find((member) => member.id !== leader.id)!;
    const load = new Workload({ ports: founders.map((m) => m.respPort), lanesPerClient: 2, name: "join-refused" });
    workloads.push(load);

    const impostor = await JoiningNode.start({ id: JOINER_ID, through: `127.0.0.1:${follower.respPort}`, secret: "not-the-cluster-secret" });
    joiners.push(impostor);
    assert.notEqual(await impostor.exited, 0, "a joiner with the wrong secret exits non-zero");
    assert.match(impostor.stderr, /Cannot join .*cluster secret/);

    const twin = await JoiningNode.start({ id: follower.id, through: `127.0.0.1:${leader.respPort}` });
    joiners.push(twin);
    assert.notEqual(await twin.exited, 0, "a joiner with a member's id exits non-zero");
    assert.match(twin.stderr, new RegExp(`Cannot join .*node ${follower.id} is already a member`));

    // A data directory a single `walnut serve` (npm start) made: refused before RAFT ADD.
    const used = await singleNodeDataDir();
    const stranger = await JoiningNode.start({ id: JOINER_ID, through: `127.0.0.1:${leader.respPort}`, dataDir: used });
    joiners.push(stranger);
    assert.notEqual(await stranger.exited, 0, "a joiner whose data dir holds another cluster's node exits non-zero");
    assert.match(stranger.stderr, /Cannot join through .*: .* already holds node 1 of cluster \S+, not of this cluster \(\S+\); give the new node an empty --data-dir/);
    assert.doesNotMatch(stranger.stderr, /removed from the cluster again/, "it was never added");

    // Added, then unable to open its data directory (a file stands where wal/ goes): it leaves again.
    const blocked = await mkdtemp(join(tmpdir(), "walnut-join-blocked-"));
    await writeFile(join(blocked, "wal"), "not a directory");
    const stuck = await JoiningNode.start({ id: JOINER_ID + 1, through: `127.0.0.1:${follower.respPort}`, dataDir: blocked });
    joiners.push(stuck);
    assert.notEqual(await stuck.exited, 0, "a joiner that cannot open its data directory exits non-zero");
    assert.match(stuck.stderr, new RegExp(`walnut serve: Cannot .*; node ${JOINER_ID + 1} was removed from the cluster again`));

    await waitUntil("the membership is the founders' again", async () => {
      const status = await memberStatus(leader.httpPort);
      return status !== null && status.voters.length === 3 && status.learners.length === 0;
    });
    await waitForAcks(load, load.acks + ACKS_DURING_JOIN);
    await checkEveryMember(founders, workloads);
  });
});
