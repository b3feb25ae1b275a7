/**
 * The simulator's command line (node_run.ts): runs seeds of real walnut nodes and prints
 * a summary (`npm run sim:node` is the same command).
 *
 *   npm run sim -- --seeds 100                  seeds 1..100
 *   npm run sim -- --seed 42 [--trace]          one seed, replayed exactly (with its event trace)
 *   options: --first S (with --seeds: start at S), --nodes K (3 or 5 at random by default),
 *            --duration MS (virtual ms of faults, default 20000),
 *            --faults crash,partition,... (only these fault kinds),
 *            --read-mode index|lease (lease: leaders answer reads on their lease while clocks drift),
 *            --fsync always|everysec|no (the nodes' durability mode; always by default),
 *            --mix (seeds cycle through read modes and fsync modes: index/always, lease/always,
 *            index/everysec, index/no ... as the deep run does; overrides --read-mode and --fsync)
 *
 * Exits 1 when any seed fails, printing each failure with the command that replays it.
 */
import { parseArgs } from "node:util";
import type { ReadMode } from "../raft/types.js";
import type { FsyncMode } from "../wal/wal.js";
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
    `${report.events.leaders} leaders, ${report.events.checkpoints} checkpoints (${report.events.deltaCheckpoints} deltas), ${report.events.snapshotsInstalled} installed from a leader, ` +
    `${report.events.tornTails} torn tails; ${report.tasks} tasks, digest ${report.digest}` +
    (report.linearizabilityUndecided ? ", linearizability undecided (search budget)" : "")
  );
}

/** --mix: every 4th seed reads on leases, and one in 4 runs fsync everysec, one in 8 fsync no. */
function mixedMode(seed: number): { readMode: ReadMode; fsync: FsyncMode } {
  return {
    readMode: seed % 4 === 1 ? "lease" : "index",
    fsync: seed % 4 === 2 ? "everysec" : seed % 8 === 3 ? "no" : "always",
  };
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
      fsync: { type: "string", default: "always" },
      mix: { type: "boolean", default: false },
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
  const fsync = values.fsync;
  if (fsync !== "always" && fsync !== "everysec" && fsync !== "no") {
    process.stderr.write(`--fsync takes always, everysec or no, got "${fsync}"\n`);
    process.exit(2);
  }
  const started = performance.now();
  let failed = 0;
  const totals = { operations: 0, unknown: 0, virtualMs: 0, safetyChecks: 0, leaders: 0, checkpoints: 0, deltaCheckpoints: 0, snapshotsInstalled: 0, tornTails: 0 };
  const faultTotals = new Map<string, number>();
  const modes = new Map<string, number>();
  for (const seed of seeds) {
    const mode = values.mix === true ? mixedMode(seed) : { readMode: readMode as ReadMode, fsync: fsync as FsyncMode };
    modes.set(`${mode.readMode}/${mode.fsync}`, (modes.get(`${mode.readMode}/${mode.fsync}`) ?? 0) + 1);
    const report = await runNodeSimulation({
      seed,
      durationMs: values.duration === undefined ? DEFAULT_DURATION_MS : positiveInteger("--duration", values.duration),
      faults: faultKinds(values.faults),
      readMode: mode.readMode,
      fsync: mode.fsync,
      ...(values.nodes === undefined ? {} : { nodes: positiveInteger("--nodes", values.nodes) }),
      ...(values.trace === true ? { trace: (line: string) => process.stdout.write(`${line}\n`) } : {}),
    });
    totals.operations += report.operations.completed;
    totals.unknown += report.operations.unknown + report.operations.failed;
    totals.virtualMs += report.virtualMs;
    totals.safetyChecks += report.safetyChecks;
    totals.leaders += report.events.leaders;
    totals.checkpoints += report.events.checkpoints;
    totals.deltaCheckpoints += report.events.deltaCheckpoints;
    totals.snapshotsInstalled += report.events.snapshotsInstalled;
    totals.tornTails += report.events.tornTails;
    for (const [kind, count] of Object.entries(report.faults)) faultTotals.set(kind, (faultTotals.get(kind) ?? 0) + count);
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
  process.stdout.write(
    `${seeds.length} seeds (${[...modes].map(([mode, count]) => `${mode} ${count}`).join(", ")}), ${failed} failed, ` +
      `${totals.operations} operations completed, ${totals.unknown} failed or unknown, ${totals.safetyChecks} safety checks, ` +
      `${totals.leaders} leaders elected, ${totals.checkpoints} checkpoints (${totals.deltaCheckpoints} deltas), ${totals.snapshotsInstalled} installed from a leader, ` +
      `${totals.tornTails} torn tails cut; faults: ${[...faultTotals].map(([kind, count]) => `${kind} ${count}`).join(", ")}; ` +
      `${(totals.virtualMs / 3_600_000).toFixed(2)} virtual hours, ${seconds} s wall\n`,
  );
  process.exitCode = failed === 0 ? 0 : 1;
}

await main();
