import { test } from "node:test";
import * as assert from "node:assert/strict";
import { isWalnutError } from "../lib/errors.js";
import type { Message, MessageType } from "../raft/types.js";
import { decodeMessage, decodeSnapshotMetadata, encodeMessage, encodeSnapshotMetadata } from "./message_codec.js";

const ALL_TYPES: MessageType[] = [
  "prevote",
  "prevoteResponse",
  "vote",
  "voteResponse",
  "append",
  "appendResponse",
  "heartbeat",
  "heartbeatResponse",
  "snapshot",
  "snapshotStatus",
  "timeoutNow",
  "readIndex",
  "readIndexResponse",
  "propose",
  "unreachable",
];

function bytes(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, "latin1"));
}

function message(fields: Partial<Message> & Pick<Message, "type">): Message {
  return {
    from: 1,
    to: 2,
    term: 0,
    logIndex: 0,
    logTerm: 0,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
    index: 0,
    snapshot: null,
    context: new Uint8Array(0),
    ...fields,
  };
}

/** Every field set to something distinct from its default. */
function fullMessage(type: MessageType): Message {
  return message({
    type,
    from: 3,
    to: 2 ** 53 - 1,
    term: 12345678901,
    logIndex: 300,
    logTerm: 127,
    commit: 128,
    reject: true,
    rejectHint: 2 ** 40,
    index: 77,
    context: bytes("read-ctx\x00\xff"),
    entries: [
      { index: 301, term: 127, type: "normal", data: bytes("SET k v") },
      { index: 302, term: 128, type: "confChange", data: bytes("\x01\x04") },
      { index: 303, term: 128, type: "normal", data: new Uint8Array(0) },
    ],
    snapshot: { index: 299, term: 126, confState: { voters: [1, 2, 3], learners: [9] } },
  });
}

function assertRefused(buffer: Uint8Array, pattern: RegExp): void {
  assert.throws(
    () => decodeMessage(buffer),
    (error: unknown) => isWalnutError(error, "BAD_ARGUMENT") && /^Cannot decode peer message: /.test(error.message) && pattern.test(error.message),
  );
}

test("every message type round trips with every field set", () => {
  for (const type of ALL_TYPES) {
    const original = fullMessage(type);
    assert.deepEqual(decodeMessage(encodeMessage(original)), original, type);
  }
});

test("every message type round trips with every field at its default", () => {
  for (const type of ALL_TYPES) {
    const original = message({ type, from: 0, to: 0 });
    assert.deepEqual(decodeMessage(encodeMessage(original)), original, type);
  }
});

test("each field survives on its own", () => {
  const numeric = ["from", "to", "term", "logIndex", "logTerm", "commit", "rejectHint", "index"] as const;
  for (const field of numeric) {
    for (const value of [1, 127, 128, 16383, 16384, 2 ** 31, 2 ** 32, 2 ** 53 - 1]) {
      const original = message({ type: "append", [field]: value });
      assert.deepEqual(decodeMessage(encodeMessage(original)), original, `${field} = ${value}`);
    }
  }
  const rejected = message({ type: "appendResponse", reject: true });
  assert.equal(decodeMessage(encodeMessage(rejected)).reject, true);
  const snapshotOnly = message({ type: "snapshot", snapshot: { index: 5, term: 2, confState: { voters: [], learners: [] } } });
  assert.deepEqual(decodeMessage(encodeMessage(snapshotOnly)), snapshotOnly);
});

test("entries carry large data byte for byte", () => {
  const data = new Uint8Array(1024 * 1024 + 3).map((_, position) => (position * 31) % 256);
  const original = message({ type: "append", entries: [{ index: 1, term: 1, type: "normal", data }] });
  const decoded = decodeMessage(encodeMessage(original));
  assert.deepEqual(decoded, original);
});

test("the documented heartbeat encodes to the documented 15 bytes", () => {
  const heartbeat = message({ type: "heartbeat", from: 1, to: 2, term: 3, commit: 7, context: bytes("ab") });
  assert.equal(encodeMessage(heartbeat).toString("hex"), "010700" + "0102030000070000" + "026162" + "00");
});

test("snapshot metadata round trips alone", () => {
  const metadata = { index: 10, term: 3, confState: { voters: [1, 2], learners: [3, 4] } };
  assert.deepEqual(decodeSnapshotMetadata(encodeSnapshotMetadata(metadata)), metadata);
});

test("every truncation of a valid message is refused", () => {
  const encoded = encodeMessage(fullMessage("append"));
  for (let length = 0; length < encoded.length; length += 1) {
    assertRefused(encoded.subarray(0, length), /truncated|remain|cannot fit/);
  }
});

test("trailing bytes are refused", () => {
  const encoded = encodeMessage(fullMessage("vote"));
  assertRefused(Buffer.concat([encoded, Buffer.from([0])]), /unexpected bytes after the end/);
});

test("unknown versions, types, flags and entry types are refused", () => {
  const encoded = encodeMessage(message({ type: "append", entries: [{ index: 1, term: 1, type: "normal", data: new Uint8Array(0) }] }));
  const with_ = (position: number, value: number): Buffer => {
    const copy = Buffer.from(encoded);
    copy[position] = value;
    return copy;
  };
  assertRefused(with_(0, 2), /codec version 2 is not 1/);
  assertRefused(with_(1, 0), /message type 0 is unknown/);
  assertRefused(with_(1, 16), /message type 16 is unknown/);
  assertRefused(with_(2, 4), /flags 0x4 has unknown bits/);
  assertRefused(with_(encoded.length - 2, 2), /entry 0 type 2 is unknown/);
});

test("lengths and counts that the buffer cannot hold are refused", () => {
  const header = [1, 5, 0, 1, 2, 0, 0, 0, 0, 0, 0];
  // context length 2^35 announced in a 20-byte message
  assertRefused(Buffer.from([...header, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0]), /context length .* exceeds/);
  // context of 5 bytes, 1 present
  assertRefused(Buffer.from([...header, 5, 0x61]), /context needs 5 bytes but 1 remain/);
  // a million entries announced, none present
  assertRefused(Buffer.from([...header, 0, 0xc0, 0x84, 0x3d]), /entry count 1000000 cannot fit/);
  // a snapshot with ten voters announced and none present
  assertRefused(Buffer.from([1, 9, 2, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 5, 1, 10]), /voter count 10 cannot fit/);
});

test("varints beyond 2^53, longer than 8 bytes, or not minimal are refused", () => {
  const prefix = [1, 7, 0];
  assertRefused(Buffer.from([...prefix, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]), /from .* exceeds 2\^53 - 1/);
  assertRefused(Buffer.from([...prefix, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), /from is a varint longer than 8 bytes/);
  assertRefused(Buffer.from([...prefix, 0x81, 0x00]), /from is a varint with a redundant zero byte/);
});

test("random bytes never decode into anything but a clear refusal", () => {
  let seed = 12345;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let round = 0; round < 2000; round += 1) {
    const garbage = Buffer.from(Array.from({ length: Math.floor(random() * 64) }, () => Math.floor(random() * 256)));
    try {
      decodeMessage(garbage);
    } catch (error) {
      assert.ok(isWalnutError(error, "BAD_ARGUMENT"), String(error));
    }
  }
});

test("decoded byte strings do not share memory with the input buffer", () => {
  const encoded = encodeMessage(fullMessage("append"));
  const decoded = decodeMessage(encoded);
  encoded.fill(0);
  assert.deepEqual(decoded, fullMessage("append"));
});
