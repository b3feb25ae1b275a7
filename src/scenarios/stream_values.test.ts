/**
 * Streams as the other faces and a restart meet them: the embedded API reads a stream as
 * its entries ({ id, fields }) and refuses to set one; a stream's entries and its last ID
 * (which outlives deleted entries) survive a restart from the WAL alone and from a
 * checkpoint, and through DUMP and RESTORE; HTTP GET answers a stream as the same entries.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { open, type Db } from "../db.js";
import { isWalnutError } from "../lib/errors.js";
import { startTestNode } from "./harness.js";

async function withDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "walnut-stream-"));
  try {
    await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const ENTRIES = [
  { id: "1-1", fields: [["a", "1"], ["a", "2"]] },
  { id: "7-0", fields: [["é", "välue"]] },
];

async function expectStream(db: Db, when: string): Promise<void> {
  // The group's PEL holds 1-1 for alice; bob exists with nothing pending; the group read up to 1-1.
  assert.deepEqual(await db.command("XPENDING", "s", "workers"), {
    type: "array",
    items: [{ type: "integer", value: 1 }, { type: "bulk", value: "1-1" }, { type: "bulk", value: "1-1" }, { type: "array", items: [{ type: "array", items: [{ type: "bulk", value: "alice" }, { type: "bulk", value: "1" }] }] }],
  }, when);
  assert.deepEqual(await db.command("XGROUP", "CREATECONSUMER", "s", "workers", "bob"), { type: "integer", value: 0 }, when);
  assert.deepEqual(await db.get("s"), ENTRIES, when);
  assert.deepEqual(await db.command("TYPE", "s"), { type: "status", text: "stream" }, when);
  // 9-0 was the last ID before it was deleted: a smaller ID is still refused.
  await assert.rejects(db.command("XADD", "s", "8-0", "x", "y"), /equal or smaller than the target stream top item/, when);
}

test("a stream's entries, last ID and consumer groups (PEL, consumers, last ID) survive a restart from the WAL and from a checkpoint", () =>
  withDir(async (dir) => {
    let db = await open({ dir, checkpointInterval: 0 });
    await db.command("XADD", "s", "1-1", "a", "1", "a", "2");
    await db.command("XADD", "s", "5-0", "gone", "1");
    await db.command("XADD", "s", "7-0", "é", "välue");
    await db.command("XADD", "s", "9-0", "gone", "2");
    await db.command("XDEL", "s", "5-0", "9-0");
    await db.command("XGROUP", "CREATE", "s", "workers", "0");
    await db.command("XREADGROUP", "GROUP", "workers", "alice", "COUNT", "1", "STREAMS", "s", ">");
    await db.command("XGROUP", "CREATECONSUMER", "s", "workers", "bob");
    await expectStream(db, "before the restart");
    await assert.rejects(db.set("s", ENTRIES as never), (error) => isWalnutError(error, "BAD_ARGUMENT"));
    await db.close();

    db = await open({ dir, checkpointInterval: 0 });
    await expectStream(db, "after a restart from the WAL");
    await db.checkpoint();
    await db.close();

    db = await open({ dir, checkpointInterval: 0 });
    try {
      await expectStream(db, "after a restart from the checkpoint");
      const dumped = await db.command("DUMP", "s");
      assert.equal(dumped.type, "bulk");
      await db.command("RESTORE", "restored", "0", Buffer.from((dumped as { value: string }).value, "latin1"));
      assert.deepEqual(await db.get("restored"), ENTRIES, "DUMP and RESTORE copy the stream");
      await assert.rejects(db.command("XADD", "restored", "8-0", "x", "y"), /equal or smaller/, "and its last ID");
      assert.deepEqual(await db.command("XADD", "s", "9-*", "new", "1"), { type: "bulk", value: "9-1" }, "the next sequence after 9-0");
      const next = await db.command("XREADGROUP", "GROUP", "workers", "bob", "STREAMS", "s", ">");
      assert.equal(JSON.stringify(next).includes('"7-0"'), true, "the group goes on after its last ID (1-1): 7-0 next");
      assert.equal(JSON.stringify(next).includes('"1-1"'), false);
    } finally {
      await db.close();
    }
  }));

test("HTTP GET answers a stream as its entries with kind stream", async () => {
  const node = await startTestNode();
  try {
    const base = `http://127.0.0.1:${node.httpPort}`;
    const { Redis } = await import("ioredis");
    const client = new Redis({ port: node.respPort, host: "127.0.0.1", maxRetriesPerRequest: 0 });
    await client.xadd("s", "1-1", "a", "1", "a", "2");
    await client.xadd("s", "7-0", "é", "välue");
    client.disconnect();
    const response = await fetch(`${base}/key/s`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as { value: unknown; kind: string };
    assert.equal(body.kind, "stream");
    assert.deepEqual(body.value, ENTRIES);
  } finally {
    await node.stop();
  }
});
