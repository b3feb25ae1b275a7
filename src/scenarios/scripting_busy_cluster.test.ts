/**
 * A long write script in a three-node cluster (embedded nodes over loopback TCP): while
 * the leader applies it, another client of the leader is answered BUSY and SCRIPT KILL
 * walnut's UNKILLABLE; the script's caller gets its reply; every node applies the script
 * exactly once (its INCR counts 1 everywhere), and the cluster goes on taking writes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { RunningServers } from "../server/servers.js";
import { serveOnLoopback } from "./harness.js";
import { RespConnection, type Answer } from "./differential/connection.js";
import { startEmbeddedCluster } from "./embedded_cluster.js";
import { waitUntil } from "./server_fixtures.js";

/** About 100 million Lua instructions (a second or more here), under walnut's budget of 500 million. */
const LONG_SCRIPT = "redis.call('incr', 'runs')\nfor i = 1, 100000000 do end\nreturn redis.call('get', 'runs')";

test("a long write script: BUSY on the leader meanwhile, UNKILLABLE, then applied once on every node", { timeout: 180_000 }, async () => {
  const cluster = await startEmbeddedCluster({ size: 3, name: "busy-script" });
  const servers: RunningServers[] = [];
  const connections: RespConnection[] = [];
  try {
    const leader = await cluster.leader();
    const served = await serveOnLoopback(cluster.dbs.get(leader)!);
    servers.push(served);
    const port = served.resp?.port ?? 0;
    const caller = await RespConnection.open(port);
    const other = await RespConnection.open(port);
    connections.push(caller, other);
    assert.equal((await other.send(["config", "set", "busy-reply-threshold", "0"])).raw, "+OK\r\n");

    const running = caller.send(["eval", LONG_SCRIPT, "0"]);
    let finished = false;
    void running.then(() => (finished = true));
    let busy: Answer | null = null;
    let unkillable: Answer | null = null;
    while (!finished && (busy === null || unkillable === null)) {
      // PING, not a read: a read that came first waits in the read barrier behind the script.
      const answer = await other.send(["ping"]);
      if (answer.raw.startsWith("-BUSY")) {
        busy = answer;
        unkillable = await other.send(["script", "kill"]);
      } else {
        assert.equal(answer.raw, "+PONG\r\n");
      }
    }
    assert.equal(busy?.raw, "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n");
    assert.match(unkillable?.raw ?? "", /^-UNKILLABLE The busy script is a log entry that every replica runs/);
    assert.equal((await running).raw, "$1\r\n1\r\n");

    for (const [id, db] of cluster.dbs) {
      await waitUntil(`node ${id} applied the script`, async () => (await db.get("runs", { consistency: "stale" })) !== null, 60_000);
      assert.equal(String(await db.get("runs", { consistency: "stale" })), "1", `node ${id} ran the script once`);
    }
    // The cluster still takes writes (a leader change after the long apply is allowed).
    await waitUntil("a write after the script commits", async () => {
      const answer = await caller.send(["incr", "runs"]);
      return answer.raw === ":2\r\n";
    }, 60_000);
    for (const [id, db] of cluster.dbs) {
      await waitUntil(`node ${id} applied the write after it`, async () => String(await db.get("runs", { consistency: "stale" })) === "2", 60_000);
    }
  } finally {
    for (const connection of connections) connection.close();
    for (const running of servers) await running.close();
    await cluster.close();
  }
});
