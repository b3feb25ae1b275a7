/**
 * The safety watch (raft_safety.ts) must catch what it claims to: two leaders of one
 * term, two entries applied at one index, an apply that skips or repeats an index.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { EntryPayload } from "../node/entry.js";
import { RaftSafety } from "./raft_safety.js";

function watch(): { safety: RaftSafety; violations: string[] } {
  const violations: string[] = [];
  return { safety: new RaftSafety((kind, message) => violations.push(`${kind}: ${message}`)), violations };
}

const header = { nowMs: 1_000, clientId: "", requestId: 0 };
const noop: EntryPayload = { ...header, type: "noop" };
const set = (value: string): EntryPayload => ({ ...header, type: "command", call: { collection: "default", argv: ["SET", "k", value] } });

test("two leaders of one term break election safety; one leader twice, or leaders of two terms, do not", () => {
  const { safety, violations } = watch();
  safety.leading(1, 2);
  safety.leading(1, 2);
  safety.leading(2, 3);
  assert.deepEqual(violations, []);
  safety.leading(3, 3);
  assert.equal(violations.length, 1);
  assert.match(violations[0] as string, /^election safety: nodes 2 and 3 both led term 3/);
});

test("different entries applied at one index break state machine safety", () => {
  const { safety, violations } = watch();
  safety.applying(1, 0, 1, 1, noop);
  safety.applying(2, 0, 1, 1, noop);
  safety.applying(1, 1, 2, 1, set("a"));
  assert.deepEqual(violations, []);
  safety.applying(2, 1, 2, 1, set("b"));
  assert.match(violations[0] ?? "", /^state machine safety: node 2 applied term 1/);
  safety.applying(3, 1, 2, 2, set("a"));
  assert.equal(violations.length, 2, "the same payload in another term differs too");
});

test("an apply that skips or repeats an index breaks state machine safety", () => {
  const { safety, violations } = watch();
  safety.applying(1, 4, 6, 1, noop);
  assert.match(violations[0] ?? "", /node 1 applies index 6 right after 4/);
  safety.applying(1, 4, 4, 1, noop);
  assert.match(violations[1] ?? "", /node 1 applies index 4 right after 4/);
});
