import assert from "node:assert/strict";
import { test } from "node:test";
import { crc32, deflateRawSync, inflateRawSync } from "node:zlib";
import { createCollection, type CollectionType } from "../engine/collection.js";
import { Item } from "../engine/values.js";
import { isWalnutError } from "../lib/errors.js";
import { ByteWriter } from "./binary.js";
import { decodeCollectionImage, encodeCollectionImage, IMAGE_MAGIC } from "./collection_image.js";
import { writeCollectionDescriptor } from "./format.js";
import { writeEntry } from "./item_codec.js";
import { fillWithEveryKind, pictureOf } from "./test_fixtures.js";

const otherType = (type: CollectionType): CollectionType => (type === "hash" ? "ordered" : "hash");

test("an exported collection imports as the other type under a new name, every item intact", () => {
  for (const type of ["hash", "ordered"] as const) {
    const source = createCollection("users", type);
    fillWithEveryKind(source, { version: 30 });
    const imported = decodeCollectionImage(encodeCollectionImage(source), { name: "users-copy", type: otherType(type) });
    assert.equal(imported.name, "users-copy");
    assert.equal(imported.type, otherType(type));
    assert.deepEqual(pictureOf(imported).entries, pictureOf(source).entries);
    assert.deepEqual([...imported.volatileKeys].sort(), [...source.volatileKeys].sort());
  }
});

test("an import can stamp every item with the importing entry's index", () => {
  const source = createCollection("c", "hash");
  source.put("k", new Item({ kind: "string", value: "v" }, 900, 5));
  const imported = decodeCollectionImage(encodeCollectionImage(source), { name: "c", type: "hash", version: 12 });
  assert.deepEqual(pictureOf(imported).entries, [["k", { kind: "string", value: "v", version: 12, expiresAtMs: 5 }]]);
});

test("an empty collection round trips", () => {
  const imported = decodeCollectionImage(encodeCollectionImage(createCollection("e", "ordered")), { name: "e", type: "hash" });
  assert.equal(imported.size, 0);
});

function assertImportFormat(image: Buffer, expected: RegExp, label: string): void {
  assert.throws(
    () => decodeCollectionImage(image, { name: "x", type: "hash" }),
    (error: unknown) => {
      assert.ok(isWalnutError(error, "IMPORT_FORMAT"), `${label}: ${String(error)}`);
      assert.match(error.message, expected, label);
      return true;
    },
  );
}

test("a damaged or foreign image is refused with IMPORT_FORMAT, never half imported", () => {
  const source = createCollection("users", "hash");
  fillWithEveryKind(source, { version: 30 });
  const image = encodeCollectionImage(source);
  for (let length = 0; length < image.length; length += 7) {
    assertImportFormat(image.subarray(0, length), /^Cannot import collection: .+ at offset \d+$/, `cut at ${length}`);
  }
  for (let offset = 0; offset < image.length; offset += 3) {
    const damaged = Buffer.from(image);
    damaged[offset]! ^= 1 << offset % 8;
    assertImportFormat(damaged, /^Cannot import collection: .+ at offset \d+$/, `byte ${offset} flipped`);
  }
  assertImportFormat(Buffer.from("{\"json\": true}"), /not a walnut collection image \(bad magic\) at offset 0/, "JSON");
});

test("an image holding a key twice is refused, even with a good checksum", () => {
  const entries = new ByteWriter(64);
  writeEntry(entries, "k", new Item({ kind: "boolean", value: true }, 1, 0));
  writeEntry(entries, "k", new Item({ kind: "boolean", value: false }, 2, 0));
  const raw = entries.finish();
  const body = new ByteWriter(64);
  body.u8(1);
  writeCollectionDescriptor(body, "c", "hash");
  body.u64(2);
  body.u32(raw.length);
  body.bytes(deflateRawSync(raw));
  const checksummed = body.finish();
  const preamble = Buffer.alloc(16);
  IMAGE_MAGIC.copy(preamble);
  preamble.writeUInt32LE(1, 8);
  preamble.writeUInt32LE(crc32(checksummed), 12);
  assertImportFormat(Buffer.concat([preamble, checksummed]), /duplicate key at byte 23 of the inflated entries/, "duplicate");
});

test("the example in collection_image.ts is what an export writes", () => {
  const users = createCollection("users", "hash");
  users.put("k", new Item({ kind: "string", value: "v" }, 3, 0));
  const image = encodeCollectionImage(users);
  const hex = (text: string): string => text.replace(/\s/g, "");
  assert.equal(image.subarray(0, 12).toString("hex"), hex("57414c4e55544349 01000000"));
  assert.equal(image.readUInt32LE(12), crc32(image.subarray(16)));
  assert.equal(image.subarray(16, 37).toString("hex"), hex("01 01 0500 7573657273 01000000 00000000 1b000000"));
  const entries = hex("01000000 6b 01 03000000 00000000 00000000 00000000 01000000 76");
  assert.equal(inflateRawSync(image.subarray(37)).toString("hex"), entries);
});
