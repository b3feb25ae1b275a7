import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { collectionsOf } from "../engine/checkpoint_changes.js";
import { DEFAULT_COLLECTION, Engine } from "../engine/engine.js";
import { Item, NO_EXPIRY } from "../engine/values.js";
import { isWalnutError } from "../lib/errors.js";
import { deltaFileName, parseDeltaFileName } from "./delta_format.js";
import { applyDelta } from "./delta_reader.js";
import { writeDeltaCheckpoint } from "./delta_writer.js";
import { readCheckpoint } from "./reader.js";
import { temporaryDirectory } from "./test_fixtures.js";
import { writeCheckpoint } from "./writer.js";

function put(engine: Engine, key: string, value: string): void {
  engine.appliedIndex += 1;
  engine.collection(DEFAULT_COLLECTION)!.put(key, new Item({ kind: "string", value }, engine.appliedIndex, NO_EXPIRY));
}

test("delta file names carry index, term and previous index, zero-padded, and parse back", () => {
  const name = deltaFileName(300, 2, 120);
  assert.equal(name, "00000000000000000300-00000000000000000002-00000000000000000120.delta");
  assert.deepEqual(parseDeltaFileName(name), { index: 300, term: 2, previousIndex: 120 });
  assert.equal(parseDeltaFileName("00000000000000000300-00000000000000000002.ckpt"), null);
  assert.equal(parseDeltaFileName("00000000000000000100-00000000000000000002-00000000000000000120.delta"), null, "previous beyond index");
});

test("a delta damaged at any byte, or cut at any length, is refused as corrupt, never applied wrong", async (t) => {
  const dir = await temporaryDirectory(t);
  const engine = new Engine();
  for (let i = 0; i < 5; i++) put(engine, `key:${i}`, `v${i}`);
  let view = engine.openView();
  engine.checkpointChanges.begin(collectionsOf(engine), view.index);
  const base = await writeCheckpoint(view, { dir });
  engine.checkpointChanges.finished();
  put(engine, "key:1", "changed");
  engine.collection(DEFAULT_COLLECTION)!.delete("key:2");
  view = engine.openView();
  const changes = engine.checkpointChanges.begin(collectionsOf(engine), view.index);
  const delta = await writeDeltaCheckpoint(view, changes, { previousIndex: base.index, previousTerm: base.term }, { dir });
  assert.equal(delta.keys, 2);

  const good = await readFile(delta.path);
  const applied = await applyDelta(delta.path, (await readCheckpoint(base.path)).collections);
  const collection = applied.collections[0]!;
  assert.deepEqual([collection.get("key:1")?.value, collection.get("key:2"), collection.size], ["changed", undefined, 4]);

  const damaged = join(dir, "damaged.delta");
  const refusals = async (bytes: Buffer, what: string): Promise<void> => {
    await writeFile(damaged, bytes);
    await assert.rejects(applyDelta(damaged, (await readCheckpoint(base.path)).collections), (error: unknown) => {
      assert.ok(isWalnutError(error, "CHECKPOINT_CORRUPT"), `${what}: ${String(error)}`);
      return true;
    });
  };
  for (let offset = 0; offset < good.length; offset++) {
    const flipped = Buffer.from(good);
    flipped[offset] = (flipped[offset] as number) ^ 0x01;
    await refusals(flipped, `bit flipped at ${offset}`);
  }
  for (let length = 0; length < good.length; length++) await refusals(good.subarray(0, length), `cut at ${length}`);
  await assert.rejects(readCheckpoint(delta.path), /frame type 4 where the header frame belongs/, "a full checkpoint's reader refuses a delta");
});
