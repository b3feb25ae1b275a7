import { test } from "node:test";
import assert from "node:assert/strict";
import { Engine } from "../engine/engine.js";
import { Item, NO_EXPIRY } from "../engine/values.js";
import { hyperLogLogCommands } from "./hyperloglog.js";
import { read as readLine, run as applyRun } from "./testing.js";
import { OK, WRONGTYPE, type Reply } from "../engine/reply.js";
import { ListDeque } from "../engine/list_deque.js";

const NOW_MS = 1_700_000_000_000;
const NOT_A_SKETCH: Reply = { type: "error", text: "WRONGTYPE Key is not a valid HyperLogLog string value." };

/** An engine and a `run` that applies PF* commands as the log would: one index per write. */
function harness() {
  const engine = new Engine();
  const collection = engine.requireCollection("default");
  const run = (name: string, ...args: string[]): Reply => {
    const spec = hyperLogLogCommands.find((candidate) => candidate.name === name);
    assert.ok(spec, `no spec for ${name}`);
    const write = spec.flags.includes("write");
    const index = write ? engine.appliedIndex + 1 : engine.appliedIndex;
    const reply = spec.run({ engine, collection, nowMs: NOW_MS, index }, args);
    if (write) engine.appliedIndex = index;
    return reply;
  };
  return { engine, collection, run };
}

const int = (value: number): Reply => ({ type: "integer", value });

function elements(count: number, prefix: string, from = 0): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${from + i}`);
}

test("PFADD answers 1 when the sketch changes and 0 when it does not", () => {
  const { run, collection } = harness();
  assert.deepEqual(run("PFADD", "h", "a", "b", "c"), int(1));
  assert.deepEqual(run("PFADD", "h", "a", "b"), int(0));
  assert.equal(collection.get("h")!.version, 1);
  assert.deepEqual(run("PFADD", "h", "d"), int(1));
  assert.equal(collection.get("h")!.version, 3);
  assert.equal(collection.get("h")!.kind, "string");
  assert.ok((collection.get("h")!.value as string).startsWith("HYLL\x01"), "a small HLL is Redis' sparse string");
});

test("PFADD without elements creates an empty sketch once", () => {
  const { run } = harness();
  assert.deepEqual(run("PFADD", "h"), int(1));
  assert.deepEqual(run("PFADD", "h"), int(0));
  assert.deepEqual(run("PFCOUNT", "h"), int(0));
});

test("PFCOUNT counts one key, and the union of several without changing them", () => {
  const { run, collection } = harness();
  assert.deepEqual(run("PFCOUNT", "missing"), int(0));
  run("PFADD", "a", ...elements(100, "x"));
  run("PFADD", "b", ...elements(100, "x", 50));
  const single = run("PFCOUNT", "a") as { type: "integer"; value: number };
  assert.ok(Math.abs(single.value - 100) <= 2, `count ${single.value}`);
  const before = collection.get("a")!.value;
  const union = run("PFCOUNT", "a", "b", "missing") as { type: "integer"; value: number };
  assert.ok(Math.abs(union.value - 150) <= 2, `union ${union.value}`);
  assert.equal(collection.get("a")!.value, before);
  assert.equal(collection.get("missing"), undefined);
});

test("PFMERGE makes the destination the union of itself and the sources", () => {
  const { run, collection } = harness();
  run("PFADD", "a", ...elements(1000, "m"));
  run("PFADD", "b", ...elements(1000, "m", 500));
  run("PFADD", "dest", ...elements(200, "m", 2000));
  assert.deepEqual(run("PFMERGE", "dest", "a", "b"), OK);
  run("PFADD", "all", ...elements(1500, "m"), ...elements(200, "m", 2000));
  assert.deepEqual(collection.get("dest")!.value, collection.get("all")!.value);
  assert.equal(collection.get("dest")!.version, 4);
});

test("PFMERGE creates a missing destination and keeps an existing one's expiry", () => {
  const { run, collection } = harness();
  run("PFADD", "a", "x", "y");
  assert.deepEqual(run("PFMERGE", "new", "a"), OK);
  assert.deepEqual(run("PFCOUNT", "new"), int(2));
  assert.deepEqual(run("PFMERGE", "empty"), OK);
  assert.deepEqual(run("PFCOUNT", "empty"), int(0));
  collection.get("new")!.expiresAtMs = NOW_MS + 5000;
  run("PFADD", "b", "z");
  run("PFMERGE", "new", "b");
  assert.equal(collection.get("new")!.expiresAtMs, NOW_MS + 5000);
  assert.deepEqual(run("PFCOUNT", "new"), int(3));
});

test("an expired sketch counts as absent", () => {
  const { run, collection } = harness();
  run("PFADD", "h", "a", "b");
  collection.get("h")!.expiresAtMs = NOW_MS;
  assert.deepEqual(run("PFCOUNT", "h"), int(0));
  assert.deepEqual(run("PFADD", "h", "c"), int(1));
  assert.equal(collection.get("h")!.expiresAtMs, NO_EXPIRY);
  assert.deepEqual(run("PFCOUNT", "h"), int(1));
});

test("PF commands on a string answer Redis' HyperLogLog WRONGTYPE, on a list the usual one", () => {
  const { run, collection } = harness();
  collection.put("s", new Item({ kind: "string", value: "hello" }, 1, NO_EXPIRY));
  collection.put("n", new Item({ kind: "integer", value: 5n }, 1, NO_EXPIRY));
  collection.put("l", new Item({ kind: "list", value: ListDeque.from(["a"]) }, 1, NO_EXPIRY));
  run("PFADD", "h", "a");
  assert.deepEqual(run("PFCOUNT", "s"), NOT_A_SKETCH);
  assert.deepEqual(run("PFCOUNT", "h", "n"), NOT_A_SKETCH);
  assert.deepEqual(run("PFADD", "s", "a"), NOT_A_SKETCH);
  assert.deepEqual(run("PFMERGE", "h", "s"), NOT_A_SKETCH);
  assert.deepEqual(run("PFMERGE", "s", "h"), NOT_A_SKETCH);
  assert.deepEqual(run("PFCOUNT", "l"), WRONGTYPE);
  assert.deepEqual(run("PFADD", "l", "a"), WRONGTYPE);
  assert.equal(collection.get("s")!.value, "hello");
});

test("a sketch changed while a checkpoint view is open leaves the view's bytes untouched", () => {
  const { run, engine, collection } = harness();
  run("PFADD", "h", "a");
  run("PFADD", "src", ...elements(500, "v"));
  const before = collection.get("h")!.value;
  const view = engine.openView();
  run("PFADD", "h", ...elements(100, "w"));
  run("PFMERGE", "h", "src");
  const viewed = view.collections[0]!.next(100).find(([key]) => key === "h")!;
  view.close();
  assert.deepEqual(viewed[1].value, before);
  assert.equal(viewed[1].version, 1);
  assert.ok(((run("PFCOUNT", "h") as { value: number }).value) > 500);
});

test("PFADD, PFCOUNT and PFMERGE have Redis' arity and flags", () => {
  const byName = new Map(hyperLogLogCommands.map((spec) => [spec.name, spec]));
  assert.deepEqual([...byName.keys()].sort(), ["PFADD", "PFCOUNT", "PFMERGE"]);
  assert.equal(byName.get("PFADD")!.arity, -2);
  assert.ok(byName.get("PFADD")!.flags.includes("write"));
  assert.equal(byName.get("PFCOUNT")!.arity, -2);
  assert.ok(byName.get("PFCOUNT")!.flags.includes("readonly"));
  assert.equal(byName.get("PFMERGE")!.arity, -2);
  assert.ok(byName.get("PFMERGE")!.flags.includes("write"));
});

test("PFCOUNT of one HLL with a stale cache asks to be logged and caches when logged; with a fresh cache it stays a read", () => {
  const engine = new Engine();
  const collection = engine.requireCollection("default");
  const pfcount = hyperLogLogCommands.find((spec) => spec.name === "PFCOUNT")!;
  const logs = (...argv: string[]): boolean =>
    pfcount.loggedWhen!({ engine, collection, nowMs: NOW_MS, index: engine.appliedIndex }, argv.slice(1));
  assert.equal(logs("PFCOUNT", "h"), false, "absent");
  applyRun(engine, "PFADD h a b");
  assert.equal(logs("PFCOUNT", "h"), true, "stale cache");
  assert.equal(logs("PFCOUNT", "h", "h"), false, "several keys never cache");
  assert.deepEqual(readLine(engine, "PFCOUNT h"), int(2));
  assert.equal(logs("PFCOUNT", "h"), true, "the read path stored nothing");
  assert.deepEqual(applyRun(engine, "PFCOUNT h"), int(2));
  assert.equal(logs("PFCOUNT", "h"), false, "fresh cache");
  assert.equal((collection.get("h")!.value as string).slice(8, 16), "\x02\x00\x00\x00\x00\x00\x00\x00");
});
