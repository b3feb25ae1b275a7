import { test } from "node:test";
import assert from "node:assert/strict";
import { Engine } from "../engine/engine.js";
import { Item, NO_EXPIRY } from "../engine/values.js";
import { listCommands } from "./lists.js";
import { NIL, NIL_ARRAY, OK, WRONGTYPE, type Reply } from "../engine/reply.js";
import { ListDeque } from "../engine/list_deque.js";

const NOW_MS = 1_700_000_000_000;

/** An engine and a `run` that applies list commands as the log would: one index each. */
function harness() {
  const engine = new Engine();
  const collection = engine.requireCollection("default");
  const run = (name: string, ...args: string[]): Reply => {
    const spec = listCommands.find((candidate) => candidate.name === name);
    assert.ok(spec, `no spec for ${name}`);
    const write = spec.flags.includes("write");
    const index = write ? engine.appliedIndex + 1 : engine.appliedIndex;
    const reply = spec.run({ engine, collection, nowMs: NOW_MS, index }, args);
    if (write) engine.appliedIndex = index;
    return reply;
  };
  return { engine, collection, run };
}

const bulks = (...values: string[]): Reply => ({ type: "array", items: values.map((value) => ({ type: "bulk", value })) });
const int = (value: number): Reply => ({ type: "integer", value });
const err = (text: string): Reply => ({ type: "error", text });

test("LPUSH puts its arguments at the head in reverse and RPUSH appends them", () => {
  const { run } = harness();
  assert.deepEqual(run("LPUSH", "l", "a", "b", "c"), int(3));
  assert.deepEqual(run("RPUSH", "l", "x", "y"), int(5));
  assert.deepEqual(run("LPUSH", "l", "z"), int(6));
  assert.deepEqual(run("LRANGE", "l", "0", "-1"), bulks("z", "c", "b", "a", "x", "y"));
});

test("pushes stamp the list with the entry's index and keep its expiry", () => {
  const { run, collection } = harness();
  run("RPUSH", "l", "a");
  collection.get("l")!.expiresAtMs = NOW_MS + 1000;
  run("LPUSH", "l", "b");
  const item = collection.get("l")!;
  assert.equal(item.version, 2);
  assert.equal(item.expiresAtMs, NOW_MS + 1000);
});

test("LPUSHX and RPUSHX only push onto an existing list", () => {
  const { run } = harness();
  assert.deepEqual(run("LPUSHX", "l", "a"), int(0));
  assert.deepEqual(run("RPUSHX", "l", "a"), int(0));
  assert.deepEqual(run("LLEN", "l"), int(0));
  run("RPUSH", "l", "m");
  assert.deepEqual(run("LPUSHX", "l", "a", "b"), int(3));
  assert.deepEqual(run("RPUSHX", "l", "z"), int(4));
  assert.deepEqual(run("LRANGE", "l", "0", "-1"), bulks("b", "a", "m", "z"));
});

test("list commands on a key of another kind answer WRONGTYPE", () => {
  const { run, collection } = harness();
  collection.put("s", new Item({ kind: "string", value: "v" }, 1, NO_EXPIRY));
  for (const [name, ...args] of [
    ["LPUSH", "s", "a"],
    ["RPUSHX", "s", "a"],
    ["LPOP", "s"],
    ["RPOP", "s", "2"],
    ["LRANGE", "s", "0", "1"],
    ["LLEN", "s"],
    ["LINDEX", "s", "0"],
    ["LSET", "s", "0", "a"],
    ["LREM", "s", "0", "a"],
    ["LTRIM", "s", "0", "1"],
    ["LINSERT", "s", "BEFORE", "a", "b"],
    ["LPOS", "s", "a"],
  ]) {
    assert.deepEqual(run(name!, ...args), WRONGTYPE, name);
  }
});

test("an expired list is absent, and a push replaces it with a fresh list", () => {
  const { run, collection } = harness();
  run("RPUSH", "l", "old1", "old2");
  collection.get("l")!.expiresAtMs = NOW_MS;
  assert.deepEqual(run("LLEN", "l"), int(0));
  assert.deepEqual(run("LPOP", "l"), NIL);
  assert.deepEqual(run("RPUSHX", "l", "x"), int(0));
  assert.deepEqual(run("RPUSH", "l", "new"), int(1));
  assert.equal(collection.get("l")!.expiresAtMs, NO_EXPIRY);
  assert.deepEqual(run("LRANGE", "l", "0", "-1"), bulks("new"));
});

test("LPOP and RPOP take one element, or count elements as an array", () => {
  const { run } = harness();
  run("RPUSH", "l", "a", "b", "c", "d", "e");
  assert.deepEqual(run("LPOP", "l"), { type: "bulk", value: "a" });
  assert.deepEqual(run("RPOP", "l"), { type: "bulk", value: "e" });
  assert.deepEqual(run("LPOP", "l", "2"), bulks("b", "c"));
  assert.deepEqual(run("RPOP", "l", "0"), bulks());
  assert.deepEqual(run("RPOP", "l", "10"), bulks("d"));
  assert.deepEqual(run("LPOP", "l"), NIL);
  assert.deepEqual(run("LPOP", "l", "3"), NIL_ARRAY); // Redis: *-1 in RESP2
});

test("popping the last element deletes the key", () => {
  const { run, collection } = harness();
  run("RPUSH", "l", "a", "b");
  run("RPOP", "l", "2");
  assert.equal(collection.get("l"), undefined);
});

test("LPOP and RPOP reject a bad count and extra arguments", () => {
  const { run } = harness();
  run("RPUSH", "l", "a");
  assert.deepEqual(run("LPOP", "l", "-1"), err("ERR value is out of range, must be positive"));
  // Redis reads the count with getPositiveLongFromObjectOrReply: one message for every bad count.
  assert.deepEqual(run("LPOP", "l", "x"), err("ERR value is out of range, must be positive"));
  assert.deepEqual(run("RPOP", "l", "01"), err("ERR value is out of range, must be positive"));
  assert.deepEqual(run("RPOP", "l", "1", "2"), err("ERR wrong number of arguments for 'rpop' command"));
  assert.deepEqual(run("LLEN", "l"), int(1));
});

test("LRANGE follows Redis index rules", () => {
  const { run } = harness();
  run("RPUSH", "l", "a", "b", "c", "d");
  assert.deepEqual(run("LRANGE", "l", "1", "2"), bulks("b", "c"));
  assert.deepEqual(run("LRANGE", "l", "-2", "-1"), bulks("c", "d"));
  assert.deepEqual(run("LRANGE", "l", "-100", "100"), bulks("a", "b", "c", "d"));
  assert.deepEqual(run("LRANGE", "l", "3", "1"), bulks());
  assert.deepEqual(run("LRANGE", "l", "4", "10"), bulks());
  assert.deepEqual(run("LRANGE", "missing", "0", "-1"), bulks());
  assert.deepEqual(run("LRANGE", "l", "0", "1.5"), err("ERR value is not an integer or out of range"));
  assert.deepEqual(run("LRANGE", "l", "0", "99999999999999999999"), err("ERR value is not an integer or out of range"));
});

test("LINDEX reads from either end and answers nil outside the list", () => {
  const { run } = harness();
  run("RPUSH", "l", "a", "b", "c");
  assert.deepEqual(run("LINDEX", "l", "0"), { type: "bulk", value: "a" });
  assert.deepEqual(run("LINDEX", "l", "-1"), { type: "bulk", value: "c" });
  assert.deepEqual(run("LINDEX", "l", "3"), NIL);
  assert.deepEqual(run("LINDEX", "l", "-4"), NIL);
  assert.deepEqual(run("LINDEX", "missing", "0"), NIL);
  assert.deepEqual(run("LINDEX", "l", "one"), err("ERR value is not an integer or out of range"));
});

test("LSET replaces an element and refuses missing keys and bad indexes", () => {
  const { run } = harness();
  run("RPUSH", "l", "a", "b", "c");
  assert.deepEqual(run("LSET", "l", "-1", "z"), OK);
  assert.deepEqual(run("LSET", "l", "0", "y"), OK);
  assert.deepEqual(run("LRANGE", "l", "0", "-1"), bulks("y", "b", "z"));
  assert.deepEqual(run("LSET", "l", "3", "q"), err("ERR index out of range"));
  assert.deepEqual(run("LSET", "l", "-4", "q"), err("ERR index out of range"));
  assert.deepEqual(run("LSET", "missing", "0", "q"), err("ERR no such key"));
  assert.deepEqual(run("LSET", "l", "x", "q"), err("ERR value is not an integer or out of range"));
});

test("LREM removes from the head, the tail, or everywhere", () => {
  const { run, collection } = harness();
  run("RPUSH", "l", "x", "a", "x", "b", "x", "c", "x");
  assert.deepEqual(run("LREM", "l", "2", "x"), int(2));
  assert.deepEqual(run("LRANGE", "l", "0", "-1"), bulks("a", "b", "x", "c", "x"));
  assert.deepEqual(run("LREM", "l", "-1", "x"), int(1));
  assert.deepEqual(run("LRANGE", "l", "0", "-1"), bulks("a", "b", "x", "c"));
  assert.deepEqual(run("LREM", "l", "0", "x"), int(1));
  assert.deepEqual(run("LREM", "l", "0", "nothing"), int(0));
  assert.deepEqual(run("LREM", "missing", "0", "x"), int(0));
  assert.deepEqual(run("LREM", "l", "z", "x"), err("ERR value is not an integer or out of range"));
  run("LREM", "l", "0", "a");
  run("LREM", "l", "0", "b");
  assert.deepEqual(run("LREM", "l", "0", "c"), int(1));
  assert.equal(collection.get("l"), undefined);
});

test("LTRIM keeps a range and deletes the key when nothing is left", () => {
  const { run, collection } = harness();
  run("RPUSH", "l", "a", "b", "c", "d", "e");
  assert.deepEqual(run("LTRIM", "l", "1", "-2"), OK);
  assert.deepEqual(run("LRANGE", "l", "0", "-1"), bulks("b", "c", "d"));
  assert.deepEqual(run("LTRIM", "l", "-100", "100"), OK);
  assert.deepEqual(run("LLEN", "l"), int(3));
  assert.deepEqual(run("LTRIM", "missing", "0", "1"), OK);
  assert.deepEqual(run("LTRIM", "l", "a", "1"), err("ERR value is not an integer or out of range"));
  assert.deepEqual(run("LTRIM", "l", "2", "1"), OK);
  assert.equal(collection.get("l"), undefined);
});

test("LINSERT inserts around the first pivot and reports missing pivots and keys", () => {
  const { run } = harness();
  run("RPUSH", "l", "a", "p", "b", "p");
  assert.deepEqual(run("LINSERT", "l", "before", "p", "x"), int(5));
  assert.deepEqual(run("LINSERT", "l", "AFTER", "p", "y"), int(6));
  assert.deepEqual(run("LRANGE", "l", "0", "-1"), bulks("a", "x", "p", "y", "b", "p"));
  assert.deepEqual(run("LINSERT", "l", "BEFORE", "nope", "z"), int(-1));
  assert.deepEqual(run("LINSERT", "missing", "BEFORE", "p", "z"), int(0));
  assert.deepEqual(run("LINSERT", "l", "BESIDE", "p", "z"), err("ERR syntax error"));
});

test("LPOS finds positions with RANK, COUNT and MAXLEN", () => {
  const { run } = harness();
  run("RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c");
  assert.deepEqual(run("LPOS", "l", "c"), int(2));
  assert.deepEqual(run("LPOS", "l", "c", "RANK", "2"), int(6));
  assert.deepEqual(run("LPOS", "l", "c", "RANK", "-1"), int(7));
  assert.deepEqual(run("LPOS", "l", "c", "COUNT", "2"), { type: "array", items: [int(2), int(6)] });
  assert.deepEqual(run("LPOS", "l", "c", "COUNT", "0"), { type: "array", items: [int(2), int(6), int(7)] });
  assert.deepEqual(run("LPOS", "l", "c", "RANK", "-1", "COUNT", "2"), { type: "array", items: [int(7), int(6)] });
  assert.deepEqual(run("LPOS", "l", "c", "COUNT", "0", "MAXLEN", "3"), { type: "array", items: [int(2)] });
  assert.deepEqual(run("LPOS", "l", "zz"), NIL);
  assert.deepEqual(run("LPOS", "missing", "c"), NIL);
  assert.deepEqual(run("LPOS", "missing", "c", "COUNT", "1"), { type: "array", items: [] });
});

test("LPOS rejects bad options with Redis' messages", () => {
  const { run } = harness();
  run("RPUSH", "l", "a");
  assert.match((run("LPOS", "l", "a", "RANK", "0") as { text: string }).text, /^ERR RANK can't be zero: use 1 to start/);
  assert.deepEqual(run("LPOS", "l", "a", "COUNT", "-1"), err("ERR COUNT can't be negative"));
  assert.deepEqual(run("LPOS", "l", "a", "MAXLEN", "-1"), err("ERR MAXLEN can't be negative"));
  assert.deepEqual(run("LPOS", "l", "a", "RANK"), err("ERR syntax error"));
  assert.deepEqual(run("LPOS", "l", "a", "FIRST", "1"), err("ERR syntax error"));
  assert.deepEqual(run("LPOS", "l", "a", "RANK", "x"), err("ERR value is not an integer or out of range"));
});

test("a list changed while a checkpoint view is open leaves the view's items untouched", () => {
  const { run, engine } = harness();
  run("RPUSH", "l", "a", "b", "c");
  run("RPUSH", "m", "1", "2");
  const view = engine.openView();
  run("LPUSH", "l", "head");
  run("RPUSH", "l", "tail");
  run("LSET", "l", "1", "A");
  run("RPOP", "m", "2");
  const seen = new Map(view.collections[0]!.next(100).map(([key, item]) => [key, item]));
  view.close();
  assert.deepEqual((seen.get("l")!.value as ListDeque).toArray(), ["a", "b", "c"]);
  assert.equal(seen.get("l")!.version, 1);
  assert.deepEqual((seen.get("m")!.value as ListDeque).toArray(), ["1", "2"]);
  assert.deepEqual(run("LRANGE", "l", "0", "-1"), bulks("head", "A", "b", "c", "tail"));
  assert.deepEqual(run("LLEN", "m"), int(0));
});

test("a list in an ordered collection changed under an open view stays whole in the view", () => {
  const engine = new Engine();
  engine.createCollection("sorted", "ordered");
  const collection = engine.requireCollection("sorted");
  const spec = (name: string) => listCommands.find((candidate) => candidate.name === name)!;
  spec("RPUSH").run({ engine, collection, nowMs: NOW_MS, index: 1 }, ["l", "a", "b"]);
  engine.appliedIndex = 1;
  const view = engine.openView();
  spec("LPUSH").run({ engine, collection, nowMs: NOW_MS, index: 2 }, ["l", "z"]);
  spec("LREM").run({ engine, collection, nowMs: NOW_MS, index: 3 }, ["l", "0", "a"]);
  const viewed = view.collections.find((candidate) => candidate.name === "sorted")!.next(10);
  view.close();
  assert.deepEqual(viewed.map(([key, item]) => [key, (item.value as ListDeque).toArray()]), [["l", ["a", "b"]]]);
  assert.deepEqual((collection.get("l")!.value as ListDeque).toArray(), ["z", "b"]);
});

test("every list command has the arity and flags Redis gives it", () => {
  const expected: Record<string, [number, string]> = {
    LPUSH: [-3, "write"],
    RPUSH: [-3, "write"],
    LPUSHX: [-3, "write"],
    RPUSHX: [-3, "write"],
    LPOP: [-2, "write"],
    RPOP: [-2, "write"],
    LRANGE: [4, "readonly"],
    LLEN: [2, "readonly"],
    LINDEX: [3, "readonly"],
    LSET: [4, "write"],
    LREM: [4, "write"],
    LTRIM: [4, "write"],
    LINSERT: [5, "write"],
    LPOS: [-3, "readonly"],
  };
  assert.deepEqual(listCommands.map((spec) => spec.name).sort(), Object.keys(expected).sort());
  for (const spec of listCommands) {
    const [arity, flag] = expected[spec.name]!;
    assert.equal(spec.arity, arity, spec.name);
    assert.ok(spec.flags.includes(flag as "write" | "readonly"), spec.name);
    assert.deepEqual([spec.firstKey, spec.lastKey, spec.keyStep], [1, 1, 1], spec.name);
  }
});
