/**
 * The fault campaign's verdict on one recorded history: the counts for the table, the
 * three checks (linearizability per key, the final state, the counters) and, when one
 * fails, a minimal failing sub-history and its timeline written to the run's folder.
 *
 * Which key gets shrunk: the first (in key order) whose history is not linearizable; else
 * the first whose history plus the nodes' final reads is not (set_check.ts). A counter
 * failure always shows up in the latter too, since the final reads then contradict the
 * INCR answers. Only the first failing key is shrunk: the others are listed by name.
 * When the only failure is that nodes disagree on a key's final value (which unknown
 * writes landing between the final reads could explain to the search), the "failure" is
 * that key's final reads and the operations that wrote the values they found.
 *
 * A malformed history (see validate_history.ts) is refused with a WalnutError.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { checkCounters, type CounterCheck } from "./counter_check.js";
import type { OperationCommand, OperationOutcome, RecordedFault, RecordedHistory, RecordedOperation } from "./history.js";
import { historyEndMs, keyHistories, toModelOperation } from "./key_histories.js";
import { DEFAULT_MAX_SEARCH_STEPS, searchLinearization } from "./linearizability.js";
import { shrinkFailingHistory, type FailingSubHistory, type ShrinkOptions } from "./minimal_failing.js";
import { registerModel } from "./register_model.js";
import { checkFinalState, finalReads, type FinalStateCheck, type FinalStates } from "./set_check.js";
import { renderTimeline, type TimelineInput } from "./timeline.js";
import { validateHistory } from "./validate_history.js";

export type Verdict = "pass" | "fail" | "unknown";
export type OutcomeCounts = Record<OperationOutcome, number>;

export interface LinearizabilityCheck {
  verdict: Verdict;
  keysChecked: number;
  failingKeys: string[];
  /** Keys the search could not decide within maxStepsPerKey. */
  undecidedKeys: string[];
  /** Search steps over all keys, for the table. */
  searchSteps: number;
}

export interface CheckReport {
  /** "fail" if any check failed; "unknown" if none failed but one was undecided. */
  verdict: Verdict;
  counts: {
    operations: number;
    keys: number;
    faults: number;
    total: OutcomeCounts;
    byKind: Record<OperationCommand["kind"], OutcomeCounts>;
  };
  linearizability: LinearizabilityCheck;
  finalState: FinalStateCheck;
  counters: CounterCheck;
  /** The shrunk history of the first failing key, or null when nothing failed. */
  failure: Failure | null;
  /** The history's faults, for the failure's timeline. */
  faults: RecordedFault[];
}

/** Which check the sub-history fails; see the top of this file. */
export type Failure = FailingSubHistory & { check: "linearizability" | "final-state" | "divergence" };

export interface CheckOptions {
  /** Search budget per key; a key that needs more is "unknown". */
  maxStepsPerKey?: number;
  shrink?: ShrinkOptions;
}

/** Judges `history` given the value of each key on each node after the campaign. */
export function checkHistory(history: RecordedHistory, finalStates: FinalStates, options: CheckOptions = {}): CheckReport {
  validateHistory(history);
  const maxSteps = options.maxStepsPerKey ?? DEFAULT_MAX_SEARCH_STEPS;
  const linearizability = checkEachKey(history, maxSteps);
  const skipKeys = new Set([...linearizability.failingKeys, ...linearizability.undecidedKeys]);
  const finalState = checkFinalState(history, finalStates, { maxSteps, skipKeys });
  const counters = checkCounters(history, finalStates);
  const verdicts = [linearizability.verdict, finalState.verdict, counters.verdict];
  return {
    verdict: verdicts.includes("fail") ? "fail" : verdicts.includes("unknown") ? "unknown" : "pass",
    counts: countOperations(history),
    linearizability,
    finalState,
    counters,
    failure: shrinkFirstFailure(history, finalStates, { linearizability, finalState, shrink: options.shrink ?? {} }),
    faults: history.faults,
  };
}

function checkEachKey(history: RecordedHistory, maxSteps: number): LinearizabilityCheck {
  const check: LinearizabilityCheck = { verdict: "pass", keysChecked: 0, failingKeys: [], undecidedKeys: [], searchSteps: 0 };
  for (const { key, operations } of keyHistories(history)) {
    const outcome = searchLinearization(registerModel(), operations.map(toModelOperation), { maxSteps });
    check.keysChecked++;
    check.searchSteps += outcome.steps;
    if (outcome.verdict === "not-linearizable") check.failingKeys.push(key);
    if (outcome.verdict === "unknown") check.undecidedKeys.push(key);
  }
  check.verdict = check.failingKeys.length > 0 ? "fail" : check.undecidedKeys.length > 0 ? "unknown" : "pass";
  return check;
}

function countOperations(history: RecordedHistory): CheckReport["counts"] {
  const empty = (): OutcomeCounts => ({ ok: 0, failed: 0, unknown: 0 });
  const counts: CheckReport["counts"] = {
    operations: history.operations.length,
    keys: new Set(history.operations.map((operation) => operation.command.key)).size,
    faults: history.faults.length,
    total: empty(),
    byKind: { read: empty(), write: empty(), cas: empty(), incr: empty() },
  };
  for (const operation of history.operations) {
    counts.total[operation.outcome]++;
    counts.byKind[operation.command.kind][operation.outcome]++;
  }
  return counts;
}

function shrinkFirstFailure(
  history: RecordedHistory,
  finalStates: FinalStates,
  checks: { linearizability: LinearizabilityCheck; finalState: FinalStateCheck; shrink: ShrinkOptions },
): Failure | null {
  const byKey = new Map(keyHistories(history).map((keyHistory) => [keyHistory.key, keyHistory.operations]));
  const historyKey = checks.linearizability.failingKeys[0];
  if (historyKey !== undefined) {
    return { check: "linearizability", ...shrinkFailingHistory(historyKey, byKey.get(historyKey) ?? [], checks.shrink) };
  }
  const finalKey = checks.finalState.nonLinearizableKeys[0];
  if (finalKey !== undefined) {
    const operations = [...(byKey.get(finalKey) ?? []), ...finalReads(finalKey, finalStates, historyEndMs(history))];
    return { check: "final-state", ...shrinkFailingHistory(finalKey, operations, checks.shrink) };
  }
  const divergentKey = checks.finalState.divergentKeys[0];
  if (divergentKey === undefined) return null;
  return divergence(divergentKey, byKey.get(divergentKey) ?? [], finalReads(divergentKey, finalStates, historyEndMs(history)));
}

/** The final reads of a key the nodes disagree on, and the operations that wrote what they found. */
function divergence(key: string, operations: RecordedOperation[], reads: RecordedOperation[]): Failure {
  const found = new Set(reads.map((read) => read.result));
  const writers = operations.filter((operation) => {
    const command = operation.command;
    if (command.kind === "write" || command.kind === "cas") return found.has(command.value) && operation.result !== "false";
    return command.kind === "incr" && operation.outcome === "ok" && found.has(operation.result);
  });
  return {
    check: "divergence",
    key,
    operations: [...writers, ...reads],
    initialValueUnknown: false,
    stuckOperation: null,
    originalOperations: operations.length + reads.length,
    complete: true,
  };
}

export interface FailureArtifacts {
  /** The minimal failing sub-history, as JSON (a RecordedHistory plus what the checker knows). */
  subHistoryPath: string;
  /** The timeline picture of it (SVG). */
  timelinePath: string;
}

/** Writes the failure's sub-history and timeline into `dir`; null (nothing written) when nothing failed. */
export async function writeFailureArtifacts(report: CheckReport, dir: string): Promise<FailureArtifacts | null> {
  const failure = report.failure;
  if (failure === null) return null;
  await mkdir(dir, { recursive: true });
  const subHistoryPath = join(dir, "minimal-failing-history.json");
  const timelinePath = join(dir, "minimal-failing-timeline.svg");
  const firstMs = Math.min(...failure.operations.map((operation) => operation.invokedAtMs));
  const lastMs = Math.max(...failure.operations.map((operation) => operation.completedAtMs));
  const faults = report.faults.filter((fault) => fault.endedAtMs >= firstMs && fault.startedAtMs <= lastMs);
  const subHistory = {
    check: failure.check,
    key: failure.key,
    initialValueUnknown: failure.initialValueUnknown,
    stuckOperation: failure.stuckOperation,
    originalOperations: failure.originalOperations,
    complete: failure.complete,
    operations: failure.operations,
    faults,
  };
  await writeFile(subHistoryPath, `${JSON.stringify(subHistory, null, 2)}\n`);
  await writeFile(timelinePath, renderTimeline(timelineInput(failure, faults)));
  return { subHistoryPath, timelinePath };
}

const FAILURE_TITLES: Record<Failure["check"], string> = {
  linearizability: "this history is not linearizable",
  "final-state": "this history with the nodes' final values is not linearizable",
  divergence: "the nodes hold different final values",
};

function timelineInput(failure: Failure, faults: RecordedFault[]): TimelineInput {
  const notes =
    failure.check === "divergence"
      ? ["Shown: the final reads, and the operations that wrote the values they found."]
      : [`${failure.operations.length} of the key's ${failure.originalOperations} operations; every one left out or relaxed could only have made the history easier to linearize.`];
  if (failure.initialValueUnknown) notes.push("The key's value before the first operation shown is not assumed (the history's beginning was cut).");
  if (!failure.complete) notes.push("The shrinker's budget ran out: a smaller failing sub-history may exist.");
  return {
    title: `Key ${JSON.stringify(failure.key)}: ${FAILURE_TITLES[failure.check]}`,
    operations: failure.operations,
    faults,
    highlighted: new Set(failure.stuckOperation === null ? [] : [failure.stuckOperation]),
    notes,
  };
}

/** The report as lines of text, for a terminal or the campaign's summary. */
export function formatReport(report: CheckReport): string[] {
  const total = report.counts.total;
  const lines = [
    `verdict: ${report.verdict}`,
    `operations: ${report.counts.operations} on ${report.counts.keys} keys (ok ${total.ok}, failed ${total.failed}, unknown ${total.unknown}); faults: ${report.counts.faults}`,
  ];
  for (const [kind, counts] of Object.entries(report.counts.byKind)) {
    if (counts.ok + counts.failed + counts.unknown > 0) lines.push(`  ${kind}: ok ${counts.ok}, failed ${counts.failed}, unknown ${counts.unknown}`);
  }
  const { linearizability, finalState, counters } = report;
  lines.push(
    `linearizability: ${linearizability.verdict} (${linearizability.keysChecked} keys; ` +
      `failing ${listKeys(linearizability.failingKeys)}; undecided ${listKeys(linearizability.undecidedKeys)})`,
    `final state: ${finalState.verdict} (${finalState.keysChecked} keys; not linearizable ${listKeys(finalState.nonLinearizableKeys)}; ` +
      `divergent ${listKeys(finalState.divergentKeys)}; unread ${finalState.unreadKeys.length})`,
    `acknowledged writes lost: ${finalState.acknowledgedWritesLost}`,
    `counters: ${counters.verdict} (${counters.keysChecked} keys; increments lost ${counters.incrementsLost}, ` +
      `invented ${counters.incrementsInvented}, duplicate results ${counters.duplicateResults})`,
  );
  for (const problem of counters.problems) lines.push(`  counter ${JSON.stringify(problem.key)}${problem.node === undefined ? "" : ` on node ${problem.node}`}: ${problem.message}`);
  const failure = report.failure;
  if (failure !== null) {
    lines.push(`minimal failing sub-history (${failure.check}): key ${JSON.stringify(failure.key)}, ${failure.operations.length} of ${failure.originalOperations} operations`);
  }
  return lines;
}

/** At most a few keys by name, then how many more. */
function listKeys(keys: readonly string[]): string {
  const shown = 5;
  if (keys.length === 0) return "none";
  const names = keys.slice(0, shown).map((key) => JSON.stringify(key)).join(", ");
  return keys.length > shown ? `${names} and ${keys.length - shown} more` : names;
}
