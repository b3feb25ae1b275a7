import { test } from "node:test";
import assert from "node:assert/strict";
import { Engine } from "../engine/engine.js";
import { array, bulk, integer, NIL, set, WRONGTYPE, type Reply } from "../engine/reply.js";
import { setCommands } from "./sets.js";
import { NOW_MS, read, run } from "./testing.js";

const members = (...values: string[]): Reply => set(values.map(bulk));
const err = (text: string): Reply => ({ type: "error", text });

/** The members of a set or array reply, sorted (for replies in no defined order). */
function sorted(reply: Reply): string[] {
  assert.ok(reply.type === "set" || reply.type === "array", JSON.stringify(reply));
  return reply.items.map((item) => (item as { value: string }).value).sort();
}

test("SADD and SREM count what changed; a set never exists empty", () => {
  const engine = new Engine();
  assert.deepEqual(run(engine, "SADD s a b a"), integer(2));
  assert.deepEqual(run(engine, "SADD s b c"), integer(1));
  assert.deepEqual(run(engine, "SADD s a"), integer(0));
  assert.deepEqual(read(engine, "SCARD s"), integer(3));
  assert.deepEqual(run(engine, "SREM s a zz a"), integer(1));
  assert.deepEqual(run(engine, "SREM s b c"), integer(2));
  assert.equal(engine.requireCollection("default").get("s"), undefined);
  assert.deepEqual(run(engine, "SREM s a"), integer(0));
  assert.deepEqual(read(engine, "SMEMBERS s"), members());
});

test("small all-integer sets answer in ascending numeric order, as Redis' intsets do; others in insertion order", () => {
  const engine = new Engine();
  run(engine, "SADD i 10 -3 2 9223372036854775807 -9223372036854775808 0");
  assert.deepEqual(read(engine, "SMEMBERS i"), members("-9223372036854775808", "-3", "0", "2", "10", "9223372036854775807"));
  run(engine, "SADD w 3 01 1");
  assert.deepEqual(read(engine, "SMEMBERS w"), members("3", "01", "1"));
  const many = Array.from({ length: 513 }, (_, index) => String(513 - index)).join(" ");
  run(engine, `SADD big ${many}`);
  const reply = read(engine, "SMEMBERS big") as { items: Array<{ value: string }> };
  assert.equal(reply.items[0]!.value, "513", "past 512 members: insertion order");
  run(engine, "SREM big 1");
  assert.equal((read(engine, "SMEMBERS big") as { items: Array<{ value: string }> }).items[0]!.value, "2", "512 integers: sorted again");
});

test("SISMEMBER, SMISMEMBER and SCARD; a missing key is an empty set", () => {
  const engine = new Engine();
  run(engine, "SADD s a b");
  assert.deepEqual(read(engine, "SISMEMBER s a"), integer(1));
  assert.deepEqual(read(engine, "SISMEMBER s z"), integer(0));
  assert.deepEqual(read(engine, "SISMEMBER nokey a"), integer(0));
  assert.deepEqual(read(engine, "SMISMEMBER s a z b"), array([integer(1), integer(0), integer(1)]));
  assert.deepEqual(read(engine, "SMISMEMBER nokey a"), array([integer(0)]));
  assert.deepEqual(read(engine, "SCARD nokey"), integer(0));
});

test("SPOP removes members chosen from the entry's index: every replica pops the same ones", () => {
  const replicas = [new Engine(), new Engine()];
  const letters = Array.from({ length: 40 }, (_, index) => `m${index}`).join(" ");
  const popped = replicas.map((engine) => {
    run(engine, `SADD s ${letters}`);
    return [run(engine, "SPOP s"), run(engine, "SPOP s 5"), run(engine, "SPOP s 3")];
  });
  assert.deepEqual(popped[0], popped[1]);
  assert.deepEqual(read(replicas[0]!, "SMEMBERS s"), read(replicas[1]!, "SMEMBERS s"));
  assert.deepEqual(read(replicas[0]!, "SCARD s"), integer(31));
  const all = new Set([(popped[0]![0] as { value: string }).value, ...sorted(popped[0]![1]!), ...sorted(popped[0]![2]!)]);
  assert.equal(all.size, 9, "nine distinct members popped");
  for (const member of all) assert.deepEqual(read(replicas[0]!, `SISMEMBER s ${member}`), integer(0));
});

test("SPOP with a count at least the size answers the whole set and deletes the key", () => {
  const engine = new Engine();
  run(engine, "SADD s 3 1 2");
  assert.deepEqual(run(engine, "SPOP s 3"), members("1", "2", "3"));
  assert.deepEqual(read(engine, "EXISTS s"), integer(0));
  assert.deepEqual(run(engine, "SPOP s"), NIL);
  assert.deepEqual(run(engine, "SPOP s 2"), members());
  run(engine, "SADD s x");
  assert.deepEqual(run(engine, "SPOP s 0"), members());
  assert.deepEqual(run(engine, "SPOP s -1"), err("ERR value is out of range, must be positive"));
  assert.deepEqual(run(engine, "SPOP s x"), err("ERR value is out of range, must be positive"));
  assert.deepEqual(run(engine, "SPOP s 1 2"), err("ERR syntax error"));
});

test("SRANDMEMBER: distinct members for a positive count, repeats for a negative one", () => {
  const engine = new Engine();
  run(engine, "SADD s 5 4 3 2 1");
  assert.deepEqual(read(engine, "SRANDMEMBER s 10"), array(["1", "2", "3", "4", "5"].map(bulk)));
  const three = sorted(read(engine, "SRANDMEMBER s 3"));
  assert.equal(new Set(three).size, 3);
  const repeated = sorted(read(engine, "SRANDMEMBER s -30"));
  assert.equal(repeated.length, 30);
  for (const member of repeated) assert.ok(["1", "2", "3", "4", "5"].includes(member));
  assert.deepEqual(read(engine, "SRANDMEMBER nokey"), NIL);
  assert.deepEqual(read(engine, "SRANDMEMBER nokey 3"), array([]));
  assert.deepEqual(read(engine, "SRANDMEMBER s -9223372036854775808"), err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"));
});

test("SMOVE moves a member, creating the destination and deleting an emptied source", () => {
  const engine = new Engine();
  run(engine, "SADD a x y");
  run(engine, "SET str v");
  assert.deepEqual(run(engine, "SMOVE nokey str x"), integer(0), "a missing source answers 0 before any type check");
  assert.deepEqual(run(engine, "SMOVE a str x"), WRONGTYPE);
  assert.deepEqual(run(engine, "SMOVE a a x"), integer(1));
  assert.deepEqual(run(engine, "SMOVE a b x"), integer(1));
  assert.deepEqual(run(engine, "SMOVE a b x"), integer(0));
  assert.deepEqual(run(engine, "SMOVE a b y"), integer(1));
  assert.deepEqual(read(engine, "EXISTS a"), integer(0));
  assert.deepEqual(sorted(read(engine, "SMEMBERS b")), ["x", "y"]);
});

test("SINTER, SUNION, SDIFF and their STORE forms; a missing key is an empty set", () => {
  const engine = new Engine();
  run(engine, "SADD a 1 2 3 4");
  run(engine, "SADD b 3 4 5");
  run(engine, "SADD c x 3");
  assert.deepEqual(read(engine, "SINTER a b"), members("3", "4"));
  assert.deepEqual(read(engine, "SINTER a b c"), members("3"));
  assert.deepEqual(read(engine, "SINTER a nokey"), members());
  assert.deepEqual(read(engine, "SUNION a b"), members("1", "2", "3", "4", "5"));
  assert.deepEqual(read(engine, "SDIFF a b"), members("1", "2"));
  assert.deepEqual(read(engine, "SDIFF nokey a"), members());
  assert.deepEqual(read(engine, "SINTERCARD 2 a b"), integer(2));
  assert.deepEqual(read(engine, "SINTERCARD 2 a b LIMIT 1"), integer(1));
  assert.deepEqual(read(engine, "SINTERCARD 0 a"), err("ERR numkeys should be greater than 0"));
  assert.deepEqual(read(engine, "SINTERCARD 3 a b"), err("ERR Number of keys can't be greater than number of args"));
  assert.deepEqual(read(engine, "SINTERCARD 1 a LIMIT -1"), err("ERR LIMIT can't be negative"));
  // STORE replaces any kind at the destination with a set without expiry.
  run(engine, "SET d v");
  run(engine, `PEXPIREAT d ${NOW_MS + 60_000}`);
  assert.deepEqual(run(engine, "SUNIONSTORE d a b"), integer(5));
  assert.equal(engine.requireCollection("default").get("d")!.expiresAtMs, 0);
  assert.deepEqual(run(engine, "SINTERSTORE d a b"), integer(2));
  assert.deepEqual(read(engine, "SMEMBERS d"), members("3", "4"));
  assert.deepEqual(run(engine, "SDIFFSTORE d a a"), integer(0));
  assert.deepEqual(read(engine, "EXISTS d"), integer(0));
  run(engine, "HSET h f v");
  assert.deepEqual(read(engine, "SINTER nokey h"), WRONGTYPE, "every key's type is checked, even after a missing one");
  assert.deepEqual(read(engine, "SUNION a h"), WRONGTYPE);
});

test("SSCAN answers an intset-like set whole and walks any other with a cursor", () => {
  const engine = new Engine();
  run(engine, "SADD i 3 1 2");
  assert.deepEqual(read(engine, "SSCAN i 0 COUNT 1"), array([bulk("0"), array(["1", "2", "3"].map(bulk))]));
  const words = Array.from({ length: 100 }, (_, index) => `w${index}`);
  run(engine, `SADD s ${words.join(" ")}`);
  const seen: string[] = [];
  let cursor = "0";
  let calls = 0;
  do {
    const reply = read(engine, `SSCAN s ${cursor} COUNT 7 MATCH w*`) as unknown as { items: [Reply, { items: Reply[] }] };
    cursor = (reply.items[0] as { value: string }).value;
    for (const item of reply.items[1].items) seen.push((item as { value: string }).value);
    calls += 1;
    if (calls === 2) run(engine, "SADD s extra");
  } while (cursor !== "0" && calls < 100);
  assert.equal(calls, 15);
  assert.deepEqual(seen.filter((member) => member !== "extra").sort(), words.slice().sort());
  assert.deepEqual(read(engine, "SSCAN s 0 TYPE set"), err("ERR syntax error"));
});

test("a set changed while a checkpoint view is open leaves the view's Set untouched", () => {
  const engine = new Engine();
  run(engine, "SADD s a b");
  const view = engine.openView();
  run(engine, "SADD s c");
  run(engine, "SREM s a");
  run(engine, "SPOP s");
  const seen = new Map(view.collections[0]!.next(100).map(([key, item]) => [key, item]));
  view.close();
  assert.deepEqual([...(seen.get("s")!.value as Set<string>)], ["a", "b"]);
  assert.deepEqual(read(engine, "SCARD s"), integer(1));
});

test("set commands on a key of another kind answer WRONGTYPE", () => {
  const engine = new Engine();
  run(engine, "SET str v");
  run(engine, "SADD s a");
  for (const line of ["SADD str a", "SREM str a", "SPOP str", "SPOP str 2", "SINTERSTORE d str"]) assert.deepEqual(run(engine, line), WRONGTYPE, line);
  for (const line of ["SMEMBERS str", "SISMEMBER str a", "SCARD str", "SRANDMEMBER str", "SSCAN str 0", "SINTERCARD 1 str"]) {
    assert.deepEqual(read(engine, line), WRONGTYPE, line);
  }
  assert.deepEqual(read(engine, "GET s"), WRONGTYPE);
  assert.deepEqual(read(engine, "TYPE s"), { type: "status", text: "set" });
});

test("every set command has the arity, flags and key positions Redis 7.0 gives it", () => {
  const expected: Record<string, [number, string, number, number]> = {
    SADD: [-3, "write", 1, 1], SREM: [-3, "write", 1, 1], SMEMBERS: [2, "readonly", 1, 1], SISMEMBER: [3, "readonly", 1, 1],
    SMISMEMBER: [-3, "readonly", 1, 1], SCARD: [2, "readonly", 1, 1], SPOP: [-2, "write", 1, 1], SRANDMEMBER: [-2, "readonly", 1, 1],
    SMOVE: [4, "write", 1, 2], SINTER: [-2, "readonly", 1, -1], SINTERCARD: [-3, "readonly", 0, 0], SINTERSTORE: [-3, "write", 1, -1],
    SUNION: [-2, "readonly", 1, -1], SUNIONSTORE: [-3, "write", 1, -1], SDIFF: [-2, "readonly", 1, -1], SDIFFSTORE: [-3, "write", 1, -1],
    SSCAN: [-3, "readonly", 1, 1],
  };
  assert.deepEqual(setCommands.map((spec) => spec.name).sort(), Object.keys(expected).sort());
  for (const spec of setCommands) {
    const [arity, flag, firstKey, lastKey] = expected[spec.name]!;
    assert.equal(spec.arity, arity, spec.name);
    assert.ok(spec.flags.includes(flag as "write" | "readonly"), spec.name);
    assert.deepEqual([spec.firstKey, spec.lastKey], [firstKey, lastKey], spec.name);
  }
});
