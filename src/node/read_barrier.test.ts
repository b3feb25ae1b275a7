/**
 * Linearizable reads in a cluster started with readMode "lease" (walnut serve --read-mode
 * lease): three embedded nodes over loopback TCP serve reads through every node, before
 * and after the leader stops. The lease arithmetic itself is tested in src/raft/ and
 * src/sim/; this checks the wiring from open() to the Raft core and the node's ticks.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Db } from "../db.js";
import { duringElections as eventually, startEmbeddedCluster } from "../scenarios/embedded_cluster.js";

const SIZE = 3;

async function read(db: Db, key: string): Promise<string | null> {
  const reply = await eventually(() => db.command("GET", key));
  return reply.type === "bulk" ? String(reply.value) : null;
}

test("a cluster in lease read mode serves linearizable reads through every node, across a change of leader", async () => {
  const cluster = await startEmbeddedCluster({ size: SIZE, name: "lease", open: { readMode: "lease" } });
  const dbs = cluster.dbs;
  try {
    const first = await cluster.leader();
    for (const [id, db] of dbs) await eventually(() => db.set(`from-${id}`, `value-${id}`));
    for (const db of dbs.values()) {
      for (const id of dbs.keys()) assert.equal(await read(db, `from-${id}`), `value-${id}`);
    }
    await dbs.get(first)?.close();
    dbs.delete(first);
    const second = await cluster.leader();
    const survivor = dbs.get(second) as Db;
    await eventually(() => survivor.set("after", "failover"));
    for (const db of dbs.values()) assert.equal(await read(db, "after"), "failover");
  } finally {
    await cluster.close();
  }
});
