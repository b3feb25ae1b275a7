/**
 * Lease reads in the simulator, on one scenario: a leader is cut off from the rest while
 * a client keeps reading from it and another writes through the new leader. With the
 * deposed leader's clock as slow as the assumed drift bound allows, its lease runs out
 * before a new leader can commit anything and the history stays linearizable; with a
 * clock slower than the bound, it serves stale reads and the checker says so.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { NodeId } from "../raft/types.js";
import { Cluster } from "./cluster.js";
import { checkLinearizability } from "./linearizability.js";

const READER = 1;
const WRITER = 2;
const KEY = "k";
const SEEDS = [1, 2, 3, 4, 5];

interface Outcome {
  linearizable: boolean | "unknown";
  /** Reads the cut-off leader answered after the partition: only a lease can answer them. */
  leaseReadsWhileCutOff: number;
  writesByNewLeader: number;
}

/** The scenario, the cores assuming `assumedDrift`, the clocks drifting by `clockDrift` (the cut-off leader's the slowest). */
function cutOffLeader(options: { seed: number; assumedDrift: number; clockDrift: number }): Outcome {
  const cluster = new Cluster({
    seed: options.seed,
    nodes: 3,
    raft: { readMode: "lease", checkQuorum: true, maxClockDriftRatio: options.assumedDrift },
    clockDrift: options.clockDrift,
  });
  assert.ok(cluster.runUntil(() => cluster.leader() !== undefined, cluster.ticks(100)), "a leader is elected");
  const old = cluster.leader() as NodeId;
  for (const id of cluster.ids) cluster.clocks?.setPace(id, id === old ? 1 : 0);
  writeAndWait(cluster, old, "before");
  cluster.runTicks(3); // heartbeat rounds: the lease holds
  const completedBefore = { reads: cluster.history.completedCount(READER), writes: cluster.history.completedCount(WRITER) };
  cluster.network.partition([[old], cluster.ids.filter((id) => id !== old)]);
  for (let unit = 0; unit < cluster.ticks(80); unit++) {
    if (!cluster.history.isBusy(READER)) cluster.submitRead({ client: READER, node: old, key: KEY });
    const leader = cluster.leader();
    if (leader !== undefined && leader !== old && !cluster.history.isBusy(WRITER)) {
      cluster.submit({ client: WRITER, node: leader, command: { kind: "put", key: KEY, value: `after ${cluster.now}` } });
    }
    cluster.step();
  }
  return {
    linearizable: checkLinearizability(cluster.history.all()).linearizable,
    leaseReadsWhileCutOff: cluster.history.completedCount(READER) - completedBefore.reads,
    writesByNewLeader: cluster.history.completedCount(WRITER) - completedBefore.writes,
  };
}

function writeAndWait(cluster: Cluster, node: NodeId, value: string): void {
  assert.ok(cluster.submit({ client: WRITER, node, command: { kind: "put", key: KEY, value } }));
  assert.ok(cluster.runUntil(() => !cluster.history.isBusy(WRITER), cluster.ticks(50)), `the write of ${value} completes`);
}

test("a cut-off leader's lease ends before a new leader commits when clocks drift as much as the bound allows", () => {
  for (const drift of [0, 0.1, 0.5]) {
    for (const seed of SEEDS) {
      const outcome = cutOffLeader({ seed, assumedDrift: drift, clockDrift: drift });
      assert.ok(outcome.leaseReadsWhileCutOff > 0, `seed ${seed}, drift ${drift}: the lease served reads after the partition`);
      assert.ok(outcome.writesByNewLeader > 0, `seed ${seed}, drift ${drift}: the new leader committed writes`);
      assert.equal(outcome.linearizable, true, `seed ${seed}, drift ${drift}: the history is linearizable`);
    }
  }
});

test("a cut-off leader whose clock runs slower than the bound serves stale lease reads, and the checker catches them", () => {
  for (const seed of SEEDS) {
    const outcome = cutOffLeader({ seed, assumedDrift: 0.1, clockDrift: 5 });
    assert.ok(outcome.writesByNewLeader > 0, `seed ${seed}: the new leader committed writes`);
    assert.equal(outcome.linearizable, false, `seed ${seed}: stale reads break linearizability`);
  }
});
