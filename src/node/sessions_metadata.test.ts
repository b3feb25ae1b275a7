/**
 * The session table in a checkpoint's metadata: written and read back whole (bigints and
 * error codes included), and the records of checkpoints written before ordered sessions
 * ([clientId, requestId, reply]) still restore.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SessionTable } from "../engine/engine.js";
import { SESSION_REPLY_BYTES_MAX } from "../engine/session_table.js";
import { array, bulk, error, integer, type Reply } from "../engine/reply.js";
import { WalnutError } from "../lib/errors.js";
import { encodeSessions, restoreSessions } from "./sessions_metadata.js";

/** Through JSON, as the checkpoint's metadata travels. */
function roundTrip(table: SessionTable): SessionTable {
  const restored = new SessionTable();
  restoreSessions(restored, JSON.parse(JSON.stringify(encodeSessions(table.snapshot()))), "test.ckpt");
  return restored;
}

test("a session table survives a checkpoint: next id, kept replies and recency order", () => {
  const table = new SessionTable();
  const big: Reply = { type: "array", items: [integer(2n ** 70n), bulk("x")] };
  table.applied("a", 1, 1, integer(1));
  table.applied("a", 2, 1, big);
  table.applied("b", 7, 7, error("ERR", "boom", "LIMIT"));
  table.applied("a", 3, 2, array([]));
  table.applied("h", 12, 0, bulk("single"));
  table.applied("large", 1, 1, bulk("x".repeat(SESSION_REPLY_BYTES_MAX)));
  const restored = roundTrip(table);
  assert.deepEqual(restored.snapshot(), table.snapshot());
  assert.deepEqual(restored.snapshot().map(([clientId]) => clientId), ["b", "a", "h", "large"]);
  assert.deepEqual(restored.verdict("large", 1, 1), { kind: "tooLarge" });
  assert.deepEqual(restored.verdict("a", 2, 2), { kind: "duplicate", reply: big });
  assert.deepEqual(restored.verdict("a", 4, 2), { kind: "apply" });
  assert.deepEqual(restored.verdict("a", 5, 2), { kind: "early", expected: 4 });
});

test("a checkpoint written before ordered sessions restores each client's last request and reply", () => {
  const old = [
    ["blocked-client:1", 3, { type: "array", items: [{ type: "bulk", value: "q" }, { type: "bulk", value: "a" }] }],
    ["http-client", 41, { type: "integer", value: { $bigint: "12345678901234567890" } }],
  ];
  const table = new SessionTable();
  restoreSessions(table, old, "old.ckpt");
  assert.deepEqual(table.get("blocked-client:1"), {
    next: 4,
    firstKept: 3,
    replies: [array([bulk("q"), bulk("a")])],
  });
  assert.deepEqual(table.verdict("http-client", 41, 0), { kind: "duplicate", reply: integer(12345678901234567890n) });
  assert.deepEqual(table.verdict("http-client", 42, 0), { kind: "apply" });
  assert.deepEqual(table.verdict("http-client", 40, 0), { kind: "forgotten" });
});

test("a malformed session record is refused as a corrupt checkpoint", () => {
  const corrupt = (encoded: unknown): void =>
    assert.throws(() => restoreSessions(new SessionTable(), encoded, "bad.ckpt"), (thrown: unknown) => thrown instanceof WalnutError && thrown.code === "CHECKPOINT_CORRUPT");
  corrupt({});
  corrupt([[1, 2, 3]]);
  corrupt([["a", 5, 4, [1, 2]]]); // replies 4 and 5 would make next 6, not 5
  corrupt([["a", 5, "4", []]]);
});

test("a session number (a RESP connection's client id) restores as a number, apart from the same digits as a string", () => {
  const table = new SessionTable();
  table.applied(7 * 1024, 1, 1, integer(1));
  table.applied("7168", 4, 4, integer(4));
  const restored = roundTrip(table);
  assert.deepEqual(restored.snapshot(), table.snapshot());
  assert.deepEqual(restored.verdict(7 * 1024, 1, 1), { kind: "duplicate", reply: integer(1) });
  assert.deepEqual(restored.verdict(7 * 1024, 2, 1), { kind: "apply" });
  assert.deepEqual(restored.verdict("7168", 5, 5), { kind: "apply" });
});

test("a session number that is not a positive whole number is a corrupt record", () => {
  for (const clientId of [0, -3, 1.5]) {
    assert.throws(
      () => restoreSessions(new SessionTable(), [[clientId, 2, 1, [integer(1)]]], "test.ckpt"),
      (thrown: unknown) => thrown instanceof WalnutError && thrown.code === "CHECKPOINT_CORRUPT",
    );
  }
});
