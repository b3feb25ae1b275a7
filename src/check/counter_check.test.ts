import { test } from "node:test";
import assert from "node:assert/strict";
import { checkCounters } from "./counter_check.js";
import type { RecordedOperation } from "./history.js";
import type { FinalStates } from "./set_check.js";
import { failed, incr, ok, read, unknown, write } from "./test_histories.js";

function check(operations: RecordedOperation[], ...finals: (string | null)[]) {
  const finalStates: FinalStates = new Map(finals.map((value, index) => [index + 1, new Map([["x", value]])]));
  return checkCounters({ operations, faults: [] }, finalStates);
}

const threeIncrements = [ok(1, incr(), 0, 1, "1"), ok(2, incr(), 2, 3, "2"), ok(1, incr(), 4, 5, "3")];

test("acknowledged increments all counted pass", () => {
  const result = check(threeIncrements, "3", "3");
  assert.equal(result.verdict, "pass");
  assert.equal(result.keysChecked, 1);
});

test("a final value below the acknowledged increments loses increments", () => {
  const result = check(threeIncrements, "3", "2");
  assert.equal(result.verdict, "fail");
  assert.equal(result.incrementsLost, 1);
  assert.deepEqual(
    result.problems.map((problem) => problem.node),
    [2, 2],
  );
});

test("unknown increments may or may not count; failed ones never", () => {
  const history = [...threeIncrements, unknown(3, incr(), 6, 7), failed(3, incr(), 8, 9)];
  for (const final of ["3", "4"]) assert.equal(check(history, final).verdict, "pass");
  const invented = check(history, "5");
  assert.equal(invented.verdict, "fail");
  assert.equal(invented.incrementsInvented, 1);
});

test("two increments answering the same value are duplicates", () => {
  const history = [ok(1, incr(), 0, 5, "1"), ok(2, incr(), 1, 6, "1")];
  const result = check(history, "2");
  assert.equal(result.verdict, "fail");
  assert.equal(result.duplicateResults, 1);
});

test("an acknowledged result above the final value fails", () => {
  const history = [ok(1, incr(), 0, 5, "1"), ok(2, incr(), 1, 6, "7")];
  assert.equal(check(history, "2").verdict, "fail");
});

test("an absent final value counts as 0 and a non-integer one fails", () => {
  assert.equal(check([unknown(1, incr(), 0, 1)], null).verdict, "pass");
  assert.equal(check([ok(1, incr(), 0, 1, "1")], null).incrementsLost, 1);
  assert.match(check([ok(1, incr(), 0, 1, "1")], "one").problems[0]?.message ?? "", /not an integer/);
});

test("reads do not stop a key being a counter; a write does", () => {
  assert.equal(check([ok(1, incr(), 0, 1, "1"), ok(2, read(), 2, 3, "1")], "1").keysChecked, 1);
  assert.equal(check([ok(1, write("5"), 0, 1), ok(1, incr(), 2, 3, "6")], "0").keysChecked, 0);
});
