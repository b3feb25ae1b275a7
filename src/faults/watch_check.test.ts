/** The watchers' check (watch_check.ts) on small made-up histories: it passes the log as it committed and names each way of getting it wrong. */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { OperationCommand, OperationOutcome, RecordedOperation } from "../check/history.js";
import { checkWatchers } from "./watch_check.js";
import type { SeenChange, WatchGap, WatcherLog } from "./watchers.js";

function operation(command: OperationCommand, outcome: OperationOutcome, result: string | null = null): RecordedOperation {
  return { client: 0, node: 1, protocol: "resp", command, invokedAtMs: 0, completedAtMs: 1, outcome, result };
}

const OPERATIONS: RecordedOperation[] = [
  operation({ kind: "write", key: "k0.0", value: "10000001" }, "ok"),
  operation({ kind: "write", key: "k0.0", value: "10000002" }, "failed"),
  operation({ kind: "cas", key: "k0.0", expected: "10000001", value: "10000003" }, "ok", "true"),
  operation({ kind: "cas", key: "k0.0", expected: "x", value: "10000004" }, "ok", "false"),
  operation({ kind: "write", key: "k1.0", value: "10000005" }, "unknown"),
  operation({ kind: "incr", key: "c0.0" }, "ok", "1"),
  operation({ kind: "incr", key: "c0.0" }, "unknown"),
  operation({ kind: "incr", key: "c0.0" }, "ok", "3"),
];

/** The log as it committed: the unknown write to k1.0 and the unknown increment did commit. */
const COMMITTED: SeenChange[] = [
  put(3, "k0.0", "10000001"),
  put(4, "c0.0", "1"),
  put(6, "k0.0", "10000003"),
  put(7, "c0.0", "2"),
  put(9, "k1.0", "10000005"),
  put(10, "c0.0", "3"),
];
const FINAL = new Map([["k0.0", "10000003"], ["k1.0", "10000005"], ["c0.0", "3"]]);

function put(index: number, key: string, value: string): SeenChange {
  return { index, type: "put", key, value };
}

function watcher(name: string, changes: SeenChange[], gaps: WatchGap[] = []): WatcherLog {
  return { name, changes, gaps, through: 10, reconnects: 0, compactedAnswers: 0, malformed: [] };
}

test("watchers that saw the committed log, the same on both, pass", () => {
  const verdict = checkWatchers(OPERATIONS, [watcher("a", COMMITTED), watcher("b", COMMITTED)], FINAL);
  assert.deepEqual(verdict.problems, []);
});

test("a write of unknown outcome may be missing everywhere; the end state must then agree", () => {
  const without = COMMITTED.filter((change) => change.key !== "k1.0");
  const verdict = checkWatchers(OPERATIONS, [watcher("a", without)], new Map([["k0.0", "10000003"], ["c0.0", "3"]]));
  assert.deepEqual(verdict.problems, []);
});

test("a change seen twice, one out of order, and a counter step repeated are each named", () => {
  const twice = [...COMMITTED.slice(0, 3), put(8, "k0.0", "10000003"), ...COMMITTED.slice(3)];
  assert.match(checkWatchers(OPERATIONS, [watcher("a", twice)], FINAL).problems.join("\n"), /seen a second time/);
  const swapped = [COMMITTED[1], COMMITTED[0], ...COMMITTED.slice(2)] as SeenChange[];
  assert.match(checkWatchers(OPERATIONS, [watcher("a", swapped)], FINAL).problems.join("\n"), /index 3: after index 4/);
  const counterAgain = [...COMMITTED.slice(0, 4), put(8, "c0.0", "2"), ...COMMITTED.slice(4)];
  assert.match(checkWatchers(OPERATIONS, [watcher("a", counterAgain)], FINAL).problems.join("\n"), /went to 2, expected 3/);
});

test("a change whose write failed, or that no client wrote, is named", () => {
  const failed = [...COMMITTED.slice(0, 2), put(5, "k0.0", "10000002"), ...COMMITTED.slice(2)];
  assert.match(checkWatchers(OPERATIONS, [watcher("a", failed)], FINAL).problems.join("\n"), /whose write failed/);
  const casFalse = [...COMMITTED.slice(0, 2), put(5, "k0.0", "10000004"), ...COMMITTED.slice(2)];
  assert.match(checkWatchers(OPERATIONS, [watcher("a", casFalse)], FINAL).problems.join("\n"), /whose write failed/);
  const stranger = [...COMMITTED, put(11, "zz", "1")];
  assert.match(checkWatchers(OPERATIONS, [watcher("a", stranger)], FINAL).problems.join("\n"), /a key no client wrote/);
});

test("an acknowledged change a watcher missed is named, unless its index fell in that watcher's compacted gap", () => {
  const missing = COMMITTED.filter((change) => change.index !== 6);
  const named = checkWatchers(OPERATIONS, [watcher("a", COMMITTED), watcher("b", missing)], null).problems.join("\n");
  assert.match(named, /b never saw acknowledged k0\.0 = 10000003 \(index 6\)/);
  const excused = checkWatchers(OPERATIONS, [watcher("a", COMMITTED), watcher("b", missing, [{ from: 5, to: 6 }])], null);
  assert.deepEqual(excused.problems, []);
  assert.match(excused.summary, /1 excused by compacted gaps/);
});

test("two watchers that disagree about an index, and an end state that is not the last change, are named", () => {
  const other = COMMITTED.map((change) => (change.index === 9 ? put(9, "k1.0", "10000001") : change));
  assert.match(checkWatchers(OPERATIONS, [watcher("a", COMMITTED), watcher("b", other)], FINAL).problems.join("\n"), /index 9: a saw put k1\.0 = 10000005, b saw put k1\.0 = 10000001/);
  const ending = new Map([...FINAL, ["k0.0", "10000001"]]);
  assert.match(checkWatchers(OPERATIONS, [watcher("a", COMMITTED)], ending).problems.join("\n"), /k0\.0 ends as 10000001 but the last change a saw \(index 6\) put 10000003/);
});

test("an acknowledged change no watcher saw is excused only by gaps covering where real time puts it in the log", () => {
  // k2.0's write ran from 5 to 6 ms: after every change acknowledged by 1 ms (the last, the CAS at index 6; index 7 was an increment of unknown outcome, which bounds nothing), before c0.0's third increment (sent at 8 ms, index 10).
  const timed = (command: OperationCommand, outcome: OperationOutcome, result: string | null, invokedAtMs: number, completedAtMs: number): RecordedOperation => ({ ...operation(command, outcome, result), invokedAtMs, completedAtMs });
  const operations = [
    ...OPERATIONS.slice(0, 7),
    timed({ kind: "incr", key: "c0.0" }, "ok", "3", 8, 9),
    timed({ kind: "write", key: "k2.0", value: "10000009" }, "ok", null, 5, 6),
  ];
  const gapped = (gap: WatchGap): WatcherLog => watcher("a", COMMITTED.filter((change) => change.index < gap.from || change.index > gap.to), [gap]);
  assert.match(checkWatchers(operations, [gapped({ from: 11, to: 12 })], null).problems.join("\n"), /never saw acknowledged k2\.0 = 10000009 \(no watcher did; its index is in \(6, 10\)\)/);
  assert.deepEqual(checkWatchers(operations, [gapped({ from: 8, to: 8 })], null).problems, []);
});
