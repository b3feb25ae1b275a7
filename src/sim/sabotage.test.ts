/**
 * The simulator must have teeth: cores broken on purpose (wrapped around the real one)
 * must fail random runs. If these tests ever pass a broken core, the checkers or the
 * fault injection have gone blind.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RaftNode } from "../raft/raft.js";
import type { Ready, ReadState } from "../raft/types.js";
import { runRandomSimulation, type RunReport } from "./random_run.js";
import type { CoreFactory } from "./sim_node.js";

/** A real core whose ReadIndex answers at once, at index 0: reads are served stale. */
class StaleReadCore extends RaftNode {
  // Filled lazily: RaftNode's constructor may call the overridden methods before fields exist.
  private staleReads: ReadState[] | undefined;
  private handedOut: WeakMap<Ready, Ready | null> | undefined;

  override readIndex(context: Uint8Array): void {
    (this.staleReads ??= []).push({ index: 0, context });
  }

  override hasReady(): boolean {
    return (this.staleReads?.length ?? 0) > 0 || super.hasReady();
  }

  override ready(): Ready {
    const real = super.hasReady() ? super.ready() : null;
    const base: Ready = real ?? { softState: null, hardState: null, entries: [], snapshot: null, committedEntries: [], messages: [], readStates: [] };
    const ready = { ...base, readStates: [...base.readStates, ...(this.staleReads ?? [])] };
    this.staleReads = [];
    (this.handedOut ??= new WeakMap()).set(ready, real);
    return ready;
  }

  override advance(ready: Ready): void {
    const real = this.handedOut?.get(ready);
    if (real !== undefined && real !== null) super.advance(real);
  }
}

/** A real core that, on restart, believes only the first half of its durable log (a lying fsync). */
const forgetfulCore: CoreFactory = (config, initial) => {
  const kept = initial.entries.slice(0, Math.floor(initial.entries.length / 2));
  const lastKept = kept[kept.length - 1]?.index ?? initial.snapshot.index;
  return new RaftNode(config, { ...initial, entries: kept, hardState: { ...initial.hardState, commit: Math.min(initial.hardState.commit, lastKept) } });
};

function firstFailure(createNode: CoreFactory, seeds: number): RunReport | undefined {
  for (let seed = 1; seed <= seeds; seed++) {
    const report = runRandomSimulation({ seed, createNode });
    if (report.failure !== null) return report;
  }
  return undefined;
}

test("a core that serves reads without ReadIndex fails linearizability", () => {
  const report = firstFailure((config, initial) => new StaleReadCore(config, initial), 10);
  assert.equal(report?.failure?.kind, "linearizability");
});

test("a core that loses acknowledged entries across a restart is caught", () => {
  const report = firstFailure(forgetfulCore, 20);
  assert.ok(report?.failure !== null && report?.failure !== undefined, "no seed caught the lost entries");
  // Which check fires first depends on the seed: leader completeness, linearizability, or
  // a cluster that can no longer commit (liveness).
  assert.notEqual(report.failure.kind, "crash", report.failure.message);
});
