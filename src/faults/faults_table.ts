/**
 * The FAULTS.md table row for one campaign: which faults were thrown and how often,
 * how long it ran, on how many nodes, how many operations with what outcomes, the
 * verdict, and the command that reproduces it.
 */
import type { CampaignResult } from "./campaign.js";
import { isPassing } from "./verdict.js";

export const TABLE_HEADER = [
  "| faults | duration | nodes | ops | ok / failed / unknown | verdict | reproduce |",
  "|---|---|---|---|---|---|---|",
].join("\n");

export function tableRow(result: CampaignResult): string {
  const { options, history, verdict } = result;
  const counts = new Map<string, number>();
  for (const fault of history.faults) counts.set(fault.kind, (counts.get(fault.kind) ?? 0) + 1);
  const faults = [...counts].map(([kind, count]) => `${kind} ×${count}`).join(", ") || "none";
  const outcomes = { ok: 0, failed: 0, unknown: 0 };
  for (const operation of history.operations) outcomes[operation.outcome] += 1;
  const verdictText = isPassing(verdict)
    ? verdict.linearizable === null
      ? "replicas agree (linearizability not checked)"
      : "linearizable, nothing lost"
    : `FAILED: ${verdict.problems[0] ?? "see artifacts"}`;
  const command = `npm run faults -- --time ${Math.round(options.durationMs / 1000)}s --nodes ${options.nodes} --nemesis ${options.nemeses.join(",")} --clients ${options.clients} --keys ${options.keys} --seed ${options.seed}`;
  const cells = [faults, `${Math.round(result.elapsedMs / 1000)} s`, String(options.nodes), String(history.operations.length),
    `${outcomes.ok} / ${outcomes.failed} / ${outcomes.unknown}`, verdictText, `\`${command}\``];
  return `| ${cells.join(" | ")} |`;
}
