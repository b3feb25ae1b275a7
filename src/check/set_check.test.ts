import { test } from "node:test";
import assert from "node:assert/strict";
import type { RecordedOperation } from "./history.js";
import { checkFinalState, FINAL_READ_CLIENT, finalReads, type FinalStates } from "./set_check.js";
import { seededRandom } from "../lib/seeded_random.js";
import { toModelOperation } from "./key_histories.js";
import { searchLinearization } from "./linearizability.js";
import { registerModel } from "./register_model.js";
import { cas, incr, ok, randomSmallHistory, read, unknown, write } from "./test_histories.js";

function states(...nodes: Record<string, string | null>[]): FinalStates {
  return new Map(nodes.map((values, index) => [index + 1, new Map(Object.entries(values))]));
}

function check(operations: RecordedOperation[], finalStates: FinalStates) {
  return checkFinalState({ operations, faults: [] }, finalStates);
}

test("the final value of the last acknowledged write passes", () => {
  const result = check([ok(1, write("a"), 0, 1), ok(1, write("b"), 2, 3)], states({ x: "b" }, { x: "b" }));
  assert.equal(result.verdict, "pass");
  assert.equal(result.keysChecked, 1);
  assert.equal(result.acknowledgedWritesLost, 0);
});

test("a node holding an older value loses the acknowledged write after it", () => {
  const history = [ok(1, write("a"), 0, 1), ok(1, write("b"), 2, 3), ok(1, write("c"), 4, 5)];
  const result = check(history, states({ x: "c" }, { x: "a" }));
  assert.equal(result.verdict, "fail");
  assert.deepEqual(result.nonLinearizableKeys, ["x"]);
  assert.deepEqual(result.divergentKeys, ["x"]);
  assert.equal(result.acknowledgedWritesLost, 2);
  assert.deepEqual(
    result.lostWrites.map((lost) => [lost.operation, lost.node, lost.finalValue]),
    [
      [1, 2, "a"],
      [2, 2, "a"],
    ],
  );
});

test("concurrent writes may leave either value", () => {
  const history = [ok(1, write("a"), 0, 10), ok(2, write("b"), 1, 9)];
  for (const value of ["a", "b"]) assert.equal(check(history, states({ x: value })).verdict, "pass");
});

test("an unknown write may appear in the final state, or not", () => {
  const history = [ok(1, write("a"), 0, 1), unknown(2, write("b"), 2, 3)];
  assert.equal(check(history, states({ x: "b" })).verdict, "pass");
  assert.equal(check(history, states({ x: "a" })).verdict, "pass");
});

test("an unknown write may land after every read, but a value never written is lost data", () => {
  const history = [unknown(1, write("old"), 0, 1), ok(2, write("new"), 2, 3), ok(3, read(), 4, 5, "new")];
  // "old" may land after the read: then it is the final value. Fine.
  assert.equal(check(history, states({ x: "old" })).verdict, "pass");
  // But a value never written is lost data.
  const lost = check(history, states({ x: null }));
  assert.equal(lost.verdict, "fail");
  assert.equal(lost.acknowledgedWritesLost, 1);
});

test("a successful compare-and-set is an acknowledged write; a failed one is not", () => {
  const history = [ok(1, write("a"), 0, 1), ok(1, cas("a", "b"), 2, 3, "true"), ok(2, cas("a", "c"), 4, 5, "false")];
  assert.equal(check(history, states({ x: "b" })).verdict, "pass");
  const result = check(history, states({ x: "c" }));
  assert.equal(result.verdict, "fail");
  assert.equal(result.acknowledgedWritesLost, 2);
});

test("a write followed by possible increments is explained by their results", () => {
  const history = [ok(1, write("5"), 0, 1), ok(1, incr(), 2, 3, "6"), unknown(2, incr(), 4, 5)];
  assert.equal(check(history, states({ x: "7" })).acknowledgedWritesLost, 0);
  assert.equal(check(history, states({ x: "7" })).verdict, "pass");
  assert.equal(check(history, states({ x: "5" })).verdict, "fail");
});

test("keys not read on a node are reported and not checked there", () => {
  const history = [ok(1, write("a"), 0, 1), ok(1, write("b", "y"), 0, 1)];
  const result = check(history, states({ x: "a" }, {}));
  assert.deepEqual(result.unreadKeys, [
    { key: "x", node: 2 },
    { key: "y", node: 1 },
    { key: "y", node: 2 },
  ]);
  assert.equal(result.keysChecked, 1);
  assert.equal(result.verdict, "pass");
});

test("skipped keys are not searched again but still counted for lost writes", () => {
  const history = [ok(1, write("a"), 0, 1), ok(2, read(), 2, 3, "zzz")];
  const result = checkFinalState({ operations: history, faults: [] }, states({ x: null }), { skipKeys: new Set(["x"]) });
  assert.deepEqual(result.nonLinearizableKeys, []);
  assert.equal(result.acknowledgedWritesLost, 1);
});

test("final reads come after everything, from the final-read client, one per node", () => {
  const reads = finalReads("x", states({ x: "a" }, { y: "b" }, { x: null }), 100);
  assert.deepEqual(
    reads.map((read) => [read.client, read.node, read.invokedAtMs, read.completedAtMs, read.result]),
    [
      [FINAL_READ_CLIENT, 1, 101, 102, "a"],
      [FINAL_READ_CLIENT, 3, 101, 102, null],
    ],
  );
});

test("a write counted lost is one no linearization with the final value keeps", () => {
  const random = seededRandom(99);
  let lostCounted = 0;
  for (let round = 0; round < 2_000; round++) {
    const operations = randomSmallHistory(random, 2 + Math.floor(random() * 5));
    if (searchLinearization(registerModel(), operations.map(toModelOperation)).verdict !== "linearizable") continue;
    const finalValue = [null, "1", "2", "3"][Math.floor(random() * 4)] as string | null;
    const result = check(operations, states({ x: finalValue }));
    if (result.lostWrites.length === 0) continue;
    lostCounted++;
    assert.deepEqual(result.nonLinearizableKeys, ["x"], JSON.stringify({ operations, finalValue }));
  }
  assert.ok(lostCounted > 50, `${lostCounted} histories with lost writes`);
});
