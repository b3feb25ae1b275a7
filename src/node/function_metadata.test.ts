import { test } from "node:test";
import assert from "node:assert/strict";
import { Engine } from "../engine/engine.js";
import { encodeFunctions, restoreFunctions } from "./function_metadata.js";

test("a checkpoint without a functions field (written before functions existed) loads with no library", () => {
  const engine = new Engine();
  engine.functionLibraries.replaceAll([["old", "#!lua name=old\n"]]);
  restoreFunctions(engine.functionLibraries, undefined, "old.ckpt");
  assert.deepEqual(engine.functionLibraries.entries(), []);
});

test("libraries go into checkpoint metadata and come back, byte for byte, through JSON", () => {
  const engine = new Engine();
  const code = "#!lua name=bytes\n-- \xff\x00\xe9";
  engine.functionLibraries.replaceAll([["bytes", code], ["second", "#!lua name=second\n"]]);
  const json = JSON.parse(JSON.stringify({ functions: encodeFunctions(engine.openView().functionLibraries) })) as { functions: unknown };
  const restored = new Engine();
  restoreFunctions(restored.functionLibraries, json.functions, "x.ckpt");
  assert.deepEqual(restored.functionLibraries.entries(), [["bytes", code], ["second", "#!lua name=second\n"]]);
});

test("malformed functions metadata is reported as a corrupt checkpoint", () => {
  const engine = new Engine();
  assert.throws(() => restoreFunctions(engine.functionLibraries, [["name"]], "bad.ckpt"), /Cannot read checkpoint bad.ckpt: functions/);
  assert.throws(() => restoreFunctions(engine.functionLibraries, "x", "bad.ckpt"), /CHECKPOINT_CORRUPT|functions is not a list/);
});

test("a FUNCTION change inside an aborted batch is undone", () => {
  const engine = new Engine();
  engine.functionLibraries.replaceAll([["kept", "a"]]);
  engine.beginBatch();
  engine.functionLibraries.replaceAll([]);
  engine.rollbackBatch();
  assert.deepEqual(engine.functionLibraries.entries(), [["kept", "a"]]);
});
