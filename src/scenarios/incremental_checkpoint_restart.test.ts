/**
 * Incremental checkpoints on a running node (the embedded library): the first checkpoint
 * is full, the next ones deltas; a full checkpoint at the same index holds exactly what
 * the chain holds, metadata (sessions, functions, removals, membership) included; a
 * restart loads the chain, and the checkpoint after it is a delta on what it loaded. A
 * damaged newest delta falls back to the state before it, and the WAL still holds every
 * entry after that one.
 */
import assert from "node:assert/strict";
import { cp, open as openFile, rm, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { test } from "node:test";
import { open } from "../db.js";
import type { Collection } from "../engine/collection.js";
import { Engine } from "../engine/engine.js";
import { readCheckpoint } from "../snapshot/reader.js";
import { listCheckpointPieces, loadNewestCheckpoint } from "../snapshot/store.js";
import { pictureOfEngine, temporaryDirectory, type CollectionPicture } from "../snapshot/test_fixtures.js";

function pictureOf(collections: readonly Collection[]): CollectionPicture[] {
  const engine = new Engine();
  for (const collection of collections) engine.installCollection(collection);
  return pictureOfEngine(engine);
}

test("a node's deltas (after two full checkpoints) load to what its full checkpoint holds, and a restart continues the chain", async (t) => {
  const root = await temporaryDirectory(t);
  const dir = join(root, "node");
  const options = { dir, checkpointInterval: 0, checkpointWalBytes: 0 };
  const db = await open(options);
  let second;
  try {
    for (let i = 0; i < 300; i++) await db.set(`key:${i}`, `value:${i}`);
    const earliest = await db.checkpoint();
    assert.equal(earliest.previousIndex, null, "the first checkpoint is full");
    await db.command("RPUSH", "list", "a", "b", "c");
    await db.command("HSET", "hash", "f", "v");
    await db.command("FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function('f', function() return 1 end)");
    const base = await db.checkpoint();
    assert.equal(base.previousIndex, null, "so is the second: a delta needs a state to fall back to that shares no file with its chain");

    for (let i = 0; i < 10; i++) await db.set(`key:${i}`, "changed");
    await db.delete("key:100");
    await db.command("RPUSH", "list", "d");
    await db.command("EXPIRE", "key:200", "1000");
    const first = await db.checkpoint();
    assert.equal(first.previousIndex, base.index, "then a delta on it");
    assert.ok(first.keys < 20, `the delta holds the ${first.keys} keys that changed`);

    await db.delete("key:101");
    await db.command("FUNCTION", "DELETE", "lib");
    await db.command("HSET", "hash", "g", "w");
    second = await db.checkpoint();
    assert.equal(second.previousIndex, first.index);
  } finally {
    await db.close();
  }

  const lines: string[] = [];
  const restarted = await open({ ...options, log: (line) => lines.push(line) });
  try {
    assert.ok(lines.some((line) => /loaded checkpoint .* \(a full checkpoint and 2 deltas\)/.test(line)), lines.join("\n"));
    assert.equal(await restarted.get("key:5"), "changed");
    assert.equal(await restarted.get("key:101"), null);
    const list = await restarted.command("LRANGE", "list", "0", "-1");
    assert.deepEqual(list.type === "array" ? list.items.map((item) => (item.type === "bulk" ? item.value : null)) : list, ["a", "b", "c", "d"]);
    await restarted.set("after", "restart");
    const next = await restarted.checkpoint();
    assert.equal(next.previousIndex, second.index, "the checkpoint after a restart is a delta on the state loaded");
    assert.equal(next.keys, 1);
    await cp(join(dir, "checkpoints"), join(root, "chain"), { recursive: true });

    const full = await restarted.checkpoint({ full: true });
    assert.equal(full.previousIndex, null);
    assert.equal(full.index, next.index, "nothing was written in between");
    const fromFull = await readCheckpoint(full.path);
    const fromChain = await loadNewestCheckpoint(join(root, "chain"), () => assert.fail("nothing corrupt"));
    assert.ok(fromChain !== null);
    assert.equal(fromChain.chain.length, 4);
    assert.equal(fromChain.index, fromFull.index);
    assert.deepEqual(pictureOf(fromChain.collections), pictureOf(fromFull.collections));
    assert.deepEqual(fromChain.metadata, fromFull.metadata, "sessions, functions, removals and membership alike");
  } finally {
    await restarted.close();
  }
});

test("a damaged newest delta falls back to the state before it and replays the WAL from there", async (t) => {
  const root = await temporaryDirectory(t);
  const dir = join(root, "node");
  const db = await open({ dir, checkpointInterval: 0, checkpointWalBytes: 0 });
  let newest: string;
  try {
    for (let i = 0; i < 100; i++) await db.set(`key:${i}`, "v");
    await db.checkpoint();
    await db.set("key:1", "first");
    await db.checkpoint();
    await db.set("key:2", "second");
    await db.delete("key:3");
    const last = await db.checkpoint();
    assert.ok(last.previousIndex !== null);
    newest = last.path;
  } finally {
    await db.close();
  }
  const handle = await openFile(newest, "r+");
  try {
    await handle.write(Buffer.from([0xff]), 0, 1, Math.floor((await stat(newest)).size / 2));
  } finally {
    await handle.close();
  }
  const lines: string[] = [];
  const restarted = await open({ dir, checkpointInterval: 0, checkpointWalBytes: 0, log: (line) => lines.push(line) });
  try {
    assert.ok(lines.some((line) => line.includes("falling back to the checkpoint at index")), lines.join("\n"));
    assert.equal(await restarted.get("key:1"), "first");
    assert.equal(await restarted.get("key:2"), "second", "the WAL after the older state still holds it");
    assert.equal(await restarted.get("key:3"), null);
  } finally {
    await restarted.close();
  }
  const names = (await listCheckpointPieces(join(dir, "checkpoints"))).map((piece) => basename(piece.path));
  assert.ok(!names.includes(basename(newest)), "the damaged delta was moved aside");
  await rm(`${newest}.corrupt`);
});

test("a damaged full checkpoint under the newest deltas falls back to the chain before it, which pruning kept with its WAL", async (t) => {
  const root = await temporaryDirectory(t);
  const dir = join(root, "node");
  const db = await open({ dir, checkpointInterval: 0, checkpointWalBytes: 0 });
  let base: string;
  const kept: string[] = [];
  try {
    for (let i = 0; i < 100; i++) await db.set(`key:${i}`, "v");
    await db.checkpoint();
    await db.set("k0", "zero");
    kept.push((await db.checkpoint()).path);
    await db.set("k1", "one");
    const older = await db.checkpoint();
    assert.ok(older.previousIndex !== null);
    kept.push(older.path);
    await db.set("k2", "two");
    const merged = await db.checkpoint({ full: true });
    base = merged.path;
    await db.set("k3", "three");
    const delta = await db.checkpoint();
    assert.equal(delta.previousIndex, merged.index);
    await db.set("k4", "four");
    const names = (await listCheckpointPieces(join(dir, "checkpoints"))).map((piece) => piece.path);
    assert.deepEqual(names.sort(), [...kept, base, delta.path].sort(), "the chain before the merged checkpoint is kept, the full checkpoint before it not");
  } finally {
    await db.close();
  }
  const handle = await openFile(base, "r+");
  try {
    await handle.write(Buffer.from([0xff, 0x00, 0xff]), 0, 3, Math.floor((await stat(base)).size / 2));
  } finally {
    await handle.close();
  }
  const lines: string[] = [];
  const restarted = await open({ dir, checkpointInterval: 0, checkpointWalBytes: 0, log: (line) => lines.push(line) });
  try {
    assert.ok(lines.some((line) => line.includes("falling back")), lines.join("\n"));
    assert.ok(lines.some((line) => /loaded checkpoint .* \(a full checkpoint and 1 delta\)/.test(line)), lines.join("\n"));
    for (const [key, value] of [["k0", "zero"], ["k1", "one"], ["k2", "two"], ["k3", "three"], ["k4", "four"], ["key:7", "v"]]) {
      assert.equal(await restarted.get(key as string), value, key);
    }
  } finally {
    await restarted.close();
  }
});
