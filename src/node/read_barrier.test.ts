/**
 * Linearizable reads in a cluster started with readMode "lease" (walnut serve --read-mode
 * lease): three embedded nodes over loopback TCP serve reads through every node, before
 * and after the leader stops. The lease arithmetic itself is tested in src/raft/ and
 * src/sim/; this checks the wiring from open() to the Raft core and the node's ticks.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { open, type Db } from "../db.js";
import { freePort, waitUntil } from "../scenarios/server_fixtures.js";

const SIZE = 3;

async function openLeaseNode(options: { id: number; dir: string; peers: Map<number, { host: string; port: number }> }): Promise<Db> {
  return open({
    dir: options.dir,
    nodeId: options.id,
    cluster: { listen: options.peers.get(options.id) as { host: string; port: number }, peers: options.peers, secret: "lease-test" },
    checkpointInterval: 0,
    checkpointWalBytes: 0,
    readMode: "lease",
  });
}

async function leaderOf(dbs: Map<number, Db>): Promise<number> {
  let found = 0;
  await waitUntil("one leader that every node knows", () => {
    const views = [...dbs.values()].map((db) => db.node.status());
    const leaders = views.filter((status) => status.role === "leader");
    found = leaders.length === 1 && views.every((status) => status.leader === leaders[0]?.id) ? (leaders[0]?.id ?? 0) : 0;
    return found !== 0;
  });
  return found;
}

/** Retries while an election is under way ("no leader", "outcome unknown"). */
async function eventually<T>(action: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await action();
    } catch (error) {
      if (attempt > 100 || !/leader|unknown|confirm/.test(String(error))) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

async function read(db: Db, key: string): Promise<string | null> {
  const reply = await eventually(() => db.command("GET", key));
  return reply.type === "bulk" ? String(reply.value) : null;
}

test("a cluster in lease read mode serves linearizable reads through every node, across a change of leader", async () => {
  const peers = new Map<number, { host: string; port: number }>();
  const dirs = new Map<number, string>();
  for (let id = 1; id <= SIZE; id++) {
    peers.set(id, { host: "127.0.0.1", port: await freePort() });
    dirs.set(id, await mkdtemp(join(tmpdir(), `walnut-lease-${id}-`)));
  }
  const dbs = new Map<number, Db>();
  try {
    for (let id = 1; id <= SIZE; id++) dbs.set(id, await openLeaseNode({ id, dir: dirs.get(id) as string, peers }));
    const first = await leaderOf(dbs);
    for (const [id, db] of dbs) await eventually(() => db.set(`from-${id}`, `value-${id}`));
    for (const db of dbs.values()) {
      for (const id of dbs.keys()) assert.equal(await read(db, `from-${id}`), `value-${id}`);
    }
    await dbs.get(first)?.close();
    dbs.delete(first);
    const second = await leaderOf(dbs);
    const survivor = dbs.get(second) as Db;
    await eventually(() => survivor.set("after", "failover"));
    for (const db of dbs.values()) assert.equal(await read(db, "after"), "failover");
  } finally {
    await Promise.all([...dbs.values()].map((db) => db.close()));
    await Promise.all([...dirs.values()].map((dir) => rm(dir, { recursive: true, force: true })));
  }
});
