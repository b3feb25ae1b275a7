import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_COLLECTION, Engine } from "../engine/engine.js";
import { array, bulk, integer, NIL, NIL_ARRAY, pairs, WRONGTYPE, type Reply } from "../engine/reply.js";
import { SortedSet } from "../engine/sorted_set.js";
import { Item, NO_EXPIRY } from "../engine/values.js";
import { popFirstNonEmpty } from "./sorted_set_access.js";
import { NOW_MS, read, run, runBatch } from "./testing.js";

function score(value: number): Reply {
  return { type: "double", value };
}

/** The members and scores of `key`, lowest first, as ZRANGE ... WITHSCORES reads them. */
function contents(engine: Engine, key: string): Array<[string, number]> {
  const reply = read(engine, `ZRANGE ${key} 0 -1 WITHSCORES`);
  assert.equal(reply.type, "array");
  return (reply as { items: Reply[] }).items.map((pair) => {
    const [member, value] = (pair as { items: Reply[] }).items as unknown as [{ value: string }, { value: number }];
    return [member.value, value.value];
  });
}

/** Puts a plain set at `key` (the set commands live in another family). */
function putSet(engine: Engine, key: string, members: string[]): void {
  const collection = engine.requireCollection(DEFAULT_COLLECTION);
  collection.put(key, new Item({ kind: "set", value: new Set(members) }, engine.appliedIndex, NO_EXPIRY));
}

test("ZADD adds, updates and answers counts; ZINCRBY and INCR answer the new score", () => {
  const engine = new Engine();
  assert.deepEqual(run(engine, "ZADD z 1 a 2 b"), integer(2));
  assert.deepEqual(run(engine, "ZADD z CH 5 a 2 b 3 c"), integer(2), "CH counts a's change and c's addition");
  assert.deepEqual(run(engine, "ZINCRBY z 0.5 a"), score(5.5));
  assert.deepEqual(run(engine, "ZADD z INCR GT -1 a"), NIL, "GT refuses a lower result");
  assert.deepEqual(contents(engine, "z"), [["b", 2], ["c", 3], ["a", 5.5]]);
  assert.deepEqual(read(engine, "TYPE z"), { type: "status", text: "zset" });
});

test("ZADD refuses bad scores and incompatible flags before touching the key", () => {
  const engine = new Engine();
  run(engine, "SET s v");
  assert.deepEqual(run(engine, "ZADD s nan a"), { type: "error", text: "ERR value is not a valid float" });
  assert.deepEqual(run(engine, "ZADD s NX XX 1 a"), { type: "error", text: "ERR XX and NX options at the same time are not compatible" });
  assert.deepEqual(run(engine, "ZADD s 1 a"), WRONGTYPE);
  run(engine, "ZADD z inf m");
  assert.deepEqual(run(engine, "ZINCRBY z -inf m"), { type: "error", text: "ERR resulting score is not a number (NaN)" });
  assert.deepEqual(contents(engine, "z"), [["m", Infinity]]);
});

test("a sorted set never exists empty: the write removing its last member deletes the key", () => {
  const engine = new Engine();
  run(engine, "ZADD z 1 a 2 b 3 c");
  assert.deepEqual(run(engine, "ZREMRANGEBYSCORE z (1 2"), integer(1));
  assert.deepEqual(run(engine, "ZPOPMAX z 5"), pairs([[bulk("c"), score(3)], [bulk("a"), score(1)]]));
  assert.deepEqual(read(engine, "EXISTS z"), integer(0));
  run(engine, "ZADD z 1 a");
  run(engine, "ZREM z a");
  assert.deepEqual(read(engine, "EXISTS z"), integer(0));
  run(engine, "ZADD z 1 a");
  assert.deepEqual(run(engine, "ZRANGESTORE dst z 5 10"), integer(0));
  assert.deepEqual(read(engine, "EXISTS dst"), integer(0));
});

test("sets are sorted sets of score 1 for ZUNION, ZINTER, ZDIFF and ZINTERCARD", () => {
  const engine = new Engine();
  run(engine, "ZADD za 1 a 2 b 3 c");
  putSet(engine, "sa", ["b", "x"]);
  assert.deepEqual(read(engine, "ZINTER 2 za sa"), array([bulk("b")]));
  run(engine, "ZUNIONSTORE u 2 za sa");
  assert.deepEqual(contents(engine, "u"), [["a", 1], ["x", 1], ["b", 3], ["c", 3]]);
  run(engine, "ZINTERSTORE i 2 za sa WEIGHTS 10 100");
  assert.deepEqual(contents(engine, "i"), [["b", 120]]);
  run(engine, "ZDIFFSTORE d 2 za sa");
  assert.deepEqual(contents(engine, "d"), [["a", 1], ["c", 3]]);
  assert.deepEqual(read(engine, "ZINTERCARD 2 za sa"), integer(1));
  run(engine, "LPUSH list x");
  assert.deepEqual(read(engine, "ZUNION 2 za list"), WRONGTYPE);
});

test("the pop helpers the blocking commands share take from the first key holding elements", () => {
  const engine = new Engine();
  run(engine, "ZADD b 1 x 2 y");
  run(engine, "SET s v");
  const collection = engine.requireCollection(DEFAULT_COLLECTION);
  const ctx = { engine, collection, nowMs: NOW_MS, index: engine.appliedIndex + 1 };
  assert.deepEqual(popFirstNonEmpty(ctx, ["missing", "b"], "max", 5), { key: "b", popped: [["y", 2], ["x", 1]] });
  assert.equal(collection.get("b"), undefined, "the emptied set is gone");
  assert.equal(popFirstNonEmpty(ctx, ["missing"], "min", 1), null);
  assert.deepEqual(popFirstNonEmpty(ctx, ["s", "b"], "min", 1), WRONGTYPE);
  assert.deepEqual(read(engine, "ZMPOP 1 missing MIN"), NIL_ARRAY);
});

test("a failed batch leaves a sorted set exactly as it was (the journal restores the members)", () => {
  const engine = new Engine();
  run(engine, "ZADD z 1 a 2 b");
  const reply = runBatch(engine, ["ZADD z 5 c", "ZREM z a", "INCR z"]);
  assert.equal(reply.type, "error");
  assert.deepEqual(contents(engine, "z"), [["a", 1], ["b", 2]]);
});

test("ZSCAN walks a large set COUNT at a time and returns every member present throughout, despite removals", () => {
  const engine = new Engine();
  const members: string[] = [];
  for (let i = 0; i < 500; i++) members.push(String(i), `m${i}`);
  run(engine, `ZADD big ${members.join(" ")}`);
  const seen = new Set<string>();
  let cursor = "0";
  let calls = 0;
  do {
    const reply = read(engine, `ZSCAN big ${cursor} COUNT 37`) as { items: Reply[] };
    const [next, page] = reply.items as unknown as [{ value: string }, { items: Array<{ value: string }> }];
    for (let at = 0; at < page.items.length; at += 2) seen.add(page.items[at]!.value);
    cursor = next.value;
    calls += 1;
    // Removing members already returned shifts every rank: a rank cursor would skip members.
    if (calls === 3) run(engine, "ZREMRANGEBYRANK big 0 20");
  } while (cursor !== "0" && calls < 100);
  assert.equal(cursor, "0");
  for (let i = 21; i < 500; i++) assert.ok(seen.has(`m${i}`), `m${i} was returned`);
});

test("a sorted set item copied for a checkpoint view is a deep copy", () => {
  const sorted = new SortedSet();
  sorted.add("a", 1);
  const item = new Item({ kind: "zset", value: sorted }, 1, NO_EXPIRY);
  const copy = item.clone();
  (copy.value as SortedSet).add("b", 2);
  assert.equal(sorted.size, 1);
  assert.equal((copy.value as SortedSet).size, 2);
});
