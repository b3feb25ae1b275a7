/**
 * From a recorded history (history.ts) to what the checkers search: the operations of each
 * key, and each one as the linearizability search sees it.
 *
 * A "failed" operation provably did not take effect, so it is left out. An "unknown" one
 * completes at +Infinity with any result (its recorded completion time only says when the
 * client gave up).
 */
import { assert } from "../lib/assert.js";
import type { OperationCommand, RecordedHistory, RecordedOperation } from "./history.js";
import type { ModelOperation } from "./linearizability.js";
import type { RegisterResult } from "./register_model.js";

export type RegisterOperation = ModelOperation<OperationCommand, RegisterResult>;

export interface KeyHistory {
  key: string;
  /** The key's operations that may have taken effect, in the order recorded. */
  operations: RecordedOperation[];
  /** Where each one sits in history.operations. */
  indexes: number[];
}

/** The ok and unknown operations of each key, keys in sorted order. */
export function keyHistories(history: RecordedHistory): KeyHistory[] {
  const byKey = new Map<string, KeyHistory>();
  history.operations.forEach((operation, index) => {
    if (operation.outcome === "failed") return;
    const key = operation.command.key;
    let keyHistory = byKey.get(key);
    if (keyHistory === undefined) {
      keyHistory = { key, operations: [], indexes: [] };
      byKey.set(key, keyHistory);
    }
    keyHistory.operations.push(operation);
    keyHistory.indexes.push(index);
  });
  return [...byKey.values()].sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
}

/** How the search sees a recorded operation that was not "failed". */
export function toModelOperation(operation: RecordedOperation): RegisterOperation {
  assert(operation.outcome !== "failed", "a failed operation never reaches the search");
  const known = operation.outcome === "ok";
  return {
    client: operation.client,
    command: operation.command,
    invokedAt: operation.invokedAtMs,
    completedAt: known ? operation.completedAtMs : Infinity,
    result: known ? operation.result : undefined,
  };
}

/** The latest finite time in the history: invocations, completions and faults. */
export function historyEndMs(history: RecordedHistory): number {
  const times = [
    ...history.operations.flatMap((operation) => [operation.invokedAtMs, operation.completedAtMs]),
    ...history.faults.flatMap((fault) => [fault.startedAtMs, fault.endedAtMs]),
  ];
  return times.filter(Number.isFinite).reduce((latest, time) => Math.max(latest, time), 0);
}
