/**
 * The counter check for keys only ever incremented: every key whose ok and unknown
 * operations are INCRs and reads, with at least one INCR. (A key that also saw a write
 * or a CAS has no simple bounds; linearizability alone judges it.) With `acknowledged`
 * the number of INCRs answered ok and `unknown` the number without an answer:
 *
 *   - every node's final value f (absent counts as 0) is an integer with
 *     acknowledged <= f <= acknowledged + unknown: below, increments were lost; above,
 *     some were applied that nobody issued (or one was applied twice);
 *   - the results of the ok INCRs are distinct (each INCR sees its own new value) and
 *     each lies in [1, f] for every node's f.
 *
 * Failed INCRs provably did not take effect and are not counted.
 */
import type { RecordedHistory } from "./history.js";
import { keyHistories } from "./key_histories.js";
import { counterValue } from "./register_model.js";
import type { FinalStates } from "./set_check.js";

export interface CounterProblem {
  key: string;
  /** The node whose final value is at fault, when it is about one. */
  node?: number;
  message: string;
}

export interface CounterCheck {
  verdict: "pass" | "fail";
  keysChecked: number;
  /** Sum over keys of the worst node's shortfall below the acknowledged count. */
  incrementsLost: number;
  /** Sum over keys of the worst node's excess above acknowledged + unknown. */
  incrementsInvented: number;
  /** ok INCR answers that another ok INCR of the same key also got. */
  duplicateResults: number;
  problems: CounterProblem[];
}

export function checkCounters(history: RecordedHistory, finalStates: FinalStates): CounterCheck {
  const check: CounterCheck = { verdict: "pass", keysChecked: 0, incrementsLost: 0, incrementsInvented: 0, duplicateResults: 0, problems: [] };
  for (const { key, operations } of keyHistories(history)) {
    const kinds = new Set(operations.map((operation) => operation.command.kind));
    if (!kinds.has("incr") || kinds.has("write") || kinds.has("cas")) continue;
    check.keysChecked++;
    const increments = operations.filter((operation) => operation.command.kind === "incr");
    const results = increments.filter((operation) => operation.outcome === "ok").map((operation) => operation.result);
    const acknowledged = results.length;
    const possible = increments.length;
    const resultValues = checkResults(check, key, results);
    let worstLost = 0;
    let worstInvented = 0;
    for (const [node, values] of finalStates) {
      if (!values.has(key)) continue;
      const final = counterValue(values.get(key) ?? null);
      if (final === null) {
        check.problems.push({ key, node, message: `the final value ${JSON.stringify(values.get(key))} is not an integer` });
        continue;
      }
      if (final < BigInt(acknowledged)) check.problems.push({ key, node, message: `the final value ${final} is below the ${acknowledged} acknowledged increments` });
      if (final > BigInt(possible)) check.problems.push({ key, node, message: `the final value ${final} is above the ${possible} increments that may have been applied` });
      const above = resultValues.filter((value) => value > final);
      if (above.length > 0) {
        const largest = above.reduce((x, y) => (x > y ? x : y));
        check.problems.push({ key, node, message: `${above.length} acknowledged results exceed the final value ${final} (largest ${largest})` });
      }
      worstLost = Math.max(worstLost, acknowledged - Number(final));
      worstInvented = Math.max(worstInvented, Number(final) - possible);
    }
    check.incrementsLost += worstLost;
    check.incrementsInvented += worstInvented;
  }
  check.verdict = check.problems.length > 0 ? "fail" : "pass";
  return check;
}

/** Checks the ok INCR answers of one key; returns them as integers. */
function checkResults(check: CounterCheck, key: string, results: (string | null)[]): bigint[] {
  const values: bigint[] = [];
  const seen = new Set<bigint>();
  for (const result of results) {
    const value = result === null ? null : counterValue(result);
    if (value === null || value < 1n) {
      check.problems.push({ key, message: `an INCR answered ${JSON.stringify(result)}, not a positive integer` });
      continue;
    }
    if (seen.has(value)) {
      check.duplicateResults++;
      check.problems.push({ key, message: `two INCRs both answered ${value}` });
    }
    seen.add(value);
    values.push(value);
  }
  return values;
}
