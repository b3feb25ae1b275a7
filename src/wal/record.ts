/**
 * The WAL's byte format: frames and the four record types they carry. This file owns
 * the layout; everything else in src/wal/ reads and writes frames through it.
 *
 * Frame (all integers little-endian):
 *
 *   u32 length   payload byte count (not counting these 9 header bytes)
 *   u32 crc32    zlib.crc32 (IEEE 802.3 polynomial) over the type byte and the payload
 *   u8  type     1 segment header, 2 entry (format 1), 3 hard state, 4 checkpoint marker,
 *                5 entry (format 2)
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
 *   2 entry       f64 index, f64 term, data (the rest of the payload); written by format 1
 *   3 hard state  f64 term, f64 vote, f64 commit
 *   4 checkpoint  f64 index, f64 term
 *   5 entry       varint index, varint term, data (the rest of the payload); written since
 *                 format 2: a million-entry log holds indexes below 2^21 (3 bytes) and
 *                 terms below 128 (1 byte), 12 bytes less per entry than two f64s
 *
 * A varint is unsigned LEB128: 7 bits per byte, least significant first, the high bit set
 * on every byte but the last; at most 8 bytes (values below 2^53).
 *
 * Worked example: the entry { index: 1, term: 1, data: "hi" } is 13 bytes:
 *
 *   04 00 00 00                 length 4 = 1 (index) + 1 (term) + 2 (data)
 *   6c 4d f6 2e                 crc32 0x2ef64d6c of the 5 bytes that follow
 *   05                          type 5, entry
 *   01                          index 1
 *   01                          term 1
 *   68 69                       data "hi"
 *
 * Format 1 wrote the same entry as 27 bytes: length 18, type 2, index and term as f64 1.0
 * (00 00 00 00 00 00 f0 3f each). This walnut reads both; a segment's header says which
 * format wrote it, and a format-1 segment reopened as the active one gets type-5 frames.
 */
import * as zlib from "node:zlib";
import { assert } from "../lib/assert.js";
import { limits } from "../lib/limits.js";

/** The version written in every segment header; readers refuse versions outside [OLDEST_READABLE_FORMAT_VERSION, FORMAT_VERSION]. */
export const FORMAT_VERSION = 2;
/** Format 1 segments (f64 entry frames only) are still read. */
export const OLDEST_READABLE_FORMAT_VERSION = 1;
/** u32 length + u32 crc32 + u8 type. */
export const FRAME_HEADER_BYTES = 9;
/** Longest cluster id a header may carry, in bytes. */
export const CLUSTER_ID_BYTES_MAX = 1024;

/** A format-1 entry's f64 index and term. */
const ENTRY_FIXED_BYTES = 16;
/** A varint of a value below 2^53 takes at most this many bytes. */
const VARINT_BYTES_MAX = 8;
const HARD_STATE_BYTES = 24;
const CHECKPOINT_BYTES = 16;
const HEADER_FIXED_BYTES = 4 + 4 + 8 + 8 + 8 + 8 + 4;

export const RECORD_TYPE = { header: 1, entry: 2, hardState: 3, checkpoint: 4, compactEntry: 5 } as const;

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
  return FRAME_HEADER_BYTES + varintBytes(entry.index) + varintBytes(entry.term) + entry.data.length;
}

/** The size of a format-1 entry frame (type 2), which this walnut reads but no longer writes. */
export function formatOneEntryFrameBytes(entry: LogEntry): number {
  return FRAME_HEADER_BYTES + ENTRY_FIXED_BYTES + entry.data.length;
}

function varintBytes(value: number): number {
  let bytes = 1;
  for (let rest = value; rest >= 0x80; rest = Math.floor(rest / 0x80)) bytes += 1;
  return bytes;
}

function writeVarint(target: Buffer, offset: number, value: number): number {
  let at = offset;
  let rest = value;
  while (rest >= 0x80) {
    target[at++] = (rest % 0x80) | 0x80;
    rest = Math.floor(rest / 0x80);
  }
  target[at++] = rest;
  return at;
}

/** Where the last readVarint stopped (set only when it returned a value): no object per call. */
let varintEnd = 0;

/** The varint at `offset` of `buffer[0, end)`, or -1 when it runs past `end` or past 8 bytes. */
function readVarint(buffer: Buffer, offset: number, end: number): number {
  let value = 0;
  let scale = 1;
  for (let at = offset; at < end && at - offset < VARINT_BYTES_MAX; at++) {
    const byte = buffer[at]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      varintEnd = at + 1;
      return value;
    }
    scale *= 0x80;
  }
  return -1;
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
  let at = writeVarint(target, offset + FRAME_HEADER_BYTES, entry.index);
  at = writeVarint(target, at, entry.term);
  entry.data.copy(target, at);
  return sealFrame(target, offset, RECORD_TYPE.compactEntry, at - offset - FRAME_HEADER_BYTES + entry.data.length);
}

/** A format-1 entry frame (type 2): for tests that read logs written by an older walnut. */
export function writeFormatOneEntryFrame(target: Buffer, offset: number, entry: LogEntry): number {
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
 * Where a frame lies in its buffer and what it is, filled in place by viewFrameAt: a scan
 * of a million frames reuses one view instead of building a record object per frame.
 * The entry accessors are valid only while `isEntry` (type 2 or 5).
 */
export class FrameView {
  buffer: Buffer = Buffer.alloc(0);
  offset = 0;
  type = 0;
  frameBytes = 0;
  crc = 0;
  /** An entry's (either type's) index, term and where its data starts in `buffer`. */
  private index = 0;
  private term = 0;
  private dataStart = 0;

  get payloadStart(): number {
    return this.offset + FRAME_HEADER_BYTES;
  }

  get end(): number {
    return this.offset + this.frameBytes;
  }

  /** Whether the frame holds a log entry (type 2 or 5). */
  get isEntry(): boolean {
    return this.type === RECORD_TYPE.compactEntry || this.type === RECORD_TYPE.entry;
  }

  entryIndex(): number {
    return this.index;
  }

  entryTerm(): number {
    return this.term;
  }

  /** A view of the entry's data inside the buffer (no copy). */
  entryData(): Buffer {
    return this.buffer.subarray(this.dataStart, this.end);
  }

  /** Fills the entry fields from the payload at [start, end); false when it is malformed. */
  readEntry(type: number, buffer: Buffer, start: number, end: number): boolean {
    if (type === RECORD_TYPE.entry) {
      if (end - start < ENTRY_FIXED_BYTES) return false;
      this.index = buffer.readDoubleLE(start);
      this.term = buffer.readDoubleLE(start + 8);
      this.dataStart = start + ENTRY_FIXED_BYTES;
      return true;
    }
    const index = readVarint(buffer, start, end);
    if (index < 0) return false;
    const term = readVarint(buffer, varintEnd, end);
    if (term < 0 || !Number.isSafeInteger(index) || !Number.isSafeInteger(term)) return false;
    this.index = index;
    this.term = term;
    this.dataStart = varintEnd;
    return true;
  }

  /** The frame as a record object (viewFrameAt checked that it decodes). */
  record(): WalRecord {
    if (this.isEntry) return { type: "entry", entry: { index: this.index, term: this.term, data: this.entryData() } };
    const decoded = decodePayload(this.type, this.buffer.subarray(this.payloadStart, this.end));
    assert(!("reason" in decoded), "a viewed frame decodes");
    return decoded;
  }
}

/**
 * Checks the frame at `offset` of `buffer[0, end)` and fills `view` with it. Returns null,
 * or the reason the bytes there are not one (incomplete, length past end, bad checksum,
 * unknown type, malformed payload). Never throws on bad bytes; allocates only for damage
 * and for the rare segment header, whose payload it decodes to check.
 *
 * `checksums: "verified"` skips the checksum, and only that: for a second walk over the
 * very bytes in memory a first walk checked (recovery's replay of a buffer its scan kept).
 */
export function viewFrameAt(
  buffer: Buffer,
  offset: number,
  end: number,
  view: FrameView,
  checksums: "check" | "verified" = "check",
): FrameDamage | null {
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
  if (checksums === "check" && zlib.crc32(buffer.subarray(offset + 8, frameEnd)) !== crc) {
    return damage("bad checksum");
  }
  const type = buffer[offset + 8]!;
  if (type === RECORD_TYPE.compactEntry || type === RECORD_TYPE.entry) {
    if (!view.readEntry(type, buffer, offset + FRAME_HEADER_BYTES, frameEnd)) return badPayload("entry", payloadBytes);
  } else {
    const malformed = checkPayload(type, buffer, offset + FRAME_HEADER_BYTES, frameEnd);
    if (malformed !== null) return malformed;
  }
  view.buffer = buffer;
  view.offset = offset;
  view.type = type;
  view.frameBytes = frameEnd - offset;
  view.crc = crc;
  return null;
}

/** What decodePayload would reject in a frame other than an entry, checked without building the record (except a header's). */
function checkPayload(type: number, buffer: Buffer, start: number, end: number): FrameDamage | null {
  const payloadBytes = end - start;
  switch (type) {
    case RECORD_TYPE.hardState:
      return payloadBytes !== HARD_STATE_BYTES ? badPayload("hard state", payloadBytes) : null;
    case RECORD_TYPE.checkpoint:
      return payloadBytes !== CHECKPOINT_BYTES ? badPayload("checkpoint", payloadBytes) : null;
    case RECORD_TYPE.header: {
      const header = decodeHeader(buffer.subarray(start, end));
      return "reason" in header ? header : null;
    }
    default:
      return damage(`unknown type ${type}`, { checksumMatched: true });
  }
}

/**
 * Reads the frame at `offset` of `buffer[0, end)`. Returns the frame, or the reason
 * the bytes there are not one (as viewFrameAt). Never throws on bad bytes.
 */
export function readFrameAt(buffer: Buffer, offset: number, end: number): DecodedFrame | FrameDamage {
  const view = new FrameView();
  const problem = viewFrameAt(buffer, offset, end, view);
  if (problem !== null) return problem;
  return { record: view.record(), frameBytes: view.frameBytes, crc: view.crc };
}

export function isFrameDamage(result: DecodedFrame | FrameDamage): result is FrameDamage {
  return "reason" in result;
}

function decodePayload(type: number, payload: Buffer): WalRecord | FrameDamage {
  switch (type) {
    case RECORD_TYPE.header:
      return decodeHeader(payload);
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
  if (formatVersion < OLDEST_READABLE_FORMAT_VERSION || formatVersion > FORMAT_VERSION) {
    const reason = `unsupported format version ${formatVersion} (this walnut reads ${OLDEST_READABLE_FORMAT_VERSION} to ${FORMAT_VERSION})`;
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
