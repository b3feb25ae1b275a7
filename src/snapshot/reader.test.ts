import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { deflateRawSync } from "node:zlib";
import { Engine, DEFAULT_COLLECTION } from "../engine/engine.js";
import { isWalnutError } from "../lib/errors.js";
import { ByteWriter } from "./binary.js";
import {
  encodeBlockPrefix,
  encodeEndPayload,
  encodeFrameHeader,
  encodeHeaderPayload,
  encodePreamble,
  writeCollectionRecord,
  writeEntryRecord,
} from "./format.js";
import { Item, type StoredValue } from "../engine/values.js";
import { readCheckpoint } from "./reader.js";
import { pictureOf, temporaryDirectory } from "./test_fixtures.js";
import { writeCheckpoint } from "./writer.js";
import { ListDeque } from "../engine/list_deque.js";

/** A small checkpoint (a few hundred bytes): three blocks, both collection types, expiry. */
async function smallCheckpoint(dir: string): Promise<{ path: string; bytes: Buffer }> {
  const engine = new Engine();
  engine.appliedIndex = 50;
  engine.appliedTerm = 1;
  engine.createCollection("sorted", "ordered");
  const values: StoredValue[] = [
    { kind: "string", value: "text" },
    { kind: "integer", value: -5n },
    { kind: "list", value: ListDeque.from(["a", "b"]) },
    { kind: "float", value: 0.5 },
  ];
  for (const [position, value] of values.entries()) {
    engine.collection(DEFAULT_COLLECTION)!.put(`h${position}`, new Item(value, 10 + position, position * 1000));
    engine.collection("sorted")!.put(`o${position}`, new Item(value, 20 + position, 0));
  }
  const info = await writeCheckpoint(engine.openView(), { dir, sliceKeys: 3, metadata: { nodeId: 1 } });
  return { path: info.path, bytes: await readFile(info.path) };
}

async function assertCorrupt(path: string, label: string): Promise<void> {
  await assert.rejects(readCheckpoint(path), (error: unknown) => {
    assert.ok(isWalnutError(error, "CHECKPOINT_CORRUPT"), `${label}: ${String(error)}`);
    assert.match(error.message, /^Cannot read checkpoint walnut-snapshot-\w+\/\d{20}-\d{20}\.ckpt: .+ at .+/, label);
    return true;
  });
}

test("a checkpoint cut at any length is reported corrupt, never loaded", async (t) => {
  const dir = await temporaryDirectory(t);
  const { path, bytes } = await smallCheckpoint(dir);
  for (let length = 0; length < bytes.length; length++) {
    await writeFile(path, bytes.subarray(0, length));
    await assertCorrupt(path, `cut at ${length} of ${bytes.length}`);
  }
});

test("a flipped bit anywhere in a checkpoint is reported corrupt, never loaded", async (t) => {
  const dir = await temporaryDirectory(t);
  const { path, bytes } = await smallCheckpoint(dir);
  for (let offset = 0; offset < bytes.length; offset++) {
    const damaged = Buffer.from(bytes);
    damaged[offset]! ^= 1 << offset % 8;
    await writeFile(path, damaged);
    await assertCorrupt(path, `bit ${offset % 8} of byte ${offset} flipped`);
  }
});

test("bytes after the end frame are reported corrupt", async (t) => {
  const dir = await temporaryDirectory(t);
  const { path, bytes } = await smallCheckpoint(dir);
  await writeFile(path, Buffer.concat([bytes, Buffer.of(0)]));
  await assert.rejects(readCheckpoint(path), /unexpected bytes after the end frame at offset \d+/);
});

test("the error names what is wrong and where", async (t) => {
  const dir = await temporaryDirectory(t);
  const { path, bytes } = await smallCheckpoint(dir);
  const damaged = Buffer.from(bytes);
  damaged.write("NOTWALNU", 0, "latin1");
  await writeFile(path, damaged);
  await assert.rejects(readCheckpoint(path), /: not a walnut checkpoint \(bad magic\) at offset 0$/);
  damaged.set(bytes.subarray(0, 8));
  damaged[bytes.length - 3]! ^= 0xff;
  await writeFile(path, damaged);
  await assert.rejects(readCheckpoint(path), /: bad checksum at offset \d+ \(frame of 16 bytes\)$/);
  await assert.rejects(readCheckpoint(join(dir, "missing.ckpt")), (error: unknown) => isWalnutError(error, "CHECKPOINT_IO"));
});

/** A well-checksummed file whose records are built by hand, to reach the structure checks. */
async function handBuiltCheckpoint(path: string, records: Buffer, counts: { collections: number; entries: number }): Promise<void> {
  const header = encodeHeaderPayload({ index: 9, term: 1, compression: 1, metadataJson: "{}" });
  const block = [encodeBlockPrefix(0, records.length), deflateRawSync(records)];
  const end = encodeEndPayload({ blockCount: 1, collectionCount: counts.collections, entryCount: counts.entries });
  const frame = (type: number, payload: Buffer[]): Buffer[] => [encodeFrameHeader(type, payload), ...payload];
  await writeFile(path, Buffer.concat([encodePreamble(), ...frame(1, [header]), ...frame(2, block), ...frame(3, [end])]));
}

test("a key written twice keeps the last item, as a hash view may yield it twice", async (t) => {
  const dir = await temporaryDirectory(t);
  const path = join(dir, "00000000000000000009-00000000000000000001.ckpt");
  const records = new ByteWriter(64);
  writeCollectionRecord(records, "default", "hash");
  writeEntryRecord(records, "k", new Item({ kind: "string", value: "first" }, 3, 0));
  writeEntryRecord(records, "k", new Item({ kind: "string", value: "last" }, 4, 0));
  await handBuiltCheckpoint(path, records.finish(), { collections: 1, entries: 2 });
  const loaded = await readCheckpoint(path);
  assert.equal(loaded.keys, 1);
  assert.deepEqual(pictureOf(loaded.collections[0]!).entries, [["k", { kind: "string", value: "last", version: 4, expiresAtMs: 0 }]]);
});

test("structural damage behind a good checksum is still reported corrupt", async (t) => {
  const dir = await temporaryDirectory(t);
  const path = join(dir, "00000000000000000009-00000000000000000001.ckpt");
  const cases: Array<[string, (records: ByteWriter) => void, RegExp]> = [
    ["entry first", (r) => writeEntryRecord(r, "k", new Item({ kind: "boolean", value: true }, 1, 0)), /entry before any collection record at byte 0 of block 0/],
    ["version beyond the index", (r) => {
      writeCollectionRecord(r, "default", "hash");
      writeEntryRecord(r, "k", new Item({ kind: "boolean", value: true }, 10, 0));
    }, /version 10 of key beyond the checkpoint's index 9/],
    ["collection twice", (r) => {
      writeCollectionRecord(r, "a", "hash");
      writeCollectionRecord(r, "a", "ordered");
    }, /collection "a" appears twice/],
    ["unknown tag", (r) => r.u8(9), /unknown record tag 9 at byte 0/],
  ];
  for (const [label, build, expected] of cases) {
    const records = new ByteWriter(64);
    build(records);
    await handBuiltCheckpoint(path, records.finish(), { collections: 1, entries: 1 });
    await assert.rejects(readCheckpoint(path), (error: unknown) => {
      assert.ok(isWalnutError(error, "CHECKPOINT_CORRUPT"), label);
      assert.match(error.message, expected, label);
      return true;
    });
  }
  const records = new ByteWriter(64);
  writeCollectionRecord(records, "default", "hash");
  await handBuiltCheckpoint(path, records.finish(), { collections: 1, entries: 5 });
  await assert.rejects(readCheckpoint(path), /5 entries recorded, 0 found at offset \d+ \(end frame\)/);
});
