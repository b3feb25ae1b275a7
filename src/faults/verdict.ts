/**
 * The campaign's verdict on one history, from the checkers of src/check/: linearizability
 * of every key's history under the register model, the nodes' final states (every node
 * read whole after the heal: replicas agree, nothing acknowledged lost, the history plus
 * the final reads still linearizable), and the counter check for keys only incremented.
 * On a failure, the minimal failing sub-history and its SVG timeline go to the output
 * directory.
 */
import type { RecordedHistory } from "../check/history.js";
import { checkHistory, formatReport, writeFailureArtifacts, type CheckReport, type FailureArtifacts } from "../check/report.js";

export interface Judgement {
  report: CheckReport;
  /** The report as lines of text. */
  summary: string[];
  artifacts: FailureArtifacts | null;
}

/** A key a node does not hold reads as null there: each node's whole keyspace was read. */
function withAbsentKeys(history: RecordedHistory, finalStates: Map<number, Map<string, string>>): Map<number, Map<string, string | null>> {
  const keys = new Set(history.operations.map((operation) => operation.command.key));
  const states = new Map<number, Map<string, string | null>>();
  for (const [node, state] of finalStates) {
    const complete = new Map<string, string | null>(state);
    for (const key of keys) if (!complete.has(key)) complete.set(key, null);
    states.set(node, complete);
  }
  return states;
}

export async function judge(history: RecordedHistory, finalStates: Map<number, Map<string, string>>, outDir: string): Promise<Judgement> {
  const report = checkHistory(history, withAbsentKeys(history, finalStates));
  const artifacts = await writeFailureArtifacts(report, outDir);
  return { report, summary: formatReport(report), artifacts };
}

/** True unless a check failed ("unknown": the search ran out of budget on some key). */
export function isFailing(judgement: Judgement): boolean {
  return judgement.report.verdict === "fail";
}
