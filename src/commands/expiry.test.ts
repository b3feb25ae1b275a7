import { test } from "node:test";
import assert from "node:assert/strict";
import { Engine } from "../engine/engine.js";
import { Item } from "../engine/values.js";
import { SWEEP_KEYS_EXAMINED_MAX, findExpiredKeys } from "./expiry.js";
import { bulk, error, integer, NIL } from "../engine/reply.js";
import { NOW_MS, read, run } from "./testing.js";

function engineWith(...lines: string[]): Engine {
  const engine = new Engine();
  for (const line of lines) run(engine, line);
  return engine;
}

test("EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT set the same instant their own way", () => {
  const engine = engineWith("SET a v", "SET b v", "SET c v", "SET d v");
  assert.deepEqual(run(engine, "EXPIRE a 10"), integer(1));
  assert.deepEqual(run(engine, "PEXPIRE b 10000"), integer(1));
  assert.deepEqual(run(engine, `EXPIREAT c ${NOW_MS / 1000 + 10}`), integer(1));
  assert.deepEqual(run(engine, `PEXPIREAT d ${NOW_MS + 10_000}`), integer(1));
  for (const key of ["a", "b", "c", "d"]) assert.deepEqual(read(engine, `PEXPIRETIME ${key}`), integer(NOW_MS + 10_000));
  assert.deepEqual(run(engine, "EXPIRE missing 10"), integer(0));
});

test("relative expiries count from the entry's clock", () => {
  const engine = engineWith("SET k v");
  run(engine, "EXPIRE k 10", { nowMs: NOW_MS + 5000 });
  assert.deepEqual(read(engine, "PEXPIRETIME k"), integer(NOW_MS + 15_000));
});

test("TTL and PTTL answer the remaining time, -1 without expiry, -2 without key", () => {
  const engine = engineWith("SET k v PX 10400", "SET forever v");
  assert.deepEqual(read(engine, "PTTL k"), integer(10_400));
  assert.deepEqual(read(engine, "TTL k"), integer(10), "seconds round to the nearest");
  assert.deepEqual(read(engine, "TTL k", { nowMs: NOW_MS - 200 }), integer(11));
  assert.deepEqual(read(engine, "TTL forever"), integer(-1));
  assert.deepEqual(read(engine, "PTTL forever"), integer(-1));
  assert.deepEqual(read(engine, "TTL missing"), integer(-2));
  assert.deepEqual(read(engine, "PTTL k", { nowMs: NOW_MS + 10_400 }), integer(-2), "expired at nowMs");
});

test("EXPIRETIME and PEXPIRETIME answer the absolute instant", () => {
  const engine = engineWith(`SET k v PXAT ${NOW_MS + 1500}`, "SET forever v");
  assert.deepEqual(read(engine, "PEXPIRETIME k"), integer(NOW_MS + 1500));
  assert.deepEqual(read(engine, "EXPIRETIME k"), integer(NOW_MS / 1000 + 2));
  assert.deepEqual(read(engine, "EXPIRETIME forever"), integer(-1));
  assert.deepEqual(read(engine, "EXPIRETIME missing"), integer(-2));
});

test("an expiry in the past deletes the key at once", () => {
  const engine = engineWith("SET a v", "SET b v", "SET c v");
  assert.deepEqual(run(engine, "EXPIRE a -1"), integer(1));
  assert.deepEqual(run(engine, "PEXPIRE b 0"), integer(1));
  assert.deepEqual(run(engine, `EXPIREAT c ${NOW_MS / 1000 - 1}`), integer(1));
  assert.deepEqual(read(engine, "DBSIZE"), integer(0));
});

test("EXPIRE NX and XX set only without, or with, an existing expiry", () => {
  const engine = engineWith("SET plain v", "SET volatile v EX 100");
  assert.deepEqual(run(engine, "EXPIRE plain 10 XX"), integer(0));
  assert.deepEqual(run(engine, "EXPIRE volatile 10 NX"), integer(0));
  assert.deepEqual(read(engine, "TTL volatile"), integer(100));
  assert.deepEqual(run(engine, "EXPIRE plain 10 NX"), integer(1));
  assert.deepEqual(run(engine, "EXPIRE volatile 10 xx"), integer(1));
  assert.deepEqual(read(engine, "TTL volatile"), integer(10));
});

test("EXPIRE GT and LT compare with the current expiry; no expiry counts as infinite", () => {
  const engine = engineWith("SET plain v", "SET volatile v EX 100");
  assert.deepEqual(run(engine, "EXPIRE plain 10 GT"), integer(0));
  assert.deepEqual(run(engine, "EXPIRE volatile 50 GT"), integer(0));
  assert.deepEqual(run(engine, "EXPIRE volatile 200 GT"), integer(1));
  assert.deepEqual(run(engine, "EXPIRE volatile 300 LT"), integer(0));
  assert.deepEqual(run(engine, "EXPIRE volatile 150 LT"), integer(1));
  assert.deepEqual(run(engine, "EXPIRE plain 10 LT"), integer(1));
  assert.deepEqual(run(engine, "EXPIRE volatile 160 XX GT"), integer(1));
  assert.deepEqual(read(engine, "TTL volatile"), integer(160));
});

test("EXPIRE refuses bad options and out-of-range times", () => {
  const engine = engineWith("SET k v");
  assert.deepEqual(run(engine, "EXPIRE k 10 NX XX"), error("ERR", "NX and XX, GT or LT options at the same time are not compatible"));
  assert.deepEqual(run(engine, "EXPIRE k 10 NX GT"), error("ERR", "NX and XX, GT or LT options at the same time are not compatible"));
  assert.deepEqual(run(engine, "EXPIRE k 10 GT LT"), error("ERR", "GT and LT options at the same time are not compatible"));
  assert.deepEqual(run(engine, "EXPIRE k 10 SOON"), error("ERR", "Unsupported option SOON"));
  assert.deepEqual(run(engine, "EXPIRE k 10 SO\x00ON"), error("ERR", "Unsupported option SO"));
  assert.deepEqual(run(engine, "EXPIRE k ten"), error("ERR", "value is not an integer or out of range"));
  assert.deepEqual(run(engine, "EXPIRE k 9223372036854775807"), error("ERR", "invalid expire time in 'expire' command"));
  assert.deepEqual(run(engine, "PEXPIREAT k 9223372036854775807"), error("ERR", "invalid expire time in 'pexpireat' command"));
  assert.deepEqual(read(engine, "TTL k"), integer(-1));
});

test("EXPIREAT and PEXPIREAT at the instant 0 delete the key (0 is not 'no expiry')", () => {
  const engine = engineWith("SET k v", "SET j v");
  assert.deepEqual(run(engine, "EXPIREAT k 0"), integer(1));
  assert.deepEqual(read(engine, "GET k"), NIL);
  assert.deepEqual(run(engine, "PEXPIREAT j 0 LT"), integer(1));
  assert.deepEqual(read(engine, "PTTL j"), integer(-2));
});

test("EXPIRE takes any instant whose milliseconds fit 64 bits; one far in the past deletes the key", () => {
  const engine = engineWith("SET k v", "SET j v");
  assert.deepEqual(run(engine, "EXPIRE k -9223372036854775808"), error("ERR", "invalid expire time in 'expire' command"));
  assert.deepEqual(run(engine, "PEXPIRE missing -9223372036854775808"), integer(0));
  assert.deepEqual(run(engine, "PEXPIREAT k -9223372036854775808"), integer(1));
  assert.deepEqual(read(engine, "EXISTS k"), integer(0));
  assert.deepEqual(run(engine, "EXPIRE j -9223372036854775"), integer(1));
  assert.deepEqual(read(engine, "EXISTS j"), integer(0));
});

test("PERSIST removes an expiry and says whether there was one", () => {
  const engine = engineWith("SET k v EX 10", "SET plain v");
  assert.deepEqual(run(engine, "PERSIST k"), integer(1));
  assert.deepEqual(read(engine, "TTL k"), integer(-1));
  assert.deepEqual(run(engine, "PERSIST k"), integer(0));
  assert.deepEqual(run(engine, "PERSIST plain"), integer(0));
  assert.deepEqual(run(engine, "PERSIST missing"), integer(0));
});

test("EXPIRE on a list keeps its elements", () => {
  const engine = engineWith("RPUSH l a b");
  assert.deepEqual(run(engine, "EXPIRE l 10"), integer(1));
  assert.deepEqual(read(engine, "LLEN l"), integer(2));
  assert.deepEqual(read(engine, "TTL l"), integer(10));
});

test("EXPIRESWEEP deletes only the keys expired at the entry's clock", () => {
  const engine = engineWith("SET a v PX 100", "SET b v PX 500", "SET c v");
  assert.deepEqual(run(engine, "EXPIRESWEEP a b c missing", { nowMs: NOW_MS + 100 }), integer(1));
  assert.deepEqual(engine.collection("default")?.get("a"), undefined);
  assert.deepEqual(read(engine, "GET b", { nowMs: NOW_MS + 100 }), bulk("v"));
  assert.deepEqual(read(engine, "DBSIZE"), integer(2));
});

test("findExpiredKeys finds expired keys across collections, round robin, bounded", () => {
  const engine = new Engine();
  engine.createCollection("other", "ordered");
  for (let key = 0; key < 30; key++) {
    run(engine, `SET d${key} v PX ${key % 2 === 0 ? 10 : 100_000}`);
    run(engine, `SET o${key} v PX 10`, { collection: "other" });
  }
  run(engine, "SET forever v");
  const later = NOW_MS + 1000;
  const firstCall = findExpiredKeys(engine, later, 20);
  assert.equal(firstCall.length, 20);
  const all = new Set<string>();
  for (let call = 0; call < 10; call++) {
    for (const { collection, key } of findExpiredKeys(engine, later, 20)) all.add(`${collection}/${key}`);
  }
  for (const { collection, key } of firstCall) all.add(`${collection}/${key}`);
  const expected = new Set<string>();
  for (let key = 0; key < 30; key++) {
    if (key % 2 === 0) expected.add(`default/d${key}`);
    expected.add(`other/o${key}`);
  }
  assert.deepEqual([...all].sort(), [...expected].sort());
  assert.equal(findExpiredKeys(engine, NOW_MS, 20).length, 0, "nothing is expired yet at NOW_MS");
});

test("findExpiredKeys examines a bounded number of keys per call", () => {
  const engine = new Engine();
  const collection = engine.requireCollection("default");
  const keyCount = SWEEP_KEYS_EXAMINED_MAX + 10;
  const lastKey = `k${keyCount - 1}`;
  for (let key = 0; key < keyCount; key++) {
    const name = `k${key}`;
    const expiresAtMs = name === "k0" || name === lastKey ? NOW_MS + 1 : NOW_MS + 100_000;
    collection.put(name, new Item({ kind: "string", value: "v" }, 1, expiresAtMs));
  }
  const first = findExpiredKeys(engine, NOW_MS + 10, 100);
  assert.deepEqual(first.map((found) => found.key), ["k0"], "the last key is beyond this call's bound");
  const second = findExpiredKeys(engine, NOW_MS + 10, 100);
  assert.deepEqual(second.map((found) => found.key), [lastKey]);
});

test("an expired key is absent for GET before any sweep removed it", () => {
  const engine = engineWith("SET k v PX 1");
  assert.deepEqual(read(engine, "GET k", { nowMs: NOW_MS + 1 }), NIL);
  assert.deepEqual(read(engine, "DBSIZE"), integer(1));
});
