import { test } from "node:test";
import assert from "node:assert/strict";
import type { RecordedOperation } from "./history.js";
import { toModelOperation } from "./key_histories.js";
import { checkPerKey, searchLinearization, type Model, type SearchOutcome } from "./linearizability.js";
import { randomLinearizableHistory } from "./random_history.js";
import { registerModel } from "./register_model.js";
import { cas, incr, ok, read, unknown, write } from "./test_histories.js";

function verdictOf(operations: RecordedOperation[], options: { maxSteps?: number } = {}): SearchOutcome["verdict"] {
  return search(operations, options).verdict;
}

function search(operations: RecordedOperation[], options: { maxSteps?: number } = {}): SearchOutcome {
  return searchLinearization(registerModel(), operations.map(toModelOperation), options);
}

test("an empty history is linearizable", () => {
  assert.equal(verdictOf([]), "linearizable");
});

test("a stale read after a completed write is not linearizable", () => {
  const history = [ok(1, write("a"), 0, 1), ok(1, write("b"), 2, 3), ok(2, read(), 4, 5, "a")];
  assert.equal(verdictOf(history), "not-linearizable");
  assert.equal(verdictOf([...history.slice(0, 2), ok(2, read(), 4, 5, "b")]), "linearizable");
});

test("a lost write, read as absent after it completed, is not linearizable", () => {
  const history = [ok(1, write("a"), 0, 1), ok(2, read(), 2, 3, null)];
  assert.equal(verdictOf(history), "not-linearizable");
});

test("a read concurrent with a write may see either value", () => {
  for (const seen of ["a", null]) assert.equal(verdictOf([ok(1, write("a"), 0, 10), ok(2, read(), 2, 3, seen)]), "linearizable");
});

test("two compare-and-sets from the same value cannot both succeed", () => {
  const both = [ok(1, write("a"), 0, 1), ok(2, cas("a", "b"), 2, 5, "true"), ok(3, cas("a", "c"), 3, 6, "true")];
  assert.equal(verdictOf(both), "not-linearizable");
  const one = [ok(1, write("a"), 0, 1), ok(2, cas("a", "b"), 2, 5, "true"), ok(3, cas("a", "c"), 3, 6, "false"), ok(3, read(), 7, 8, "b")];
  assert.equal(verdictOf(one), "linearizable");
});

test("a compare-and-set expecting absence succeeds only on an absent key", () => {
  assert.equal(verdictOf([ok(1, cas(null, "a"), 0, 1, "true"), ok(1, read(), 2, 3, "a")]), "linearizable");
  assert.equal(verdictOf([ok(1, write("z"), 0, 1), ok(1, cas(null, "a"), 2, 3, "true")]), "not-linearizable");
});

test("two increments answering the same value are not linearizable", () => {
  assert.equal(verdictOf([ok(1, incr(), 0, 5, "1"), ok(2, incr(), 1, 6, "1")]), "not-linearizable");
  assert.equal(verdictOf([ok(1, incr(), 0, 5, "2"), ok(2, incr(), 1, 6, "1")]), "linearizable");
});

test("an increment counts an absent key as 0 and cannot answer on a non-integer", () => {
  assert.equal(verdictOf([ok(1, write("41"), 0, 1), ok(1, incr(), 2, 3, "42")]), "linearizable");
  assert.equal(verdictOf([ok(1, write("abc"), 0, 1), ok(1, incr(), 2, 3, "1")]), "not-linearizable");
  assert.equal(verdictOf([ok(1, write("007"), 0, 1), ok(1, incr(), 2, 3, "8")]), "not-linearizable");
});

test("an unknown write may appear later, or never", () => {
  const appearsLater = [unknown(1, write("a"), 0, 1), ok(2, read(), 5, 6, null), ok(2, read(), 100, 101, "a")];
  assert.equal(verdictOf(appearsLater), "linearizable");
  const never = [unknown(1, write("a"), 0, 1), ok(2, read(), 5, 6, null)];
  assert.equal(verdictOf(never), "linearizable");
});

test("an unknown write cannot appear before it was invoked, nor disappear once seen", () => {
  assert.equal(verdictOf([ok(2, read(), 0, 1, "a"), unknown(1, write("a"), 5, 6)]), "not-linearizable");
  const flickers = [unknown(1, write("a"), 0, 1), ok(2, read(), 5, 6, "a"), ok(2, read(), 7, 8, null)];
  assert.equal(verdictOf(flickers), "not-linearizable");
});

test("unknown increments each take effect at most once", () => {
  const history = [unknown(1, incr(), 0, 1), unknown(2, incr(), 0, 1), ok(3, read(), 5, 6, "2")];
  assert.equal(verdictOf(history), "linearizable");
  assert.equal(verdictOf([...history.slice(0, 2), ok(3, read(), 5, 6, "3")]), "not-linearizable");
});

test("a known-bad history stays bad whatever its unknown operations did", () => {
  // The unknown writes may land anywhere after their invocations, or never; still, once
  // "c" was read, the value cannot go back to "a", written and acknowledged before.
  const history = [
    ok(1, write("a"), 0, 1),
    unknown(2, write("b"), 2, 3),
    unknown(3, write("c"), 2, 3),
    ok(4, read(), 10, 11, "c"),
    ok(4, read(), 12, 13, "a"),
    ok(4, read(), 14, 15, "b"),
  ];
  const outcome = search(history);
  assert.equal(outcome.verdict, "not-linearizable");
  assert.ok(outcome.verdict === "not-linearizable" && outcome.stuckOperation === 4, "the read of a is the one with no place");
  assert.equal(verdictOf([...history.slice(0, 4), ok(4, read(), 12, 13, "b")]), "linearizable");
});

test("a linearizable outcome gives an order that the model accepts", () => {
  const history = [ok(1, write("a"), 0, 10), ok(2, read(), 1, 2, null), ok(3, read(), 11, 12, "a")];
  const outcome = search(history);
  assert.equal(outcome.verdict, "linearizable");
  assert.deepEqual(outcome.verdict === "linearizable" && outcome.order, [1, 0, 2]);
});

test("the step budget turns an undecided search into unknown", () => {
  const history = randomLinearizableHistory({ seed: 7, operations: 200, clients: 5 });
  assert.equal(verdictOf(history, { maxSteps: 10 }), "unknown");
});

test("a nondeterministic model is searched through each of its choices", () => {
  // A coin that lands either way when flipped; a read reveals the side.
  const coin: Model<string, "flip" | "look", string> = {
    initialState: "heads",
    step: (state, command, result) => (command === "flip" ? ["heads", "tails"] : result === undefined || result === state ? [state] : []),
    stateKey: (state) => state,
    isReadOnly: (command) => command === "look",
    commandKey: (command) => command,
  };
  const operations = [
    { client: 1, command: "flip" as const, invokedAt: 0, completedAt: 1, result: "" },
    { client: 1, command: "look" as const, invokedAt: 2, completedAt: 3, result: "tails" },
  ];
  assert.equal(searchLinearization(coin, operations).verdict, "linearizable");
});

test("checkPerKey searches each key alone and sorts the keys", () => {
  const history = [ok(1, write("a", "y"), 0, 1), ok(2, read("x"), 2, 3, "zzz"), ok(3, read("y"), 4, 5, "a")];
  const outcomes = checkPerKey(registerModel(), history.map(toModelOperation), { keyOf: (command) => command.key });
  assert.deepEqual(
    outcomes.map(({ key, outcome }) => [key, outcome.verdict]),
    [
      ["x", "not-linearizable"],
      ["y", "linearizable"],
    ],
  );
});

test("a random linearizable history of 2,000 operations on one key passes within a small search", () => {
  const history = randomLinearizableHistory({ seed: 20261121, operations: 2_000, clients: 6, unknownRate: 0.01, failedRate: 0.02 });
  const kept = history.filter((operation) => operation.outcome !== "failed");
  const outcome = search(kept);
  assert.equal(outcome.verdict, "linearizable");
  assert.ok(outcome.steps < 100_000, `the search took ${outcome.steps} steps`);
});

test("a counter with many unknown increments is decided both ways", () => {
  // Half the increments time out; the twin and read prunings keep the search small.
  const history = randomLinearizableHistory({ seed: 2, operations: 200, clients: 10, unknownRate: 0.5, kinds: ["read", "incr"] }).filter(
    (operation) => operation.outcome !== "failed",
  );
  assert.equal(verdictOf(history), "linearizable");
  const possible = history.filter((operation) => operation.command.kind === "incr").length;
  const tooHigh = ok(99, read(history[0]?.command.key), 1e6, 1e6 + 1, String(possible + 1));
  assert.equal(verdictOf([...history, tooHigh]), "not-linearizable");
});

test("random linearizable histories pass for many seeds, and fail once one read is corrupted", () => {
  for (let seed = 1; seed <= 12; seed++) {
    const history = randomLinearizableHistory({ seed, operations: 150, clients: 4, unknownRate: 0.05 }).filter((operation) => operation.outcome !== "failed");
    assert.equal(verdictOf(history), "linearizable", `seed ${seed}`);
    const readIndex = history.findIndex((operation, index) => index > 75 && operation.command.kind === "read" && operation.outcome === "ok");
    const corrupted = history.map((operation, index) => (index === readIndex ? { ...operation, result: "never written" } : operation));
    assert.equal(verdictOf(corrupted), "not-linearizable", `seed ${seed} with a corrupted read`);
  }
});
