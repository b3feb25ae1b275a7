/**
 * Random simulations of walnut's Raft core: each seed draws a configuration, network
 * faults, crashes (also in the middle of a Ready), partitions, membership changes,
 * leadership transfers and client operations; every safety checker runs after every
 * step and the clients' history must be linearizable. A share of the seeds runs in lease
 * read mode, with the nodes' clocks drifting as far as the cores assume they may. A
 * failing seed prints the command that replays it. WALNUT_DEEP=1 runs many more seeds (so
 * does `npm run sim -- --seeds N [--read-mode lease]`).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { ReadMode } from "../raft/types.js";
import { runRandomSimulation } from "./random_run.js";

const DEEP = process.env["WALNUT_DEEP"] === "1";
const SEEDS: Record<ReadMode, number> = { index: DEEP ? 3000 : 250, lease: DEEP ? 1000 : 100 };
const SEEDS_PER_TEST = 50;

for (const readMode of ["index", "lease"] as const) {
  for (let first = 1; first <= SEEDS[readMode]; first += SEEDS_PER_TEST) {
    const last = Math.min(SEEDS[readMode], first + SEEDS_PER_TEST - 1);
    test(`random seeds ${first} to ${last} (read mode ${readMode}) keep every safety property and linearizability`, () => {
      let operations = 0;
      for (let seed = first; seed <= last; seed++) {
        const report = runRandomSimulation({ seed, readMode });
        if (report.failure !== null) {
          assert.fail(`seed ${seed} broke ${report.failure.kind} at time ${report.failure.at}: ${report.failure.message}\n  replay: ${report.replay}`);
        }
        operations += report.operations.completed;
      }
      assert.ok(operations > (last - first + 1) * 20, `clients completed only ${operations} operations`);
    });
  }
}
