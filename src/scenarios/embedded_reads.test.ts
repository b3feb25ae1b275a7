/**
 * Reads through the embedded API on followers: linearizable by default (a write
 * acknowledged by the leader is seen by the very next read on any node), stale on
 * request (the follower's own state, served even when no leader can confirm anything),
 * and failures that keep their codes (NO_LEADER) across the API boundary.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Db } from "../db.js";
import { isWalnutError } from "../lib/errors.js";
import { duringElections, startEmbeddedCluster } from "./embedded_cluster.js";
import { waitUntil } from "./server_fixtures.js";

const ROUNDS = 100;

function followersOf(dbs: Map<number, Db>, leaderId: number): Db[] {
  return [...dbs].filter(([id]) => id !== leaderId).map(([, db]) => db);
}

test("every embedded read on a follower sees the write the leader just acknowledged", async () => {
  const cluster = await startEmbeddedCluster({ size: 3, name: "follower-reads" });
  try {
    const leaderId = await cluster.leader();
    const leader = cluster.dbs.get(leaderId) as Db;
    const followers = followersOf(cluster.dbs, leaderId);
    const users = await duringElections(() => leader.createCollection("users", "ordered"));
    for (const follower of followers) {
      const names = (await follower.listCollections()).map((c) => c.name).sort();
      assert.deepEqual(names, ["default", "users"], "listCollections sees a collection created on the leader");
    }
    for (let round = 0; round < ROUNDS; round++) {
      const version = await duringElections(() => leader.set("k", round));
      await duringElections(() => users.set(`u:${String(round).padStart(3, "0")}`, `user-${round}`));
      for (const follower of followers) {
        assert.equal(await follower.get("k"), round, `round ${round}: get`);
        assert.equal((await follower.getEntry("k"))?.version, version, `round ${round}: getEntry`);
        const rows = await follower.collection("users").range("u:", "u:~");
        assert.equal(rows.length, round + 1, `round ${round}: range`);
        assert.equal(await follower.collection("users").get(`u:${String(round).padStart(3, "0")}`), `user-${round}`);
        assert.deepEqual(await follower.command("GET", "k"), { type: "bulk", value: String(round) }, `round ${round}: command`);
      }
    }
  } finally {
    await cluster.close();
  }
});

test("a stale read answers from the follower's own state without waiting; a linearizable one waits and fails with NO_LEADER", async () => {
  const cluster = await startEmbeddedCluster({ size: 3, name: "stale-reads" });
  try {
    const leaderId = await cluster.leader();
    const leader = cluster.dbs.get(leaderId) as Db;
    await duringElections(() => leader.set("k", "before"));
    const [survivor] = followersOf(cluster.dbs, leaderId) as [Db];
    await waitUntil("the survivor applied the write", async () => (await survivor.get("k", { consistency: "stale" })) === "before");
    // Stop the other two: the survivor can reach no majority, so no leader confirms anything.
    for (const [id, db] of [...cluster.dbs]) {
      if (db === survivor) continue;
      await db.close();
      cluster.dbs.delete(id);
    }
    await waitUntil("the survivor knows it has no leader", () => survivor.node.status().leader === 0);

    const settled: string[] = [];
    const linearizable = survivor.get("k").then(
      () => settled.push("linearizable resolved"),
      (error: unknown) => {
        settled.push("linearizable rejected");
        return error;
      },
    );
    const stale = await survivor.get("k", { consistency: "stale" });
    settled.push("stale");
    assert.equal(stale, "before", "the stale read answers with the survivor's own state");
    assert.deepEqual(await survivor.listCollections({ consistency: "stale" }).then((list) => list.map((c) => c.name)), ["default"]);
    const failure = await linearizable;
    assert.deepEqual(settled, ["stale", "linearizable rejected"], "the stale read did not wait for the leader");
    assert.ok(isWalnutError(failure, "NO_LEADER"), `a linearizable read without a leader rejects with NO_LEADER, got ${String(failure)}`);
    await assert.rejects(survivor.set("k", "after"), (error) => isWalnutError(error, "NO_LEADER"), "a write without a leader rejects with NO_LEADER");
    await assert.rejects(survivor.batch([{ op: "set", key: "k", value: "after" }]), (error) => isWalnutError(error, "NO_LEADER"));
  } finally {
    await cluster.close();
  }
});
