/**
 * The linearizability check of the simulated clients' key-value histories: the generic
 * search of src/check/linearizability.ts (Wing & Gong with Lowe's memoization, per key)
 * over the simulator's KV model, applyCommand() of kv.ts.
 *
 * An operation whose outcome is unknown completes at +Infinity with any result; unknown
 * gets are dropped. Every KV operation touches one key, so the search runs per key and the
 * verdict names the first failing key in key order.
 */
import { checkPerKey, DEFAULT_MAX_SEARCH_STEPS, type Model, type ModelOperation } from "../check/linearizability.js";
import { applyCommand, type KvCommand, type KvResult } from "./kv.js";

export type Operation = ModelOperation<KvCommand, KvResult>;

export type LinearizabilityVerdict =
  | { linearizable: true }
  | { linearizable: false; key: string; operations: Operation[] }
  /** The search hit its step budget: neither proved nor refuted. */
  | { linearizable: "unknown"; key: string };

/** Bounds the work per key; a history that needs more is reported "unknown". */
export const MAX_SEARCH_STEPS_PER_KEY = DEFAULT_MAX_SEARCH_STEPS;

/** One key's value under the simulator's commands. */
const kvModel: Model<string | null, KvCommand, KvResult> = {
  initialState: null,
  step(value, command, result) {
    const next = applyCommand(value, command);
    return result === undefined || result === next.result ? [next.value] : [];
  },
  stateKey: (value) => value,
  isReadOnly: (command) => command.kind === "get",
  commandKey: (command) => JSON.stringify(command),
};

export function checkLinearizability(history: readonly Operation[]): LinearizabilityVerdict {
  const perKey = checkPerKey(kvModel, history, { keyOf: (command) => command.key, maxSteps: MAX_SEARCH_STEPS_PER_KEY });
  let undecided: LinearizabilityVerdict | null = null;
  for (const { key, operations, outcome } of perKey) {
    if (outcome.verdict === "not-linearizable") return { linearizable: false, key, operations };
    if (outcome.verdict === "unknown") undecided ??= { linearizable: "unknown", key };
  }
  return undecided ?? { linearizable: true };
}
