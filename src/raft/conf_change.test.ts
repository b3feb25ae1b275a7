import { test } from "node:test";
import * as assert from "node:assert/strict";
import { applyConfChange, decodeConfChange, encodeConfChange, foldConfChanges } from "./conf_change.js";
import type { ConfChange, Entry } from "./types.js";

test("a membership change encodes as in the worked example", () => {
  assert.deepEqual([...encodeConfChange({ type: "addLearner", node: 4 })], [2, 4, 0, 0, 0, 0, 0, 0, 0]);
});

test("every change round-trips, including node ids above 2^32", () => {
  for (const change of [
    { type: "addVoter", node: 1 },
    { type: "addLearner", node: 2 ** 40 + 3 },
    { type: "remove", node: Number.MAX_SAFE_INTEGER },
  ] satisfies ConfChange[]) {
    assert.deepEqual(decodeConfChange(encodeConfChange(change)), change);
  }
});

test("malformed membership changes are refused with a clear error", () => {
  assert.throws(() => decodeConfChange(new Uint8Array(3)), { code: "BAD_ARGUMENT", message: /3 bytes, expected 9/ });
  assert.throws(() => decodeConfChange(new Uint8Array([7, 1, 0, 0, 0, 0, 0, 0, 0])), { message: /unknown kind 7/ });
  assert.throws(() => encodeConfChange({ type: "addVoter", node: 0 }), { code: "BAD_ARGUMENT" });
});

test("a change sets one node's membership: voter, learner or absent", () => {
  const start = { voters: [1, 2, 3], learners: [4] };
  assert.deepEqual(applyConfChange(start, { type: "addVoter", node: 4 }), { voters: [1, 2, 3, 4], learners: [] });
  assert.deepEqual(applyConfChange(start, { type: "addLearner", node: 2 }), { voters: [1, 3], learners: [2, 4] });
  assert.deepEqual(applyConfChange(start, { type: "remove", node: 1 }), { voters: [2, 3], learners: [4] });
  assert.deepEqual(start, { voters: [1, 2, 3], learners: [4] }, "the input is untouched");
});

test("folding a log's changes twice gives the same membership as folding them once", () => {
  const changes: ConfChange[] = [{ type: "remove", node: 3 }, { type: "addLearner", node: 5 }, { type: "addVoter", node: 3 }];
  const entries: Entry[] = changes.map((change, offset) => ({ index: offset + 1, term: 1, type: "confChange", data: encodeConfChange(change) }));
  const once = foldConfChanges({ voters: [1, 2, 3], learners: [] }, entries);
  assert.deepEqual(once, { voters: [1, 2, 3], learners: [5] });
  assert.deepEqual(foldConfChanges(once, entries), once);
});
