/**
 * Client-side caching with ioredis, a real client: a RESP2 connection subscribed to
 * __redis__:invalidate receives the invalidations of a tracking connection that redirects
 * to it (the way RESP2 clients cache), as pub/sub messages whose payload is the array of
 * keys; CLIENT LIST shows the tracking flags and the redirect, INFO the tracking counts;
 * a closed tracking connection is forgotten.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { startTestNode } from "./harness.js";
import { waitUntil } from "./server_fixtures.js";

test("ioredis caches through a redirect to a connection subscribed to __redis__:invalidate", async () => {
  const node = await startTestNode();
  const connect = (): Redis => new Redis({ port: node.respPort, host: "127.0.0.1", maxRetriesPerRequest: 0 });
  const invalidations = connect();
  const tracker = connect();
  const writer = connect();
  try {
    const redirectId = Number(await invalidations.client("ID"));
    const received: Array<Buffer[] | null> = [];
    invalidations.on("messageBuffer", (channel: Buffer, message: unknown) => {
      assert.equal(channel.toString(), "__redis__:invalidate");
      received.push(message as Buffer[] | null);
    });
    await invalidations.subscribe("__redis__:invalidate");
    assert.equal(await tracker.client("TRACKING", "ON", "REDIRECT", String(redirectId)), "OK");
    assert.equal(await tracker.client("GETREDIR"), redirectId);

    await writer.mset("user:1", "ada", "user:2", "grace");
    assert.deepEqual(await tracker.mget("user:1", "user:2"), ["ada", "grace"]);
    assert.equal(await writer.set("user:1", "lovelace"), "OK");
    await waitUntil("the invalidation of user:1", () => received.length === 1);
    assert.deepEqual(received[0]?.map((key) => key.toString()), ["user:1"]);

    // Told once: user:1 is forgotten until read again; user:2 is still remembered.
    await writer.set("user:1", "again");
    await writer.del("user:2");
    await waitUntil("the invalidation of user:2", () => received.length === 2);
    assert.deepEqual(received[1]?.map((key) => key.toString()), ["user:2"]);

    const clients = await writer.client("LIST");
    const trackerLine = String(clients).split("\n").find((line) => line.includes(`redir=${redirectId} `));
    assert.ok(trackerLine !== undefined, `CLIENT LIST shows the redirect: ${String(clients)}`);
    assert.match(trackerLine, / flags=t /);
    assert.match(await writer.info("clients"), /tracking_clients:1\r\n/);
    assert.match(await writer.info("stats"), /tracking_total_items:0\r\n/);
    await tracker.get("user:3");
    assert.match(await writer.info("stats"), /tracking_total_keys:1\r\ntracking_total_items:1\r\n/);

    await tracker.quit();
    await waitUntil("the tracking connection is forgotten", async () => /tracking_clients:0\r\n/.test(await writer.info("clients")));
    await writer.set("user:3", "nobody is told");
    await writer.set("marker", "1");
    assert.equal(received.length, 2);
  } finally {
    invalidations.disconnect();
    tracker.disconnect();
    writer.disconnect();
    await node.stop();
  }
});
