import { test } from "node:test";
import * as assert from "node:assert/strict";
import { isWalnutError } from "../lib/errors.js";
import { encodeFrame, FRAME_KIND, FrameReader, type Frame } from "./frames.js";

function sampleFrames(): Frame[] {
  return [
    { kind: FRAME_KIND.message, payload: Buffer.from("first message") },
    { kind: FRAME_KIND.welcome, payload: Buffer.alloc(0) },
    { kind: FRAME_KIND.snapshotChunk, payload: Buffer.alloc(3000, 7) },
    { kind: FRAME_KIND.snapshotDone, payload: Buffer.from([1]) },
  ];
}

function stream(frames: Frame[]): Buffer {
  return Buffer.concat(frames.map((frame) => encodeFrame(frame.kind, frame.payload)));
}

test("the documented snapshotDone frame is 6 bytes", () => {
  assert.equal(encodeFrame(FRAME_KIND.snapshotDone, Buffer.from([1])).toString("hex"), "010000000a01");
});

test("the frame reader reassembles frames fed one byte at a time", () => {
  const bytes = stream(sampleFrames());
  const reader = new FrameReader(4096);
  const received: Frame[] = [];
  for (let position = 0; position < bytes.length; position += 1) {
    received.push(...reader.push(bytes.subarray(position, position + 1)));
  }
  assert.deepEqual(received, sampleFrames());
  assert.equal(reader.pendingBytes, 0);
});

test("the frame reader returns every frame of one large chunk", () => {
  const reader = new FrameReader(4096);
  assert.deepEqual(reader.push(stream(sampleFrames())), sampleFrames());
});

test("the frame reader handles every split point between two chunks", () => {
  const bytes = stream(sampleFrames());
  for (let split = 0; split <= bytes.length; split += 97) {
    const reader = new FrameReader(4096);
    const received = [...reader.push(bytes.subarray(0, split)), ...reader.push(bytes.subarray(split))];
    assert.deepEqual(received, sampleFrames(), `split at ${split}`);
  }
});

test("an oversized length is refused as soon as its header arrives", () => {
  const reader = new FrameReader(1024);
  const header = Buffer.from([0x01, 0x04, 0x00, 0x00, FRAME_KIND.message]);
  assert.throws(
    () => reader.push(header),
    (error: unknown) => isWalnutError(error, "LIMIT") && /length 1025 exceeds the maximum of 1024 bytes/.test(error.message),
  );
});

test("a frame of exactly the maximum size is accepted", () => {
  const reader = new FrameReader(1024);
  const frames = reader.push(encodeFrame(FRAME_KIND.snapshotChunk, Buffer.alloc(1024, 1)));
  assert.equal(frames.length, 1);
  assert.equal(frames[0]!.payload.length, 1024);
});

test("an unknown frame kind is refused", () => {
  const reader = new FrameReader(1024);
  assert.throws(
    () => reader.push(Buffer.from([0, 0, 0, 0, 99])),
    (error: unknown) => isWalnutError(error, "BAD_ARGUMENT") && /kind 99 is unknown/.test(error.message),
  );
});

test("buffered bytes never exceed one frame", () => {
  const reader = new FrameReader(2000);
  const bytes = stream([{ kind: FRAME_KIND.snapshotChunk, payload: Buffer.alloc(2000) }]);
  reader.push(bytes.subarray(0, 1500));
  assert.equal(reader.pendingBytes, 1495);
  assert.equal(reader.push(bytes.subarray(1500)).length, 1);
  assert.equal(reader.pendingBytes, 0);
});
