/**
 * PUBSUB's introspection over a cluster of three real `walnut serve` processes: with
 * subscribers on two nodes, PUBSUB NUMSUB / CHANNELS / NUMPAT and the shard variants asked
 * on the third (or on either of the two) answer the totals of every member (docs/pubsub.md,
 * server/resp/pubsub_cluster.ts). A member that is paused (SIGSTOP: it holds its sockets
 * and says nothing) or killed adds nothing, and the command still answers: after the
 * member timeout for the paused one, at once for the killed one.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { ProcessCluster } from "../processes/cluster_processes.js";
import { MEMBER_ANSWER_TIMEOUT_MS } from "../server/resp/pubsub_cluster.js";

/** Longer than the member timeout and well below the peer dial's own 10 s: a command that waits on a silent member longer fails. */
const PROMPT_ANSWER_MS = 5 * MEMBER_ANSWER_TIMEOUT_MS;

test("PUBSUB asked on any node of a 3-process cluster counts the subscribers of every node; a paused or killed member leaves the command prompt", async (t) => {
  const cluster = await ProcessCluster.start({ size: 3, proxied: false });
  const clients: Redis[] = [];
  const connect = (id: number): Redis => {
    const client = new Redis({ port: cluster.respPort(id), host: "127.0.0.1", maxRetriesPerRequest: 0 });
    client.on("error", () => undefined); // the killed node's clients lose their server on purpose
    clients.push(client);
    return client;
  };
  try {
    await cluster.waitForLeader();
    const [first, second, third] = cluster.ids as [number, number, number];
    // Node `first`: 2 channel subscribers of news, one of sports, pattern n*. Node `second`: one of news, patterns n* and s*, a shard channel.
    const onFirst = [connect(first), connect(first)];
    await onFirst[0]!.subscribe("news", "sports");
    await onFirst[1]!.subscribe("news");
    await onFirst[1]!.psubscribe("n*");
    const onSecond = connect(second);
    await onSecond.subscribe("news");
    await onSecond.psubscribe("n*", "s*");
    const shardOnSecond = connect(second);
    await shardOnSecond.ssubscribe("orders");

    for (const asked of [third, first, second]) {
      const client = connect(asked);
      assert.deepEqual(await client.call("PUBSUB", "NUMSUB", "news", "sports", "weather"), ["news", 3, "sports", 1, "weather", 0], `NUMSUB asked on node ${asked}`);
      assert.deepEqual(sorted(await client.call("PUBSUB", "CHANNELS")), ["news", "sports"], `CHANNELS asked on node ${asked}`);
      assert.deepEqual(await client.call("PUBSUB", "CHANNELS", "n*"), ["news"], `CHANNELS n* asked on node ${asked}`);
      assert.equal(await client.call("PUBSUB", "NUMPAT"), 2, `NUMPAT asked on node ${asked}: n* and s*, n* counted once`);
      assert.deepEqual(await client.call("PUBSUB", "SHARDCHANNELS"), ["orders"], `SHARDCHANNELS asked on node ${asked}`);
      assert.deepEqual(await client.call("PUBSUB", "SHARDNUMSUB", "orders", "news"), ["orders", 1, "news", 0], `SHARDNUMSUB asked on node ${asked}`);
      await assert.rejects(client.call("PUBSUB", "NUMPAT", "extra"), /wrong number of arguments for 'pubsub\|numpat' command/);
    }
    // PUBLISH still counts the receivers of the node that ran it (docs/pubsub.md): node `first` has 3 (2 on news, 1 on n*).
    assert.equal(await connect(first).publish("news", "hello"), 3);

    const asker = connect(third);
    cluster.pause(second);
    const whilePaused = await timed(() => asker.call("PUBSUB", "NUMSUB", "news"));
    t.diagnostic(`NUMSUB with a paused member answered in ${whilePaused.ms} ms`);
    assert.deepEqual(whilePaused.reply, ["news", 2], "a paused member's subscribers are not counted");
    assert.ok(whilePaused.ms < PROMPT_ANSWER_MS, `answered in ${whilePaused.ms} ms`);
    cluster.resume(second);
    assert.deepEqual(await asker.call("PUBSUB", "NUMSUB", "news"), ["news", 3], "counted again once it answers");

    await cluster.stop(second, "SIGKILL");
    const afterKill = await timed(() => asker.call("PUBSUB", "NUMPAT"));
    t.diagnostic(`NUMPAT with a killed member answered in ${afterKill.ms} ms`);
    assert.equal(afterKill.reply, 1, "only node first's n* is left");
    assert.ok(afterKill.ms < PROMPT_ANSWER_MS, `answered in ${afterKill.ms} ms`);
    assert.deepEqual(sorted(await asker.call("PUBSUB", "CHANNELS")), ["news", "sports"]);
    assert.deepEqual(await asker.call("PUBSUB", "SHARDCHANNELS"), []);
  } finally {
    for (const client of clients) client.disconnect();
    await cluster.close();
  }
});

async function timed<T>(run: () => Promise<T>): Promise<{ reply: T; ms: number }> {
  const started = performance.now();
  const reply = await run();
  return { reply, ms: Math.round(performance.now() - started) };
}

function sorted(reply: unknown): string[] {
  assert.ok(Array.isArray(reply));
  return (reply as string[]).slice().sort();
}
