/**
 * Incremental checkpoints ("deltas"): what changed between the checkpoint at
 * `previousIndex` and this one at `index`. docs/checkpoint-format.md describes the file;
 * it is a checkpoint file (format.ts: magic, version 1, the same frames, blocks and END)
 * but for three things:
 *
 *   - its first frame is type 4 DELTA_HEADER, not HEADER (so a reader of full checkpoints
 *     refuses it as "frame type 4 where the header frame belongs"):
 *       u64 index | u64 term | u64 previousIndex | u64 previousTerm | u8 compression
 *       | u32 metadataLength | metadata (the whole metadata as of `index`, as in HEADER)
 *   - it names every collection that exists at `index`, in the engine's order, each once:
 *       u8 1 COLLECTION  descriptor: the collection in full (it replaces any of that name);
 *       u8 4 CHANGES     descriptor: the collection as of the previous checkpoint, with the
 *                        entries and removals that follow applied to it;
 *     a collection of the previous checkpoint that the delta does not name is gone;
 *   - after a CHANGES record, besides ENTRY records (a key stored, replacing any item):
 *       u8 3 REMOVED     u32 keyLength | key      (the key is absent at `index`)
 *     END's entryCount counts ENTRY and REMOVED records.
 *
 * File name: `<index>-<term>-<previousIndex>.delta`, the three numbers zero-padded to 20
 * digits, beside the full checkpoints' `<index>-<term>.ckpt`.
 */
import type { ByteString } from "../engine/bytes.js";
import type { CollectionType } from "../engine/collection.js";
import { assert } from "../lib/assert.js";
import { limits } from "../lib/limits.js";
import { ByteReader, ByteWriter } from "./binary.js";
import { Compression, METADATA_BYTES_MAX, RecordTag, writeCollectionDescriptor } from "./format.js";

export interface DeltaHeader {
  index: number;
  term: number;
  previousIndex: number;
  previousTerm: number;
  compression: number;
  metadataJson: string;
}

const NUMBER_DIGITS = 20;
const DELTA_NAME = /^(\d{20})-(\d{20})-(\d{20})\.delta$/;
export const DELTA_SUFFIX = ".delta";

export function deltaFileName(index: number, term: number, previousIndex: number): string {
  assert(Number.isSafeInteger(previousIndex) && previousIndex >= 0 && previousIndex < index, `delta at ${index} after ${previousIndex}`);
  const pad = (value: number): string => String(value).padStart(NUMBER_DIGITS, "0");
  return `${pad(index)}-${pad(term)}-${pad(previousIndex)}${DELTA_SUFFIX}`;
}

/** Index, term and previous index from a delta's file name, or null for any other name. */
export function parseDeltaFileName(name: string): { index: number; term: number; previousIndex: number } | null {
  const match = DELTA_NAME.exec(name);
  if (match === null) return null;
  const [index, term, previousIndex] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (![index, term, previousIndex].every(Number.isSafeInteger) || previousIndex >= index) return null;
  return { index, term, previousIndex };
}

export function encodeDeltaHeaderPayload(header: DeltaHeader): Buffer {
  const metadata = Buffer.from(header.metadataJson, "utf8");
  const writer = new ByteWriter(37 + metadata.length + 1);
  writer.u64(header.index);
  writer.u64(header.term);
  writer.u64(header.previousIndex);
  writer.u64(header.previousTerm);
  writer.u8(header.compression);
  writer.u32(metadata.length);
  writer.bytes(metadata);
  return writer.finish();
}

/** Parses a DELTA_HEADER payload; throws MalformedInput (offsets within the payload). */
export function decodeDeltaHeaderPayload(payload: Buffer): DeltaHeader {
  const reader = new ByteReader(payload);
  const index = reader.u64("index");
  const term = reader.u64("term");
  const previousIndex = reader.u64("previous index");
  if (previousIndex >= index) reader.fail(`previous index ${previousIndex} not below the index ${index}`, reader.offset - 8);
  const previousTerm = reader.u64("previous term");
  const compression = reader.u8("compression");
  if (compression !== Compression.deflateRaw) reader.fail(`unknown compression ${compression}`, reader.offset - 1);
  const metadataLength = reader.u32("metadata length");
  if (metadataLength > METADATA_BYTES_MAX) reader.fail(`metadata length ${metadataLength} beyond ${METADATA_BYTES_MAX}`);
  const metadataJson = reader.view(metadataLength, "metadata").toString("utf8");
  if (reader.remaining !== 0) reader.fail(`${reader.remaining} unexpected bytes after the metadata`);
  return { index, term, previousIndex, previousTerm, compression, metadataJson };
}

/** A CHANGES record: its tag, then the collection's descriptor. */
export function writeChangesRecord(writer: ByteWriter, name: string, type: CollectionType): void {
  writer.u8(RecordTag.changes);
  writeCollectionDescriptor(writer, name, type);
}

/** A REMOVED record: its tag, then the key. */
export function writeRemovedRecord(writer: ByteWriter, key: ByteString): void {
  assert(key.length <= limits.keyBytesMax, `key of ${key.length} bytes exceeds the limit`);
  writer.u8(RecordTag.removed);
  writer.u32(key.length);
  writer.latin1(key);
}

/** The key of a REMOVED record, after its tag. */
export function readRemovedKey(reader: ByteReader): ByteString {
  const lengthOffset = reader.offset;
  const length = reader.u32("key length");
  if (length > limits.keyBytesMax) reader.fail(`key length ${length} beyond ${limits.keyBytesMax}`, lengthOffset);
  return reader.latin1(length, "key");
}
