import { test } from "node:test";
import * as assert from "node:assert/strict";
import { majority, quorumMatchIndex, tallyVotes } from "./quorum.js";

test("a majority is more than half of the voters", () => {
  assert.deepEqual([1, 2, 3, 4, 5].map(majority), [1, 2, 2, 3, 3]);
});

test("the quorum match index is the highest index a majority of voters holds", () => {
  const matches = new Map([[1, 9], [2, 4], [3, 7], [4, 2], [5, 7]]);
  assert.equal(quorumMatchIndex([1, 2, 3, 4, 5], (id) => matches.get(id) ?? 0), 7);
  assert.equal(quorumMatchIndex([1, 2, 3, 4], (id) => matches.get(id) ?? 0), 4);
  assert.equal(quorumMatchIndex([], () => 5), 0);
});

test("an election is won by a majority of grants and lost when a majority is out of reach", () => {
  assert.equal(tallyVotes([1, 2, 3], new Map([[1, true]])), "pending");
  assert.equal(tallyVotes([1, 2, 3], new Map([[1, true], [2, true]])), "won");
  assert.equal(tallyVotes([1, 2, 3], new Map([[1, true], [2, false], [3, false]])), "lost");
  assert.equal(tallyVotes([1, 2, 3], new Map([[4, true], [1, true]])), "pending", "a non-voter's grant does not count");
});
