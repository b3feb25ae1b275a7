/**
 * The simulator's command line: runs random simulations and prints a summary.
 *
 *   node dist/sim/run.js --seeds 1000            seeds 1..1000
 *   node dist/sim/run.js --seed 4242 [--trace]   one seed, replayed exactly (with its event trace)
 *   node dist/sim/run.js --seeds 1000 --read-mode lease   lease reads, clocks drifting within the bound
 *   node dist/sim/run.js --episodes --seeds 1000          lease episodes (lease_episode.ts)
 *   options: --nodes K (initial voters; random 3 or 5 by default), --steps M (time units),
 *            --first S (with --seeds: start at seed S), --read-mode index|lease,
 *            --clock-drift R (lease mode: the clocks' real drift ratio, whatever the cores assume)
 *
 * Exits 1 when any seed fails, printing each failure with the command that replays it.
 */
import { parseArgs } from "node:util";
import type { ReadMode } from "../raft/types.js";
import type { Operation } from "./linearizability.js";
import { runLeaseEpisode } from "./lease_episode.js";
import { DEFAULT_STEPS, runRandomSimulation, type RunReport } from "./random_run.js";

interface CliOptions {
  seeds: number[];
  nodes: number | undefined;
  steps: number;
  verbose: boolean;
  trace: boolean;
  readMode: ReadMode;
  clockDrift: number | undefined;
  episodes: boolean;
}

function parseOptions(argv: string[]): CliOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      seed: { type: "string" },
      seeds: { type: "string" },
      first: { type: "string" },
      nodes: { type: "string" },
      steps: { type: "string" },
      verbose: { type: "boolean", default: false },
      trace: { type: "boolean", default: false },
      "read-mode": { type: "string", default: "index" },
      "clock-drift": { type: "string" },
      episodes: { type: "boolean", default: false },
    },
  });
  const readMode = values["read-mode"];
  if (readMode !== "index" && readMode !== "lease") {
    process.stderr.write(`--read-mode takes index or lease, got "${readMode}"\n`);
    process.exit(2);
  }
  const clockDrift = values["clock-drift"] === undefined ? undefined : Number(values["clock-drift"]);
  if (clockDrift !== undefined && !(clockDrift >= 0)) {
    process.stderr.write(`--clock-drift takes a ratio of at least 0, got "${values["clock-drift"]}"\n`);
    process.exit(2);
  }
  const count = positiveInteger("--seeds", values.seeds ?? "100");
  const first = positiveInteger("--first", values.first ?? "1");
  const seeds = values.seed !== undefined ? [positiveInteger("--seed", values.seed)] : Array.from({ length: count }, (_, index) => first + index);
  return {
    seeds,
    nodes: values.nodes === undefined ? undefined : positiveInteger("--nodes", values.nodes),
    steps: positiveInteger("--steps", values.steps ?? String(DEFAULT_STEPS)),
    verbose: values.verbose === true || values.seed !== undefined,
    trace: values.trace === true,
    readMode,
    clockDrift,
    episodes: values.episodes === true,
  };
}

function positiveInteger(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) {
    process.stderr.write(`${flag} takes a non-negative integer, got "${text}"\n`);
    process.exit(2);
  }
  return value;
}

function describe(report: RunReport): string {
  const outcome = report.failure === null ? "ok" : `FAILED (${report.failure.kind} at time ${report.failure.at})`;
  return (
    `seed ${report.seed}: ${outcome}; ${report.nodes} nodes, ${report.faults} faults, ${report.elections} leaders elected, ` +
    `${report.operations.completed} operations completed, ${report.operations.unknown} unknown, ${report.messages} messages` +
    (report.linearizabilityUndecided ? ", linearizability undecided (search budget)" : "")
  );
}

function describeOperation(operation: Operation): string {
  const completed = operation.completedAt === Infinity ? "never" : String(operation.completedAt);
  const result = operation.result === undefined ? "unknown" : JSON.stringify(operation.result);
  return `  client ${operation.client} ${JSON.stringify(operation.command)} invoked ${operation.invokedAt} completed ${completed} -> ${result}`;
}

/** Lease episodes instead of random runs; returns how many failed. */
function runEpisodes(options: CliOptions): number {
  let failed = 0;
  for (const seed of options.seeds) {
    const report = runLeaseEpisode({
      seed,
      ...(options.clockDrift === undefined ? {} : { clockDrift: options.clockDrift }),
      ...(options.trace ? { trace: (line: string) => process.stdout.write(`${line}\n`) } : {}),
    });
    if (options.verbose) {
      const outcome = report.failure === null ? "ok" : `FAILED (${report.failure.kind} at time ${report.failure.at})`;
      process.stdout.write(`episode ${seed}: ${outcome}; trigger ${report.trigger}, ${report.oldLeaderReads} reads answered by the old leader after it\n`);
    }
    if (report.failure === null) continue;
    failed++;
    process.stdout.write(`episode ${seed} FAILED: ${report.failure.message}\n  replay: ${report.replay}\n`);
  }
  return failed;
}

function main(): void {
  process.stdout.on("error", () => process.exit(0)); // a closed pipe (| head) ends the run quietly
  const options = parseOptions(process.argv.slice(2));
  const started = performance.now();
  if (options.episodes) {
    const failed = runEpisodes(options);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    process.stdout.write(`${options.seeds.length} episodes, ${failed} failed, ${seconds} s\n`);
    process.exitCode = failed === 0 ? 0 : 1;
    return;
  }
  const failures: RunReport[] = [];
  let undecided = 0;
  for (const seed of options.seeds) {
    const report = runRandomSimulation({
      seed,
      steps: options.steps,
      readMode: options.readMode,
      ...(options.clockDrift === undefined ? {} : { clockDrift: options.clockDrift }),
      ...(options.nodes === undefined ? {} : { nodes: options.nodes }),
      ...(options.trace ? { trace: (line: string) => process.stdout.write(`${line}\n`) } : {}),
    });
    if (report.linearizabilityUndecided) undecided++;
    if (options.verbose) process.stdout.write(`${describe(report)}\n`);
    if (report.failure !== null) {
      failures.push(report);
      if (options.trace) for (const operation of report.failingHistory) process.stdout.write(`${describeOperation(operation)}\n`);
      process.stdout.write(`seed ${seed} FAILED: ${report.failure.message}\n  replay: ${report.replay}\n`);
    }
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stdout.write(`${options.seeds.length} seeds, ${failures.length} failed, ${undecided} undecided, ${seconds} s\n`);
  process.exitCode = failures.length === 0 ? 0 : 1;
}

main();
