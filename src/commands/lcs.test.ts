import { test } from "node:test";
import assert from "node:assert/strict";
import { Engine } from "../engine/engine.js";
import { array, bulk, error, integer, map } from "../engine/reply.js";
import { limits } from "../lib/limits.js";
import { read, run } from "./testing.js";

test("LCS answers the subsequence, its length, or its matching ranges from the end backwards", () => {
  const engine = new Engine();
  run(engine, "MSET a ohmytext b mynewtext");
  assert.deepEqual(read(engine, "LCS a b"), bulk("mytext"));
  assert.deepEqual(read(engine, "LCS a b LEN"), integer(6));
  const range = (from: number, to: number) => array([integer(from), integer(to)]);
  assert.deepEqual(
    read(engine, "LCS a b IDX WITHMATCHLEN"),
    map([
      [bulk("matches"), array([array([range(4, 7), range(5, 8), integer(4)]), array([range(2, 3), range(0, 1), integer(2)])])],
      [bulk("len"), integer(6)],
    ]),
  );
  assert.deepEqual(read(engine, "LCS a b IDX MINMATCHLEN 3"), map([[bulk("matches"), array([array([range(4, 7), range(5, 8)])])], [bulk("len"), integer(6)]]));
});

test("LCS reads typed values as text, absent keys as empty, and refuses other kinds and LEN with IDX", () => {
  const engine = new Engine();
  run(engine, "SET n 1234 AS integer");
  run(engine, "SET s 0234");
  run(engine, "RPUSH l x");
  assert.deepEqual(read(engine, "LCS n s"), bulk("234"));
  assert.deepEqual(read(engine, "LCS n none"), bulk(""));
  assert.deepEqual(read(engine, "LCS n l"), error("ERR", "The specified keys must contain string values"));
  assert.deepEqual(read(engine, "LCS n s LEN IDX"), error("ERR", "If you want both the length and indexes, please just use IDX."));
});

test("LCS beyond the table bound answers Redis' allocation error; LEN needs no table", () => {
  const engine = new Engine();
  const side = Math.ceil(Math.sqrt(limits.lcsTableCellsMax));
  run(engine, `SET a ${"x".repeat(side)}`);
  run(engine, `SET b ${"y".repeat(side)}x`);
  assert.deepEqual(read(engine, "LCS a b"), error("ERR", "Insufficient memory, failed allocating transient memory for LCS"));
  assert.deepEqual(read(engine, "LCS a b LEN"), integer(1));
});

test("SUBSTR is GETRANGE", () => {
  const engine = new Engine();
  run(engine, "SET k Hello");
  assert.deepEqual(read(engine, "SUBSTR k 1 -2"), bulk("ell"));
  assert.deepEqual(read(engine, "SUBSTR k -100 100"), bulk("Hello"));
});
