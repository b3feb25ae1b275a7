/**
 * throwGarbage against a real cluster: three `walnut serve` processes (ProcessCluster),
 * ioredis writers going through every member, and garbage at the RESP, HTTP and peer port
 * of every member at once. Afterwards:
 *
 *   - every garbage connection was refused with a clear error or closed: none hung until
 *     the timeout, none was answered as if it were fine, and every case was thrown;
 *   - every member is the same process (INFO process_id) and still answers /status;
 *   - no member's term moved (garbage Raft messages carry terms >= GARBAGE_TERM_MIN, so a
 *     leak would show at once), and every write made during the garbage was acknowledged;
 *   - the state is unchanged by garbage: keys written before read back the same on every
 *     member, no other key appeared, and the applied index moved by exactly the number of
 *     writes the test made.
 *
 * The seed is printed on failure; WALNUT_FUZZ_SEED replays the garbage. Two quicker tests
 * throw the peer garbage at in-process transports, with and without a cluster secret, and
 * check that no message gets through.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { ProcessCluster } from "../processes/cluster_processes.js";
import { PROCESS_CLUSTER_SECRET, ownStateAt } from "../scenarios/joining_node.js";
import { runSeed } from "../scenarios/server_fixtures.js";
import { closeAll, connectAll, startNode } from "../transport/testing.js";
import { clusterIdentity, describeGarbage, GARBAGE_CASE_NAMES, GARBAGE_TERM_MIN, throwGarbage, type GarbageReport } from "./garbage.js";

/** Garbage connections in all: 40 per port of a three-node cluster. */
const GARBAGE_CONNECTIONS = 360;
const KEYS_BEFORE = 50;
/** Characters of each member's log shown on failure. */
const LOG_TAIL_CHARS = 3_000;

function client(port: number): Redis {
  const redis = new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true });
  redis.on("error", () => undefined);
  return redis;
}

async function processId(redis: Redis): Promise<number> {
  const info = await redis.info("server");
  return Number(/process_id:(\d+)/.exec(info)?.[1]);
}

/** SETs through every client, one at a time each, until stopped; counts acknowledgements and failures. */
function writeWhile(clients: Redis[]): { stop(): Promise<{ acks: number; failures: string[] }> } {
  let running = true;
  let acks = 0;
  const failures: string[] = [];
  const lanes = clients.map(async (redis, lane) => {
    for (let sequence = 0; running; sequence++) {
      try {
        await redis.set(`during:${lane}:${sequence}`, `value-${sequence}`);
        acks += 1;
      } catch (error) {
        failures.push(String(error));
      }
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(lanes);
      return { acks, failures };
    },
  };
}

function checkReport(report: GarbageReport): void {
  const summary = `${describeGarbage(report)}\nfailures: ${JSON.stringify(report.failures, null, 1)}`;
  assert.equal(report.connections, GARBAGE_CONNECTIONS, summary);
  for (const [kind, counts] of Object.entries(report.byPort)) {
    assert.equal(counts.timedOut, 0, `${kind}: a garbage connection was neither refused nor closed in time\n${summary}`);
    assert.equal(counts.accepted, 0, `${kind}: garbage was answered as if it were fine\n${summary}`);
    assert.equal(counts.unreachable, 0, `${kind}: a port did not answer\n${summary}`);
    assert.ok(counts.refused > 0, `${kind}: no refusal at all\n${summary}`);
  }
  for (const [kind, names] of Object.entries(GARBAGE_CASE_NAMES)) {
    for (const name of names) assert.ok(report.byCase[`${kind}:${name}`] !== undefined, `${kind}:${name} was never thrown\n${summary}`);
  }
  assert.match(report.refusals["peer:non-member-then-messages"] ?? "", /^Cannot accept peer connection: node \d+ is not a member of the cluster$/);
  assert.match(report.refusals["peer:forged-proof-then-messages"] ?? "", /the dialer proved a different cluster secret/);
  assert.match(report.refusals["peer:replayed-session"] ?? "", /the dialer proved a different cluster secret/);
  assert.match(report.refusals["resp:huge-multibulk-count"] ?? "", /^ERR Protocol error: invalid multibulk length$/);
  assert.match(report.refusals["http:huge-content-length"] ?? "", /^HTTP\/1\.1 413 /);
}

test("garbage at every port of every member is refused or closed, and the cluster keeps serving with its term and state unchanged", { timeout: 120_000 }, async () => {
  const seed = runSeed();
  const cluster = await ProcessCluster.start({ size: 3, proxied: false });
  const clients = cluster.ids.map((id) => client(cluster.respPort(id)));
  try {
    const leader = await cluster.waitForLeader();
    await Promise.all(clients.map((redis) => redis.connect()));
    const leaderClient = clients[cluster.ids.indexOf(leader)]!;
    for (let i = 0; i < KEYS_BEFORE; i++) assert.equal(await leaderClient.set(`before:${i}`, `value-${i}`), "OK");
    const pidsBefore = await Promise.all(clients.map(processId));
    const appliedBefore = await cluster.waitConverged();
    const termsBefore = await Promise.all(cluster.ids.map(async (id) => (await cluster.status(id))?.term));

    const identity = await clusterIdentity(cluster.httpPort(leader));
    const writes = writeWhile(clients);
    const report = await throwGarbage({
      targets: { resp: cluster.ids.map((id) => cluster.respPort(id)), http: cluster.ids.map((id) => cluster.httpPort(id)), peer: identity.peers },
      cluster: { id: identity.id, secret: PROCESS_CLUSTER_SECRET, members: identity.members },
      seed,
      connections: GARBAGE_CONNECTIONS,
    });
    const written = await writes.stop();
    checkReport(report);

    assert.deepEqual(await Promise.all(clients.map(processId)), pidsBefore, "every member is the same process");
    for (const id of cluster.ids) assert.notEqual(await cluster.status(id), null, `node ${id} answers /status`);
    assert.deepEqual(written.failures, [], "every write during the garbage was acknowledged");
    assert.ok(written.acks > 0, "writes went on during the garbage");
    const appliedAfter = await cluster.waitConverged();
    const termsAfter = await Promise.all(cluster.ids.map(async (id) => (await cluster.status(id))?.term));
    assert.deepEqual(termsAfter, termsBefore, "no member's term moved");
    assert.ok(termsAfter.every((term) => (term ?? 0) < GARBAGE_TERM_MIN));
    assert.equal(appliedAfter - appliedBefore, written.acks, "the applied index moved by the test's own writes only");
    for (const id of cluster.ids) {
      const state = await ownStateAt(cluster.httpPort(id));
      for (let i = 0; i < KEYS_BEFORE; i++) assert.equal(state.get(`before:${i}`), `value-${i}`, `node ${id}: before:${i}`);
      const strangers = [...state.keys()].filter((key) => !key.startsWith("before:") && !key.startsWith("during:"));
      assert.deepEqual(strangers, [], `node ${id} holds only the test's keys`);
      assert.equal(state.size, KEYS_BEFORE + written.acks, `node ${id} holds every key written`);
    }
  } catch (error) {
    const logs = cluster.ids.map((id) => `--- node ${id} (tail) ---\n${cluster.stderr(id).slice(-LOG_TAIL_CHARS)}`).join("\n");
    throw new Error(`seed ${seed} (WALNUT_FUZZ_SEED=${seed} replays): ${String(error)}\n${logs}`, { cause: error });
  } finally {
    for (const redis of clients) redis.disconnect();
    await cluster.close();
  }
});

for (const secret of ["garbage-test-secret", null]) {
  test(`peer garbage never gets a message through to a transport ${secret === null ? "without" : "with"} a cluster secret`, async () => {
    const nodes = [await startNode(1, { secret }), await startNode(2, { secret })];
    connectAll(nodes);
    try {
      const report = await throwGarbage({
        targets: { resp: [], http: [], peer: nodes.map((node) => ({ port: node.port, nodeId: node.id })) },
        cluster: { id: "walnut-test", secret, members: [1, 2] },
        seed: runSeed(),
        connections: 200,
      });
      const summary = `${describeGarbage(report)}\n${JSON.stringify(report.failures, null, 1)}`;
      assert.equal(report.byPort.peer.refused + report.byPort.peer.closed, 200, summary);
      for (const node of nodes) assert.deepEqual(node.received, [], `node ${node.id} received nothing`);
    } finally {
      await closeAll(nodes);
    }
  });
}
