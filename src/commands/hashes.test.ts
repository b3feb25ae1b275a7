import { test } from "node:test";
import assert from "node:assert/strict";
import { Engine } from "../engine/engine.js";
import { HashFields } from "../engine/hash_fields.js";
import { array, bulk, integer, map, NIL, OK, pairs, WRONGTYPE, type Reply } from "../engine/reply.js";
import { hashCommands } from "./hashes.js";
import { addLongDoubles, formatLongDouble, parseLongDouble, type LongDouble } from "./long_double.js";
import { NOW_MS, read, run, runBatch } from "./testing.js";

const bulks = (...values: string[]): Reply => array(values.map(bulk));
const err = (text: string): Reply => ({ type: "error", text });

/** The fields HSCAN answered, and the cursor it answered them with. */
function scanned(reply: Reply): { cursor: string; found: string[] } {
  assert.equal(reply.type, "array");
  const [cursor, found] = (reply as { items: Reply[] }).items as [Reply, Reply];
  return {
    cursor: (cursor as { value: string }).value,
    found: (found as { items: Reply[] }).items.map((item) => (item as { value: string }).value),
  };
}

test("HSET adds and replaces fields, counting the added ones; a replaced field keeps its place", () => {
  const engine = new Engine();
  assert.deepEqual(run(engine, "HSET h a 1 b 2"), integer(2));
  assert.deepEqual(run(engine, "HSET h a 9 c 3"), integer(1));
  assert.deepEqual(read(engine, "HGETALL h"), map([[bulk("a"), bulk("9")], [bulk("b"), bulk("2")], [bulk("c"), bulk("3")]]));
  assert.deepEqual(run(engine, "HMSET h d 4"), OK);
  assert.deepEqual(run(engine, "HSET h a"), err("ERR wrong number of arguments for 'hset' command"));
  assert.deepEqual(run(engine, "HMSET h a 1 b"), err("ERR wrong number of arguments for 'hmset' command"));
  assert.deepEqual(read(engine, "HKEYS h"), bulks("a", "b", "c", "d"));
  assert.deepEqual(read(engine, "HVALS h"), bulks("9", "2", "3", "4"));
  assert.deepEqual(read(engine, "HLEN h"), integer(4));
});

test("HGET, HMGET, HEXISTS, HSTRLEN read fields; a missing key reads as an empty hash", () => {
  const engine = new Engine();
  run(engine, 'HSET h a hello e ""');
  assert.deepEqual(read(engine, "HGET h a"), bulk("hello"));
  assert.deepEqual(read(engine, "HGET h zz"), NIL);
  assert.deepEqual(read(engine, "HGET nokey a"), NIL);
  assert.deepEqual(read(engine, "HMGET h a zz e"), array([bulk("hello"), NIL, bulk("")]));
  assert.deepEqual(read(engine, "HMGET nokey a b"), array([NIL, NIL]));
  assert.deepEqual(read(engine, "HEXISTS h e"), integer(1));
  assert.deepEqual(read(engine, "HEXISTS nokey e"), integer(0));
  assert.deepEqual(read(engine, "HSTRLEN h a"), integer(5));
  assert.deepEqual(read(engine, "HSTRLEN h zz"), integer(0));
  assert.deepEqual(read(engine, "HGETALL nokey"), map([]));
  assert.deepEqual(read(engine, "HKEYS nokey"), array([]));
  assert.deepEqual(read(engine, "HLEN nokey"), integer(0));
});

test("HSETNX sets only an absent field", () => {
  const engine = new Engine();
  assert.deepEqual(run(engine, "HSETNX h a 1"), integer(1));
  assert.deepEqual(run(engine, "HSETNX h a 2"), integer(0));
  assert.deepEqual(read(engine, "HGET h a"), bulk("1"));
});

test("HDEL of the last field deletes the key; a hash keeps its expiry through writes", () => {
  const engine = new Engine();
  run(engine, "HSET h a 1 b 2");
  run(engine, "PEXPIREAT h " + String(NOW_MS + 60_000));
  run(engine, "HSET h c 3");
  run(engine, "HINCRBY h n 1");
  assert.deepEqual(run(engine, "HDEL h a zz a"), integer(1));
  const item = engine.requireCollection("default").get("h")!;
  assert.equal(item.expiresAtMs, NOW_MS + 60_000);
  assert.equal(item.version, engine.appliedIndex);
  assert.deepEqual(run(engine, "HDEL h b c n"), integer(3));
  assert.equal(engine.requireCollection("default").get("h"), undefined);
  assert.deepEqual(read(engine, "EXISTS h"), integer(0));
  assert.deepEqual(run(engine, "HDEL h a"), integer(0));
});

test("an expired hash does not exist", () => {
  const engine = new Engine();
  run(engine, "HSET h a 1");
  run(engine, "PEXPIREAT h " + String(NOW_MS + 1000));
  assert.deepEqual(read(engine, "HGET h a", { nowMs: NOW_MS + 1000 }), NIL);
  assert.deepEqual(run(engine, "HSET h b 2", { nowMs: NOW_MS + 1000 }), integer(1));
  assert.deepEqual(read(engine, "HGETALL h", { nowMs: NOW_MS + 1000 }), map([[bulk("b"), bulk("2")]]));
  assert.equal(engine.requireCollection("default").get("h")!.expiresAtMs, 0);
});

test("HINCRBY works on int64 exactly and refuses non-integers and overflow in Redis' words", () => {
  const engine = new Engine();
  assert.deepEqual(run(engine, "HINCRBY h n 5"), integer(5));
  assert.deepEqual(run(engine, "HINCRBY h n -7"), integer(-2));
  assert.deepEqual(run(engine, "HINCRBY h big 9223372036854775807"), integer(9223372036854775807n));
  assert.deepEqual(run(engine, "HINCRBY h big 1"), err("ERR increment or decrement would overflow"));
  assert.deepEqual(run(engine, "HINCRBY h n x"), err("ERR value is not an integer or out of range"));
  run(engine, "HSET h s 007");
  assert.deepEqual(run(engine, "HINCRBY h s 1"), err("ERR hash value is not an integer"));
  assert.deepEqual(run(engine, "HINCRBYFLOAT h s 1"), bulk("8"));
});

test("HINCRBYFLOAT adds in long doubles and writes as Redis does", () => {
  const engine = new Engine();
  assert.deepEqual(run(engine, "HINCRBYFLOAT h f 0.1"), bulk("0.1"));
  assert.deepEqual(run(engine, "HINCRBYFLOAT h f 0.2"), bulk("0.3"));
  assert.deepEqual(run(engine, "HINCRBYFLOAT h f 10.5"), bulk("10.8"));
  assert.deepEqual(run(engine, "HINCRBYFLOAT h f -10.8"), bulk("0"));
  assert.deepEqual(run(engine, "HINCRBYFLOAT h f 5.0e3"), bulk("5000"));
  assert.deepEqual(run(engine, "HINCRBYFLOAT h f inf"), err("ERR value is NaN or Infinity"));
  assert.deepEqual(run(engine, "HINCRBYFLOAT h f abc"), err("ERR value is not a valid float"));
  assert.deepEqual(run(engine, "HINCRBYFLOAT h f 1e5000"), err("ERR value is not a valid float"));
  run(engine, "HSET h s hello");
  assert.deepEqual(run(engine, "HINCRBYFLOAT h s 1"), err("ERR hash value is not a float"));
  run(engine, "HSET h i inf");
  assert.deepEqual(run(engine, "HINCRBYFLOAT h i 1"), err("ERR increment would produce NaN or Infinity"));
});

test("the long double emulation rounds like x87: 64-bit significands, ties to even, %.17Lf", () => {
  const parse = (text: string): LongDouble => {
    const parsed = parseLongDouble(text);
    assert.ok(parsed !== null && typeof parsed !== "string", text);
    return parsed;
  };
  // 0.1 is 0xCCCCCCCCCCCCCCCD × 2^-67 in long double.
  assert.deepEqual(parse("0.1"), { negative: false, significand: 0xcccccccccccccccdn, exponent: -67 });
  assert.equal(formatLongDouble(parse("0.1")), "0.1");
  assert.equal(formatLongDouble(addLongDoubles(parse("0.1"), parse("0.2"))!), "0.3");
  // 2^64 + 1 cannot be held: it rounds to even, 2^64.
  assert.equal(formatLongDouble(parse("18446744073709551617")), "18446744073709551616");
  assert.equal(formatLongDouble(parse("18446744073709551619")), "18446744073709551620");
  assert.equal(formatLongDouble(parse("-1.5")), "-1.5");
  assert.equal(formatLongDouble(parse("-1e-30")), "0");
  assert.equal(parseLongDouble("1e-5000"), null);
  assert.equal(parseLongDouble(" 1"), null);
  assert.equal(parseLongDouble("1 "), null);
  assert.equal(parseLongDouble("."), null);
  assert.equal(parseLongDouble("-INF"), "-inf");
  assert.equal(addLongDoubles(parse("1e4932"), parse("1e4932")), null);
});

test("HRANDFIELD: a count at least the size answers the whole hash in order; negative counts repeat", () => {
  const engine = new Engine();
  run(engine, "HSET h a 1 b 2 c 3");
  assert.deepEqual(read(engine, "HRANDFIELD h 5"), bulks("a", "b", "c"));
  assert.deepEqual(read(engine, "HRANDFIELD h 3 WITHVALUES"), pairs([[bulk("a"), bulk("1")], [bulk("b"), bulk("2")], [bulk("c"), bulk("3")]]));
  assert.deepEqual(read(engine, "HRANDFIELD nokey"), NIL);
  assert.deepEqual(read(engine, "HRANDFIELD nokey 3"), array([]));
  assert.deepEqual(read(engine, "HRANDFIELD h 0"), array([]));
  const one = read(engine, "HRANDFIELD h");
  assert.ok(["a", "b", "c"].includes((one as { value: string }).value));
  const two = read(engine, "HRANDFIELD h 2") as { items: Array<{ value: string }> };
  assert.equal(new Set(two.items.map((item) => item.value)).size, 2);
  const many = read(engine, "HRANDFIELD h -50 WITHVALUES") as { items: Array<{ items: Array<{ value: string }> }> };
  assert.equal(many.items.length, 50);
  for (const pair of many.items) assert.equal(pair.items[1]!.value, { a: "1", b: "2", c: "3" }[pair.items[0]!.value]);
  assert.deepEqual(read(engine, "HRANDFIELD h 1 VALUES"), err("ERR syntax error"));
  assert.deepEqual(read(engine, "HRANDFIELD h 4611686018427387904 WITHVALUES"), err("ERR value is out of range"));
  assert.match((read(engine, "HRANDFIELD h -2000000") as { text: string }).text, /^ERR Cannot answer 2000000 random picks/);
});

test("HSCAN answers a small hash whole with cursor 0, filtered by MATCH", () => {
  const engine = new Engine();
  run(engine, "HSET h a1 1 b1 2 a2 3");
  assert.deepEqual(scanned(read(engine, "HSCAN h 0 COUNT 1")), { cursor: "0", found: ["a1", "1", "b1", "2", "a2", "3"] });
  assert.deepEqual(scanned(read(engine, "HSCAN h 0 MATCH a*")), { cursor: "0", found: ["a1", "1", "a2", "3"] });
  assert.deepEqual(read(engine, "HSCAN h x"), err("ERR invalid cursor"));
  assert.deepEqual(read(engine, "HSCAN h 0 COUNT 0"), err("ERR syntax error"));
  assert.deepEqual(scanned(read(engine, "HSCAN nokey 0 COUNT 0")), { cursor: "0", found: [] });
});

test("HSCAN answers a hash of up to 512 short fields whole, as redis-server 7.0 does (its listpack limit)", () => {
  const engine = new Engine();
  run(engine, `HSET h ${Array.from({ length: 512 }, (_, index) => `f${index} v`).join(" ")}`);
  const whole = scanned(read(engine, "HSCAN h 0 COUNT 10"));
  assert.equal(whole.cursor, "0");
  assert.equal(whole.found.length, 1024);
  run(engine, "HSET h f512 v");
  assert.notEqual(scanned(read(engine, "HSCAN h 0 COUNT 10")).cursor, "0", "513 fields: a hashtable, walked with a cursor");
});

test("HSCAN walks a large hash with a cursor: every field present throughout is returned, once", () => {
  const engine = new Engine();
  const fields = Array.from({ length: 600 }, (_, index) => `f${index} v${index}`).join(" ");
  run(engine, `HSET h ${fields}`);
  const seen: string[] = [];
  let cursor = "0";
  let calls = 0;
  do {
    const step = scanned(read(engine, `HSCAN h ${cursor} COUNT 25`));
    for (let at = 0; at < step.found.length; at += 2) seen.push(step.found[at]!);
    cursor = step.cursor;
    calls += 1;
    // Writes meanwhile: delete fields not yet seen, add new ones, replace the Map under a checkpoint view.
    if (calls === 3) {
      run(engine, "HDEL h f599 f598 f0");
      run(engine, "HSET h new1 x");
      const view = engine.openView();
      run(engine, "HSET h new2 y");
      view.close();
    }
  } while (cursor !== "0" && calls < 100);
  assert.equal(cursor, "0");
  assert.ok(calls >= 24, `walked in ${calls} calls`);
  const unique = new Set(seen);
  assert.equal(unique.size, seen.length, "no field twice");
  for (let index = 0; index < 598; index++) assert.ok(unique.has(`f${index}`), `f${index}`);
});

test("hash commands on a key of another kind answer WRONGTYPE, and other families refuse a hash", () => {
  const engine = new Engine();
  run(engine, "SET s v");
  run(engine, "HSET h a 1");
  for (const line of ["HSET s a 1", "HGET s a", "HGETALL s", "HDEL s a", "HINCRBY s a 1", "HINCRBYFLOAT s a 1", "HRANDFIELD s", "HSCAN s 0"]) {
    const reply = line.startsWith("HGET") || line.startsWith("HRAND") || line.startsWith("HSCAN") ? read(engine, line) : run(engine, line);
    assert.deepEqual(reply, WRONGTYPE, line);
  }
  assert.deepEqual(read(engine, "GET h"), WRONGTYPE);
  assert.deepEqual(run(engine, "LPUSH h x"), WRONGTYPE);
  assert.deepEqual(run(engine, "PFADD h x"), WRONGTYPE);
  assert.deepEqual(read(engine, "TYPE h"), { type: "status", text: "hash" });
});

test("a hash changed while a checkpoint view is open leaves the view's Map untouched", () => {
  const engine = new Engine();
  run(engine, "HSET h a 1 b 2");
  const view = engine.openView();
  run(engine, "HSET h c 3");
  run(engine, "HDEL h a");
  run(engine, "HINCRBY h b 5");
  const seen = new Map(view.collections[0]!.next(100).map(([key, item]) => [key, item]));
  view.close();
  assert.deepEqual([...(seen.get("h")!.value as HashFields)], [["a", "1"], ["b", "2"]]);
  assert.deepEqual(read(engine, "HGETALL h"), map([[bulk("b"), bulk("7")], [bulk("c"), bulk("3")]]));
});

test("every hash command has the arity and flags Redis 7.0 gives it", () => {
  const expected: Record<string, [number, string]> = {
    HSET: [-4, "write"], HSETNX: [4, "write"], HGET: [3, "readonly"], HMGET: [-3, "readonly"], HMSET: [-4, "write"],
    HGETALL: [2, "readonly"], HDEL: [-3, "write"], HEXISTS: [3, "readonly"], HLEN: [2, "readonly"], HKEYS: [2, "readonly"],
    HVALS: [2, "readonly"], HINCRBY: [4, "write"], HINCRBYFLOAT: [4, "write"], HSTRLEN: [3, "readonly"],
    HRANDFIELD: [-2, "readonly"], HSCAN: [-3, "readonly"],
  };
  assert.deepEqual(hashCommands.map((spec) => spec.name).sort(), Object.keys(expected).sort());
  for (const spec of hashCommands) {
    const [arity, flag] = expected[spec.name]!;
    assert.equal(spec.arity, arity, spec.name);
    assert.ok(spec.flags.includes(flag as "write" | "readonly"), spec.name);
    assert.deepEqual([spec.firstKey, spec.lastKey, spec.keyStep], [1, 1, 1], spec.name);
  }
});

test("a failed batch undoes its hash and set changes, deletions and creations included", () => {
  const engine = new Engine();
  run(engine, "HSET h a 1 b 2");
  run(engine, "SADD s x y");
  run(engine, "SET str text");
  const reply = runBatch(engine, ["HSET h a 9 c 3", "HDEL h b", "HINCRBY h n 4", "SPOP s 2", "SADD t new", "SMOVE s t x", "HSET fresh f v", "INCR str"]);
  assert.match((reply as { text: string }).text, /^EXECABORT Transaction discarded: command 8 \(INCR\) failed/);
  assert.deepEqual(read(engine, "HGETALL h"), map([[bulk("a"), bulk("1")], [bulk("b"), bulk("2")]]));
  assert.deepEqual(read(engine, "SMEMBERS s"), { type: "set", items: [bulk("x"), bulk("y")] });
  assert.deepEqual(read(engine, "EXISTS t fresh"), integer(0));
});
