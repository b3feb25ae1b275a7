/**
 * Hashes and sets as users of the other faces meet them: the embedded API stores an object
 * as a hash and reads a hash back as an object and a set as an array; HTTP PUT of a JSON
 * object stores a hash that RESP's HGETALL reads; and a hash and a set (with their order,
 * expiry and versions) survive a checkpoint and a restart, written to while the
 * checkpoint runs.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { open } from "../db.js";
import { isWalnutError } from "../lib/errors.js";
import { startTestNode } from "./harness.js";

async function withDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "walnut-hashset-"));
  try {
    await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("the embedded API stores an object as a hash and reads hashes as objects, sets as arrays", () =>
  withDir(async (dir) => {
    const db = await open({ dir, checkpointInterval: 0 });
    try {
      await db.set("user", { name: "Ada", born: "1815", "clé": "välue" });
      assert.deepEqual(await db.get("user"), { name: "Ada", born: "1815", "clé": "välue" });
      assert.deepEqual(await db.command("HGET", "user", "born"), { type: "bulk", value: "1815" });
      assert.deepEqual(await db.command("TYPE", "user"), { type: "status", text: "hash" });
      // Setting again replaces the whole hash (DEL + HSET), numbers stored as their text.
      await db.set("user", { name: "Grace", score: 2.5 } as unknown as Record<string, string>, { ttlMs: 60_000 });
      assert.deepEqual(await db.get("user"), { name: "Grace", score: "2.5" });
      const entry = await db.getEntry("user");
      assert.ok(entry?.expiresAtMs !== null && entry!.expiresAtMs! > Date.now());
      await db.set("user", {});
      assert.equal(await db.get("user"), null, "an empty hash is no hash: the key is deleted");
      await assert.rejects(db.set("user", { a: "1" }, { ifNotExists: true }), (error) => isWalnutError(error, "BAD_ARGUMENT"));
      await assert.rejects(db.set("user", { a: {} } as unknown as Record<string, string>), (error) => isWalnutError(error, "BAD_ARGUMENT"));
      await db.set("user", { kept: "yes" });
      await assert.rejects(db.set("user", new Map([["a", "1"]]) as unknown as Record<string, string>), (error) => isWalnutError(error, "BAD_ARGUMENT"));
      assert.deepEqual(await db.get("user"), { kept: "yes" }, "a Map is refused, not stored as an empty hash");
      await db.command("SADD", "tags", "b", "a", "c");
      assert.deepEqual(await db.get("tags"), ["b", "a", "c"]);
      await db.command("SADD", "ids", "30", "10", "20");
      assert.deepEqual(await db.get("ids"), ["30", "10", "20"], "get answers insertion order; SMEMBERS sorts small integer sets");
    } finally {
      await db.close();
    }
  }));

test("HTTP PUT of a JSON object stores a hash; GET answers hashes as objects and sets as arrays", async () => {
  const node = await startTestNode();
  const base = `http://127.0.0.1:${node.httpPort}`;
  const client = new Redis({ port: node.respPort, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0 });
  await client.connect();
  try {
    const put = (key: string, value: unknown): Promise<Response> =>
      fetch(`${base}/key/${key}`, { method: "PUT", body: JSON.stringify({ value }), headers: { "content-type": "application/json" } });
    assert.equal((await put("h", { a: "1", b: 2 })).status, 200);
    assert.deepEqual(await client.hgetall("h"), { a: "1", b: "2" });
    assert.equal(await client.hincrby("h", "b", 5), 7);
    const read = async (key: string): Promise<unknown> => ((await (await fetch(`${base}/key/${key}`)).json()) as { value: unknown }).value;
    assert.deepEqual(await read("h"), { a: "1", b: "7" });
    await client.sadd("s", "x", "y");
    assert.deepEqual(await read("s"), ["x", "y"]);
    const refused = await put("bad", { a: [1] });
    assert.equal(refused.status, 400);
    assert.match(((await refused.json()) as { detail: string }).detail, /hash field "a": values must be strings or finite numbers/);
  } finally {
    client.disconnect();
    await node.stop();
  }
});

test("a client iterates a large hash and set to the end with HSCAN and SSCAN streams", async () => {
  const node = await startTestNode();
  const client = new Redis({ port: node.respPort, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0 });
  await client.connect();
  try {
    // Past 512 fields a hash is a hashtable, which HSCAN pages (a smaller one answers whole, as in Redis).
    const fieldValues = Array.from({ length: 1000 }, (_, index) => [`field:${index}`, `value:${index}`]).flat();
    assert.equal(await client.hset("big", ...fieldValues), 1000);
    const members = Array.from({ length: 1000 }, (_, index) => `member:${index}`);
    assert.equal(await client.sadd("many", ...members), 1000);
    const scannedFields = new Map<string, string>();
    let hashCalls = 0;
    for await (const chunk of client.hscanStream("big", { count: 50 })) {
      hashCalls += 1;
      const flat = chunk as string[];
      for (let at = 0; at < flat.length; at += 2) scannedFields.set(flat[at]!, flat[at + 1]!);
    }
    assert.equal(scannedFields.size, 1000);
    assert.equal(scannedFields.get("field:321"), "value:321");
    assert.ok(hashCalls >= 10, `HSCAN paged: ${hashCalls} calls`);
    const scannedMembers = new Set<string>();
    for await (const chunk of client.sscanStream("many", { count: 100, match: "member:*" })) {
      for (const member of chunk as string[]) scannedMembers.add(member);
    }
    assert.equal(scannedMembers.size, 1000);
  } finally {
    client.disconnect();
    await node.stop();
  }
});

test("a hash and a set survive a checkpoint and a restart, with their order and expiry", () =>
  withDir(async (dir) => {
    let db = await open({ dir, checkpointInterval: 0 });
    const expiresAtMs = Date.now() + 3_600_000;
    await db.command("HSET", "h", "z", "26", "a", "1", "m", "13");
    await db.command("PEXPIREAT", "h", expiresAtMs);
    await db.command("SADD", "ints", "3", "-1", "2");
    await db.command("SADD", "words", "pear", "apple");
    for (let index = 0; index < 200; index++) await db.command("SADD", "many", `m${index}`);
    // Writes while the checkpoint runs change private copies; the checkpoint keeps its picture.
    const checkpoint = db.checkpoint();
    await db.command("HSET", "h", "b", "2");
    await db.command("SREM", "many", "m0");
    const info = await checkpoint;
    assert.ok(info.keys >= 4);
    const version = (await db.getEntry("h"))!.version;
    await db.close();

    db = await open({ dir, checkpointInterval: 0 });
    try {
      assert.deepEqual(await db.command("HGETALL", "h"), {
        type: "map",
        entries: [["z", "26"], ["a", "1"], ["m", "13"], ["b", "2"]].map(([field, value]) => [{ type: "bulk", value: field }, { type: "bulk", value }]),
      });
      const entry = await db.getEntry("h");
      assert.equal(entry?.expiresAtMs, expiresAtMs);
      assert.equal(entry?.version, version);
      assert.deepEqual(await db.command("SMEMBERS", "ints"), { type: "set", items: ["-1", "2", "3"].map((value) => ({ type: "bulk", value })) });
      assert.deepEqual(await db.get("words"), ["pear", "apple"]);
      assert.deepEqual(await db.command("SCARD", "many"), { type: "integer", value: 199 });
      assert.deepEqual(await db.command("SISMEMBER", "many", "m0"), { type: "integer", value: 0 });
      // Checkpoint again, now with nothing after it in the WAL, and restart once more.
      await db.checkpoint();
    } finally {
      await db.close();
    }
    db = await open({ dir, checkpointInterval: 0 });
    try {
      assert.deepEqual(await db.get("h"), { z: "26", a: "1", m: "13", b: "2" });
      assert.deepEqual(await db.command("SCARD", "many"), { type: "integer", value: 199 });
      assert.deepEqual(await db.command("TYPE", "ints"), { type: "status", text: "set" });
    } finally {
      await db.close();
    }
  }));
