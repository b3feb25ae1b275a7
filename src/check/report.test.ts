import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RecordedHistory } from "./history.js";
import { randomLinearizableHistory } from "./random_history.js";
import { checkHistory, formatReport, writeFailureArtifacts } from "./report.js";
import type { FinalStates } from "./set_check.js";
import { failed, incr, ok, read, unknown, write } from "./test_histories.js";

const partition = { kind: "partition", description: "{1} | {2, 3}", startedAtMs: 2, endedAtMs: 30 };

function finalStates(values: Record<string, string | null>, nodes = 3): FinalStates {
  return new Map(Array.from({ length: nodes }, (_, index) => [index + 1, new Map(Object.entries(values))]));
}

async function withTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "walnut-check-"));
  try {
    await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("a clean history passes every check and writes no artifacts", async () => {
  const history: RecordedHistory = {
    operations: [ok(1, write("a"), 0, 1), ok(2, read(), 2, 3, "a"), ok(1, incr("c"), 4, 5, "1"), unknown(2, incr("c"), 6, 7), failed(3, write("z"), 8, 9)],
    faults: [partition],
  };
  const report = checkHistory(history, finalStates({ x: "a", c: "2" }));
  assert.equal(report.verdict, "pass");
  assert.deepEqual(report.counts.total, { ok: 3, failed: 1, unknown: 1 });
  assert.deepEqual(report.counts.byKind.incr, { ok: 1, failed: 0, unknown: 1 });
  assert.equal(report.counts.keys, 2);
  assert.equal(report.counts.faults, 1);
  assert.equal(report.counters.keysChecked, 1);
  assert.equal(report.failure, null);
  await withTempDir(async (dir) => assert.equal(await writeFailureArtifacts(report, dir), null));
});

test("a stale read fails linearizability and writes a minimal history and its timeline", async () => {
  const history: RecordedHistory = {
    operations: [ok(1, write("a"), 0, 1), ok(1, write("b"), 3, 4), ok(2, read(), 5, 6, "a"), ok(3, read("y"), 5, 6, null)],
    faults: [partition, { kind: "kill", description: "node 3", startedAtMs: 100, endedAtMs: 200 }],
  };
  const report = checkHistory(history, finalStates({ x: "b", y: null }));
  assert.equal(report.verdict, "fail");
  assert.deepEqual(report.linearizability.failingKeys, ["x"]);
  assert.equal(report.failure?.check, "linearizability");
  assert.equal(report.failure?.key, "x");
  await withTempDir(async (dir) => {
    const artifacts = await writeFailureArtifacts(report, dir);
    assert.ok(artifacts !== null);
    const written = JSON.parse(await readFile(artifacts.subHistoryPath, "utf8"));
    assert.equal(written.key, "x");
    assert.equal(written.operations.length, 2);
    assert.deepEqual(
      written.faults.map((fault: { kind: string }) => fault.kind),
      ["partition"],
      "only the faults during the sub-history",
    );
    const svg = await readFile(artifacts.timelinePath, "utf8");
    assert.match(svg, /^<\?xml/);
    assert.match(svg, /data-highlighted="true"/);
  });
});

test("a lost acknowledged write fails the final state and is shrunk with the final reads", () => {
  const history: RecordedHistory = { operations: [ok(1, write("a"), 0, 1), ok(1, write("b"), 2, 3), ok(2, read(), 4, 5, "b")], faults: [] };
  const report = checkHistory(history, finalStates({ x: "a" }));
  assert.equal(report.linearizability.verdict, "pass");
  assert.equal(report.finalState.verdict, "fail");
  assert.equal(report.finalState.acknowledgedWritesLost, 1);
  assert.equal(report.failure?.check, "final-state");
  assert.ok(report.failure?.operations.some((operation) => operation.client === -1 && operation.result === "a"));
  assert.ok(formatReport(report).includes("acknowledged writes lost: 1"));
});

test("a counter that lost an increment fails the counter check", () => {
  const history: RecordedHistory = { operations: [ok(1, incr(), 0, 1, "1"), ok(2, incr(), 2, 3, "2")], faults: [] };
  const report = checkHistory(history, finalStates({ x: "1" }));
  assert.equal(report.counters.verdict, "fail");
  assert.equal(report.counters.incrementsLost, 1);
  assert.equal(report.verdict, "fail");
});

test("a search budget too small for a key makes the verdict unknown, not fail", () => {
  const operations = randomLinearizableHistory({ seed: 4, operations: 300, clients: 5 });
  const final = finalStates({});
  const report = checkHistory({ operations, faults: [] }, final, { maxStepsPerKey: 20 });
  assert.equal(report.linearizability.verdict, "unknown");
  assert.deepEqual(report.linearizability.undecidedKeys, ["k"]);
  assert.equal(report.verdict, "unknown");
});

test("a campaign-sized random history over several keys passes", () => {
  const operations = [1, 2, 3, 4].flatMap((seed) =>
    randomLinearizableHistory({ seed, key: `key-${seed}`, operations: 500, clients: 5, unknownRate: 0.02, failedRate: 0.02 }),
  );
  const report = checkHistory({ operations, faults: [partition] }, new Map());
  assert.equal(report.linearizability.verdict, "pass");
  assert.equal(report.linearizability.keysChecked, 4);
  assert.equal(report.counts.operations, 2_000);
});

test("a counter that lost its last increment shrinks to the last increments and a final read", () => {
  const operations = Array.from({ length: 200 }, (_, index) => ok(index % 4, incr(), index * 10, index * 10 + 15, String(index + 1)));
  const report = checkHistory({ operations, faults: [] }, finalStates({ x: "199" }));
  assert.equal(report.counters.incrementsLost, 1);
  assert.equal(report.failure?.check, "final-state");
  assert.deepEqual(
    report.failure?.operations.map((operation) => [operation.client, operation.result]),
    [
      [2, null], // the increment before, relaxed: it was still running when the last began
      [3, "200"],
      [-1, "199"],
    ],
  );
});

test("nodes that disagree after unknown writes get the values' writers and the final reads as evidence", () => {
  const history: RecordedHistory = {
    operations: [ok(1, write("a"), 0, 1), unknown(2, write("b"), 2, 3), unknown(3, write("c"), 2, 3), ok(1, read(), 4, 5, "a")],
    faults: [],
  };
  const final: FinalStates = new Map([
    [1, new Map([["x", "b"]])],
    [2, new Map([["x", "c"]])],
  ]);
  const report = checkHistory(history, final);
  assert.deepEqual(report.finalState.nonLinearizableKeys, [], "the unknown writes may land between the final reads");
  assert.deepEqual(report.finalState.divergentKeys, ["x"]);
  assert.equal(report.verdict, "fail");
  assert.equal(report.failure?.check, "divergence");
  assert.deepEqual(
    report.failure?.operations.map((operation) => [operation.client, operation.command.kind, operation.result]),
    [
      [2, "write", null],
      [3, "write", null],
      [-1, "read", "b"],
      [-1, "read", "c"],
    ],
  );
});

test("a malformed history is refused with a message naming the operation", () => {
  const backwards = { ...ok(1, write("a"), 5, 1) };
  assert.throws(() => checkHistory({ operations: [ok(1, read(), 0, 1, null), backwards], faults: [] }, new Map()), {
    code: "BAD_ARGUMENT",
    message: "Cannot check history: operation 1 (client 1) completed at 1 ms, before it was invoked at 5 ms",
  });
  const badCas = ok(1, { kind: "cas", key: "x", expected: null, value: "v" }, 0, 1, "OK");
  assert.throws(() => checkHistory({ operations: [badCas], faults: [] }, new Map()), /a CAS that answered "OK"/);
});
