/**
 * Raft metrics in a three-node cluster in one process: each node its own registry, one
 * leader reporting its followers' lag, elections and leader changes counted, and a
 * snapshot transfer counted at both ends.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Db } from "../db.js";
import { setEventually, startEmbeddedCluster } from "../scenarios/embedded_cluster.js";
import { waitUntil } from "../scenarios/server_fixtures.js";
import { parseExposition } from "./exposition_parser.js";

const SIZE = 3;

/** Every sample of a node's metrics, by name and labels ("walnut_x{peer=2}"). */
async function scrape(db: Db): Promise<Map<string, number>> {
  const values = new Map<string, number>();
  for (const family of parseExposition(await db.node.metrics.text()).values()) {
    for (const sample of family.samples) {
      const labels = Object.entries(sample.labels).map(([name, value]) => `${name}=${value}`).join(",");
      values.set(labels === "" ? sample.name : `${sample.name}{${labels}}`, sample.value);
    }
  }
  return values;
}

test("a cluster's nodes count elections and leaders, the leader reports follower lag, and snapshots count at both ends", async () => {
  const cluster = await startEmbeddedCluster({ size: SIZE, name: "metrics-cluster" });
  const dbs = cluster.dbs;
  try {
    const leaderId = await cluster.leader();
    const leader = dbs.get(leaderId) as Db;
    await setEventually(leader, "hello", "world");

    const scrapes = new Map<number, Map<string, number>>();
    for (const [id, db] of dbs) scrapes.set(id, await scrape(db));
    const sum = (name: string): number => [...scrapes.values()].reduce((total, values) => total + (values.get(name) ?? 0), 0);
    assert.equal(sum("walnut_raft_is_leader"), 1);
    assert.ok(sum("walnut_raft_elections_total") >= 1, "someone started an election");
    for (const values of scrapes.values()) assert.ok((values.get("walnut_raft_leader_changes_total") ?? 0) >= 1, "every node learned of the leader");
    const followerIds = [...dbs.keys()].filter((id) => id !== leaderId);
    for (const id of followerIds) assert.ok(scrapes.get(leaderId)?.has(`walnut_raft_follower_lag_entries{peer=${id}}`), `lag of node ${id}`);
    for (const id of followerIds) {
      const names = [...(scrapes.get(id)?.keys() ?? [])];
      assert.equal(names.some((name) => name.startsWith("walnut_raft_follower_lag_entries")), false, `follower ${id} reports no lag`);
    }

    const followerId = followerIds[0] as number;
    await dbs.get(followerId)?.close();
    dbs.delete(followerId);
    for (let i = 0; i < 50; i++) await setEventually(leader, `key-${i}`, `value-${i}`);
    await leader.checkpoint(); // compacts the leader's log past what the stopped follower has
    const follower = await cluster.start(followerId);
    await waitUntil("the follower to receive the snapshot", async () => ((await scrape(follower)).get("walnut_raft_snapshots_received_total") ?? 0) >= 1);
    await waitUntil("the leader to count the snapshot sent", async () => ((await scrape(leader)).get("walnut_raft_snapshots_sent_total") ?? 0) >= 1);
  } finally {
    await cluster.close();
  }
});
