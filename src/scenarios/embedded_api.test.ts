/**
 * The embedded API end to end: typed values, versions and compare-and-set, expiry,
 * collections with range scans, atomic batches, export/import, checkpoints, and reopening
 * a directory after a clean close and after a checkpoint.
 */
import { mkdtemp, rm, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { open, type Db } from "../db.js";
import { isWalnutError } from "../lib/errors.js";

async function withDb(run: (db: Db, dir: string) => Promise<void>, options: Partial<Parameters<typeof open>[0]> = {}): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "walnut-api-"));
  const db = await open({ dir, checkpointInterval: 0, ...options });
  try {
    await run(db, dir);
  } finally {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

test("set and get round-trip every value type", () =>
  withDb(async (db) => {
    await db.set("text", "héllo wörld");
    await db.set("binary", Buffer.from([0, 255, 13, 10, 128]));
    await db.set("int", 42);
    await db.set("big", 9007199254740993n);
    await db.set("float", 1.25);
    await db.set("flag", true);
    await db.set("list", ["a", "b", 3]);
    assert.equal(await db.get("text"), "héllo wörld");
    assert.deepEqual(await db.get("binary"), Buffer.from([0, 255, 13, 10, 128]));
    assert.equal(await db.get("int"), 42);
    assert.equal(await db.get("big"), 9007199254740993n);
    assert.equal(await db.get("float"), 1.25);
    assert.equal(await db.get("flag"), true);
    assert.deepEqual(await db.get("list"), ["a", "b", "3"]);
    assert.equal(await db.get("missing"), null);
  }));

test("keys may be Buffers and are binary-safe", () =>
  withDb(async (db) => {
    const key = Buffer.from([1, 2, 0, 250]);
    await db.set(key, "v");
    assert.equal(await db.get(key), "v");
    assert.equal(await db.delete(key), true);
    assert.equal(await db.get(key), null);
    assert.equal(await db.delete(key), false);
  }));

test("set resolves to the key's version and ifVersion is compare-and-set", () =>
  withDb(async (db) => {
    const first = await db.set("k", "1");
    assert.ok(typeof first === "number" && first > 0);
    const entry = await db.getEntry("k");
    assert.equal(entry?.version, first);
    assert.equal(entry?.kind, "string");
    await db.set("n", 7);
    assert.equal((await db.getEntry("n"))?.kind, "integer", "walnut's kind, where RESP's TYPE says string");
    assert.deepEqual(await db.command("TYPE", "n"), { type: "status", text: "string" });
    assert.deepEqual(await db.command("WALNUT.TYPE", "n"), { type: "status", text: "integer" });
    const second = await db.set("k", "2", { ifVersion: first });
    assert.ok(typeof second === "number" && second > first);
    await assert.rejects(db.set("k", "3", { ifVersion: first }), (error) => isWalnutError(error, "VERSION_CONFLICT"));
    assert.equal(await db.get("k"), "2");
    assert.equal(await db.set("fresh", "x", { ifVersion: 0 }) !== null, true);
  }));

test("ifNotExists and ifExists resolve to null when they prevent the write", () =>
  withDb(async (db) => {
    assert.equal(await db.set("k", "a", { ifExists: true }), null);
    assert.notEqual(await db.set("k", "a", { ifNotExists: true }), null);
    assert.equal(await db.set("k", "b", { ifNotExists: true }), null);
    assert.equal(await db.get("k"), "a");
  }));

test("incr counts and refuses non-integers", () =>
  withDb(async (db) => {
    assert.equal(await db.incr("n"), 1);
    assert.equal(await db.incr("n", 41), 42);
    await db.set("s", "abc");
    await assert.rejects(db.incr("s"), /not an integer/);
  }));

test("expired keys read as null", () =>
  withDb(async (db) => {
    await db.set("short", "v", { ttlMs: 30 });
    await db.set("long", "v", { ttlMs: 60 * 60_000 });
    await db.set("past", "v", { expireAtMs: Date.now() - 1 });
    assert.equal(await db.get("past"), null, "an expiry in the past hides the key at once");
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(await db.get("short"), null);
    assert.equal(await db.get("long"), "v");
    const entry = await db.getEntry("long");
    assert.ok(entry !== null && entry.expiresAtMs !== null && entry.expiresAtMs > Date.now());
    assert.equal(await db.expire("long", { ms: 1 }), true);
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(await db.get("long"), null);
  }));

test("ordered collections scan ranges in key order", () =>
  withDb(async (db) => {
    const users = await db.createCollection("users", "ordered");
    for (const name of ["carol", "alice", "dave", "bob"]) await users.set(`u:${name}`, name);
    const rows = await users.range("u:b", "u:d", { limit: 10 });
    assert.deepEqual(rows.map((row) => row.key), ["u:bob", "u:carol"]);
    assert.deepEqual((await users.range("u:", "u:~", { limit: 2 })).map((row) => row.value), ["alice", "bob"]);
    assert.equal(await db.get("u:alice"), null, "collections are separate keyspaces");
    assert.deepEqual((await db.listCollections()).map((c) => c.name).sort(), ["default", "users"]);
    await assert.rejects(db.range("a", "b"), /hash collection/);
  }));

test("a batch applies all or nothing", () =>
  withDb(async (db) => {
    await db.set("text", "abc");
    await assert.rejects(
      db.batch([
        { op: "set", key: "a", value: "1" },
        { op: "incr", key: "text" },
      ]),
      (error) => isWalnutError(error, "COMMAND_ERROR"),
    );
    assert.equal(await db.get("a"), null, "the failed batch left nothing behind");
    const [version, counter] = await db.batch([
      { op: "set", key: "a", value: "1" },
      { op: "incr", key: "n", by: 5 },
    ]);
    assert.equal(counter, 5);
    assert.equal(await db.get("n"), 5);
    assert.equal((await db.getEntry("a"))?.version, version, "a set answers the key's new version");
  }));

test("a batch resolves to one plain value per operation, as each operation's own method would", () =>
  withDb(async (db) => {
    await db.set("gone", "x");
    const results = await db.batch([
      { op: "set", key: "list", value: ["a", "b", 3] }, // three commands underneath: DEL, RPUSH
      { op: "set", key: "list", value: ["c"], options: { ifNotExists: false } },
      { op: "set", key: "gone", value: "y", options: { ifNotExists: true } },
      { op: "delete", key: "gone" },
      { op: "delete", key: "never" },
      { op: "incr", key: "big", by: 9007199254740993n },
      { op: "command", args: ["RPUSH", "l", "x", "y"] },
      { op: "command", args: ["LRANGE", "l", 0, -1] },
      { op: "command", args: ["SET", "s", "v"] },
      { op: "command", args: ["GET", "absent"] },
    ]);
    const index = results[0];
    assert.ok(typeof index === "number" && index > 0);
    assert.deepEqual(results, [index, index, null, true, false, 9007199254740993n, 2, ["x", "y"], "OK", null]);
    assert.deepEqual(await db.get("list"), ["c"]);
    // Typed per position: these assignments would not compile if the result were a union.
    const typed: [number, number | null, boolean, number | bigint] = await db.batch([
      { op: "set", key: "t", value: "1" },
      { op: "set", key: "t", value: "2", options: { ifExists: true } },
      { op: "delete", key: "t" },
      { op: "incr", key: "t" },
    ]);
    assert.deepEqual(typed.slice(2), [true, 1]);
    // A plain set's version is a number, usable as ifVersion: the batch's incr wrote "t" in the same entry.
    assert.equal(typeof (await db.set("t", "3", { ifVersion: typed[0] })), "number");
  }));

test("a closed db rejects reads and writes with NOT_OPEN, not a command error", async () => {
  const dir = await mkdtemp(join(tmpdir(), "walnut-closed-"));
  try {
    const db = await open({ dir, checkpointInterval: 0 });
    await db.set("k", "v");
    const users = await db.createCollection("users", "ordered");
    await db.close();
    const notOpen = (error: unknown): boolean => isWalnutError(error, "NOT_OPEN");
    await assert.rejects(db.get("k"), notOpen);
    await assert.rejects(db.get("k", { consistency: "stale" }), notOpen);
    await assert.rejects(db.getEntry("k"), notOpen);
    await assert.rejects(users.range("a", "z"), notOpen);
    await assert.rejects(db.listCollections(), notOpen);
    await assert.rejects(db.command("GET", "k"), notOpen);
    await assert.rejects(db.command("SET", "k", "v"), notOpen);
    await assert.rejects(db.set("k", "v"), notOpen);
    await assert.rejects(db.set("k", "v", { ifVersion: 1 }), notOpen);
    await assert.rejects(db.delete("k"), notOpen);
    await assert.rejects(db.incr("n"), notOpen);
    await assert.rejects(db.batch([{ op: "set", key: "k", value: "v" }]), notOpen);
    await assert.rejects(db.createCollection("more"), notOpen);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("a read with an unknown consistency is refused with BAD_ARGUMENT", () =>
  withDb(async (db) => {
    const options = { consistency: "eventual" } as unknown as { consistency: "stale" }; // what an untyped caller could pass
    await assert.rejects(db.get("k", options), (error) => isWalnutError(error, "BAD_ARGUMENT") && /linearizable/.test(error.message));
    assert.equal(await db.get("k", { consistency: "stale" }), null);
  }));

test("a batch condition on a changed version applies nothing", () =>
  withDb(async (db) => {
    const version = (await db.set("watched", "1")) as number;
    await db.set("watched", "2");
    await assert.rejects(
      db.batch([{ op: "set", key: "other", value: "x" }], { conditions: [{ key: "watched", version }] }),
      (error) => isWalnutError(error, "VERSION_CONFLICT"),
    );
    assert.equal(await db.get("other"), null);
  }));

test("data survives close and reopen, with and without a checkpoint", async () => {
  const dir = await mkdtemp(join(tmpdir(), "walnut-reopen-"));
  try {
    let db = await open({ dir, checkpointInterval: 0 });
    for (let i = 0; i < 500; i++) await db.set(`k${i}`, `v${i}`);
    await db.close();
    db = await open({ dir, checkpointInterval: 0 });
    assert.equal(await db.get("k499"), "v499");
    const info = await db.checkpoint();
    assert.ok(info.keys >= 500);
    await db.set("after", "checkpoint");
    await db.close();
    assert.equal((await readdir(join(dir, "checkpoints"))).filter((f) => f.endsWith(".ckpt")).length, 1);
    db = await open({ dir, checkpointInterval: 0 });
    assert.equal(await db.get("k0"), "v0");
    assert.equal(await db.get("after"), "checkpoint");
    await db.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("a second process cannot open the same directory", () =>
  withDb(async (_db, dir) => {
    await assert.rejects(open({ dir }), (error) => isWalnutError(error, "DATA_DIR"));
  }));

test("export and import copy a collection as the other type under a new name", () =>
  withDb(async (db, dir) => {
    const source = await db.createCollection("source", "hash");
    await source.set("b", "2");
    await source.set("a", "1");
    const file = join(dir, "source.walnut");
    await db.exportCollection("source", file);
    const copy = await db.importCollection(file, { name: "copy", type: "ordered" });
    assert.deepEqual((await copy.range("a", "z")).map((row) => [row.key, row.value]), [["a", "1"], ["b", "2"]]);
  }));

for (const fsync of ["everysec", "no"] as const) {
  test(`fsync ${fsync} keeps every write across a clean close`, async () => {
    const dir = await mkdtemp(join(tmpdir(), `walnut-${fsync}-`));
    try {
      let db = await open({ dir, fsync, checkpointInterval: 0 });
      await Promise.all(Array.from({ length: 200 }, (_, i) => db.set(`k${i}`, `v${i}`)));
      await db.close();
      db = await open({ dir, checkpointInterval: 0 });
      for (let i = 0; i < 200; i++) assert.equal(await db.get(`k${i}`), `v${i}`);
      await db.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

test("a data directory that cannot be created is refused with a clear error", async () => {
  const dir = await mkdtemp(join(tmpdir(), "walnut-baddir-"));
  try {
    const { writeFile } = await import("node:fs/promises");
    const file = join(dir, "not-a-directory");
    await writeFile(file, "x");
    await assert.rejects(open({ dir: join(file, "data") }), (error) => {
      assert.ok(isWalnutError(error, "DATA_DIR"));
      assert.match(error.message, /Cannot create data directory .*not-a-directory\/data: ENOTDIR/);
      return true;
    });
    await assert.rejects(open({ dir: "" }), (error) => isWalnutError(error, "BAD_ARGUMENT"));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
