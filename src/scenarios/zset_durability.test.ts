/**
 * A sorted set outlives a restart: written over RESP, partly before a checkpoint and
 * partly after (so the restart loads the checkpoint and then replays the WAL), it reads
 * back the same, scores and order included. The embedded API and the HTTP API take and
 * give sorted sets as [member, score] pairs.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestNode } from "./harness.js";
import { conversation } from "./server_fixtures.js";

const READ_BACK = [
  ["ZRANGE", "board", "0", "-1", "WITHSCORES"],
  ["ZRANGE", "late", "0", "-1", "WITHSCORES"],
  ["TYPE", "board"],
  ["ZSCORE", "board", "tenth"],
  ["PTTL", "late"],
];

test("a sorted set survives a checkpoint and a restart, and so do the writes after the checkpoint", async () => {
  const dir = await mkdtemp(join(tmpdir(), "walnut-zset-"));
  try {
    const first = await startTestNode({ dir });
    let before: string[];
    try {
      await conversation(first.respPort, [
        ["ZADD", "board", "1", "a", "2.5", "b", "-inf", "floor", "inf", "ceiling", "0.1", "tenth"],
        ["ZADD", "late", "1", "x"],
      ]);
      await first.db.checkpoint();
      await conversation(first.respPort, [
        ["ZINCRBY", "board", "10", "a"],
        ["ZREM", "board", "b"],
        ["ZADD", "late", "2", "y", "3", "z"],
        ["PEXPIRE", "late", "3600000"],
      ]);
      before = await conversation(first.respPort, READ_BACK);
    } finally {
      await first.stop();
    }
    assert.equal(before[0], "*8\r\n$5\r\nfloor\r\n$4\r\n-inf\r\n$5\r\ntenth\r\n$19\r\n0.10000000000000001\r\n$1\r\na\r\n$2\r\n11\r\n$7\r\nceiling\r\n$3\r\ninf\r\n");
    assert.equal(before[2], "+zset\r\n");
    const second = await startTestNode({ dir });
    try {
      const after = await conversation(second.respPort, READ_BACK);
      assert.deepEqual(after.slice(0, 4), before.slice(0, 4));
      assert.match(after[4]!, /^:\d+\r\n$/, "the expiry came back too");
    } finally {
      await second.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("the embedded and HTTP APIs store and return a sorted set as [member, score] pairs", async () => {
  const node = await startTestNode();
  try {
    await node.db.set("ranks", [["b", 2], ["a", 1], ["top", Infinity]]);
    assert.deepEqual(await node.db.get("ranks"), [["a", 1], ["b", 2], ["top", Infinity]]);
    const [range] = await conversation(node.respPort, [["ZRANGE", "ranks", "0", "-1", "WITHSCORES"]]);
    assert.equal(range, "*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$3\r\ntop\r\n$3\r\ninf\r\n");

    const base = `http://127.0.0.1:${node.httpPort}`;
    const put = await fetch(`${base}/key/scores`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ value: [["low", "-inf"], ["mid", 0.5], ["high", 7]] }),
    });
    assert.equal(put.status, 200, await put.text());
    const got = (await (await fetch(`${base}/key/scores`)).json()) as { value: unknown };
    assert.deepEqual(got.value, [["low", "-inf"], ["mid", 0.5], ["high", 7]]);
    const [type] = await conversation(node.respPort, [["TYPE", "scores"]]);
    assert.equal(type, "+zset\r\n");
    const refused = await fetch(`${base}/key/bad`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ value: [["m", "not a score"]] }),
    });
    assert.equal(refused.status, 400);
  } finally {
    await node.stop();
  }
});
