/**
 * The real-node simulator's command line (node_run.ts): runs seeds and prints a summary.
 *
 *   npm run sim:node -- --seeds 100                  seeds 1..100
 *   npm run sim:node -- --seed 42 [--trace]          one seed, replayed exactly (with its event trace)
 *   options: --first S (with --seeds: start at S), --nodes K (3 or 5 at random by default),
 *            --duration MS (virtual ms of faults, default 20000),
 *            --faults crash,partition,... (only these fault kinds),
 *            --read-mode index|lease (lease: leaders answer reads on their lease while clocks drift)
 *
 * Exits 1 when any seed fails, printing each failure with the command that replays it.
 */
import { parseArgs } from "node:util";
import { DEFAULT_DURATION_MS, FAULT_KINDS, runNodeSimulation, type FaultKind, type NodeRunReport } from "./node_run.js";

function positiveInteger(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) {
    process.stderr.write(`${flag} takes a positive integer, got "${text}"\n`);
    process.exit(2);
  }
  return value;
}

function faultKinds(text: string | undefined): readonly FaultKind[] {
  if (text === undefined) return FAULT_KINDS;
  const kinds = text === "" ? [] : text.split(",");
  for (const kind of kinds) {
    if (!(FAULT_KINDS as readonly string[]).includes(kind)) {
      process.stderr.write(`--faults takes a comma-separated list of ${FAULT_KINDS.join(", ")}; got "${kind}"\n`);
      process.exit(2);
    }
  }
  return kinds as FaultKind[];
}

function describe(report: NodeRunReport): string {
  const outcome = report.failure === null ? "ok" : `FAILED (${report.failure.kind} at ${report.failure.at} ms)`;
  const faults = Object.entries(report.faults).filter(([, count]) => count > 0).map(([kind, count]) => `${kind} ${count}`).join(", ");
  return (
    `seed ${report.seed}: ${outcome}; ${report.nodes} nodes, ${report.operations.completed} operations completed, ` +
    `${report.operations.unknown + report.operations.failed} unknown, faults: ${faults || "none"}; ` +
    `${report.events.leaders} leaders, ${report.events.checkpoints} checkpoints, ${report.events.snapshotsInstalled} installed from a leader, ` +
    `${report.events.tornTails} torn tails; ${report.tasks} tasks, digest ${report.digest}` +
    (report.linearizabilityUndecided ? ", linearizability undecided (search budget)" : "")
  );
}

async function main(): Promise<void> {
  process.stdout.on("error", () => process.exit(0));
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      seed: { type: "string" },
      seeds: { type: "string" },
      first: { type: "string" },
      nodes: { type: "string" },
      duration: { type: "string" },
      faults: { type: "string" },
      trace: { type: "boolean", default: false },
      verbose: { type: "boolean", default: false },
      "read-mode": { type: "string", default: "index" },
    },
  });
  const first = positiveInteger("--first", values.first ?? "1");
  const seeds =
    values.seed !== undefined
      ? [positiveInteger("--seed", values.seed)]
      : Array.from({ length: positiveInteger("--seeds", values.seeds ?? "20") }, (_, index) => first + index);
  const verbose = values.verbose === true || values.seed !== undefined;
  const readMode = values["read-mode"];
  if (readMode !== "index" && readMode !== "lease") {
    process.stderr.write(`--read-mode takes index or lease, got "${readMode}"\n`);
    process.exit(2);
  }
  const started = performance.now();
  let failed = 0;
  let operations = 0;
  for (const seed of seeds) {
    const report = await runNodeSimulation({
      seed,
      durationMs: values.duration === undefined ? DEFAULT_DURATION_MS : positiveInteger("--duration", values.duration),
      faults: faultKinds(values.faults),
      readMode,
      ...(values.nodes === undefined ? {} : { nodes: positiveInteger("--nodes", values.nodes) }),
      ...(values.trace === true ? { trace: (line: string) => process.stdout.write(`${line}\n`) } : {}),
    });
    operations += report.operations.completed;
    if (verbose) process.stdout.write(`${describe(report)}\n`);
    if (report.failure === null) continue;
    failed += 1;
    for (const operation of report.failingHistory) {
      const result = operation.result === undefined ? "unknown" : JSON.stringify(operation.result);
      process.stdout.write(`  client ${operation.client} ${JSON.stringify(operation.command)} ${operation.invokedAt}..${operation.completedAt} -> ${result}\n`);
    }
    process.stdout.write(`seed ${seed} FAILED: ${report.failure.message}\n  replay: ${report.replay}\n`);
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stdout.write(`${seeds.length} seeds, ${failed} failed, ${operations} operations completed, ${seconds} s\n`);
  process.exitCode = failed === 0 ? 0 : 1;
}

await main();
