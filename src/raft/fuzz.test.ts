import { test } from "node:test";
import * as assert from "node:assert/strict";
import { Cluster, bytes, seededRandom, text } from "./testing.js";
import type { ConfChange, Entry, Message, NodeId } from "./types.js";

const SEEDS = 30;
const STEPS = 250;
const NODES: NodeId[] = [1, 2, 3, 4, 5];

/** Raft's safety properties (Figure 3), checked after every step of a random run. */
class SafetyChecker {
  private readonly leaderOfTerm = new Map<number, NodeId>();
  private readonly appliedAt = new Map<number, string>();
  private readonly commitSeenInTerm = new Map<number, number>();
  highestCommitSeen = 0;

  check(cluster: Cluster, seed: number): void {
    for (const id of cluster.leaders()) {
      const term = cluster.node(id).status().term;
      assert.equal(this.leaderOfTerm.get(term) ?? id, id, `seed ${seed}: two leaders in term ${term}`);
      this.leaderOfTerm.set(term, id);
    }
    for (const id of NODES) {
      for (const each of cluster.disk(id).applied) {
        const key = describe(each);
        assert.equal(this.appliedAt.get(each.index) ?? key, key, `seed ${seed}: node ${id} applied a different entry at ${each.index}`);
        this.appliedAt.set(each.index, key);
      }
    }
    this.recordCommits(cluster);
    for (const id of cluster.leaders()) this.checkLeaderCompleteness(cluster, id, seed);
  }

  /**
   * Leader completeness: an entry committed in term T is in the log of every leader of a
   * term >= T. The term a commit is first seen in bounds T from above (a node learns of a
   * commit from a leader at least as new), so checking leaders of that term or later is sound.
   */
  private checkLeaderCompleteness(cluster: Cluster, id: NodeId, seed: number): void {
    const disk = cluster.disk(id);
    const leaderTerm = cluster.node(id).status().term;
    const byIndex = new Map(disk.entries.map((each) => [each.index, describe(each)]));
    for (const [index, key] of this.appliedAt) {
      const commitSeenInTerm = this.commitSeenInTerm.get(index);
      if (index <= disk.snapshot.index || commitSeenInTerm === undefined || commitSeenInTerm > leaderTerm) continue;
      assert.equal(byIndex.get(index), key, `seed ${seed}: leader ${id} of term ${leaderTerm} lacks entry ${index} committed by term ${commitSeenInTerm}`);
    }
  }

  private recordCommits(cluster: Cluster): void {
    for (const node of cluster.nodes.values()) {
      const status = node.status();
      for (let index = this.highestCommitSeen + 1; index <= status.commit; index += 1) this.commitSeenInTerm.set(index, status.term);
      this.highestCommitSeen = Math.max(this.highestCommitSeen, status.commit);
    }
  }
}

function describe(entry: Entry): string {
  return `${entry.term}/${entry.type}/${text(entry.data)}`;
}

function randomChange(random: () => number): ConfChange {
  const node = 1 + Math.floor(random() * NODES.length);
  const roll = random();
  return { type: roll < 0.4 ? "addVoter" : roll < 0.7 ? "addLearner" : "remove", node };
}

function arrangeRandomly(random: () => number): (batch: Message[]) => Message[] {
  return (batch) => {
    const arranged: Message[] = [];
    for (const message of batch) {
      const roll = random();
      if (roll < 0.1) continue; // dropped
      arranged.push(message);
      if (roll > 0.95) arranged.push(message); // duplicated
    }
    for (let position = arranged.length - 1; position > 0; position -= 1) {
      const other = Math.floor(random() * (position + 1));
      [arranged[position], arranged[other]] = [arranged[other] as Message, arranged[position] as Message];
    }
    return arranged;
  };
}

function runOneStep(cluster: Cluster, random: () => number, step: number): void {
  const roll = random();
  const someone = NODES[Math.floor(random() * NODES.length)] as NodeId;
  const leader = cluster.leaders()[0];
  if (roll < 0.05) cluster.isolate(someone);
  else if (roll < 0.1) cluster.heal();
  else if (roll < 0.3 && leader !== undefined) cluster.node(leader).propose(bytes(`step ${step}`));
  else if (roll < 0.33) cluster.node(someone).propose(bytes(`forwarded ${step}`));
  else if (roll < 0.35 && leader !== undefined) cluster.node(leader).transferLeadership(someone);
  else if (roll < 0.37 && leader !== undefined) proposeChangeSafely(cluster, leader, randomChange(random));
  else if (roll < 0.4) compact(cluster, someone);
  else if (roll < 0.42) cluster.node(someone).readIndex(bytes(`read ${step}`));
  else if (roll < 0.44) cluster.restart(someone);
  for (const node of cluster.nodes.values()) node.tick();
  cluster.stabilize(5000);
}

function proposeChangeSafely(cluster: Cluster, leader: NodeId, change: ConfChange): void {
  try {
    cluster.node(leader).proposeConfChange(change);
  } catch {
    // removing the last voter is refused: fine
  }
}

function compact(cluster: Cluster, id: NodeId): void {
  const last = cluster.disk(id).applied[cluster.disk(id).applied.length - 1];
  if (last === undefined) return;
  cluster.node(id).compact({ index: last.index, term: last.term, confState: cluster.node(id).status().confState });
}

test("random runs with drops, duplicates, reordering, partitions, restarts, transfers, membership changes and compaction stay safe", () => {
  for (let seed = 1; seed <= SEEDS; seed += 1) {
    const random = seededRandom(seed);
    const config = { preVote: seed % 2 === 0, checkQuorum: seed % 3 === 0, random: seededRandom(seed + 1000), maxEntriesPerAppend: 3, maxInflightAppends: 2 };
    const cluster = new Cluster({ voters: [1, 2, 3], learners: [], config });
    cluster.add(4, { voters: [1, 2, 3], learners: [] });
    cluster.add(5, { voters: [1, 2, 3], learners: [] });
    cluster.arrange = arrangeRandomly(random);
    const checker = new SafetyChecker();
    for (let step = 0; step < STEPS; step += 1) {
      runOneStep(cluster, random, step);
      checker.check(cluster, seed);
    }
    assert.ok(checker.highestCommitSeen >= 20, `seed ${seed}: only ${checker.highestCommitSeen} entries committed: the run made too little progress to mean much`);
  }
});
