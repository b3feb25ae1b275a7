/**
 * A write refused over HTTP gets the status of the WalnutError behind it, carried on the
 * reply as its code (not read from the reply's text): NO_LEADER is 503.
 * (OOM's 507 is in maxmemory.test.ts.)
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Db } from "../db.js";
import { startServers } from "../server/servers.js";
import { duringElections, startEmbeddedCluster } from "./embedded_cluster.js";
import { waitUntil } from "./server_fixtures.js";

test("a write on a node with no leader is a 503 over HTTP, a read of the same node too", async () => {
  const cluster = await startEmbeddedCluster({ size: 3, name: "http-no-leader" });
  try {
    const leaderId = await cluster.leader();
    await duringElections(() => (cluster.dbs.get(leaderId) as Db).set("k", "v"));
    const [survivorId, survivor] = [...cluster.dbs].find(([id]) => id !== leaderId) as [number, Db];
    for (const [id, db] of [...cluster.dbs]) {
      if (id === survivorId) continue;
      await db.close();
      cluster.dbs.delete(id);
    }
    await waitUntil("the survivor knows it has no leader", () => survivor.node.status().leader === 0);
    const servers = await startServers(survivor, {
      host: "127.0.0.1",
      respPort: null,
      httpPort: 0,
      requirePass: null,
      maxRequestBytes: 1024 * 1024,
      maxClients: 10,
      idleTimeoutMs: 0,
      outputBufferLimitBytes: 1024 * 1024,
    });
    try {
      const base = `http://127.0.0.1:${servers.http?.port ?? 0}`;
      const put = await fetch(`${base}/key/k`, { method: "PUT", body: JSON.stringify({ value: "w" }), headers: { "content-type": "application/json" } });
      const detail = ((await put.json()) as { detail: string }).detail;
      assert.equal(put.status, 503, `PUT answered ${put.status}: ${detail}`);
      assert.match(detail, /leader/i);
      const deleted = await fetch(`${base}/key/k`, { method: "DELETE" });
      assert.equal(deleted.status, 503);
      const read = await fetch(`${base}/key/k`);
      assert.equal(read.status, 503);
    } finally {
      await servers.close();
    }
  } finally {
    await cluster.close();
  }
});
