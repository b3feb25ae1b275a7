/**
 * XREAD ... BLOCK over RESP (server/resp/blocked_reads.ts): a client waits until an entry is
 * added after the IDs it gave (`$`: the last ID as the command arrived), every client waiting
 * on the stream is answered by the same XADD, a timeout answers a null array, and inside
 * MULTI the read answers at once, as in Redis.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { startTestNode } from "./harness.js";
import { waitUntil } from "./server_fixtures.js";

type XreadReply = Array<[string, Array<[string, string[]]>]> | null;

test("XREAD BLOCK waits for the next entry, answers every waiter with it, and times out with null", async () => {
  const node = await startTestNode();
  const clients = [0, 1, 2].map(() => new Redis({ port: node.respPort, host: "127.0.0.1", maxRetriesPerRequest: 0 }));
  const [first, second, writer] = clients as [Redis, Redis, Redis];
  try {
    await writer.xadd("events", "1-1", "old", "x");
    const waiting = [first, second].map((client) => client.xread("BLOCK", 0, "STREAMS", "events", "$") as Promise<XreadReply>);
    await waitUntil("both clients block", async () => /blocked_clients:2/.test(await writer.info("clients")));
    await writer.xadd("events", "2-1", "new", "y");
    for (const answer of await Promise.all(waiting)) assert.deepEqual(answer, [["events", [["2-1", ["new", "y"]]]]]);

    // From an explicit ID: answered at once when entries follow it.
    assert.deepEqual(await first.xread("COUNT", 1, "BLOCK", 0, "STREAMS", "events", "0"), [["events", [["1-1", ["old", "x"]]]]]);
    // A stream that does not exist yet: `$` is 0-0, the first entry wakes it.
    const onMissing = first.xread("BLOCK", 0, "STREAMS", "later", "$") as Promise<XreadReply>;
    await waitUntil("the client blocks", async () => /blocked_clients:1/.test(await writer.info("clients")));
    await writer.set("unrelated", "1");
    await writer.xadd("later", "5-0", "f", "v");
    assert.deepEqual(await onMissing, [["later", [["5-0", ["f", "v"]]]]]);

    assert.equal(await second.xread("BLOCK", 50, "STREAMS", "events", "$"), null);
    const transaction = await first.multi().xread("BLOCK", 0, "STREAMS", "events", "$").exec();
    assert.deepEqual(transaction, [[null, null]]);
  } finally {
    for (const client of clients) client.disconnect();
    await node.stop();
  }
});
