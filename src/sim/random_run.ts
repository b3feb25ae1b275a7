/**
 * One random simulation from a seed: a cluster with a random Raft configuration, network
 * faults, crashes (also in the middle of a Ready), partitions, membership changes,
 * leadership transfers and clients doing put / get / append / compare-and-set over a few
 * keys. Every safety checker runs after every step; at the end the network heals, every
 * node restarts, the cluster must elect a leader and commit again (liveness), the logs are
 * compared entry by entry and the clients' history must be linearizable.
 *
 * With readMode "lease" the cores serve lease reads (with check-quorum, an assumed clock
 * drift drawn per seed from a stream of its own) and the nodes' clocks really drift, up to
 * that bound (clocks.ts); three more clients only read, at random nodes, and isolating a
 * node isolates the leader. Lease episodes (lease_episode.ts) aim at a lease's risky
 * moment more directly.
 *
 * The same seed (with the same node count, steps and read mode) replays the same run
 * exactly; a failure's `replay` is the command that does it.
 */
import { assert } from "../lib/assert.js";
import type { NodeId, RaftConfig, ReadMode } from "../raft/types.js";
import { InvariantViolation } from "./checkers.js";
import { Cluster } from "./cluster.js";
import type { KvCommand } from "./kv.js";
import { checkLinearizability, type Operation } from "./linearizability.js";
import { RELIABLE_NETWORK, type NetworkFaults } from "./network.js";
import { Random } from "../lib/seeded_random.js";
import { CRASH_POINTS, type CoreFactory } from "./sim_node.js";

export const DEFAULT_STEPS = 3000;
const KEYS = ["a", "b", "c"];
const CLIENTS = 3;
/** Chance per time unit that some fault happens. */
const FAULT_PROBABILITY = 0.012;
/** Chance per time unit that an idle client starts an operation. */
const CLIENT_PROBABILITY = 0.08;
/** Nodes in the cluster at most, counting the ones added by membership changes. */
const MAX_NODES = 7;
/** Mixed into the seed for the schedule's stream, so it differs from the cluster's. */
const SCHEDULE_SEED_SALT = 0x5bd1e995;
/** Mixed into the seed for lease mode's draws, so index mode's stream stays as it was. */
const LEASE_SEED_SALT = 0x2545f491;
/** Lease mode: the clock drift ratios a run may assume (and its clocks then really show). */
const ASSUMED_DRIFT_RATIOS = [0, 0.05, 0.1, 0.25, 0.5];
/**
 * Lease mode's extra clients, which only read, each time at a random node: the other
 * clients write too and so get stuck at a cut-off leader, whose lease reads are the ones
 * most worth checking. (Client CLIENTS + 1 is the liveness check's.)
 */
const LEASE_READERS = [CLIENTS + 2, CLIENTS + 3, CLIENTS + 4];
/** Ticks the healed cluster gets to elect a leader and commit a write. */
const LIVENESS_TICKS = 400;

export interface RunOptions {
  seed: number;
  /** Initial voters; random (3 or 5) when absent. */
  nodes?: number;
  /** Time units of faulty running before the healing phase. */
  steps?: number;
  createNode?: CoreFactory;
  /** Receives the run's event trace, one line per event. */
  trace?: (line: string) => void;
  /** "index" (default) or "lease": lease reads, with clocks drifting within the assumed bound. */
  readMode?: ReadMode;
  /** Lease mode: how much the clocks really drift, whatever the cores assume (sabotage). */
  clockDrift?: number;
}

export interface RunReport {
  seed: number;
  nodes: number;
  steps: number;
  /** The command that replays this run. */
  replay: string;
  failure: { kind: string; message: string; at: number } | null;
  /** For a linearizability failure: the operations on the failing key. */
  failingHistory: Operation[];
  /** The history was too hard to decide within the search budget (not a failure). */
  linearizabilityUndecided: boolean;
  operations: { completed: number; unknown: number };
  faults: number;
  elections: number;
  messages: number;
}

export function replayCommand(options: { seed: number; nodes: number | undefined; steps: number; readMode?: ReadMode; clockDrift?: number }): string {
  let command = `node dist/sim/run.js --seed ${options.seed}`;
  if (options.nodes !== undefined) command += ` --nodes ${options.nodes}`;
  if (options.steps !== DEFAULT_STEPS) command += ` --steps ${options.steps}`;
  if (options.readMode === "lease") command += " --read-mode lease";
  if (options.clockDrift !== undefined) command += ` --clock-drift ${options.clockDrift}`;
  return command;
}

/** Lease mode's settings for one seed: the cores' assumed drift, and the clocks' real one. */
function leaseSettings(options: RunOptions): { raft: Partial<RaftConfig>; clockDrift?: number } {
  if (options.readMode !== "lease") return { raft: {} };
  const assumed = new Random(options.seed ^ LEASE_SEED_SALT).pick(ASSUMED_DRIFT_RATIOS);
  return { raft: { readMode: "lease", checkQuorum: true, maxClockDriftRatio: assumed }, clockDrift: options.clockDrift ?? assumed };
}

export function runRandomSimulation(options: RunOptions): RunReport {
  // The run's shape and schedule: a stream apart from the cluster's own (seeded with `seed`).
  const setup = new Random(options.seed ^ SCHEDULE_SEED_SALT);
  const drawnNodes = setup.chance(0.5) ? 3 : 5; // drawn even when given, so --nodes changes nothing else
  const nodes = options.nodes ?? drawnNodes;
  const steps = options.steps ?? DEFAULT_STEPS;
  const lease = leaseSettings(options);
  const cluster = new Cluster({
    seed: options.seed,
    nodes,
    ...(options.createNode === undefined ? {} : { createNode: options.createNode }),
    raft: { preVote: setup.chance(0.5), checkQuorum: setup.chance(0.5), maxEntriesPerAppend: setup.pick([1, 4, 16]), maxInflightAppends: setup.pick([1, 4]), ...lease.raft },
    network: randomFaults(setup),
    compactEvery: setup.pick([0, 5, 20, 50]),
    tickUnits: 4,
    tickJitter: setup.chance(0.5),
    foundingSnapshot: setup.chance(0.3),
    ...(lease.clockDrift === undefined ? {} : { clockDrift: lease.clockDrift }),
    ...(options.trace === undefined ? {} : { trace: options.trace }),
  });
  const run = new RandomRun(cluster, setup, { leaseMode: options.readMode === "lease" });
  const report: RunReport = {
    seed: options.seed,
    nodes,
    steps,
    replay: replayCommand({ seed: options.seed, nodes: options.nodes, steps, ...(options.readMode === undefined ? {} : { readMode: options.readMode }), ...(options.clockDrift === undefined ? {} : { clockDrift: options.clockDrift }) }),
    failure: null,
    failingHistory: [],
    linearizabilityUndecided: false,
    operations: { completed: 0, unknown: 0 },
    faults: 0,
    elections: 0,
    messages: 0,
  };
  try {
    for (let unit = 0; unit < steps; unit++) run.step();
    run.healAndCheckLiveness();
    cluster.checkers.checkAllLogsMatch();
    const verdict = checkLinearizability(cluster.history.all());
    if (verdict.linearizable === false) {
      report.failure = { kind: "linearizability", message: `the history of key ${verdict.key} is not linearizable (${verdict.operations.length} operations)`, at: cluster.now };
      report.failingHistory = verdict.operations;
    }
    report.linearizabilityUndecided = verdict.linearizable === "unknown";
  } catch (error) {
    const kind = error instanceof InvariantViolation ? error.invariant : "crash";
    const message = error instanceof Error ? (kind === "crash" ? (error.stack ?? error.message) : error.message) : String(error);
    report.failure = { kind, message, at: cluster.now };
  }
  report.operations = { completed: cluster.history.stats.completed, unknown: cluster.history.stats.unknown };
  report.faults = run.faults;
  report.elections = run.countElections();
  report.messages = cluster.network.stats.sent;
  return report;
}

function describeNode(cluster: Cluster, id: NodeId): string {
  const node = cluster.node(id);
  if (cluster.retired.has(id)) return "retired";
  return node.isUp ? `${node.role}@${node.term}` : "down";
}

function randomFaults(random: Random): NetworkFaults {
  if (random.chance(0.3)) return RELIABLE_NETWORK;
  return {
    minDelay: 1,
    maxDelay: random.between(1, 6),
    dropProbability: random.pick([0, 0.01, 0.05, 0.15]),
    duplicateProbability: random.pick([0, 0.02, 0.1]),
    reorderProbability: random.pick([0, 0.05, 0.2]),
    reorderExtraDelay: random.between(1, 40),
  };
}

/** The fault and client schedule of one run, drawn as it goes. */
class RandomRun {
  faults = 0;
  private readonly removed = new Set<NodeId>();
  /** Quick restarts scheduled by crashes: node → the time it comes back. */
  private readonly restarts = new Map<NodeId, number>();
  /** Nodes armed to crash right after granting a vote, and to come back at once. */
  private readonly bouncing = new Set<NodeId>();

  constructor(
    private readonly cluster: Cluster,
    private readonly random: Random,
    /** leaseMode: the extra reading clients, and leaders cut off on purpose. */
    private readonly options: { leaseMode: boolean },
  ) {}

  step(): void {
    for (const [id, at] of this.restarts) {
      if (at > this.cluster.now) continue;
      this.restarts.delete(id);
      if (!this.cluster.retired.has(id)) this.cluster.restart(id);
    }
    for (const id of this.bouncing) {
      if (this.cluster.node(id).isUp) continue;
      this.bouncing.delete(id);
      if (!this.cluster.retired.has(id)) this.cluster.restart(id);
    }
    if (this.random.chance(FAULT_PROBABILITY)) {
      this.faults++;
      this.injectFault();
    }
    for (let client = 1; client <= CLIENTS; client++) {
      if (!this.cluster.history.isBusy(client) && this.random.chance(CLIENT_PROBABILITY)) this.startOperation(client);
    }
    for (const reader of this.options.leaseMode ? LEASE_READERS : []) {
      if (!this.cluster.history.isBusy(reader) && this.random.chance(CLIENT_PROBABILITY)) this.startRead(reader);
    }
    this.cluster.step();
  }

  /** Heals everything, restarts every node, and requires a leader that commits a write. */
  healAndCheckLiveness(): void {
    const cluster = this.cluster;
    cluster.trace("healing: network reliable, every node restarted");
    cluster.network.heal();
    cluster.network.faults = RELIABLE_NETWORK;
    for (const id of this.removed) if (!cluster.retired.has(id)) cluster.retire(id);
    for (const id of cluster.ids) {
      if (cluster.retired.has(id)) continue;
      cluster.node(id).armCrash(null);
      cluster.restart(id);
    }
    const client = CLIENTS + 1;
    const committed = cluster.runUntil(() => {
      if (cluster.history.completedCount(client) > 0) return true;
      const leader = cluster.leader();
      if (leader !== undefined && !cluster.history.isBusy(client)) cluster.submit({ client, node: leader, command: { kind: "put", key: "a", value: "final" } });
      return false;
    }, cluster.ticks(LIVENESS_TICKS));
    if (!committed) {
      const states = cluster.ids.map((id) => `${id}:${describeNode(cluster, id)}`).join(" ");
      throw new InvariantViolation("liveness", `no write committed within ${LIVENESS_TICKS} ticks of healing (${states})`);
    }
    cluster.runTicks(20); // let followers catch up before the full log comparison
  }

  countElections(): number {
    return this.cluster.checkers.leadersElected;
  }

  private startOperation(client: number): void {
    const cluster = this.cluster;
    const up = cluster.ids.filter((id) => cluster.node(id).isUp);
    if (up.length === 0) return;
    const leader = cluster.leader();
    const node = leader !== undefined && this.random.chance(0.7) ? leader : this.random.pick(up);
    const key = this.random.pick(KEYS);
    if (this.random.chance(0.25)) {
      cluster.submitRead({ client, node, key });
      return;
    }
    cluster.submit({ client, node, command: this.randomCommand(client, key) });
  }

  private startRead(client: number): void {
    const up = this.cluster.ids.filter((id) => this.cluster.node(id).isUp);
    if (up.length > 0) this.cluster.submitRead({ client, node: this.random.pick(up), key: this.random.pick(KEYS) });
  }

  private randomCommand(client: number, key: string): KvCommand {
    const value = `${client}.${this.cluster.now}`;
    const kind = this.random.pick(["put", "put", "get", "append", "cas", "cas"] as const);
    if (kind === "get") return { kind, key };
    if (kind === "cas") {
      const expected = this.random.chance(0.2) ? null : this.cluster.node(this.random.pick(this.cluster.ids)).store.read(key);
      return { kind, key, expected, value };
    }
    return { kind, key, value };
  }

  private injectFault(): void {
    const cluster = this.cluster;
    const random = this.random;
    const live = cluster.ids.filter((id) => !cluster.retired.has(id));
    const up = live.filter((id) => cluster.node(id).isUp);
    const down = live.filter((id) => !cluster.node(id).isUp);
    switch (random.below(13)) {
      case 0:
      case 1:
        return this.crash(up);
      case 2:
      case 3:
        if (down.length > 0) cluster.restart(random.pick(down));
        return;
      case 4:
        return this.partitionRandomly(live);
      case 5:
      case 6:
        cluster.trace("network heals");
        return cluster.network.heal();
      case 7:
        return this.blockLink(live);
      case 8: {
        // Lease mode cuts off the leader: a deposed leader's lease is what most needs checking.
        const leader = cluster.leader();
        const id = this.options.leaseMode && leader !== undefined ? leader : random.pick(live);
        cluster.trace(`network isolates node ${id}`);
        return cluster.network.isolate(id);
      }
      case 9:
        return this.changeMembership();
      case 10:
        return this.transferLeadership(up);
      case 11:
        if (up.length > 0) cluster.pause(random.pick(up), random.between(1, cluster.ticks(40)));
        return;
      default:
        cluster.network.faults = randomFaults(random);
        cluster.trace(`network faults now ${JSON.stringify(cluster.network.faults)}`);
        return;
    }
  }

  private blockLink(live: NodeId[]): void {
    if (live.length < 2) return;
    const from = this.random.pick(live);
    const to = this.random.pick(live);
    this.cluster.trace(`network blocks the link ${from} -> ${to}`);
    this.cluster.network.blockLink(from, to);
  }

  /** Crashes a node now or at a point of a later Ready; half the time it comes back soon. */
  private crash(up: NodeId[]): void {
    if (up.length === 0) return;
    const id = this.random.pick(up);
    const point = this.random.chance(0.5) ? this.random.pick(CRASH_POINTS) : undefined;
    if (point !== undefined) this.cluster.trace(`node ${id} will crash at ${point}`);
    this.cluster.crash(id, point);
    if (point === "afterVote") this.bouncing.add(id);
    else if (this.random.chance(0.5)) this.restarts.set(id, this.cluster.now + this.random.between(1, this.cluster.ticks(20)));
  }

  private partitionRandomly(live: NodeId[]): void {
    const groups: NodeId[][] = [[], []];
    for (const id of this.random.shuffle(live)) groups[this.random.below(2)]!.push(id);
    this.cluster.trace(`network partitions into ${groups.map((group) => `{${group.join(",")}}`).join(" ")}`);
    this.cluster.network.partition(groups);
  }

  private transferLeadership(up: NodeId[]): void {
    const leader = this.cluster.leader();
    if (leader === undefined || up.length < 2) return;
    const target = this.random.pick(up);
    this.cluster.trace(`leader ${leader} transfers leadership to ${target}`);
    this.cluster.node(leader).act((core) => core.transferLeadership(target));
  }

  private changeMembership(): void {
    const cluster = this.cluster;
    const leader = cluster.leader();
    if (leader === undefined) return;
    const confState = cluster.node(leader).raft.status().confState;
    const members = new Set([...confState.voters, ...confState.learners]);
    for (const id of this.removed) if (!members.has(id) && !cluster.retired.has(id)) cluster.retire(id);
    const choice = this.random.below(3);
    if (choice === 0 && cluster.ids.length < MAX_NODES) {
      const id = cluster.addNode(confState);
      cluster.changeMembership({ type: "addLearner", node: id });
    } else if (choice === 1 && confState.learners.length > 0) {
      cluster.changeMembership({ type: "addVoter", node: this.random.pick(confState.learners) });
    } else if (choice === 2 && confState.voters.length > 3) {
      const victim = this.random.pick(confState.voters);
      const result = cluster.changeMembership({ type: "remove", node: victim });
      if (result !== null && result.ok) this.removed.add(victim);
    }
  }
}

assert(KEYS.length > 0 && CLIENTS > 0, "a workload needs keys and clients");
