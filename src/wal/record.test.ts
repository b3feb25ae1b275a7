import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as zlib from "node:zlib";
import {
  CHECKPOINT_FRAME_BYTES,
  FORMAT_VERSION,
  HARD_STATE_FRAME_BYTES,
  entryFrameBytes,
  formatOneEntryFrameBytes,
  writeFormatOneEntryFrame,
  headerFrameBytes,
  isFrameDamage,
  readFrameAt,
  writeCheckpointFrame,
  writeEntryFrame,
  writeHardStateFrame,
  writeHeaderFrame,
  type DecodedFrame,
  type SegmentHeader,
} from "./record.js";

function decode(buffer: Buffer): DecodedFrame {
  const result = readFrameAt(buffer, 0, buffer.length);
  assert.ok(!isFrameDamage(result), `expected a frame, got ${JSON.stringify(result)}`);
  assert.equal(result.frameBytes, buffer.length);
  return result;
}

function exampleEntryFrame(): Buffer {
  const entry = { index: 1, term: 1, data: Buffer.from("hi") };
  const buffer = Buffer.alloc(entryFrameBytes(entry));
  assert.equal(writeEntryFrame(buffer, 0, entry), buffer.length);
  return buffer;
}

test("an entry frame matches the worked example in the format comment", () => {
  const expected = "04000000 6c4df62e 05 01 01 6869".replaceAll(" ", "");
  assert.equal(exampleEntryFrame().toString("hex"), expected);
});

test("a format-1 entry frame matches the format comment and still reads as the same entry", () => {
  const entry = { index: 1, term: 1, data: Buffer.from("hi") };
  const buffer = Buffer.alloc(formatOneEntryFrameBytes(entry));
  assert.equal(writeFormatOneEntryFrame(buffer, 0, entry), buffer.length);
  const expected = "12000000 0912b861 02 000000000000f03f 000000000000f03f 6869".replaceAll(" ", "");
  assert.equal(buffer.toString("hex"), expected);
  assert.deepEqual(decode(buffer).record, { type: "entry", entry });
});

test("entry indexes and terms of every varint length round-trip", () => {
  for (const value of [0, 1, 127, 128, 16_383, 16_384, 2 ** 21, 2 ** 32 + 5, 2 ** 49, Number.MAX_SAFE_INTEGER]) {
    const entry = { index: value, term: Math.floor(value / 3), data: Buffer.from("x") };
    const buffer = Buffer.alloc(entryFrameBytes(entry));
    assert.equal(writeEntryFrame(buffer, 0, entry), buffer.length);
    assert.deepEqual(decode(buffer).record, { type: "entry", entry }, String(value));
  }
});

test("an entry whose varint runs past its payload is malformed, not torn", () => {
  // A payload of one byte with the continuation bit set: the index never ends.
  const buffer = Buffer.alloc(10);
  buffer.writeUInt32LE(1, 0);
  buffer[8] = 5;
  buffer[9] = 0x80;
  buffer.writeUInt32LE(zlib.crc32(buffer.subarray(8)), 4);
  const result = readFrameAt(buffer, 0, buffer.length);
  assert.ok(isFrameDamage(result));
  assert.deepEqual(result, { reason: "malformed entry payload (1 bytes)", checksumMatched: true });
});

test("an entry round-trips with binary data", () => {
  const data = Buffer.from([0, 255, 10, 13, 128]);
  const buffer = Buffer.alloc(entryFrameBytes({ index: 2 ** 40, term: 7, data }));
  writeEntryFrame(buffer, 0, { index: 2 ** 40, term: 7, data });
  assert.deepEqual(decode(buffer).record, { type: "entry", entry: { index: 2 ** 40, term: 7, data } });
});

test("an empty entry round-trips", () => {
  const empty = { index: 3, term: 1, data: Buffer.alloc(0) };
  const buffer = Buffer.alloc(entryFrameBytes(empty));
  writeEntryFrame(buffer, 0, empty);
  assert.deepEqual(decode(buffer).record, { type: "entry", entry: empty });
});

test("a hard state round-trips", () => {
  const buffer = Buffer.alloc(HARD_STATE_FRAME_BYTES);
  writeHardStateFrame(buffer, 0, { term: 5, vote: 3, commit: 2 ** 50 });
  assert.deepEqual(decode(buffer).record, { type: "hard-state", hardState: { term: 5, vote: 3, commit: 2 ** 50 } });
});

test("a checkpoint marker round-trips", () => {
  const buffer = Buffer.alloc(CHECKPOINT_FRAME_BYTES);
  writeCheckpointFrame(buffer, 0, { index: 120, term: 4 });
  assert.deepEqual(decode(buffer).record, { type: "checkpoint", checkpoint: { index: 120, term: 4 } });
});

test("a segment header round-trips with a non-ASCII cluster id", () => {
  const header: SegmentHeader = {
    formatVersion: FORMAT_VERSION,
    clusterId: "clüster-Ω",
    nodeId: 3,
    segmentSeq: 12,
    firstIndex: 1000,
    previousTerm: 9,
    previousSegmentCrc: 0xdeadbeef,
  };
  const buffer = Buffer.alloc(headerFrameBytes(header));
  writeHeaderFrame(buffer, 0, header);
  assert.deepEqual(decode(buffer).record, { type: "header", header });
});

test("a frame can be written at an offset inside a larger buffer", () => {
  const buffer = Buffer.alloc(100 + CHECKPOINT_FRAME_BYTES);
  const end = writeCheckpointFrame(buffer, 100, { index: 1, term: 1 });
  assert.equal(end, buffer.length);
  const result = readFrameAt(buffer, 100, end);
  assert.ok(!isFrameDamage(result));
  assert.equal(result.record.type, "checkpoint");
});

test("reading a frame reports a bad checksum when any bit flips", () => {
  const frame = exampleEntryFrame();
  for (let bit = 0; bit < frame.length * 8; bit += 1) {
    const damaged = Buffer.from(frame);
    damaged[bit >> 3]! ^= 1 << (bit & 7);
    const result = readFrameAt(damaged, 0, damaged.length);
    assert.ok(isFrameDamage(result), `bit ${bit} went unnoticed`);
  }
});

test("reading a frame names a cut-short frame as incomplete or past the end", () => {
  const frame = exampleEntryFrame();
  const short = readFrameAt(frame, 0, 5);
  assert.ok(isFrameDamage(short) && short.reason.startsWith("incomplete frame header"));
  const cut = readFrameAt(frame, 0, frame.length - 1);
  assert.ok(isFrameDamage(cut) && cut.reason.startsWith("length past end of file"));
  assert.equal(cut.checksumMatched, false);
});

test("reading a frame reports an unknown type whose checksum matches", async () => {
  const frame = exampleEntryFrame();
  frame[8] = 9;
  const zlib = await import("node:zlib");
  frame.writeUInt32LE(zlib.crc32(frame.subarray(8)), 4);
  const result = readFrameAt(frame, 0, frame.length);
  assert.ok(isFrameDamage(result));
  assert.equal(result.reason, "unknown type 9");
  assert.equal(result.checksumMatched, true);
});

test("writing an entry with a fractional index is an invariant violation", () => {
  const buffer = Buffer.alloc(64);
  assert.throws(() => writeEntryFrame(buffer, 0, { index: 1.5, term: 1, data: Buffer.alloc(0) }), /invariant/);
});
