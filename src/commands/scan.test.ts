import { test } from "node:test";
import assert from "node:assert/strict";
import { Engine } from "../engine/engine.js";
import type { Reply } from "../engine/reply.js";
import { array, bulk, error } from "../engine/reply.js";
import { NOW_MS, read, run } from "./testing.js";

interface ScanStep {
  cursor: string;
  keys: string[];
}

function scanStep(engine: Engine, line: string, collection = "default", nowMs = NOW_MS): ScanStep {
  const reply = read(engine, line, { collection, nowMs }) as { type: "array"; items: Reply[] };
  assert.equal(reply.type, "array");
  const [cursor, keys] = reply.items;
  assert.ok(cursor.type === "bulk" && keys.type === "array");
  return { cursor: cursor.value, keys: keys.items.map((key) => (key.type === "bulk" ? key.value : "?")) };
}

/** A full SCAN iteration; `between` runs after every call. */
function scanAll(engine: Engine, options: string, collection = "default", between: (step: number) => void = () => {}): string[] {
  const seen: string[] = [];
  let cursor = "0";
  for (let step = 0; step < 100_000; step++) {
    const result = scanStep(engine, `SCAN ${cursor} ${options}`, collection);
    seen.push(...result.keys);
    cursor = result.cursor;
    if (cursor === "0") return seen;
    between(step);
  }
  assert.fail("SCAN did not finish");
}

for (const type of ["hash", "ordered"] as const) {
  test(`SCAN of a ${type} collection returns every key once when nothing changes`, () => {
    const engine = new Engine();
    engine.createCollection("c", type);
    for (let key = 0; key < 95; key++) run(engine, `SET k${key} v`, { collection: "c" });
    const seen = scanAll(engine, "COUNT 10", "c");
    assert.equal(seen.length, 95);
    assert.equal(new Set(seen).size, 95);
  });

  test(`SCAN of a ${type} collection returns every key present throughout while others come and go`, () => {
    const engine = new Engine();
    engine.createCollection("c", type);
    for (let key = 0; key < 200; key++) run(engine, `SET stable${key} v`, { collection: "c" });
    for (let key = 0; key < 50; key++) run(engine, `SET doomed${key} v`, { collection: "c" });
    let added = 0;
    const seen = scanAll(engine, "COUNT 7", "c", (step) => {
      run(engine, `SET new${added++} v`, { collection: "c" });
      run(engine, `SET aa${added++} v`, { collection: "c" }); // sorts before everything else
      if (step < 50) run(engine, `DEL doomed${step}`, { collection: "c" });
      run(engine, `SET stable${step % 200} changed`, { collection: "c" }); // an overwrite keeps the key present
    });
    const seenSet = new Set(seen);
    for (let key = 0; key < 200; key++) assert.ok(seenSet.has(`stable${key}`), `stable${key} was returned`);
  });
}

test("SCAN MATCH and TYPE filter the keys examined", () => {
  const engine = new Engine();
  for (let key = 0; key < 20; key++) run(engine, `SET user:${key} v`);
  run(engine, "SET other v");
  run(engine, "RPUSH user:list a");
  assert.equal(scanAll(engine, "MATCH user:* COUNT 5").length, 21);
  assert.deepEqual(scanAll(engine, "MATCH user:1? COUNT 3").sort(), [...Array(10).keys()].map((n) => `user:1${n}`).sort());
  assert.deepEqual(scanAll(engine, "TYPE list"), ["user:list"]);
  assert.deepEqual(scanAll(engine, "TYPE string MATCH other"), ["other"]);
  assert.deepEqual(scanAll(engine, "TYPE LIST"), ["user:list"], "the type name is compared without case, as Redis does");
});

test("SCAN TYPE string keeps every kind Redis calls a string; an unknown type keeps nothing", () => {
  const engine = new Engine();
  for (const line of ["SET s v", "SET i 1 AS integer", "SET f 1.5 AS float", "SET b true AS boolean", "SET x y AS blob", "PFADD h a", "RPUSH l a"]) {
    run(engine, line);
  }
  assert.deepEqual(scanAll(engine, "TYPE string").sort(), ["b", "f", "h", "i", "s", "x"]);
  assert.deepEqual(scanAll(engine, "TYPE zset"), []);
  assert.deepEqual(scanAll(engine, "TYPE nosuchtype"), []);
});

test("SCAN skips expired keys", () => {
  const engine = new Engine();
  run(engine, "SET live v");
  run(engine, "SET gone v PX 5");
  assert.deepEqual(scanStep(engine, "SCAN 0", "default", NOW_MS + 5).keys, ["live"]);
});

test("SCAN with an unknown cursor starts a new full iteration", () => {
  const engine = new Engine();
  for (let key = 0; key < 30; key++) run(engine, `SET k${key} v`);
  const seen = new Set<string>();
  let cursor = "12345";
  do {
    const result = scanStep(engine, `SCAN ${cursor} COUNT 4`);
    for (const key of result.keys) seen.add(key);
    cursor = result.cursor;
  } while (cursor !== "0");
  assert.equal(seen.size, 30);
});

test("SCAN refuses bad cursors and options", () => {
  const engine = new Engine();
  assert.deepEqual(read(engine, "SCAN abc"), error("ERR", "invalid cursor"));
  assert.deepEqual(read(engine, "SCAN 1x"), error("ERR", "invalid cursor"));
  assert.deepEqual(read(engine, "SCAN +"), error("ERR", "invalid cursor"));
  assert.deepEqual(read(engine, "SCAN -18446744073709551616"), error("ERR", "invalid cursor"));
  assert.deepEqual(read(engine, "SCAN 18446744073709551616"), error("ERR", "invalid cursor"));
  assert.deepEqual(read(engine, "SCAN 0 COUNT 0"), error("ERR", "syntax error"));
  assert.deepEqual(read(engine, "SCAN 0 COUNT x"), error("ERR", "value is not an integer or out of range"));
  assert.deepEqual(read(engine, "SCAN 0 MATCH"), error("ERR", "syntax error"));
  assert.deepEqual(read(engine, "SCAN 0 LIMIT 5"), error("ERR", "syntax error"));
});

test("SCAN reads cursors as Redis 7.0's strtoul does: a sign, and -n wrapping around 64 bits", () => {
  const engine = new Engine();
  for (const cursor of ["-1", "+0", "-18446744073709551615", "18446744073709551615"]) {
    assert.deepEqual(read(engine, `SCAN ${cursor}`), array([bulk("0"), array([])]), `SCAN ${cursor}`);
  }
  assert.deepEqual(read(engine, "SCAN 0 TYPE"), error("ERR", "syntax error"));
});

test("SCAN cursors of different iterations are independent", () => {
  const engine = new Engine();
  for (let key = 0; key < 20; key++) run(engine, `SET k${key} v`);
  const first = scanStep(engine, "SCAN 0 COUNT 5");
  const second = scanStep(engine, "SCAN 0 COUNT 5");
  assert.notEqual(first.cursor, second.cursor);
  const firstNext = scanStep(engine, `SCAN ${first.cursor} COUNT 5`);
  assert.equal(new Set([...first.keys, ...firstNext.keys]).size, 10);
});
