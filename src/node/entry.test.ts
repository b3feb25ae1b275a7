/**
 * The entry format: every kind of entry round-trips; a session number travels as an f64
 * under the 0x40 type flag, a string as before; entries written before session numbers
 * still decode.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeEntry, encodeEntry, type EntryPayload } from "./entry.js";
import { isWalnutError } from "../lib/errors.js";

const origin = { node: 3, sequence: 2 ** 40 + 7 };

const payloads: EntryPayload[] = [
  { origin, nowMs: 1.7e12, clientId: "", requestId: 0, type: "command", call: { collection: "default", argv: ["SET", "k", "v".repeat(100)] } },
  { origin, nowMs: 1.7e12, clientId: "1.abc.1", requestId: 9, ackBelow: 8, type: "command", call: { collection: "0", argv: ["DEL", "a", "b\u00ff"] } },
  {
    origin,
    nowMs: 5,
    clientId: "c",
    requestId: 2,
    type: "batch",
    conditions: [
      { collection: "default", key: "w", version: 4 },
      { collection: "default", key: "x", version: 0, absentSince: 12 },
    ],
    calls: [
      { collection: "default", argv: ["INCR", "w"] },
      { collection: "other", argv: ["SET", "x", ""] },
    ],
  },
  { origin, nowMs: 0, clientId: "", requestId: 0, ackBelow: 3, type: "noop" },
];

test("every kind of entry decodes to exactly the payload encoded, ackBelow present only when written", () => {
  for (const payload of payloads) {
    const decoded = decodeEntry(encodeEntry(payload));
    assert.deepEqual(decoded, payload);
    assert.equal("ackBelow" in decoded, "ackBelow" in payload);
  }
});

test("a truncated or unknown entry is refused as WAL_CORRUPT naming the byte", () => {
  const encoded = encodeEntry(payloads[0] as EntryPayload);
  for (const cut of [3, 20, encoded.length - 1]) {
    assert.throws(() => decodeEntry(encoded.subarray(0, cut)), (error: unknown) => isWalnutError(error, "WAL_CORRUPT") && /truncated/.test(error.message));
  }
  const unknown = Buffer.from(encoded);
  unknown[0] = 9;
  assert.throws(() => decodeEntry(unknown), (error: unknown) => isWalnutError(error, "WAL_CORRUPT") && /unknown entry type 9/.test(error.message));
});

const call = { collection: "default", argv: ["SET", "k", "v"] };

test("a numbered session's entry decodes to the same number, ackBelow included, and is shorter than a string id's", () => {
  const numbered: EntryPayload = { type: "command", nowMs: 1.7e12, clientId: 5 * 1024 + 3, requestId: 9, ackBelow: 8, call };
  const bytes = encodeEntry(numbered, { node: 2, sequence: 77 });
  assert.equal(bytes[0], 0x01 | 0x80 | 0x40);
  assert.deepEqual(decodeEntry(bytes), { ...numbered, origin: { node: 2, sequence: 77 } });
  const named = encodeEntry({ ...numbered, clientId: "2.0a1b2c3d4e5f.1" }, { node: 2, sequence: 77 });
  assert.equal(named.length - bytes.length, 4 + "2.0a1b2c3d4e5f.1".length - 8);
});

test("an entry with a string client id, as written before session numbers, decodes as it did", () => {
  // Laid out by hand from the format at the top of entry.ts: batch type with ackBelow, no 0x40 flag.
  const parts: Buffer[] = [];
  const u8 = (value: number): void => void parts.push(Buffer.from([value]));
  const u32 = (value: number): void => {
    const out = Buffer.alloc(4);
    out.writeUInt32LE(value);
    parts.push(out);
  };
  const f64 = (value: number): void => {
    const out = Buffer.alloc(8);
    out.writeDoubleLE(value);
    parts.push(out);
  };
  const str = (text: string): void => {
    u32(text.length);
    parts.push(Buffer.from(text, "latin1"));
  };
  u8(0x02 | 0x80);
  u32(1);
  f64(5);
  f64(1.7e12);
  str("1.abcdef012345.4");
  f64(3);
  f64(2);
  u32(0); // conditions
  u32(1); // commands
  str("default");
  u32(2);
  str("INCR");
  str("n");
  assert.deepEqual(decodeEntry(Buffer.concat(parts)), {
    type: "batch",
    origin: { node: 1, sequence: 5 },
    nowMs: 1.7e12,
    clientId: "1.abcdef012345.4",
    requestId: 3,
    ackBelow: 2,
    conditions: [],
    calls: [{ collection: "default", argv: ["INCR", "n"] }],
  });
});

test("no session is still the empty string, and a no-op carries none", () => {
  const noop: EntryPayload = { type: "noop", nowMs: 0, clientId: "", requestId: 0 };
  assert.deepEqual(decodeEntry(encodeEntry(noop)), { ...noop, origin: { node: 0, sequence: 0 } });
});
