/**
 * A flood of PUBSUB NUMSUB against a three-node cluster (embedded nodes over loopback TCP,
 * each with its RESP server): many clients on every node ask at once, so each node has far
 * more questions for each other member than it may have in flight (node/peer_questions.ts,
 * limits.peerQuestionsInFlightMax). Every command answers the whole cluster's counts, and no
 * node ever had more questions in flight to one member (each a peer connection of its own)
 * than the bound; the rest waited their turn. Measured by the node's own counters, not time.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { limits } from "../lib/limits.js";
import type { RunningServers } from "../server/servers.js";
import { serveOnLoopback } from "./harness.js";
import { startEmbeddedCluster } from "./embedded_cluster.js";
import { waitUntil } from "./server_fixtures.js";

const ASKERS_PER_NODE = 24;
const QUESTIONS_PER_ASKER = 4;

test("many clients asking PUBSUB NUMSUB at once on every node are all answered the cluster's counts, with questions in flight to a member bounded", async (t) => {
  const cluster = await startEmbeddedCluster({ size: 3, name: "pubsub-flood" });
  const servers = new Map<number, RunningServers>();
  const clients: Redis[] = [];
  const connect = (id: number): Redis => {
    const port = servers.get(id)?.resp?.port;
    assert.ok(port !== undefined, `node ${id} serves RESP`);
    const client = new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 0 });
    clients.push(client);
    return client;
  };
  try {
    for (const [id, db] of cluster.dbs) servers.set(id, await serveOnLoopback(db));
    const ids = [...cluster.dbs.keys()];
    // Node ids[i] has i + 1 subscribers of "news"; the first node also one of "sport".
    for (const [position, id] of ids.entries()) {
      for (let i = 0; i <= position; i++) await connect(id).subscribe("news");
    }
    await connect(ids[0] as number).subscribe("sport");
    const expected = ["news", 6, "sport", 1, "none", 0];
    const probe = connect(ids[0] as number);
    await waitUntil("every member counts its subscribers", async () => JSON.stringify(await probe.call("PUBSUB", "NUMSUB", "news", "sport", "none")) === JSON.stringify(expected));
    const before = new Map(ids.map((id) => [id, cluster.dbs.get(id)!.node.peerQuestionStats()]));

    const askers = ids.flatMap((id) => Array.from({ length: ASKERS_PER_NODE }, () => ({ id, client: connect(id) })));
    await Promise.all(askers.map(({ client }) => client.ping()));
    // Every asker pipelines its questions at once: a node reads them together.
    const replies = await Promise.all(
      askers.map(({ client }) => Promise.all(Array.from({ length: QUESTIONS_PER_ASKER }, () => client.call("PUBSUB", "NUMSUB", "news", "sport", "none")))),
    );
    const wrong = replies.flat().filter((reply) => JSON.stringify(reply) !== JSON.stringify(expected));
    assert.deepEqual(wrong, [], `all ${askers.length * QUESTIONS_PER_ASKER} answers count every member`);

    for (const id of ids) {
      const stats = cluster.dbs.get(id)!.node.peerQuestionStats();
      const asked = stats.asked - before.get(id)!.asked;
      assert.equal(asked, ASKERS_PER_NODE * QUESTIONS_PER_ASKER * (ids.length - 1), `node ${id} asked each other member once per PUBSUB`);
      assert.ok(stats.inFlightPeak <= limits.peerQuestionsInFlightMax, `node ${id}: at most ${limits.peerQuestionsInFlightMax} questions in flight to a member (peak ${stats.inFlightPeak})`);
      assert.equal(stats.silentWhileWaiting, 0, `node ${id}: no question gave up waiting`);
      t.diagnostic(`node ${id}: ${asked} questions, in flight to one member at most ${stats.inFlightPeak}, waiting at most ${stats.waitingPeak}`);
    }
    const waited = ids.map((id) => cluster.dbs.get(id)!.node.peerQuestionStats().waitingPeak);
    assert.ok(
      waited.some((peak) => peak > 0),
      `the flood outran the bound somewhere (waiting peaks ${waited.join(", ")}): otherwise this test proves nothing`,
    );
  } finally {
    for (const client of clients) client.disconnect();
    for (const running of servers.values()) await running.close();
    await cluster.close();
  }
});
