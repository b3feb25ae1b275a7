/**
 * The FAULTS.md table row for one campaign: which faults were thrown and how often,
 * how long it ran, on how many nodes, how many operations with what outcomes, the
 * verdict, and the command that reproduces it.
 */
import type { CampaignResult } from "./campaign.js";

export const TABLE_HEADER = [
  "| faults | duration | nodes | ops | ok / failed / unknown | verdict | reproduce |",
  "|---|---|---|---|---|---|---|",
].join("\n");

export function tableRow(result: CampaignResult): string {
  const { options, history, judgement } = result;
  const report = judgement.report;
  const counts = new Map<string, number>();
  for (const fault of history.faults) counts.set(fault.kind, (counts.get(fault.kind) ?? 0) + 1);
  const faults = [...counts].map(([kind, count]) => `${kind} ×${count}`).join(", ") || "none";
  const total = report.counts.total;
  const verdictText = {
    pass: "linearizable, nothing lost",
    unknown: "undecided (search budget ran out)",
    fail: `FAILED: linearizability ${report.linearizability.verdict}, final state ${report.finalState.verdict}, counters ${report.counters.verdict}; ${report.finalState.acknowledgedWritesLost} acknowledged writes lost`,
  }[report.verdict];
  const nemesisProblems = result.nemesisProblems.length === 0 ? "" : `; FAILED: ${result.nemesisProblems.length} nemesis checks (${result.nemesisProblems[0]})`;
  const watchProblems = result.watch.problems.length === 0 ? "" : `; FAILED: ${result.watch.problems.length} watcher checks (${result.watch.problems[0]})`;
  const problems = nemesisProblems + watchProblems;
  const watchFlags = `${options.watchers === 3 ? "" : ` --watchers ${options.watchers}`}${options.watchHistory === undefined ? "" : ` --watch-history ${options.watchHistory}`}`;
  const command = `npm run faults -- --time ${Math.round(options.durationMs / 1000)}s --nodes ${options.nodes} --nemesis ${options.nemeses.join(",")} --clients ${options.clients}${watchFlags} --keys ${options.keys} --seed ${options.seed}${options.readMode === "index" ? "" : ` --read-mode ${options.readMode}`}${options.canary === null ? "" : ` --canary ${options.canary}`}`;
  const cells = [faults, `${Math.round(result.elapsedMs / 1000)} s`, String(options.nodes), String(history.operations.length),
    `${total.ok} / ${total.failed} / ${total.unknown}`, `${verdictText}${problems}`, `\`${command}\``];
  return `| ${cells.join(" | ")} |`;
}
