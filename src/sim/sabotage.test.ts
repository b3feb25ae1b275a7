/**
 * The simulator must have teeth: cores broken on purpose (wrapped around the real one)
 * must fail random runs. If these tests ever pass a broken core, the checkers or the
 * fault injection have gone blind.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RaftNode } from "../raft/raft.js";
import type { ConfChange, Message, ProposeResult, RaftConfig, RaftCore, RaftInitialState, RaftStatus, Ready, ReadState, SnapshotMetadata } from "../raft/types.js";
import { runRandomSimulation, type RunReport } from "./random_run.js";
import type { CoreFactory } from "./sim_node.js";

/** A real core whose ReadIndex answers at once, at index 0: reads are served stale. */
class StaleReadCore implements RaftCore {
  private readonly inner: RaftNode;
  private pending: ReadState[] = [];
  private readonly handedOut = new WeakMap<Ready, Ready | null>();

  constructor(config: RaftConfig, initial: RaftInitialState) {
    this.inner = new RaftNode(config, initial);
  }

  readIndex(context: Uint8Array): void {
    this.pending.push({ index: 0, context });
  }

  hasReady(): boolean {
    return this.pending.length > 0 || this.inner.hasReady();
  }

  ready(): Ready {
    const real = this.inner.hasReady() ? this.inner.ready() : null;
    const base: Ready = real ?? { softState: null, hardState: null, entries: [], snapshot: null, committedEntries: [], messages: [], readStates: [] };
    const ready = { ...base, readStates: [...base.readStates, ...this.pending] };
    this.pending = [];
    this.handedOut.set(ready, real);
    return ready;
  }

  advance(ready: Ready): void {
    const real = this.handedOut.get(ready);
    if (real !== undefined && real !== null) this.inner.advance(real);
  }

  tick(): void {
    this.inner.tick();
  }
  step(message: Message): void {
    this.inner.step(message);
  }
  propose(data: Uint8Array): ProposeResult {
    return this.inner.propose(data);
  }
  proposeConfChange(change: ConfChange): ProposeResult {
    return this.inner.proposeConfChange(change);
  }
  transferLeadership(to: number): void {
    this.inner.transferLeadership(to);
  }
  campaign(): void {
    this.inner.campaign();
  }
  compact(metadata: SnapshotMetadata): void {
    this.inner.compact(metadata);
  }
  status(): RaftStatus {
    return this.inner.status();
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
