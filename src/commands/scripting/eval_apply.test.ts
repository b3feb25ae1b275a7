/**
 * Scripts in apply(): EVAL as a log entry writes through redis.call with the entry's
 * clock and index; an EVALSHA that reaches apply() answers NOSCRIPT whatever this
 * replica's cache holds (only the body in the entry counts); a script stopped by the
 * instruction budget has its writes undone; TIME and math.random come from the entry, so
 * two engines applying the same entries answer the same.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_COLLECTION, Engine } from "../../engine/engine.js";
import { bulk, integer, NIL, type Reply } from "../../engine/reply.js";
import { applyNext, NOW_MS, read, run } from "../testing.js";
import { atomically } from "./eval_commands.js";
import { scriptCalls } from "./script_calls.js";
import { ScriptVm } from "./script_vm.js";
import { sha1hex } from "./sha1.js";

function evalEntry(engine: Engine, argv: string[], nowMs = NOW_MS): Reply {
  return applyNext(engine, { type: "command", nowMs, clientId: "", requestId: 0, call: { collection: DEFAULT_COLLECTION, argv } });
}

test("EVAL applies its writes with the entry's clock", () => {
  const engine = new Engine();
  const script = "redis.call('SET', KEYS[1], ARGV[1], 'PX', 1000) return redis.call('TIME')[1]";
  assert.deepEqual(evalEntry(engine, ["EVAL", script, "1", "k", "v"], 5_000_000), bulk("5000"));
  assert.deepEqual(read(engine, "GET k", { nowMs: 5_000_500 }), bulk("v"));
  assert.deepEqual(read(engine, "GET k", { nowMs: 5_001_000 }), NIL);
});

test("an EVALSHA in a log entry answers NOSCRIPT even where the script is cached", () => {
  const engine = new Engine();
  assert.deepEqual(run(engine, "EVAL \"return 1\" 0"), integer(1));
  const reply = evalEntry(engine, ["EVALSHA", sha1hex("return 1"), "0"]);
  assert.deepEqual(reply, { type: "error", text: "NOSCRIPT No matching script. Please use EVAL." });
});

test("replicas applying the same script entries draw the same random numbers", () => {
  const script = "return {math.random(1000000), math.random(1000000)}";
  const first = new Engine();
  const second = new Engine();
  run(second, "SET unrelated x"); // a replica's cache and history differ; the entry index is what seeds
  run(first, "SET other y");
  assert.deepEqual(evalEntry(first, ["EVAL", script, "0"]), evalEntry(second, ["EVAL", script, "0"]));
});

test("a script stopped by its instruction budget leaves no write behind", () => {
  const engine = new Engine();
  run(engine, "SET kept before");
  const vm = new ScriptVm({ instructionsMax: 100_000, heapBytesMax: 64 * 1024 * 1024 });
  const body = "redis.call('SET', 'kept', 'changed') redis.call('SET', 'new', 'x') while true do end";
  const sha = sha1hex(body);
  assert.equal(vm.compileBody(sha, body), null);
  const ctx = { engine, collection: engine.requireCollection(DEFAULT_COLLECTION), nowMs: NOW_MS, index: engine.appliedIndex + 1 };
  const reply = atomically(engine, () => vm.runBody(sha, { keys: [], args: [], calls: scriptCalls(ctx, false), randomSeed: 1, name: sha }), () => vm.wasStopped);
  assert.equal(reply.type, "error");
  assert.deepEqual(read(engine, "GET kept"), bulk("before"));
  assert.deepEqual(read(engine, "GET new"), NIL);
  assert.equal(engine.journal, null, "the batch journal is closed");
});

test("a script error keeps the writes made before it, as in Redis", () => {
  const engine = new Engine();
  const reply = evalEntry(engine, ["EVAL", "redis.call('SET', 'a', '1') error('late')", "0"]);
  assert.equal(reply.type, "error");
  assert.deepEqual(read(engine, "GET a"), bulk("1"));
});
