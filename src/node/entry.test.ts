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
