/**
 * The checkpoint file format: the engine's collections as of one applied log index.
 * writer.ts produces it, reader.ts verifies and loads it; this file owns the layout, its
 * constants and bounds, and the encoding of its fixed-size parts. docs/checkpoint-format.md
 * explains the choices (CRC, compression, framing).
 *
 * File (little-endian throughout):
 *
 *   magic    8 bytes "WALNUTCP"
 *   version  u32 = 1
 *   frames   each: u32 payloadLength | u32 crc32 | u8 type | payload
 *            crc32 is zlib.crc32 (IEEE, as in the WAL) over the type byte and the payload.
 *
 *   type 1 HEADER, exactly once, first:
 *            u64 index | u64 term | u8 compression (1 = deflate-raw)
 *            | u32 metadataLength | metadata (UTF-8 JSON object)
 *   type 2 BLOCK, zero or more, numbered 0, 1, 2, ...:
 *            u32 sequence | u32 rawLength | compressed records (inflate to rawLength bytes)
 *   type 3 END, exactly once, last; nothing may follow it:
 *            u32 blockCount | u32 collectionCount | u64 entryCount
 *
 *   Records, inside a block's inflated bytes (a block holds whole records; a block may
 *   end one collection and begin the next):
 *     u8 1 COLLECTION   u8 type (1 hash, 2 ordered) | u16 nameLength | name (latin1)
 *     u8 2 ENTRY        entry as in item_codec.ts (key, kind, version, expiry, value);
 *                       it belongs to the last COLLECTION record before it.
 *   A hash collection written while keys change may hold the same key twice, with the
 *   same item; a reader keeps the last.
 *
 * Worked example: a checkpoint at index 7, term 2, metadata {}, of one hash collection
 * "default" holding "k" = string "v" written at index 7 (no expiry). 112 bytes:
 *
 *   57414c4e55544350 01000000                magic "WALNUTCP", version 1
 *   17000000 3b811bf5 01                     HEADER frame: 23 bytes, crc32 0xf51b813b
 *     07000000 00000000 02000000 00000000    index 7, term 2
 *     01 02000000 7b7d                       deflate-raw, metadata "{}"
 *   22000000 7c6384cf 02                     BLOCK frame: 34 bytes, crc32 0xcf84637c
 *     00000000 27000000                      sequence 0, 39 bytes of records when inflated:
 *       | 01 01 0700 64656661756c74            COLLECTION hash "default"
 *       | 02 01000000 6b 01                    ENTRY "k", kind string,
 *       |   07000000 00000000                  version 7,
 *       |   00000000 00000000                  no expiry,
 *       |   01000000 76                        "v"
 *     6364646748494d4b2ccd2961 62646060      the 26 bytes of deflate-raw output (zlib level 1)
 *     c8666467400520d13200
 *   10000000 59771263 03                     END frame: 16 bytes, crc32 0x63127759
 *     01000000 01000000 01000000 00000000    1 block, 1 collection, 1 entry
 *
 * (format.test.ts checks this example byte for byte, but for the deflate output, which
 * may differ between zlib versions.)
 */
import { crc32 } from "node:zlib";
import type { ByteString } from "../engine/bytes.js";
import type { CollectionType } from "../engine/collection.js";
import type { Item } from "../engine/values.js";
import { assert } from "../lib/assert.js";
import { limits } from "../lib/limits.js";
import { ByteReader, ByteWriter } from "./binary.js";
import { writeEntry } from "./item_codec.js";

export const CHECKPOINT_MAGIC = Buffer.from("WALNUTCP", "latin1");
export const CHECKPOINT_FORMAT_VERSION = 1;
/** Bytes before the first frame: magic and version. */
export const PREAMBLE_BYTES = CHECKPOINT_MAGIC.length + 4;
/** u32 payloadLength | u32 crc32 | u8 type. */
export const FRAME_HEADER_BYTES = 9;
/** u32 sequence | u32 rawLength, before a block's compressed bytes. */
export const BLOCK_PREFIX_BYTES = 8;

/** Largest block, inflated or not. A block holds whole records, so this also bounds one item. */
export const BLOCK_BYTES_MAX = 1024 * 1024 * 1024;
/** Largest frame payload a reader believes before allocating for it. */
export const FRAME_PAYLOAD_BYTES_MAX = BLOCK_PREFIX_BYTES + BLOCK_BYTES_MAX;
/**
 * Largest metadata JSON. The node keeps its at-most-once session table there (up to
 * 10,000 clients with their last replies), so this is generous; it is read in one piece.
 */
export const METADATA_BYTES_MAX = 256 * 1024 * 1024;

/** deltaHeader: the first frame of an incremental checkpoint (delta_format.ts) in place of header. */
export const FrameType = { header: 1, block: 2, end: 3, deltaHeader: 4 } as const;
/**
 * removed and changes occur in incremental checkpoints only (delta_format.ts): a key gone
 * since the previous checkpoint, and a collection of which only changed keys follow.
 */
export const RecordTag = { collection: 1, entry: 2, removed: 3, changes: 4 } as const;
export const Compression = { deflateRaw: 1 } as const;

const COLLECTION_TYPE_CODES: Record<CollectionType, number> = { hash: 1, ordered: 2 };
const COLLECTION_TYPES_BY_CODE: ReadonlyMap<number, CollectionType> = new Map([
  [1, "hash"],
  [2, "ordered"],
]);

export interface CheckpointHeader {
  index: number;
  term: number;
  compression: number;
  metadataJson: string;
}

export interface CheckpointEnd {
  blockCount: number;
  collectionCount: number;
  entryCount: number;
}

export function encodePreamble(): Buffer {
  const preamble = Buffer.alloc(PREAMBLE_BYTES);
  CHECKPOINT_MAGIC.copy(preamble, 0);
  preamble.writeUInt32LE(CHECKPOINT_FORMAT_VERSION, CHECKPOINT_MAGIC.length);
  return preamble;
}

/**
 * The 9-byte frame header for a payload given in parts (so a block's compressed bytes
 * need not be copied next to its prefix).
 */
export function encodeFrameHeader(type: number, payloadParts: readonly Uint8Array[]): Buffer {
  const header = Buffer.alloc(FRAME_HEADER_BYTES);
  let payloadLength = 0;
  let crc = crc32(Buffer.of(type));
  for (const part of payloadParts) {
    payloadLength += part.length;
    crc = crc32(part, crc);
  }
  header.writeUInt32LE(payloadLength, 0);
  header.writeUInt32LE(crc, 4);
  header.writeUInt8(type, 8);
  return header;
}

/** The CRC a frame header must carry for this type and payload. */
export function frameCrc(type: number, payload: Uint8Array): number {
  return crc32(payload, crc32(Buffer.of(type)));
}

export function encodeHeaderPayload(header: CheckpointHeader): Buffer {
  const metadata = Buffer.from(header.metadataJson, "utf8");
  const writer = new ByteWriter(21 + metadata.length + 1);
  writer.u64(header.index);
  writer.u64(header.term);
  writer.u8(header.compression);
  writer.u32(metadata.length);
  writer.bytes(metadata);
  return writer.finish();
}

/** Parses a HEADER payload; throws MalformedInput (offsets within the payload). */
export function decodeHeaderPayload(payload: Buffer): CheckpointHeader {
  const reader = new ByteReader(payload);
  const index = reader.u64("index");
  const term = reader.u64("term");
  const compression = reader.u8("compression");
  if (compression !== Compression.deflateRaw) reader.fail(`unknown compression ${compression}`, reader.offset - 1);
  const metadataLength = reader.u32("metadata length");
  if (metadataLength > METADATA_BYTES_MAX) reader.fail(`metadata length ${metadataLength} beyond ${METADATA_BYTES_MAX}`);
  const metadataJson = reader.view(metadataLength, "metadata").toString("utf8");
  if (reader.remaining !== 0) reader.fail(`${reader.remaining} unexpected bytes after the metadata`);
  return { index, term, compression, metadataJson };
}

export function encodeBlockPrefix(sequence: number, rawLength: number): Buffer {
  const prefix = Buffer.alloc(BLOCK_PREFIX_BYTES);
  prefix.writeUInt32LE(sequence, 0);
  prefix.writeUInt32LE(rawLength, 4);
  return prefix;
}

export function encodeEndPayload(end: CheckpointEnd): Buffer {
  const writer = new ByteWriter(16);
  writer.u32(end.blockCount);
  writer.u32(end.collectionCount);
  writer.u64(end.entryCount);
  return writer.finish();
}

export function decodeEndPayload(payload: Buffer): CheckpointEnd {
  const reader = new ByteReader(payload);
  const end = {
    blockCount: reader.u32("block count"),
    collectionCount: reader.u32("collection count"),
    entryCount: reader.u64("entry count"),
  };
  if (reader.remaining !== 0) reader.fail(`${reader.remaining} unexpected bytes in the end frame`);
  return end;
}

/** An ENTRY record: its tag, then the entry (item_codec.ts). */
export function writeEntryRecord(writer: ByteWriter, key: ByteString, item: Item): void {
  writer.u8(RecordTag.entry);
  writeEntry(writer, key, item);
}

/** A COLLECTION record: its tag, then the collection's descriptor. */
export function writeCollectionRecord(writer: ByteWriter, name: string, type: CollectionType): void {
  writer.u8(RecordTag.collection);
  writeCollectionDescriptor(writer, name, type);
}

/** u8 type (1 hash, 2 ordered) | u16 nameLength | name; collection images use it too. */
export function writeCollectionDescriptor(writer: ByteWriter, name: string, type: CollectionType): void {
  assert(name.length <= limits.collectionNameBytesMax, `collection name of ${name.length} bytes exceeds the limit`);
  writer.u8(COLLECTION_TYPE_CODES[type]);
  writer.u16(name.length);
  writer.latin1(name);
}

export function readCollectionDescriptor(reader: ByteReader): { name: string; type: CollectionType } {
  const typeOffset = reader.offset;
  const typeCode = reader.u8("collection type");
  const type = COLLECTION_TYPES_BY_CODE.get(typeCode) ?? reader.fail(`unknown collection type ${typeCode}`, typeOffset);
  const nameOffset = reader.offset;
  const nameLength = reader.u16("collection name length");
  if (nameLength > limits.collectionNameBytesMax) {
    reader.fail(`collection name length ${nameLength} beyond ${limits.collectionNameBytesMax}`, nameOffset);
  }
  return { name: reader.latin1(nameLength, "collection name"), type };
}
