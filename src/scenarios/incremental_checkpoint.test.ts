/**
 * Incremental checkpoints against full ones: an engine changed by real commands (every
 * value kind, deletes, expiry and its sweep, FLUSHDB, FLUSHALL, numbered databases,
 * SWAPDB and MOVE, an ordered collection dropped and created again, a rolled-back batch),
 * checkpointed as a full checkpoint and then deltas (some written while writes go on),
 * must load from its chain to exactly what a full checkpoint at the same index loads to.
 */
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { collectionsOf } from "../engine/checkpoint_changes.js";
import { Engine } from "../engine/engine.js";
import { applyNext, NOW_MS, run, runBatch } from "../commands/testing.js";
import { walnutStateMachine } from "../commands/state_machine.js";
import type { Reply } from "../engine/reply.js";
import { writeDeltaCheckpoint } from "../snapshot/delta_writer.js";
import { readCheckpoint, type LoadedCheckpoint } from "../snapshot/reader.js";
import { listCheckpointPieces, loadNewestCheckpoint } from "../snapshot/store.js";
import { pictureOfEngine, temporaryDirectory, type CollectionPicture } from "../snapshot/test_fixtures.js";
import { writeCheckpoint, type CheckpointInfo } from "../snapshot/writer.js";

/** A full checkpoint that becomes the baseline, as the checkpointer takes one. */
async function fullCheckpoint(engine: Engine, dir: string): Promise<CheckpointInfo> {
  const view = engine.openView();
  engine.checkpointChanges.begin(collectionsOf(engine), view.index);
  const info = await writeCheckpoint(view, { dir, sliceKeys: 3 });
  engine.checkpointChanges.finished();
  return info;
}

/**
 * A delta on `previous`, with `during` run between the writer's slices (one entry per
 * slice); returns the delta and the engine's picture as of the delta's index.
 */
async function deltaCheckpoint(
  engine: Engine,
  dir: string,
  previous: CheckpointInfo,
  during: string[] = [],
): Promise<{ info: CheckpointInfo; expected: CollectionPicture[] }> {
  const view = engine.openView();
  const changes = engine.checkpointChanges.begin(collectionsOf(engine), view.index);
  assert.equal(changes.previousIndex, previous.index);
  const expected = pictureOfEngine(engine);
  let written = 0;
  const writeBetweenSlices = (): void => {
    if (written === during.length) return;
    run(engine, during[written++] as string);
    setImmediate(writeBetweenSlices);
  };
  setImmediate(writeBetweenSlices);
  const info = await writeDeltaCheckpoint(view, changes, { previousIndex: previous.index, previousTerm: previous.term }, { dir, sliceKeys: 1 });
  engine.checkpointChanges.finished();
  while (written < during.length) run(engine, during[written++] as string);
  return { info, expected };
}

/** The engine a node would hold after loading `loaded` (recovery's steps). */
function engineOf(loaded: LoadedCheckpoint): Engine {
  const engine = new Engine();
  for (const collection of loaded.collections) engine.installCollection(collection);
  engine.appliedIndex = loaded.index;
  return engine;
}

function ok(reply: Reply): void {
  assert.notEqual(reply.type, "error", JSON.stringify(reply));
}

function sweepExpired(engine: Engine, nowMs: number): void {
  for (const payload of walnutStateMachine.expiredKeySweeps(engine, nowMs)) ok(applyNext(engine, payload));
}

test("a chain of deltas loads to exactly the state a full checkpoint at its index holds", async (t) => {
  const dir = await temporaryDirectory(t);
  const checkpoints = join(dir, "checkpoints");
  const engine = new Engine();
  for (let i = 0; i < 200; i++) ok(run(engine, `SET key:${i} value:${i}`));
  for (const line of ["RPUSH list a b c", "HSET hash f1 v1 f2 v2", "ZADD zset 1 a 2 b", "SADD set x y", "PFADD hll a b c", "INCR counter", "SET gone soon PX 500", "SET kept long EX 1000"]) {
    ok(run(engine, line));
  }
  for (let i = 0; i < 20; i++) ok(run(engine, `SET d1:${i} one`, { collection: "db1" }));
  for (let i = 0; i < 20; i++) ok(run(engine, `SET d2:${i} two`, { collection: "db2" }));
  ok(run(engine, "COLLECTION CREATE ordered ordered"));
  for (let i = 0; i < 10; i++) ok(run(engine, `SET o:${i} v`, { collection: "ordered" }));
  const base = await fullCheckpoint(engine, checkpoints);

  // Round one: every kind of change, some while the delta is being written.
  const roundOne = [
    "SET key:1 changed", "DEL key:2", "DEL never-there", "APPEND key:3 +more", "EXPIRE key:4 100", "PERSIST kept",
    "RPUSH list d", "LPOP list", "HSET hash f3 v3", "HDEL hash f1", "ZADD zset 3 c", "ZREM zset a", "SREM set x",
    "PFADD hll d", "INCRBY counter 41", "SET new:1 fresh", "FUNCTION LOAD \"#!lua name=lib\nredis.register_function('f', function() return 1 end)\"",
  ];
  for (const line of roundOne) ok(run(engine, line));
  ok(run(engine, "FLUSHDB", { collection: "db2" }));
  ok(run(engine, "SET d2:after flush", { collection: "db2" }));
  ok(run(engine, "MOVE key:5 1"));
  ok(run(engine, "SWAPDB 1 3"));
  ok(run(engine, "SET key:6 by-client", { clientId: "client-a", requestId: 1 }));
  const rolledBack = runBatch(engine, ["SET key:7 rolled-back", "INCR key:8"]); // INCR of a non-integer fails the batch
  assert.equal(rolledBack.type, "error");
  sweepExpired(engine, NOW_MS + 1000); // "gone" expired
  const one = await deltaCheckpoint(engine, checkpoints, base, ["SET key:9 during", "DEL key:10", "RPUSH list during", "FLUSHDB"]);
  const loadedOne = await loadNewestCheckpoint(checkpoints, () => assert.fail("nothing corrupt"));
  assert.ok(loadedOne !== null);
  assert.deepEqual(loadedOne.chain.map((piece) => piece.previousIndex), [null, base.index]);
  assert.deepEqual(pictureOfEngine(engineOf(loadedOne)), one.expected, "base + one delta: the state at the delta's index");

  // Round two: the collection dropped and made again as another type, FLUSHALL, then a few keys.
  ok(run(engine, "COLLECTION DROP ordered"));
  ok(run(engine, "COLLECTION CREATE ordered hash"));
  ok(run(engine, "SET o:new v", { collection: "ordered" }));
  for (let i = 0; i < 30; i++) ok(run(engine, `SET key:${i} round-two`));
  const two = await deltaCheckpoint(engine, checkpoints, one.info, ["SET key:11 during-two"]);
  ok(run(engine, "FLUSHALL"));
  for (let i = 0; i < 5; i++) ok(run(engine, `SET after:${i} flushall`));
  ok(run(engine, "SET only-db4 x", { collection: "db4" }));
  const three = await deltaCheckpoint(engine, checkpoints, two.info);
  assert.deepEqual(
    (await listCheckpointPieces(checkpoints)).map((piece) => [piece.index, piece.previousIndex]),
    [[three.info.index, two.info.index], [two.info.index, one.info.index], [one.info.index, base.index], [base.index, null]],
  );

  // The chain against a full checkpoint of the same engine at the same index.
  const fullDir = join(dir, "full");
  await mkdir(fullDir);
  const full = await readCheckpoint((await writeCheckpoint(engine.openView(), { dir: fullDir })).path);
  const chained = await loadNewestCheckpoint(checkpoints, () => assert.fail("nothing corrupt"));
  assert.ok(chained !== null);
  assert.equal(chained.index, full.index);
  assert.equal(chained.chain.length, 4);
  assert.deepEqual(pictureOfEngine(engineOf(chained)), pictureOfEngine(engineOf(full)));
  assert.deepEqual(pictureOfEngine(engineOf(chained)), three.expected);
  assert.deepEqual(pictureOfEngine(engineOf(chained)), pictureOfEngine(engine));
});

test("a delta lists only what changed: a mostly idle engine's delta holds the changed keys", async (t) => {
  const dir = await temporaryDirectory(t);
  const engine = new Engine();
  for (let i = 0; i < 5000; i++) ok(run(engine, `SET key:${i} ${"v".repeat(50)}`));
  const base = await fullCheckpoint(engine, dir);
  for (let i = 0; i < 50; i++) ok(run(engine, `SET key:${i * 100} changed`));
  ok(run(engine, "DEL key:1"));
  const { info } = await deltaCheckpoint(engine, dir, base);
  assert.equal(info.keys, 51, "50 entries and 1 removal");
  assert.ok(info.sizeBytes * 20 < base.sizeBytes, `a delta of ${info.sizeBytes} bytes against a full checkpoint of ${base.sizeBytes}`);
});
