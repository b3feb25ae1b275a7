/**
 * Collection images: one collection in a self-describing file, for LokiKV's persistence
 * commands (COLLECTION EXPORT / IMPORT). An image can be imported as a new collection of
 * either type under any name: load-as-other-type, copy-with-rename. Entries use the same
 * item codec as checkpoints (item_codec.ts), so kinds, versions and expiry survive.
 *
 * Layout (little-endian):
 *
 *   magic       8 bytes "WALNUTCI"
 *   version     u32 = 1
 *   crc32       u32, zlib.crc32 (IEEE) of every byte after this field
 *   compression u8 (1 = deflate-raw)
 *   source      u8 type (1 hash, 2 ordered) | u16 nameLength | name   (what was exported)
 *   entryCount  u64
 *   rawLength   u32, bytes of the entries once inflated
 *   entries     deflate-raw of entryCount × entry (item_codec.ts), in the source's order
 *
 * Example: hash collection "users" with "k" = string "v" (version 3, no expiry):
 *
 *   57414c4e55544349 01000000 <crc32>   magic "WALNUTCI", version 1, checksum
 *   01 01 0500 7573657273               deflate-raw; source hash "users"
 *   01000000 00000000 1b000000          1 entry, 27 bytes inflated:
 *     | 01000000 6b 01 03000000 00000000 00000000 00000000 01000000 76
 *   <deflate-raw of those 27 bytes>
 *
 * Encoding runs synchronously over a live collection (no writes can interleave), and
 * decoding verifies the checksum before inflating and every length while parsing.
 */
import { crc32, deflateRawSync, inflateRawSync } from "node:zlib";
import { createCollection, type Collection, type CollectionType } from "../engine/collection.js";
import { Item } from "../engine/values.js";
import { WalnutError, describeError } from "../lib/errors.js";
import { limits } from "../lib/limits.js";
import { ByteReader, ByteWriter, MalformedInput } from "./binary.js";
import { Compression, readCollectionDescriptor, writeCollectionDescriptor } from "./format.js";
import { readEntry, writeEntry } from "./item_codec.js";

export const IMAGE_MAGIC = Buffer.from("WALNUTCI", "latin1");
export const IMAGE_FORMAT_VERSION = 1;
/** Magic, version and checksum: the bytes before the checksummed part. */
const IMAGE_PREAMBLE_BYTES = IMAGE_MAGIC.length + 8;
/** Level 6 (zlib's default): an export is a one-off file where size matters more than time. */
const IMAGE_COMPRESSION_LEVEL = 6;
/** Largest inflated entries section: rawLength is a u32 (and a Buffer cannot be much larger). */
const IMAGE_RAW_BYTES_MAX = 2 ** 32 - 1;

export interface DecodeCollectionImageOptions {
  /** Name of the new collection. */
  name: string;
  /** Type of the new collection, whatever type was exported. */
  type: CollectionType;
  /**
   * Stamp every item with this version (the log index of the importing entry). Imported
   * items must not carry versions beyond the applied index: checkpoint views rely on it.
   * Without it, items keep the versions they were exported with.
   */
  version?: number;
}

/** Encodes `collection` as an image (compressed, checksummed). */
export function encodeCollectionImage(collection: Collection): Buffer {
  const entries = new ByteWriter(Math.max(1024, collection.size * 64));
  let entryCount = 0;
  for (const [key, item] of collection.entries()) {
    writeEntry(entries, key, item);
    entryCount += 1;
  }
  const raw = entries.finish();
  if (raw.length > IMAGE_RAW_BYTES_MAX) {
    throw new WalnutError("LIMIT", `Cannot export collection "${collection.name}": ${raw.length} bytes is beyond ${IMAGE_RAW_BYTES_MAX}`);
  }
  const compressed = deflateRawSync(raw, { level: IMAGE_COMPRESSION_LEVEL });
  const body = new ByteWriter(64 + collection.name.length);
  body.u8(Compression.deflateRaw);
  writeCollectionDescriptor(body, collection.name, collection.type);
  body.u64(entryCount);
  body.u32(raw.length);
  const bodyHead = body.finish();
  const preamble = Buffer.alloc(IMAGE_PREAMBLE_BYTES);
  IMAGE_MAGIC.copy(preamble, 0);
  preamble.writeUInt32LE(IMAGE_FORMAT_VERSION, IMAGE_MAGIC.length);
  preamble.writeUInt32LE(crc32(compressed, crc32(bodyHead)), IMAGE_MAGIC.length + 4);
  return Buffer.concat([preamble, bodyHead, compressed]);
}

/** Decodes an image into a new collection named and typed by `options`. */
export function decodeCollectionImage(image: Buffer, options: DecodeCollectionImageOptions): Collection {
  if (options.name.length > limits.collectionNameBytesMax) {
    throw new WalnutError("BAD_ARGUMENT", `Cannot import collection: name beyond ${limits.collectionNameBytesMax} bytes`);
  }
  const { entryCount, raw } = asImportError(() => verifyImage(image), (offset) => `offset ${offset}`);
  return asImportError(
    () => loadEntries(raw, entryCount, options),
    (offset) => `byte ${offset} of the inflated entries`,
  );
}

/** Runs a parse step, turning MalformedInput into IMPORT_FORMAT placed by `where`. */
function asImportError<T>(parse: () => T, where: (offset: number) => string): T {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof MalformedInput)) throw error;
    throw new WalnutError("IMPORT_FORMAT", `Cannot import collection: ${error.what} at ${where(error.offset)}`);
  }
}

/** Checks the preamble and checksum, then inflates the entries. Throws MalformedInput. */
function verifyImage(image: Buffer): { entryCount: number; raw: Buffer } {
  const reader: ByteReader = new ByteReader(image); // annotated so that fail() narrows
  const magic = reader.view(IMAGE_MAGIC.length, "magic");
  if (!magic.equals(IMAGE_MAGIC)) reader.fail("not a walnut collection image (bad magic)", 0);
  const version = reader.u32("format version");
  if (version !== IMAGE_FORMAT_VERSION) reader.fail(`unsupported format version ${version}`, IMAGE_MAGIC.length);
  const checksum = reader.u32("checksum");
  if (crc32(image.subarray(IMAGE_PREAMBLE_BYTES)) !== checksum) reader.fail("bad checksum", IMAGE_MAGIC.length + 4);
  const compression = reader.u8("compression");
  if (compression !== Compression.deflateRaw) reader.fail(`unknown compression ${compression}`, reader.offset - 1);
  readCollectionDescriptor(reader);
  const entryCount = reader.u64("entry count");
  const rawLengthOffset = reader.offset;
  const rawLength = reader.u32("entries length");
  if (rawLength > IMAGE_RAW_BYTES_MAX) reader.fail(`entries length ${rawLength} beyond ${IMAGE_RAW_BYTES_MAX}`, rawLengthOffset);
  const compressed = reader.view(reader.remaining, "entries");
  let raw: Buffer;
  try {
    raw = inflateRawSync(compressed, { maxOutputLength: Math.max(1, rawLength) });
  } catch (error) {
    reader.fail(`entries do not inflate to ${rawLength} bytes (${describeError(error)})`, rawLengthOffset + 4);
  }
  if (raw.length !== rawLength) reader.fail(`entries inflate to ${raw.length} bytes, not ${rawLength}`, rawLengthOffset + 4);
  return { entryCount, raw };
}

function loadEntries(raw: Buffer, entryCount: number, options: DecodeCollectionImageOptions): Collection {
  const collection = createCollection(options.name, options.type);
  const reader = new ByteReader(raw);
  for (let loaded = 0; loaded < entryCount; loaded++) {
    const entryOffset = reader.offset;
    const [key, item] = readEntry(reader);
    if (collection.get(key) !== undefined) reader.fail("duplicate key", entryOffset);
    const version = options.version ?? item.version;
    collection.put(key, version === item.version ? item : new Item(item.stored(), version, item.expiresAtMs));
  }
  if (reader.remaining !== 0) reader.fail(`${reader.remaining} bytes after the last of ${entryCount} entries`);
  return collection;
}
