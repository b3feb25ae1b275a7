import assert from "node:assert/strict";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { test } from "node:test";
import { Engine, DEFAULT_COLLECTION } from "../engine/engine.js";
import { Item } from "../engine/values.js";
import { isWalnutError } from "../lib/errors.js";
import { listCheckpoints, loadNewestCheckpoint, pruneCheckpoints } from "./store.js";
import { temporaryDirectory } from "./test_fixtures.js";
import { writeCheckpoint } from "./writer.js";

/** Writes checkpoints at the given indexes, each holding key "at" = its index. */
async function checkpointsAt(dir: string, indexes: number[]): Promise<string[]> {
  const engine = new Engine();
  const paths: string[] = [];
  for (const index of indexes) {
    engine.appliedIndex = index;
    engine.appliedTerm = 2;
    engine.collection(DEFAULT_COLLECTION)!.put("at", new Item({ kind: "integer", value: BigInt(index) }, index, 0));
    paths.push((await writeCheckpoint(engine.openView(), { dir })).path);
  }
  return paths;
}

async function flipLastByte(path: string): Promise<void> {
  const bytes = await readFile(path);
  bytes[bytes.length - 1]! ^= 0x40;
  await writeFile(path, bytes);
}

test("checkpoints are listed newest first, other files ignored and stale temporary files removed", async (t) => {
  const dir = await temporaryDirectory(t);
  await checkpointsAt(dir, [5, 300, 40]);
  await writeFile(join(dir, "00000000000000000900-00000000000000000002.ckpt.1a2b3c4d.tmp"), "partial");
  await writeFile(join(dir, "notes.txt"), "not a checkpoint");
  const listed = await listCheckpoints(dir);
  assert.deepEqual(listed.map((checkpoint) => [checkpoint.index, checkpoint.term]), [[300, 2], [40, 2], [5, 2]]);
  assert.equal(listed[0]!.path, join(dir, "00000000000000000300-00000000000000000002.ckpt"));
  assert.ok(!(await readdir(dir)).some((name) => name.endsWith(".tmp")));
  assert.deepEqual(await listCheckpoints(join(dir, "absent")), []);
});

test("listing during a checkpoint leaves the temporary file being written alone", async (t) => {
  const dir = await temporaryDirectory(t);
  const engine = new Engine();
  engine.appliedIndex = 10_000;
  for (let i = 0; i < 2000; i++) engine.collection(DEFAULT_COLLECTION)!.put(`k${i}`, new Item({ kind: "string", value: "v" }, i + 1, 0));
  let finished = false;
  const writing = writeCheckpoint(engine.openView(), { dir, sliceKeys: 10 }).finally(() => (finished = true));
  let sawTemporaryFile = false;
  while (!sawTemporaryFile && !finished) {
    await new Promise((resolve) => setImmediate(resolve));
    await listCheckpoints(dir);
    sawTemporaryFile = (await readdir(dir)).some((name) => name.endsWith(".tmp"));
  }
  const info = await writing;
  assert.ok(sawTemporaryFile, "the temporary file was there while the checkpoint was written");
  assert.deepEqual(await readdir(dir), [basename(info.path)]);
});

test("a corrupt newest checkpoint falls back to the previous one and says so", async (t) => {
  const dir = await temporaryDirectory(t);
  const [, middle, newest] = await checkpointsAt(dir, [10, 20, 30]);
  await flipLastByte(newest!);
  const messages: string[] = [];
  const loaded = await loadNewestCheckpoint(dir, (message) => messages.push(message));
  assert.equal(loaded?.path, middle);
  assert.equal(loaded?.collections[0]?.get("at")?.value, 20n);
  assert.equal(messages.length, 2);
  assert.match(messages[0]!, /^Cannot read checkpoint .*0030-0+2\.ckpt: bad checksum .*; falling back to the checkpoint at index 20$/);
  assert.match(messages[1]!, /^moved the corrupt checkpoint .*0030-0+2\.ckpt aside to 0+30-0+2\.ckpt\.corrupt$/);
  assert.deepEqual((await listCheckpoints(dir)).map((checkpoint) => checkpoint.index), [20, 10]);
  assert.ok((await readdir(dir)).includes(`${basename(newest!)}.corrupt`));
});

test("loading from an empty directory finds nothing, and from only corrupt checkpoints fails", async (t) => {
  const dir = await temporaryDirectory(t);
  assert.equal(await loadNewestCheckpoint(dir, () => assert.fail("nothing to report")), null);
  const paths = await checkpointsAt(dir, [1, 2]);
  for (const path of paths) await flipLastByte(path);
  const messages: string[] = [];
  await assert.rejects(loadNewestCheckpoint(dir, (message) => messages.push(message)), (error: unknown) => {
    assert.ok(isWalnutError(error, "CHECKPOINT_CORRUPT"));
    assert.match(error.message, /all 2 checkpoints are corrupt/);
    return true;
  });
  assert.equal(messages.length, 2);
  assert.equal((await listCheckpoints(dir)).length, 2, "with nothing to fall back to, corrupt checkpoints stay in place");
});

test("pruning keeps the newest two and returns what it deleted", async (t) => {
  const dir = await temporaryDirectory(t);
  const paths = await checkpointsAt(dir, [1, 2, 3, 4]);
  assert.deepEqual(await pruneCheckpoints(dir), [paths[1], paths[0]]);
  assert.deepEqual((await listCheckpoints(dir)).map((checkpoint) => checkpoint.index), [4, 3]);
  assert.deepEqual(await pruneCheckpoints(dir, 2), []);
  assert.deepEqual(await pruneCheckpoints(dir, 1), [paths[2]]);
});
