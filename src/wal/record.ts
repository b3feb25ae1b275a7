/**
 * The WAL's byte format: frames and the four record types they carry. This file owns
 * the layout; everything else in src/wal/ reads and writes frames through it.
 *
 * Frame (all integers little-endian):
 *
 *   u32 length   payload byte count (not counting these 9 header bytes)
 *   u32 crc32    zlib.crc32 (IEEE 802.3 polynomial) over the type byte and the payload
 *   u8  type     1 segment header, 2 entry, 3 hard state, 4 checkpoint marker
 *   ... payload  `length` bytes
 *
 * Payloads (a "str" is u32 byte length + UTF-8 bytes; every integer that can grow
 * past 2^32 is an f64 holding an integer below 2^53, which is exact, needs no BigInt
 * and costs one native call to read or write):
 *
 *   1 header      u32 formatVersion, str clusterId, f64 nodeId, f64 segmentSeq,
 *                 f64 firstIndex, f64 previousTerm, u32 previousSegmentCrc
 *                 (previousTerm: the term of entry firstIndex - 1, so a segment alone
 *                 tells the log's last term even when the segments before it are gone;
 *                 previousSegmentCrc: the crc32 field of the previous segment's last
 *                 frame, 0 for the first segment)
 *   2 entry       f64 index, f64 term, data (the rest of the payload)
 *   3 hard state  f64 term, f64 vote, f64 commit
 *   4 checkpoint  f64 index, f64 term
 *
 * Worked example: the entry { index: 1, term: 1, data: "hi" } is 27 bytes:
 *
 *   12 00 00 00                 length 18 = 8 (index) + 8 (term) + 2 (data)
 *   09 12 b8 61                 crc32 0x61b81209 of the 19 bytes that follow
 *   02                          type 2, entry
 *   00 00 00 00 00 00 f0 3f     index 1.0
 *   00 00 00 00 00 00 f0 3f     term 1.0
 *   68 69                       data "hi"
 */
import * as zlib from "node:zlib";
import { assert } from "../lib/assert.js";
import { limits } from "../lib/limits.js";

/** The version written in every segment header; readers refuse other versions. */
export const FORMAT_VERSION = 1;
/** u32 length + u32 crc32 + u8 type. */
export const FRAME_HEADER_BYTES = 9;
/** Longest cluster id a header may carry, in bytes. */
export const CLUSTER_ID_BYTES_MAX = 1024;

const ENTRY_FIXED_BYTES = 16;
const HARD_STATE_BYTES = 24;
const CHECKPOINT_BYTES = 16;
const HEADER_FIXED_BYTES = 4 + 4 + 8 + 8 + 8 + 8 + 4;

export const RECORD_TYPE = { header: 1, entry: 2, hardState: 3, checkpoint: 4 } as const;

export interface SegmentHeader {
  formatVersion: number;
  clusterId: string;
  nodeId: number;
  segmentSeq: number;
  firstIndex: number;
  previousTerm: number;
  previousSegmentCrc: number;
}

export interface LogEntry {
  index: number;
  term: number;
  data: Buffer;
}

export interface HardState {
  term: number;
  vote: number;
  commit: number;
}

export interface CheckpointMarker {
  index: number;
  term: number;
}

export type WalRecord =
  | { type: "header"; header: SegmentHeader }
  | { type: "entry"; entry: LogEntry }
  | { type: "hard-state"; hardState: HardState }
  | { type: "checkpoint"; checkpoint: CheckpointMarker };

/** One frame read from a buffer: its record, its size and its stored checksum. */
export interface DecodedFrame {
  record: WalRecord;
  frameBytes: number;
  crc: number;
}

/** Why the bytes at an offset are not a frame. */
export interface FrameDamage {
  reason: string;
  /** The stored checksum matched: the bytes are as written, but not a frame we know. */
  checksumMatched: boolean;
}

// ---------------------------------------------------------------------------------
// Sizes

export function entryFrameBytes(entry: LogEntry): number {
  return FRAME_HEADER_BYTES + ENTRY_FIXED_BYTES + entry.data.length;
}

export const HARD_STATE_FRAME_BYTES = FRAME_HEADER_BYTES + HARD_STATE_BYTES;
export const CHECKPOINT_FRAME_BYTES = FRAME_HEADER_BYTES + CHECKPOINT_BYTES;

export function headerFrameBytes(header: SegmentHeader): number {
  return FRAME_HEADER_BYTES + HEADER_FIXED_BYTES + Buffer.byteLength(header.clusterId, "utf8");
}

// ---------------------------------------------------------------------------------
// Encoding: each writer fills `target` at `offset` and returns the offset after the frame.

export function writeEntryFrame(target: Buffer, offset: number, entry: LogEntry): number {
  assertLogInteger(entry.index, "entry index");
  assertLogInteger(entry.term, "entry term");
  const payload = offset + FRAME_HEADER_BYTES;
  target.writeDoubleLE(entry.index, payload);
  target.writeDoubleLE(entry.term, payload + 8);
  entry.data.copy(target, payload + ENTRY_FIXED_BYTES);
  return sealFrame(target, offset, RECORD_TYPE.entry, ENTRY_FIXED_BYTES + entry.data.length);
}

export function writeHardStateFrame(target: Buffer, offset: number, state: HardState): number {
  assertLogInteger(state.term, "hard state term");
  assertLogInteger(state.vote, "hard state vote");
  assertLogInteger(state.commit, "hard state commit");
  const payload = offset + FRAME_HEADER_BYTES;
  target.writeDoubleLE(state.term, payload);
  target.writeDoubleLE(state.vote, payload + 8);
  target.writeDoubleLE(state.commit, payload + 16);
  return sealFrame(target, offset, RECORD_TYPE.hardState, HARD_STATE_BYTES);
}

export function writeCheckpointFrame(target: Buffer, offset: number, marker: CheckpointMarker): number {
  assertLogInteger(marker.index, "checkpoint index");
  assertLogInteger(marker.term, "checkpoint term");
  const payload = offset + FRAME_HEADER_BYTES;
  target.writeDoubleLE(marker.index, payload);
  target.writeDoubleLE(marker.term, payload + 8);
  return sealFrame(target, offset, RECORD_TYPE.checkpoint, CHECKPOINT_BYTES);
}

export function writeHeaderFrame(target: Buffer, offset: number, header: SegmentHeader): number {
  const clusterIdBytes = Buffer.byteLength(header.clusterId, "utf8");
  assert(clusterIdBytes <= CLUSTER_ID_BYTES_MAX, "cluster id too long for a segment header");
  let at = offset + FRAME_HEADER_BYTES;
  at = target.writeUInt32LE(header.formatVersion, at);
  at = target.writeUInt32LE(clusterIdBytes, at);
  at += target.write(header.clusterId, at, "utf8");
  at = target.writeDoubleLE(header.nodeId, at);
  at = target.writeDoubleLE(header.segmentSeq, at);
  at = target.writeDoubleLE(header.firstIndex, at);
  at = target.writeDoubleLE(header.previousTerm, at);
  at = target.writeUInt32LE(header.previousSegmentCrc, at);
  return sealFrame(target, offset, RECORD_TYPE.header, at - offset - FRAME_HEADER_BYTES);
}

/** The stored checksum of the frame that starts at `offset`. */
export function frameCrcAt(buffer: Buffer, offset: number): number {
  return buffer.readUInt32LE(offset + 4);
}

function sealFrame(target: Buffer, offset: number, type: number, payloadBytes: number): number {
  const end = offset + FRAME_HEADER_BYTES + payloadBytes;
  target[offset + 8] = type;
  target.writeUInt32LE(payloadBytes, offset);
  target.writeUInt32LE(zlib.crc32(target.subarray(offset + 8, end)), offset + 4);
  return end;
}

function assertLogInteger(value: number, what: string): void {
  if (!(Number.isSafeInteger(value) && value >= 0)) assert(false, `${what} must be a non-negative safe integer, got ${value}`);
}

// ---------------------------------------------------------------------------------
// Decoding

/**
 * Reads the frame at `offset` of `buffer[0, end)`. Returns the frame, or the reason
 * the bytes there are not one (incomplete, length past end, bad checksum, unknown type,
 * malformed payload). Never throws on bad bytes.
 */
export function readFrameAt(buffer: Buffer, offset: number, end: number): DecodedFrame | FrameDamage {
  if (end - offset < FRAME_HEADER_BYTES) {
    return damage(`incomplete frame header (${end - offset} of ${FRAME_HEADER_BYTES} bytes)`);
  }
  const payloadBytes = buffer.readUInt32LE(offset);
  if (payloadBytes > limits.walFrameBytesMax) {
    return damage(`length ${payloadBytes} exceeds the ${limits.walFrameBytesMax}-byte frame maximum`);
  }
  const frameEnd = offset + FRAME_HEADER_BYTES + payloadBytes;
  if (frameEnd > end) {
    const remaining = end - offset - FRAME_HEADER_BYTES;
    return damage(`length past end of file (${payloadBytes} payload bytes, ${remaining} remain)`);
  }
  const crc = buffer.readUInt32LE(offset + 4);
  if (zlib.crc32(buffer.subarray(offset + 8, frameEnd)) !== crc) {
    return damage("bad checksum");
  }
  const payload = buffer.subarray(offset + FRAME_HEADER_BYTES, frameEnd);
  const record = decodePayload(buffer[offset + 8]!, payload);
  if ("reason" in record) return record;
  return { record, frameBytes: frameEnd - offset, crc };
}

export function isFrameDamage(result: DecodedFrame | FrameDamage): result is FrameDamage {
  return "reason" in result;
}

function decodePayload(type: number, payload: Buffer): WalRecord | FrameDamage {
  switch (type) {
    case RECORD_TYPE.header:
      return decodeHeader(payload);
    case RECORD_TYPE.entry:
      if (payload.length < ENTRY_FIXED_BYTES) return badPayload("entry", payload.length);
      return {
        type: "entry",
        entry: {
          index: payload.readDoubleLE(0),
          term: payload.readDoubleLE(8),
          data: payload.subarray(ENTRY_FIXED_BYTES),
        },
      };
    case RECORD_TYPE.hardState:
      if (payload.length !== HARD_STATE_BYTES) return badPayload("hard state", payload.length);
      return {
        type: "hard-state",
        hardState: { term: payload.readDoubleLE(0), vote: payload.readDoubleLE(8), commit: payload.readDoubleLE(16) },
      };
    case RECORD_TYPE.checkpoint:
      if (payload.length !== CHECKPOINT_BYTES) return badPayload("checkpoint", payload.length);
      return { type: "checkpoint", checkpoint: { index: payload.readDoubleLE(0), term: payload.readDoubleLE(8) } };
    default:
      return damage(`unknown type ${type}`, { checksumMatched: true });
  }
}

function decodeHeader(payload: Buffer): WalRecord | FrameDamage {
  if (payload.length < HEADER_FIXED_BYTES) return badPayload("header", payload.length);
  const formatVersion = payload.readUInt32LE(0);
  if (formatVersion !== FORMAT_VERSION) {
    const reason = `unsupported format version ${formatVersion} (this walnut reads ${FORMAT_VERSION})`;
    return damage(reason, { checksumMatched: true });
  }
  const clusterIdBytes = payload.readUInt32LE(4);
  if (payload.length !== HEADER_FIXED_BYTES + clusterIdBytes) return badPayload("header", payload.length);
  let at = 8 + clusterIdBytes;
  const header: SegmentHeader = {
    formatVersion,
    clusterId: payload.toString("utf8", 8, at),
    nodeId: payload.readDoubleLE(at),
    segmentSeq: payload.readDoubleLE((at += 8)),
    firstIndex: payload.readDoubleLE((at += 8)),
    previousTerm: payload.readDoubleLE((at += 8)),
    previousSegmentCrc: payload.readUInt32LE((at += 8)),
  };
  return { type: "header", header };
}

function badPayload(what: string, payloadBytes: number): FrameDamage {
  return damage(`malformed ${what} payload (${payloadBytes} bytes)`, { checksumMatched: true });
}

function damage(reason: string, options = { checksumMatched: false }): FrameDamage {
  return { reason, checksumMatched: options.checksumMatched };
}
