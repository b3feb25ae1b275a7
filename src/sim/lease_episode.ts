/**
 * Lease episodes: short random runs aimed at the one moment a lease read can go wrong, a
 * leader that is no longer the only one while its lease may still hold. The long random
 * runs (random_run.ts) seldom get there: check-quorum steps a cut-off leader down within
 * an election timeout or two, and elections among many faults are slow, so even a lease
 * that never expires fails only about one seed in two hundred there.
 *
 * One episode, from a seed: 3 or 5 nodes in lease mode, clocks drifting as far as the
 * cores assume (or as far as `clockDrift` says), a mildly faulty network (a third of the
 * time one that holds some messages back for up to ten ticks). A leader is
 * elected and a value written; half the time the leader's pace is the slowest allowed and
 * everyone else's the fastest. Then one follower may be cut off from the leader alone (a
 * disruptor: it campaigns in vain, out of the leader's lease), always before the restart
 * and campaign triggers, half the time before the others. Then the trigger:
 *
 *   cut        the leader is cut off from everyone
 *   restart    the leader is cut off and the other nodes (but the one cut off before) restart,
 *              forgetting whom they heard from
 *   transfer   the leader hands leadership to a follower and hears from nobody again
 *   campaign   the leader is cut off and a follower (not the disruptor) is told to campaign at once
 *
 * Throughout, one client reads at the old leader without pause, one at random nodes, and
 * one writes through the newest leader. After TRIGGERED_TICKS the network heals; every
 * safety checker holds after every step and the history must be linearizable.
 */
import type { NodeId } from "../raft/types.js";
import { InvariantViolation } from "./checkers.js";
import { Cluster } from "./cluster.js";
import { checkLinearizability } from "./linearizability.js";
import type { NetworkFaults } from "./network.js";
import { Random } from "../lib/seeded_random.js";

export const TRIGGERS = ["cut", "restart", "transfer", "campaign"] as const;
export type Trigger = (typeof TRIGGERS)[number];

/** Lease mode's assumed clock drift ratios an episode draws from. */
const ASSUMED_DRIFT_RATIOS = [0, 0.1, 0.25, 0.5];
const OLD_LEADER_READER = 1;
const ANY_NODE_READER = 2;
const WRITER = 3;
const KEY = "k";
/** Ticks to elect the first leader and commit the first write (else the episode fails on liveness). */
const SETUP_TICKS = 300;
/** Ticks the follower cut off from the leader campaigns in vain before the trigger. */
const DISRUPTOR_TICKS = { min: 10, max: 30 };
/** Ticks from the trigger until the network heals. */
const TRIGGERED_TICKS = 60;
/** Ticks after healing, for outstanding operations to finish. */
const HEALED_TICKS = 40;

export interface EpisodeOptions {
  seed: number;
  /** The clocks' real drift ratio, whatever the cores assume (sabotage). */
  clockDrift?: number;
  trace?: (line: string) => void;
}

export interface EpisodeReport {
  seed: number;
  trigger: Trigger;
  /** The command that replays this episode. */
  replay: string;
  failure: { kind: string; message: string; at: number } | null;
  /** Reads the old leader answered after the trigger (only a lease can answer them while it is cut off). */
  oldLeaderReads: number;
}

export function runLeaseEpisode(options: EpisodeOptions): EpisodeReport {
  const random = new Random(options.seed);
  const assumedDrift = random.pick(ASSUMED_DRIFT_RATIOS);
  const cluster = new Cluster({
    seed: options.seed,
    nodes: random.chance(0.5) ? 3 : 5,
    raft: { readMode: "lease", checkQuorum: true, preVote: random.chance(0.5), maxClockDriftRatio: assumedDrift },
    network: mildFaults(random),
    clockDrift: options.clockDrift ?? assumedDrift,
    ...(options.trace === undefined ? {} : { trace: options.trace }),
  });
  const trigger = random.pick(TRIGGERS);
  const report: EpisodeReport = { seed: options.seed, trigger, replay: episodeReplay(options), failure: null, oldLeaderReads: 0 };
  try {
    const episode = new Episode(cluster, random);
    report.oldLeaderReads = episode.run(trigger);
    cluster.checkers.checkAllLogsMatch();
    const verdict = checkLinearizability(cluster.history.all());
    if (verdict.linearizable === false) {
      report.failure = { kind: "linearizability", message: `the history of key ${verdict.key} is not linearizable (${verdict.operations.length} operations)`, at: cluster.now };
    }
  } catch (error) {
    const kind = error instanceof InvariantViolation ? error.invariant : "crash";
    const message = error instanceof Error ? (kind === "crash" ? (error.stack ?? error.message) : error.message) : String(error);
    report.failure = { kind, message, at: cluster.now };
  }
  return report;
}

function episodeReplay(options: EpisodeOptions): string {
  return `node dist/sim/run.js --episodes --seed ${options.seed}` + (options.clockDrift === undefined ? "" : ` --clock-drift ${options.clockDrift}`);
}

/** Light loss and duplication; a third of the time some messages (answers too) arrive up to ten ticks late. */
function mildFaults(random: Random): NetworkFaults {
  const slowAnswers = random.chance(1 / 3);
  return {
    minDelay: 1,
    maxDelay: random.between(1, 4),
    dropProbability: random.pick([0, 0.02]),
    duplicateProbability: random.pick([0, 0.02]),
    reorderProbability: slowAnswers ? 0.3 : random.pick([0, 0.05]),
    reorderExtraDelay: slowAnswers ? 40 : random.between(1, 12),
  };
}

class Episode {
  private old: NodeId = 0;

  constructor(
    private readonly cluster: Cluster,
    private readonly random: Random,
  ) {}

  /** Runs the episode; returns how many reads the old leader answered after the trigger. */
  run(trigger: Trigger): number {
    const cluster = this.cluster;
    this.old = this.setUp();
    const others = cluster.ids.filter((id) => id !== this.old);
    const needsDisruptor = trigger === "restart" || trigger === "campaign" || this.random.chance(0.5);
    const disruptor = needsDisruptor ? this.random.pick(others) : undefined;
    if (disruptor !== undefined) this.cutOffDisruptor(disruptor);
    const readsBefore = cluster.history.completedCount(OLD_LEADER_READER);
    cluster.trace(`episode: trigger ${trigger} at leader ${this.old}`);
    this.pull(trigger, { others, disruptor });
    this.runWithClients(TRIGGERED_TICKS, { writes: "new leader" });
    const oldLeaderReads = cluster.history.completedCount(OLD_LEADER_READER) - readsBefore;
    cluster.network.heal();
    for (const id of cluster.ids) cluster.restart(id); // restart() leaves an up node alone
    this.runWithClients(HEALED_TICKS, { writes: "any leader" });
    return oldLeaderReads;
  }

  /** Elects a leader, commits a first write through it and sets the clocks' paces; returns the leader. */
  private setUp(): NodeId {
    const cluster = this.cluster;
    const written = cluster.runUntil(() => {
      const leader = cluster.leader();
      if (cluster.history.completedCount(WRITER) > 0) return true;
      if (leader !== undefined && !cluster.history.isBusy(WRITER)) cluster.submit({ client: WRITER, node: leader, command: { kind: "put", key: KEY, value: "first" } });
      return false;
    }, cluster.ticks(SETUP_TICKS));
    const leader = cluster.leader();
    if (!written || leader === undefined) throw new InvariantViolation("liveness", `no first write within ${SETUP_TICKS} ticks`);
    if (this.random.chance(0.5)) for (const id of cluster.ids) cluster.clocks?.setPace(id, id === leader ? 1 : 0);
    return leader;
  }

  /**
   * Cuts `follower` off from the leader alone, for a while: it campaigns, in vain, to a
   * higher term. Nothing is written meanwhile, so its log stays as long as the others' and
   * it could win their votes if they granted them.
   */
  private cutOffDisruptor(follower: NodeId): void {
    this.runWithClients(2, { writes: "none" }); // the first write reaches every follower
    this.cluster.trace(`episode: node ${follower} cut off from leader ${this.old}`);
    this.cluster.network.blockLink(this.old, follower);
    this.cluster.network.blockLink(follower, this.old);
    this.runWithClients(this.random.between(DISRUPTOR_TICKS.min, DISRUPTOR_TICKS.max), { writes: "none" });
  }

  private pull(trigger: Trigger, nodes: { others: NodeId[]; disruptor: NodeId | undefined }): void {
    const { others, disruptor } = nodes;
    const cluster = this.cluster;
    if (trigger === "transfer") {
      cluster.node(this.old).act((core) => core.transferLeadership(this.random.pick(others)));
      for (const id of others) cluster.network.blockLink(id, this.old); // it never learns of the new term
      return;
    }
    cluster.network.isolate(this.old);
    if (trigger === "restart") {
      for (const id of others) {
        if (id === disruptor) continue; // it keeps campaigning, and asks the restarted for votes
        cluster.crash(id);
        cluster.restart(id);
      }
    }
    if (trigger === "campaign") {
      const campaigner = this.random.pick(others.filter((id) => id !== disruptor));
      cluster.node(campaigner).act((core) => core.campaign());
    }
  }

  /** Runs with the readers reading; the writer writes through the newest leader ("new leader": not the old one). */
  private runWithClients(ticks: number, options: { writes: "none" | "new leader" | "any leader" }): void {
    const cluster = this.cluster;
    for (let unit = 0; unit < cluster.ticks(ticks); unit++) {
      const history = cluster.history;
      if (!history.isBusy(OLD_LEADER_READER)) cluster.submitRead({ client: OLD_LEADER_READER, node: this.old, key: KEY });
      const up = cluster.ids.filter((id) => cluster.node(id).isUp);
      if (!history.isBusy(ANY_NODE_READER) && up.length > 0) cluster.submitRead({ client: ANY_NODE_READER, node: this.random.pick(up), key: KEY });
      const leader = cluster.leader();
      const writesThere = options.writes === "any leader" || (options.writes === "new leader" && leader !== this.old);
      if (writesThere && leader !== undefined && !history.isBusy(WRITER)) cluster.submit({ client: WRITER, node: leader, command: { kind: "put", key: KEY, value: `w${cluster.now}` } });
      cluster.step();
    }
  }
}
