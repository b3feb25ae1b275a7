import { test } from "node:test";
import assert from "node:assert/strict";
import { Engine } from "../engine/engine.js";
import { applyNext, NOW_MS, run, runBatch } from "./testing.js";

function changes(engine: Engine, from = 1): string[] {
  const read = engine.history.read(from, {});
  assert.ok(!read.compacted);
  if (read.compacted) return [];
  return read.changes.map((c) => `${c.index} ${c.collection} ${c.type} ${c.key}${c.value === null ? "" : `=${c.value}`}${c.kind === null ? "" : ` (${c.kind})`}`);
}

test("applied writes fill the history: puts with their value and index, deletes, nothing for failed or read-only calls", () => {
  const engine = new Engine();
  run(engine, "SET a 1");
  run(engine, "RPUSH list x y");
  run(engine, "GET a");
  run(engine, "INCR list");
  run(engine, "DEL a list missing");
  run(engine, "SET n 5 AS integer");
  assert.deepEqual(changes(engine), [
    "1 default put a=1 (string)",
    "2 default put list (list)",
    "5 default delete a",
    "5 default delete list",
    "6 default put n=5 (integer)",
  ]);
  assert.equal(engine.history.coveredThrough, 6);
});

test("a batch's changes carry its index; a key created then deleted inside one is a delete; a rolled-back batch records nothing", () => {
  const engine = new Engine();
  runBatch(engine, ["SET a 1", "SET b 2", "DEL b", "DEL never"]);
  runBatch(engine, ["SET c 1", "INCR a", "LPUSH a x"]); // LPUSH on a string: WRONGTYPE, rolled back
  assert.deepEqual(changes(engine), ["1 default put a=1 (string)", "1 default delete b"]);
});

test("the expiry sweep's removals are expire events; FLUSHDB is one flush", () => {
  const engine = new Engine();
  run(engine, "SET t v PX 10");
  run(engine, "SET u v");
  const swept = applyNext(engine, { type: "command", nowMs: NOW_MS + 1000, clientId: "", requestId: 0, call: { collection: "default", argv: ["EXPIRESWEEP", "t"] } });
  assert.ok(swept);
  run(engine, "FLUSHDB");
  run(engine, "SET w v", { collection: "db2" });
  assert.deepEqual(changes(engine, 3), ["3 default expire t", "4 default flush ", "5 db2 put w=v (string)"]);
});
