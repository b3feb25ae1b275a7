import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_COLLECTION, Engine } from "../engine/engine.js";
import { HashFields } from "../engine/hash_fields.js";
import { ListDeque } from "../engine/list_deque.js";
import { SortedSet } from "../engine/sorted_set.js";
import { seededRandom } from "../lib/seeded_random.js";
import { redisEncoding } from "./encoding.js";
import { run } from "./testing.js";

/** Whether the value at `key` is in its compact representation, and what OBJECT ENCODING answers for it. */
function representationOf(engine: Engine, key: string): { compact: boolean; encoding: string } | undefined {
  const item = engine.requireCollection(DEFAULT_COLLECTION).get(key);
  if (item === undefined) return undefined;
  assert.ok(item.value instanceof SortedSet || item.value instanceof HashFields);
  return { compact: item.value.isCompact, encoding: redisEncoding(item, null) };
}

test("sorted sets and hashes are in their compact representation exactly when OBJECT ENCODING answers listpack", () => {
  const random = seededRandom(2026);
  const engine = new Engine();
  for (let step = 0; step < 3000; step++) {
    const key = random() < 0.5 ? "z" : "h";
    const member = `m${Math.floor(random() * (key === "z" ? 160 : 560))}`;
    const long = random() < 0.002 ? "x".repeat(65) : "";
    const roll = random();
    const many = Array.from({ length: 1 + Math.floor(random() * 20) }, (_, index) => `${member}_${index}`);
    if (key === "z") {
      if (roll < 0.6) run(engine, `ZADD z ${many.map((name, index) => `${index} ${name}${long}`).join(" ")}`);
      else run(engine, `ZREM z ${many.join(" ")}`);
    } else if (roll < 0.6) run(engine, `HSET h ${many.map((name) => `${name} v${long}`).join(" ")}`);
    else run(engine, `HDEL h ${many.join(" ")}`);
    const seen = representationOf(engine, key);
    if (seen !== undefined) assert.equal(seen.compact, seen.encoding === "listpack", `${key} at step ${step}: ${seen.encoding}`);
  }
});

test("a value read back after it shrank keeps its large representation, as OBJECT ENCODING keeps skiplist", () => {
  const engine = new Engine();
  run(engine, `ZADD z ${Array.from({ length: 129 }, (_, index) => `${index} m${index}`).join(" ")}`);
  run(engine, `ZREM z ${Array.from({ length: 100 }, (_, index) => `m${index}`).join(" ")}`);
  assert.deepEqual(representationOf(engine, "z"), { compact: false, encoding: "skiplist" });
  run(engine, `HSET h f ${"v".repeat(65)}`);
  run(engine, "HSET h f short");
  assert.deepEqual(representationOf(engine, "h"), { compact: false, encoding: "hashtable" });
});

test("lists answer quicklist, as Redis 7.0 does at every size, whether packed or in their ring", () => {
  const engine = new Engine();
  run(engine, "RPUSH small a b c");
  run(engine, `RPUSH big ${Array.from({ length: 1000 }, (_, index) => `element${index}`).join(" ")}`);
  const collection = engine.requireCollection(DEFAULT_COLLECTION);
  const small = collection.get("small")!;
  const big = collection.get("big")!;
  assert.ok(small.value instanceof ListDeque && big.value instanceof ListDeque);
  assert.deepEqual([small.value.isCompact, big.value.isCompact], [true, false]);
  assert.deepEqual([redisEncoding(small, null), redisEncoding(big, null)], ["quicklist", "quicklist"]);
});
