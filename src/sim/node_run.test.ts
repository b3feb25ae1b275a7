/**
 * Random simulations of real walnut nodes (node_run.ts): the node, its WAL over a
 * simulated disk, commands, apply, the engine, checkpoints and snapshot transfer, under
 * crashes (also right after a WAL fsync, mid-Ready), partitions, pauses, clock drift,
 * full disks, slow or failing fsyncs, membership changes and leadership transfers. Every
 * seed must keep election and state machine safety and the clients' history
 * linearizable, commit again once healed and end with every member agreeing. A failing
 * seed prints the command that replays it. WALNUT_DEEP=1 runs more seeds; the deep run
 * is `npm run sim -- --seeds 10000 --mix`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { runNodeSimulation } from "./node_run.js";

const DEEP = process.env["WALNUT_DEEP"] === "1";
const SEEDS = DEEP ? 1000 : 48;
const SEEDS_PER_TEST = DEEP ? 100 : 16;
/** Virtual ms of faults per seed: short by default, the CLI's full length in the deep run. */
const DURATION_MS = DEEP ? 20_000 : 8_000;

for (let first = 1; first <= SEEDS; first += SEEDS_PER_TEST) {
  const last = Math.min(SEEDS, first + SEEDS_PER_TEST - 1);
  test(`real-node seeds ${first} to ${last} stay linearizable, live and convergent under every fault class`, async () => {
    let operations = 0;
    const faults = new Set<string>();
    for (let seed = first; seed <= last; seed++) {
      const report = await runNodeSimulation({ seed, durationMs: DURATION_MS });
      if (report.failure !== null) {
        assert.fail(`seed ${seed} failed (${report.failure.kind} at ${report.failure.at} ms): ${report.failure.message}\n  replay: ${report.replay}`);
      }
      operations += report.operations.completed;
      for (const [kind, count] of Object.entries(report.faults)) if (count > 0) faults.add(kind);
    }
    assert.ok(operations > (last - first + 1) * 10, `clients completed only ${operations} operations`);
    assert.ok(faults.size >= 5, `only these fault kinds struck: ${[...faults].join(", ")}`);
  });
}

const MODE_SEEDS = DEEP ? 200 : 8;

for (const fsync of ["everysec", "no"] as const) {
  test(`real-node seeds 1 to ${MODE_SEEDS} under fsync ${fsync} keep what that mode promises`, async () => {
    for (let seed = 1; seed <= MODE_SEEDS; seed++) {
      const report = await runNodeSimulation({ seed, durationMs: DURATION_MS, fsync });
      if (report.failure !== null) {
        assert.fail(`seed ${seed} failed (${report.failure.kind} at ${report.failure.at} ms): ${report.failure.message}\n  replay: ${report.replay}`);
      }
      // "no" promises nothing across a crash: its runs leave crashes out.
      if (fsync === "no") assert.equal(report.faults.crash + report.faults.midReadyCrash, 0);
    }
  });
}

const LEASE_SEEDS = MODE_SEEDS;

test(`real-node seeds 1 to ${LEASE_SEEDS} in lease read mode, clocks drifting, stay linearizable`, async () => {
  for (let seed = 1; seed <= LEASE_SEEDS; seed++) {
    const report = await runNodeSimulation({ seed, durationMs: DURATION_MS, readMode: "lease" });
    if (report.failure !== null) {
      assert.fail(`seed ${seed} failed (${report.failure.kind} at ${report.failure.at} ms): ${report.failure.message}\n  replay: ${report.replay}`);
    }
  }
});

/** Seeds that once failed, replayed as they failed (the fix named beside each). */
const REGRESSIONS: Array<{ seed: number; nodes: number; fsync: "always" | "everysec" | "no"; fixed: string }> = [
  { seed: 1875, nodes: 5, fsync: "no", fixed: "a leader that learned of a member only through an installed checkpoint never reached it (node.ts installSnapshot)" },
  { seed: 939, nodes: 3, fsync: "no", fixed: "the simulator started a joining node twice when the healing phase came between its addition and its start" },
];

test("regression seeds pass", async () => {
  for (const { seed, nodes, fsync, fixed } of REGRESSIONS) {
    const report = await runNodeSimulation({ seed, nodes, fsync, durationMs: 20_000 });
    assert.equal(report.failure, null, `seed ${seed} (${fixed}): ${report.failure?.message}\n  replay: ${report.replay}`);
  }
});

test("a seed replays exactly: the same events, the same history", async () => {
  const first = await runNodeSimulation({ seed: 7, durationMs: 4_000 });
  const second = await runNodeSimulation({ seed: 7, durationMs: 4_000 });
  assert.equal(first.failure, null);
  assert.equal(second.digest, first.digest);
  assert.deepEqual(second.operations, first.operations);
  assert.equal(second.tasks, first.tasks);
  const other = await runNodeSimulation({ seed: 8, durationMs: 4_000 });
  assert.notEqual(other.digest, first.digest);
});

test("clients reading a node's own state without a read barrier are caught: some seed is not linearizable", async () => {
  const verdicts: string[] = [];
  for (let seed = 1; seed <= 4; seed++) {
    const report = await runNodeSimulation({ seed, durationMs: 5_000, staleReads: true });
    verdicts.push(report.failure?.kind ?? "ok");
  }
  assert.ok(verdicts.includes("linearizability"), `stale reads passed: ${verdicts.join(", ")}`);
});

test("a disk whose fsync lies is caught: crashes lose acknowledged writes and some seed fails", async () => {
  const verdicts: string[] = [];
  for (let seed = 1; seed <= 6; seed++) {
    const report = await runNodeSimulation({ seed, nodes: 3, durationMs: 5_000, faults: ["crash"], fsyncLiesAfterMs: 1_000 });
    verdicts.push(report.failure?.kind ?? "ok");
  }
  assert.ok(verdicts.some((verdict) => verdict !== "ok"), `every seed passed with a lying fsync: ${verdicts.join(", ")}`);
});
