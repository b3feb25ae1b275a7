import { test } from "node:test";
import assert from "node:assert/strict";
import type { RecordedOperation } from "./history.js";
import { toModelOperation } from "./key_histories.js";
import { searchLinearization } from "./linearizability.js";
import { shrinkFailingHistory, type FailingSubHistory } from "./minimal_failing.js";
import { randomLinearizableHistory } from "./random_history.js";
import { ANY_VALUE, registerModel } from "./register_model.js";
import { cas, incr, ok, read, unknown, write } from "./test_histories.js";

function stillFails(shrunk: FailingSubHistory): boolean {
  const model = registerModel(shrunk.initialValueUnknown ? ANY_VALUE : null);
  return searchLinearization(model, shrunk.operations.map(toModelOperation)).verdict === "not-linearizable";
}

/** A random linearizable history with one read made stale: it returns an old value. */
function historyWithStaleRead(seed: number): { history: RecordedOperation[]; staleRead: RecordedOperation } {
  const history = randomLinearizableHistory({ seed, operations: 400, clients: 5, kinds: ["read", "write", "cas"], unknownRate: 0.02 }).filter(
    (operation) => operation.outcome !== "failed",
  );
  // Writes of fresh values make the stale read unambiguous: "w<i>" is written once.
  history.forEach((operation, index) => {
    if (operation.command.kind === "write") history[index] = { ...operation, command: { ...operation.command, value: `w${index}` } };
  });
  const rewritten = rerunReads(history);
  const firstWrite = rewritten.findIndex((operation) => operation.command.kind === "write" && operation.outcome === "ok");
  const firstValue = (rewritten[firstWrite] as RecordedOperation).command.kind === "write" ? `w${firstWrite}` : "";
  const readIndex = rewritten.findIndex((operation, index) => index > 300 && operation.command.kind === "read" && operation.outcome === "ok");
  const staleRead = { ...(rewritten[readIndex] as RecordedOperation), result: firstValue };
  rewritten[readIndex] = staleRead;
  return { history: rewritten, staleRead };
}

/** Sequential, non-overlapping replay so every result matches the rewritten values. */
function rerunReads(history: RecordedOperation[]): RecordedOperation[] {
  let value: string | null = null;
  return history.map((operation, index) => {
    const spaced = { ...operation, invokedAtMs: index * 10 + (operation.client % 3), completedAtMs: index * 10 + 5 + (operation.client % 3) };
    if (operation.outcome !== "ok") return { ...spaced, outcome: "unknown" as const, completedAtMs: spaced.completedAtMs };
    const command = operation.command;
    if (command.kind === "read") return { ...spaced, result: value };
    if (command.kind === "write") value = command.value;
    if (command.kind === "cas") {
      const swapped = value === command.expected;
      if (swapped) value = command.value;
      return { ...spaced, result: String(swapped) };
    }
    return spaced;
  });
}

test("a stale read in 400 operations shrinks to a handful that still fail", () => {
  for (const seed of [3, 11]) {
    const { history, staleRead } = historyWithStaleRead(seed);
    assert.equal(searchLinearization(registerModel(), history.map(toModelOperation)).verdict, "not-linearizable");
    const shrunk = shrinkFailingHistory("x", history);
    assert.ok(stillFails(shrunk), "the sub-history still fails");
    assert.ok(shrunk.operations.length <= 6, `seed ${seed}: shrunk to ${shrunk.operations.length} operations`);
    assert.ok(shrunk.operations.includes(staleRead), "the stale read is kept");
    assert.equal(shrunk.stuckOperation !== null && shrunk.operations[shrunk.stuckOperation], staleRead);
    assert.equal(shrunk.originalOperations, history.length);
    assert.equal(shrunk.complete, true);
  }
});

test("the shrinker never drops the write that a kept read saw", () => {
  // write(b) runs long; a read sees b, a later one a again. Without write(b) the read of b
  // would fail on its own: a failure the shrinking made up, not the anomaly.
  const history = [ok(1, write("a"), 0, 1), ok(1, write("b"), 2, 10), ok(2, read(), 3, 4, "b"), ok(2, read(), 5, 6, "a"), ok(3, read(), 8, 9, "b")];
  const shrunk = shrinkFailingHistory("x", history);
  assert.ok(stillFails(shrunk));
  // The write is kept (relaxed to unknown: the cut after the stale read ends it).
  assert.deepEqual(
    shrunk.operations.map((operation) => [operation.command, operation.invokedAtMs]),
    history.slice(1, 4).map((operation) => [operation.command, operation.invokedAtMs]),
  );
  assert.equal(shrunk.stuckOperation, 2);
});

test("a double increment shrinks to the two increments", () => {
  const history: RecordedOperation[] = [];
  for (let index = 0; index < 40; index++) history.push(ok(index % 4, incr(), index * 10, index * 10 + 5, String(index + 1)));
  history.push(ok(9, incr(), 405, 408, "40"));
  const shrunk = shrinkFailingHistory("x", history);
  assert.ok(stillFails(shrunk));
  assert.ok(shrunk.operations.length <= 3, `shrunk to ${shrunk.operations.length}`);
});

test("a compare-and-set anomaly among unknown writes keeps the unknowns that matter", () => {
  const history = [
    ok(1, write("a"), 0, 1),
    unknown(2, write("q"), 2, 3),
    ok(3, cas("a", "b"), 10, 11, "true"),
    ok(4, cas("a", "c"), 12, 13, "true"),
    ok(5, read(), 14, 15, "c"),
    ok(6, write("z"), 20, 21),
    ok(6, read(), 22, 23, "z"),
  ];
  const shrunk = shrinkFailingHistory("x", history);
  assert.ok(stillFails(shrunk));
  assert.ok(shrunk.operations.length <= 4, `shrunk to ${shrunk.operations.length}`);
  assert.ok(shrunk.operations.every((operation) => operation.invokedAtMs < 20), "the tail after the anomaly is cut");
});

test("relaxed operations say so", () => {
  const history = [ok(1, write("a"), 0, 100), ok(2, read(), 1, 2, "a"), ok(2, read(), 3, 4, null)];
  const shrunk = shrinkFailingHistory("x", history);
  assert.ok(stillFails(shrunk));
  for (const operation of shrunk.operations.filter((each) => each.outcome === "unknown")) assert.match(operation.error ?? "", /relaxed by the shrinker/);
});

test("a history that does not fail is returned whole", () => {
  const history = [ok(1, write("a"), 0, 1), ok(2, read(), 2, 3, "a")];
  const shrunk = shrinkFailingHistory("x", history);
  assert.equal(shrunk.operations.length, 2);
  assert.equal(shrunk.stuckOperation, null);
});

test("an exhausted budget returns a failing history and says it is not complete", () => {
  const { history } = historyWithStaleRead(3);
  const shrunk = shrinkFailingHistory("x", history, { stepsTotal: 1_000 });
  assert.equal(shrunk.complete, false);
  assert.ok(shrunk.operations.length <= history.length);
});
