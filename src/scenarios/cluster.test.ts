/**
 * A three-node cluster in one process (three embedded nodes talking over loopback TCP):
 * election, writes and linearizable reads through every node, failover, catch-up by log
 * after a restart, and catch-up by snapshot for a follower behind the compacted log.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { open, type Db } from "../db.js";
import { setEventually, startEmbeddedCluster, type EmbeddedCluster } from "./embedded_cluster.js";
import { freePort, waitUntil } from "./server_fixtures.js";

function startCluster(size: number): Promise<EmbeddedCluster> {
  return startEmbeddedCluster({ size, name: "cluster" });
}

test("a three-node cluster elects one leader and every node takes writes and linearizable reads", async () => {
  const cluster = await startCluster(3);
  try {
    await cluster.leader();
    for (const [id, db] of cluster.dbs) await setEventually(db, `from-${id}`, `value-${id}`);
    for (const db of cluster.dbs.values()) {
      for (const id of cluster.dbs.keys()) assert.equal(await db.command("GET", `from-${id}`).then((r) => (r.type === "bulk" ? r.value : null)), `value-${id}`);
    }
    const statuses = [...cluster.dbs.values()].map((db) => db.node.status());
    assert.equal(statuses.filter((s) => s.role === "leader").length, 1);
    assert.deepEqual(statuses[0]?.voters, [1, 2, 3]);
  } finally {
    await cluster.close();
  }
});

test("after the leader stops, a new leader takes over and the old one catches up by log", async () => {
  const cluster = await startCluster(3);
  try {
    const first = await cluster.leader();
    const survivor = [...cluster.dbs.keys()].find((id) => id !== first) as number;
    await setEventually(cluster.dbs.get(survivor) as Db, "before", "1");
    await cluster.dbs.get(first)?.close();
    cluster.dbs.delete(first);
    const second = await cluster.leader();
    assert.notEqual(second, first);
    for (let i = 0; i < 50; i++) await setEventually(cluster.dbs.get(survivor) as Db, `during-${i}`, String(i));
    const restarted = await cluster.start(first);
    await waitUntil(
      "the restarted node to catch up",
      () => restarted.node.status().appliedIndex >= (cluster.dbs.get(second) as Db).node.status().commitIndex,
    );
    const read = await restarted.command("GET", "during-49");
    assert.deepEqual(read, { type: "bulk", value: "49" });
  } finally {
    await cluster.close();
  }
});

test("a follower behind the compacted log catches up from the leader's checkpoint", async () => {
  const cluster = await startCluster(3);
  try {
    const leaderId = await cluster.leader();
    const followerId = [...cluster.dbs.keys()].find((id) => id !== leaderId) as number;
    await cluster.dbs.get(followerId)?.close();
    cluster.dbs.delete(followerId);
    const leader = cluster.dbs.get(leaderId) as Db;
    for (let i = 0; i < 300; i++) await setEventually(leader, `key-${i}`, `value-${i}`);
    await leader.checkpoint(); // compacts the leader's log past everything the follower has
    const follower = await cluster.start(followerId);
    await waitUntil(
      "the follower to install the snapshot",
      () =>
        follower.node.status().appliedIndex >= leader.node.status().commitIndex &&
        (cluster.logs.get(followerId)?.some((line) => /installed checkpoint/.test(line)) ?? false),
    );
    assert.deepEqual(await follower.command("GET", "key-299"), { type: "bulk", value: "value-299" });
    await setEventually(follower, "after-snapshot", "yes");
    assert.deepEqual(await leader.command("GET", "after-snapshot"), { type: "bulk", value: "yes" });
  } finally {
    await cluster.close();
  }
});

test("membership changes one server at a time: a learner joins, catches up, is promoted; a voter leaves; leadership moves", async () => {
  const cluster = await startCluster(3);
  try {
    const leaderId = await cluster.leader();
    const leader = cluster.dbs.get(leaderId) as Db;
    for (let i = 0; i < 20; i++) await setEventually(leader, `k${i}`, String(i));
    const address = { host: "127.0.0.1", port: await freePort() };
    const dir = await mkdtemp(join(tmpdir(), "walnut-cluster-4-"));
    cluster.dirs.set(4, dir);
    await leader.node.changeMembership({ type: "addLearner", node: 4, address: `${address.host}:${address.port}` });
    assert.deepEqual(leader.node.status().learners, [4]);
    const peers = new Map(cluster.peers).set(4, address);
    const newcomer = await open({
      dir,
      nodeId: 4,
      cluster: { listen: address, peers, secret: cluster.secret, clusterId: leader.node.clusterId, initialConfState: { voters: [1, 2, 3], learners: [4] } },
      checkpointInterval: 0,
    });
    cluster.dbs.set(4, newcomer);
    await waitUntil("the learner to catch up", () => newcomer.node.status().appliedIndex >= leader.node.status().commitIndex);
    assert.deepEqual(await newcomer.command("GET", "k19"), { type: "bulk", value: "19" });
    await leader.node.changeMembership({ type: "addVoter", node: 4, address: `${address.host}:${address.port}` });
    const removed = [1, 2, 3].find((id) => id !== leaderId) as number;
    await leader.node.changeMembership({ type: "remove", node: removed });
    assert.deepEqual(leader.node.status().voters, [1, 2, 3, 4].filter((id) => id !== removed));
    leader.node.transferLeadership(4);
    await waitUntil("node 4 to lead", () => newcomer.node.status().role === "leader");
    await setEventually(newcomer, "after", "changes");
    assert.deepEqual(await leader.command("GET", "after"), { type: "bulk", value: "changes" });
  } finally {
    await cluster.close();
  }
});
