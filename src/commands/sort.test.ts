import { test } from "node:test";
import assert from "node:assert/strict";
import { Engine } from "../engine/engine.js";
import { HashFields } from "../engine/hash_fields.js";
import { array, bulk, error, integer, NIL, WRONGTYPE, type Reply } from "../engine/reply.js";
import { Item, type StoredValue } from "../engine/values.js";
import { parseSortScore } from "./sort.js";
import { read, run } from "./testing.js";

function engineWith(...lines: string[]): Engine {
  const engine = new Engine();
  for (const line of lines) run(engine, line);
  return engine;
}

/** Puts a value directly (hashes and sets: their commands come from another family). */
function put(engine: Engine, key: string, value: StoredValue): void {
  engine.requireCollection("default").put(key, new Item(value, engine.appliedIndex, 0));
}

function texts(reply: Reply): Array<string | null> {
  assert.equal(reply.type, "array", JSON.stringify(reply));
  return (reply as { items: Reply[] }).items.map((item) => (item.type === "bulk" ? item.value : null));
}

test("SORT orders numerically, then by bytes on equal scores; DESC, ALPHA and LIMIT as in Redis", () => {
  const engine = engineWith("RPUSH l 3 1 2 10 01");
  assert.deepEqual(texts(read(engine, "SORT_RO l")), ["01", "1", "2", "3", "10"], "01 and 1 tie: bytes decide");
  assert.deepEqual(texts(read(engine, "SORT_RO l DESC")), ["10", "3", "2", "1", "01"]);
  assert.deepEqual(texts(read(engine, "SORT_RO l ALPHA")), ["01", "1", "10", "2", "3"]);
  assert.deepEqual(texts(read(engine, "SORT_RO l LIMIT 1 2")), ["1", "2"]);
  assert.deepEqual(texts(read(engine, "SORT_RO l LIMIT 9 2")), []);
  assert.deepEqual(texts(read(engine, "SORT_RO l LIMIT -5 2")), ["01", "1"]);
  assert.deepEqual(texts(read(engine, "SORT_RO l BY nosort DESC LIMIT 1 2")), ["10", "2"]);
});

test("SORT reads scores as strtod does", () => {
  assert.equal(parseSortScore(""), 0);
  assert.equal(parseSortScore(" 2"), 2);
  assert.equal(parseSortScore("0x10"), 16);
  assert.equal(parseSortScore("0x1p3"), 8);
  assert.equal(parseSortScore("-inf"), -Infinity);
  assert.equal(parseSortScore("5."), 5);
  assert.equal(parseSortScore(".5"), 0.5);
  for (const refused of ["1 ", "nan", "1e400", "1e-400", "abc", "  ", "0x", "1e"]) assert.equal(parseSortScore(refused), null, refused);
  const engine = engineWith("RPUSH l 1 x");
  assert.deepEqual(read(engine, "SORT_RO l LIMIT 0 0"), error("ERR", "One or more scores can't be converted into double"));
});

test("BY and GET follow patterns to strings and hash fields; a missing one is nil (\"\" when stored)", () => {
  const engine = engineWith("RPUSH l 1 2 3", "MSET w_1 30 w_2 10 name_2 two");
  put(engine, "h_1", { kind: "hash", value: new HashFields([["rank", "2"], ["label", "one"]]) });
  put(engine, "h_3", { kind: "hash", value: new HashFields([["rank", "1"]]) });
  assert.deepEqual(texts(read(engine, "SORT_RO l BY w_*")), ["3", "2", "1"], "a missing weight scores 0");
  assert.deepEqual(texts(read(engine, "SORT_RO l BY h_*->rank GET # GET h_*->label GET name_*")), [
    "2", null, "two",
    "3", null, null,
    "1", "one", null,
  ]);
  assert.deepEqual(texts(read(engine, "SORT_RO l GET nostar")), [null, null, null]);
  assert.deepEqual(run(engine, "SORT l BY w_* GET name_* STORE out"), integer(3));
  assert.deepEqual(read(engine, "LRANGE out 0 -1"), array([bulk(""), bulk("two"), bulk("")]));
  assert.deepEqual(run(engine, "SORT missing STORE out"), integer(0));
  assert.deepEqual(read(engine, "EXISTS out"), integer(0), "an empty result deletes the destination");
});

test("SORT takes sets and answers WRONGTYPE for strings and hashes; SORT_RO refuses STORE", () => {
  const engine = engineWith("SET s v");
  put(engine, "set", { kind: "set", value: new Set(["b", "c", "a"]) });
  put(engine, "hash", { kind: "hash", value: new HashFields([["f", "v"]]) });
  assert.deepEqual(texts(read(engine, "SORT_RO set ALPHA")), ["a", "b", "c"]);
  assert.deepEqual(run(engine, "SORT set BY nosort STORE out"), integer(3));
  assert.deepEqual(read(engine, "LRANGE out 0 -1"), array([bulk("a"), bulk("b"), bulk("c")]), "a stored set is sorted ALPHA");
  assert.deepEqual(read(engine, "SORT_RO s"), WRONGTYPE);
  assert.deepEqual(read(engine, "SORT_RO hash"), WRONGTYPE);
  assert.deepEqual(read(engine, "SORT_RO s BADOPT"), error("ERR", "syntax error"), "options are checked before the type");
  assert.deepEqual(read(engine, "SORT_RO set STORE x"), error("ERR", "syntax error"));
  assert.deepEqual(read(engine, "SORT_RO missing"), array([]));
  assert.deepEqual(texts(read(engine, "SORT_RO set ALPHA LIMIT 0 1 GET nothing_*")), [null]);
  void NIL;
});
