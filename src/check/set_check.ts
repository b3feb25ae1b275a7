/**
 * The final-state check: after the campaign the runner reads every key from every node
 * (FinalStates), and every acknowledged write must be reflected there. Precisely, for each
 * key the history touched:
 *
 * 1. Linearizability with the final reads. Each node's final value of the key becomes a
 *    read, invoked after every recorded operation and fault ended (at end + 1 ms,
 *    completing at end + 2 ms; the final reads are concurrent with one another), and the
 *    key's history plus these reads must still be linearizable (register_model.ts).
 *    Unknown operations may still be placed after the final reads, i.e. never take effect.
 *    This is the complete check: it fails iff no order of the operations explains both
 *    what the clients saw and what the nodes hold. Keys whose history alone already fails
 *    are left to the linearizability verdict and skipped here.
 *
 * 2. Replicas agree: every node that reported the key holds the same value.
 *
 * 3. "Acknowledged writes lost" (a count for the table, sound but not complete). An
 *    acknowledged write is an operation with outcome "ok" that is a write, or a CAS that
 *    answered "true". It is lost on node n when n's final value f is neither its own value
 *    nor one a possible successor could have left, a possible successor being another ok
 *    or unknown write or CAS (any answer but "false"), or INCR, of the same key that did
 *    not complete before the acknowledged write was invoked. An ok INCR leaves its result;
 *    an unknown INCR could leave any integer, so it explains any integer f. Why this only
 *    counts real losses: the acknowledged write took effect at some point between its
 *    invocation and completion; the value after it is changed only by an operation
 *    linearized later, which cannot have completed before the write was invoked; so f
 *    must come from the write or from such an operation. (An INCR's own loss is counted
 *    by counter_check.ts.) The count is of distinct operations lost on at least one node.
 *
 * A key missing from a node's map was not read there: it is counted in `unreadKeys` and
 * that node is left out of the key's checks. A key the history never touched is ignored.
 */
import type { RecordedHistory, RecordedOperation } from "./history.js";
import { historyEndMs, keyHistories, toModelOperation, type KeyHistory } from "./key_histories.js";
import { searchLinearization, type SearchOptions } from "./linearizability.js";
import { counterValue, registerModel } from "./register_model.js";

/** What each node holds after the campaign: node id -> key -> value (null: absent). */
export type FinalStates = ReadonlyMap<number, ReadonlyMap<string, string | null>>;

/** The client number of the synthetic final reads. */
export const FINAL_READ_CLIENT = -1;

export interface LostWrite {
  /** Index into history.operations. */
  operation: number;
  key: string;
  node: number;
  finalValue: string | null;
}

export interface FinalStateCheck {
  verdict: "pass" | "fail" | "unknown";
  keysChecked: number;
  /** Keys whose history with the final reads is not linearizable. */
  nonLinearizableKeys: string[];
  /** Keys the search could not decide within its budget. */
  undecidedKeys: string[];
  /** Keys on which the nodes hold different values. */
  divergentKeys: string[];
  /** (key, node) pairs with no final read. */
  unreadKeys: { key: string; node: number }[];
  /** Distinct acknowledged writes lost on at least one node. */
  acknowledgedWritesLost: number;
  lostWrites: LostWrite[];
}

export interface FinalStateOptions extends SearchOptions {
  /** Keys whose history alone is not linearizable (or undecided): not searched again. */
  skipKeys?: ReadonlySet<string>;
}

/** The final reads of `key`, one per node that reported it, as recorded operations. */
export function finalReads(key: string, finalStates: FinalStates, endMs: number): RecordedOperation[] {
  const reads: RecordedOperation[] = [];
  for (const [node, values] of [...finalStates].sort(([x], [y]) => x - y)) {
    if (!values.has(key)) continue;
    reads.push({
      client: FINAL_READ_CLIENT,
      node,
      protocol: "resp",
      command: { kind: "read", key },
      invokedAtMs: endMs + 1,
      completedAtMs: endMs + 2,
      outcome: "ok",
      result: values.get(key) ?? null,
    });
  }
  return reads;
}

export function checkFinalState(history: RecordedHistory, finalStates: FinalStates, options: FinalStateOptions = {}): FinalStateCheck {
  const endMs = historyEndMs(history);
  const check: FinalStateCheck = {
    verdict: "pass",
    keysChecked: 0,
    nonLinearizableKeys: [],
    undecidedKeys: [],
    divergentKeys: [],
    unreadKeys: [],
    acknowledgedWritesLost: 0,
    lostWrites: [],
  };
  for (const keyHistory of keyHistories(history)) {
    const reads = finalReads(keyHistory.key, finalStates, endMs);
    for (const node of finalStates.keys()) if (!reads.some((read) => read.node === node)) check.unreadKeys.push({ key: keyHistory.key, node });
    if (reads.length === 0) continue;
    check.keysChecked++;
    if (new Set(reads.map((read) => read.result)).size > 1) check.divergentKeys.push(keyHistory.key);
    for (const read of reads) check.lostWrites.push(...lostWrites(keyHistory, read.node, read.result));
    if (options.skipKeys?.has(keyHistory.key)) continue;
    const operations = [...keyHistory.operations, ...reads].map(toModelOperation);
    const outcome = searchLinearization(registerModel(), operations, options);
    if (outcome.verdict === "not-linearizable") check.nonLinearizableKeys.push(keyHistory.key);
    if (outcome.verdict === "unknown") check.undecidedKeys.push(keyHistory.key);
  }
  check.acknowledgedWritesLost = new Set(check.lostWrites.map((lost) => lost.operation)).size;
  const failed = check.nonLinearizableKeys.length + check.divergentKeys.length + check.lostWrites.length > 0;
  check.verdict = failed ? "fail" : check.undecidedKeys.length > 0 ? "unknown" : "pass";
  return check;
}

/** Check 3 for one key on one node. */
function lostWrites(keyHistory: KeyHistory, node: number, finalValue: string | null): LostWrite[] {
  const lost: LostWrite[] = [];
  keyHistory.operations.forEach((acknowledged, position) => {
    if (!isAcknowledgedWrite(acknowledged)) return;
    const explained = keyHistory.operations.some(
      (other) => (other === acknowledged || other.outcome === "unknown" || other.completedAtMs >= acknowledged.invokedAtMs) && mayLeave(other, finalValue),
    );
    if (!explained) lost.push({ operation: keyHistory.indexes[position] as number, key: keyHistory.key, node, finalValue });
  });
  return lost;
}

function isAcknowledgedWrite(operation: RecordedOperation): boolean {
  if (operation.outcome !== "ok") return false;
  return operation.command.kind === "write" || (operation.command.kind === "cas" && operation.result === "true");
}

/** Whether `operation`, taking effect, may have left `value` behind. */
function mayLeave(operation: RecordedOperation, value: string | null): boolean {
  const command = operation.command;
  switch (command.kind) {
    case "read":
      return false;
    case "write":
      return command.value === value;
    case "cas":
      return command.value === value && !(operation.outcome === "ok" && operation.result === "false");
    case "incr":
      if (operation.outcome === "ok") return operation.result === value;
      return value !== null && counterValue(value) !== null;
  }
}
