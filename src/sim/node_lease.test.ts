/**
 * Lease reads on real nodes (--read-mode lease), in one scenario: a leader is cut off
 * from the rest while a client keeps reading from it and another writes through the new
 * leader. With the cut-off leader's clock as slow, and the others' as fast, as the drift
 * bound the cores assume allows (1.1, raft/lease.ts), its lease runs out before a new
 * leader commits anything and the history stays linearizable; with a clock far slower
 * than the bound it serves stale reads, and the checker says so.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { NodeId } from "../raft/types.js";
import { NodeCluster } from "./node_cluster.js";
import { RELIABLE_NETWORK } from "./network.js";
import { ScenarioClients } from "./scenario_clients.js";

const READER = 1;
const WRITER = 2;
const KEY = "k";
const SEEDS = [1, 2, 3, 4, 5];
/** The drift bound, split evenly: the slow clock at 1/√1.1, the fast ones at √1.1. */
const SPREAD = Math.sqrt(1.1);

interface Outcome {
  linearizable: boolean | "unknown";
  /** Reads the cut-off leader answered after the partition: only its lease can answer them. */
  leaseReadsWhileCutOff: number;
  writesByNewLeader: number;
}

async function cutOffLeader(seed: number, slowRate: number, fastRate: number): Promise<Outcome> {
  const cluster = new NodeCluster({ seed, nodes: 3, network: { ...RELIABLE_NETWORK, minDelay: 1, maxDelay: 2 }, readMode: "lease" });
  const clients = new ScenarioClients(cluster);
  const ids = [...cluster.members.keys()];
  for (const id of ids) cluster.start(id);
  const leaderOf = (among: NodeId[]): NodeId | undefined => among.find((id) => cluster.member(id).node?.status().role === "leader");
  assert.ok(await clients.runUntil(() => leaderOf(ids) !== undefined, 5_000), "a leader is elected");
  const old = leaderOf(ids) as NodeId;
  const rest = ids.filter((id) => id !== old);
  for (const id of ids) cluster.member(id).clock.rate = id === old ? slowRate : fastRate;
  clients.send(WRITER, old, { kind: "set", key: KEY, value: "before" });
  assert.ok(await clients.runUntil(() => clients.completedBy(WRITER) === 1, 3_000), "the first write completes");
  await clients.run(500); // heartbeat rounds: the lease holds
  const readsBefore = clients.completedBy(READER);
  cluster.network.partition([[old], rest]);
  for (let step = 0; step < 800 && cluster.failure === null; step++) {
    if (!clients.isBusy(READER)) clients.send(READER, old, { kind: "get", key: KEY });
    const leader = leaderOf(rest);
    if (leader !== undefined && !clients.isBusy(WRITER)) clients.send(WRITER, leader, { kind: "set", key: KEY, value: `after ${cluster.now}` });
    await clients.run(10);
  }
  assert.equal(cluster.failure, null, cluster.failure?.message);
  return {
    linearizable: clients.linearizable(),
    leaseReadsWhileCutOff: clients.completedBy(READER) - readsBefore,
    writesByNewLeader: clients.completedBy(WRITER) - 1,
  };
}

test("a cut-off leader's lease ends before a new leader commits when clocks drift as far as the bound allows", async () => {
  for (const seed of SEEDS) {
    for (const [slow, fast] of [[1, 1], [1 / SPREAD, SPREAD]] as const) {
      const outcome = await cutOffLeader(seed, slow, fast);
      assert.ok(outcome.leaseReadsWhileCutOff > 0, `seed ${seed}, rates ${slow}/${fast}: the lease served reads after the partition`);
      assert.ok(outcome.writesByNewLeader > 0, `seed ${seed}, rates ${slow}/${fast}: the new leader committed writes`);
      assert.equal(outcome.linearizable, true, `seed ${seed}, rates ${slow}/${fast}: the history is linearizable`);
    }
  }
});

test("a cut-off leader whose clock runs far slower than the bound serves stale lease reads, and the checker catches them", async () => {
  for (const seed of SEEDS) {
    const outcome = await cutOffLeader(seed, 0.3, 1);
    assert.ok(outcome.writesByNewLeader > 0, `seed ${seed}: the new leader committed writes`);
    assert.equal(outcome.linearizable, false, `seed ${seed}: stale reads break linearizability`);
  }
});
