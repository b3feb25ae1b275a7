/**
 * One random simulation of real walnut nodes from a seed (node_cluster.ts): clients run
 * SET, GET and APPEND on a few keys at random members through the real command path
 * while faults strike — crashes (the disk keeps what was synced, and maybe a torn tail)
 * and restarts, crashes in the middle of a Ready (right after the WAL's fsync, before
 * the node sends or applies what it persisted), partitions, pauses, clock drift, a full
 * disk, slow fsyncs, failing fsyncs, membership changes (a node joins, a voter is
 * removed) and leadership transfers. Then every fault heals and every node restarts;
 * the cluster must commit a write again (liveness), every member must hold the same
 * values (convergence), and the clients' history must be linearizable
 * (src/check/linearizability.ts). Election and state machine safety are watched
 * throughout (raft_safety.ts).
 *
 * Under --fsync everysec and no, a crash kills the process and keeps the page cache
 * (what those modes promise to survive, DESIGN.md "Durability modes": an acknowledged
 * write is in the OS, not necessarily on the platter); under always the power goes.
 * Under no, entries count as persisted before the OS has them, so a node that crashes
 * may forget what it acknowledged (its vote included): those runs leave crashes out.
 *
 * The same seed (with the same node count and duration) replays the same run exactly;
 * a failure's `replay` is the command that does it.
 */
import { checkPerKey, type Model, type ModelOperation } from "../check/linearizability.js";
import { describeError } from "../lib/errors.js";
import { Random } from "../lib/seeded_random.js";
import type { Reply } from "../engine/reply.js";
import type { ConfState, NodeId, ReadMode } from "../raft/types.js";
import type { FsyncMode } from "../wal/wal.js";
import { NodeCluster, type Member } from "./node_cluster.js";
import { UNRELIABLE_NETWORK, type NetworkFaults } from "./network.js";

export const DEFAULT_DURATION_MS = 20_000;
const STEP_MS = 10;
const KEYS = ["a", "b", "c"];
const CLIENTS = 4;
/** Chance per step that a fault strikes. */
const FAULT_PROBABILITY = 0.012;
/** Chance per step that an idle client starts an operation. */
const CLIENT_PROBABILITY = 0.15;
/** A client gives up on an answer after this long: its operation's outcome is unknown. */
const CLIENT_TIMEOUT_MS = 5_000;
/** The healed cluster gets this long to commit a write again. */
const LIVENESS_MS = 30_000;
/** ... and then this long for every member to catch up before their values are compared. */
const CONVERGENCE_MS = 5_000;
const SCHEDULE_SEED_SALT = 0x3c6ef372;

/**
 * Network faults between real nodes: a few ms each way, a little loss and reordering. No
 * duplication: TCP never delivers a message twice, and the node relies on that (a
 * follower's forwarded proposal delivered twice is appended, and applied, twice).
 */
export const SIMULATED_LAN: NetworkFaults = { ...UNRELIABLE_NETWORK, minDelay: 1, maxDelay: 5, dropProbability: 0.02, duplicateProbability: 0, reorderProbability: 0.02, reorderExtraDelay: 10 };

export type FaultKind = "crash" | "midReadyCrash" | "partition" | "pause" | "clockDrift" | "diskFull" | "slowFsync" | "failingFsync" | "membership" | "transfer";
export const FAULT_KINDS: readonly FaultKind[] = ["crash", "midReadyCrash", "partition", "pause", "clockDrift", "diskFull", "slowFsync", "failingFsync", "membership", "transfer"];
/** The fault kinds that crash or restart a node: left out under fsync "no", which promises nothing across a crash. */
const CRASH_KINDS: readonly FaultKind[] = ["crash", "midReadyCrash", "failingFsync"];
/**
 * Clock rates within the drift the cores assume (DEFAULT_MAX_CLOCK_DRIFT_RATIO, 0.1):
 * between the slowest and the fastest clock a ratio of at most 1.1.
 */
const RATE_SPREAD = Math.sqrt(1.1);
/** Node ids a run may use, counting the nodes membership changes add. */
const MAX_NODE_ID = 9;
/** A new member is promoted from learner to voter this long after it started. */
const PROMOTE_AFTER_MS = 2_000;

export type KvCommand = { kind: "set" | "append"; key: string; value: string } | { kind: "get"; key: string };
/** SET answers "OK", APPEND the new length, GET the value (null when absent). */
export type KvResult = string | null;
export type Operation = ModelOperation<KvCommand, KvResult>;

export interface NodeRunOptions {
  seed: number;
  /** Voters; 3 or 5 at random when absent. */
  nodes?: number;
  durationMs?: number;
  /** Only these fault kinds (all by default). */
  faults?: readonly FaultKind[];
  trace?: (line: string) => void;
  /** "index" (default) or "lease": leaders answer reads on their lease, while clocks drift. */
  readMode?: ReadMode;
  /** The nodes' --fsync mode: "always" by default. */
  fsync?: FsyncMode;
  /** Sabotage, to prove the checkers catch lost writes: from this virtual time on, every disk's fsync lies. */
  fsyncLiesAfterMs?: number;
  /** Sabotage, to prove the checker catches stale reads: clients' GETs read a node's own state, with no read barrier. */
  staleReads?: boolean;
}

export interface NodeRunReport {
  seed: number;
  nodes: number;
  durationMs: number;
  replay: string;
  failure: { kind: string; message: string; at: number } | null;
  failingHistory: Operation[];
  linearizabilityUndecided: boolean;
  operations: { completed: number; unknown: number; failed: number };
  faults: Record<FaultKind, number>;
  /** What the nodes logged: leaders elected, checkpoints taken and installed from a leader, torn WAL tails cut, failed writes. */
  events: NodeCluster["events"];
  /** Safety checks made on applied entries and elected leaders (raft_safety.ts). */
  safetyChecks: number;
  /** Virtual ms the run lasted, faults, healing and checks included. */
  virtualMs: number;
  /** Tasks the virtual-time queue ran, and a digest of the run's events (equal for equal runs). */
  tasks: number;
  digest: string;
}

export const kvModel: Model<string | null, KvCommand, KvResult> = {
  initialState: null,
  step(value, command, result) {
    let next = value;
    let answer: KvResult;
    if (command.kind === "set") [next, answer] = [command.value, "OK"];
    else if (command.kind === "append") [next, answer] = [(value ?? "") + command.value, String((value ?? "").length + command.value.length)];
    else answer = value;
    return result === undefined || result === answer ? [next] : [];
  },
  stateKey: (value) => value,
  isReadOnly: (command) => command.kind === "get",
  commandKey: (command) => JSON.stringify(command),
};

export function replayCommand(options: { seed: number; nodes: number; durationMs: number; readMode: ReadMode; fsync: FsyncMode; faults: readonly FaultKind[] }): string {
  const mode = options.readMode === "index" ? "" : ` --read-mode ${options.readMode}`;
  const fsync = options.fsync === "always" ? "" : ` --fsync ${options.fsync}`;
  const faults = options.faults.length === FAULT_KINDS.length ? "" : ` --faults ${options.faults.join(",")}`;
  return `npm run sim -- --seed ${options.seed} --nodes ${options.nodes} --duration ${options.durationMs}${mode}${fsync}${faults} --trace`;
}

/** Runs one seed. Never throws for a failure of the system under test: it is in the report. */
export async function runNodeSimulation(options: NodeRunOptions): Promise<NodeRunReport> {
  const schedule = new Random(options.seed ^ SCHEDULE_SEED_SALT);
  // Drawn even when given, so that naming the count a seed drew (as `replay` does) replays the same run.
  const drawnNodes = schedule.pick([3, 5]);
  const nodes = options.nodes ?? drawnNodes;
  const durationMs = options.durationMs ?? DEFAULT_DURATION_MS;
  const fsync = options.fsync ?? "always";
  const faultKinds = (options.faults ?? FAULT_KINDS).filter((kind) => fsync !== "no" || !CRASH_KINDS.includes(kind));
  let digest = 0x811c9dc5;
  const cluster = new NodeCluster({
    seed: options.seed,
    nodes,
    network: SIMULATED_LAN,
    readMode: options.readMode ?? "index",
    fsync,
    trace: (line) => {
      for (let i = 0; i < line.length; i++) digest = Math.imul(digest ^ line.charCodeAt(i), 0x01000193) >>> 0;
      options.trace?.(line);
    },
  });
  const run = new RandomRun(cluster, schedule, faultKinds, {
    fsyncLiesAfterMs: options.fsyncLiesAfterMs ?? Infinity,
    staleReads: options.staleReads === true,
    powerLoss: fsync === "always",
    crashes: fsync !== "no",
  });
  const onUnhandled = (reason: unknown): void => cluster.fail("exception", `unhandled rejection in a node: ${describeError(reason)}${reason instanceof Error && reason.stack ? `\n${reason.stack}` : ""}`);
  process.on("unhandledRejection", onUnhandled);
  try {
    for (const id of cluster.members.keys()) cluster.start(id);
    await run.faultyPhase(durationMs);
    if (cluster.failure === null) await run.healingPhase();
  } catch (error) {
    cluster.fail("exception", `${describeError(error)}${error instanceof Error && error.stack ? `\n${error.stack}` : ""}`);
  } finally {
    process.off("unhandledRejection", onUnhandled);
    // Abandon every life: their pending tasks never run, and nothing outlives the run.
    for (const member of cluster.members.values()) if (member.process !== null) member.process.alive = false;
  }
  let failingHistory: Operation[] = [];
  let undecided = false;
  if (cluster.failure === null) {
    for (const { key, operations, outcome } of checkPerKey(kvModel, run.history, { keyOf: (command) => command.key, maxSteps: 2_000_000 })) {
      if (outcome.verdict === "not-linearizable") {
        cluster.fail("linearizability", `the history of key ${key} is not linearizable`);
        failingHistory = operations;
        break;
      }
      if (outcome.verdict === "unknown") undecided = true;
    }
  }
  return {
    seed: options.seed,
    nodes,
    durationMs,
    replay: replayCommand({ seed: options.seed, nodes, durationMs, readMode: options.readMode ?? "index", fsync, faults: options.faults ?? FAULT_KINDS }),
    failure: cluster.failure,
    failingHistory,
    linearizabilityUndecided: undecided,
    operations: run.counts,
    faults: run.faultCounts,
    events: { ...cluster.events },
    safetyChecks: cluster.safety.checks,
    virtualMs: cluster.now,
    tasks: cluster.scheduler.tasksRun,
    digest: digest.toString(16).padStart(8, "0"),
  };
}

interface Outstanding {
  operation: Operation;
  deadline: number;
}

/** The schedule of one run: clients and faults, drawn from its own stream of the seed. */
class RandomRun {
  readonly history: Operation[] = [];
  readonly counts = { completed: 0, unknown: 0, failed: 0 };
  readonly faultCounts = Object.fromEntries(FAULT_KINDS.map((kind) => [kind, 0])) as Record<FaultKind, number>;
  private eventTime = 0;
  private nextValue = 1;
  private readonly outstanding = new Map<number, Outstanding>();
  /** Repairs due later: restarts, heals, the end of a disk fault. */
  private readonly pending: Array<{ at: number; action: () => void }> = [];

  constructor(
    private readonly cluster: NodeCluster,
    private readonly random: Random,
    private readonly faultKinds: readonly FaultKind[],
    private readonly sabotage: { fsyncLiesAfterMs: number; staleReads: boolean; powerLoss: boolean; crashes: boolean },
  ) {}

  /** Nodes being added: the membership each starts with, as `walnut serve --join` is told it. */
  private readonly joining = new Map<NodeId, ConfState>();

  /** A membership change in progress (one at a time, as Raft requires). */
  private changing = false;

  async faultyPhase(durationMs: number): Promise<void> {
    const cluster = this.cluster;
    for (let time = STEP_MS; time <= durationMs && cluster.failure === null; time += STEP_MS) {
      this.runDueRepairs();
      if (time === this.sabotage.fsyncLiesAfterMs) for (const member of cluster.members.values()) member.disk.faults.fsyncLies = true;
      if (this.faultKinds.length > 0 && this.random.chance(FAULT_PROBABILITY)) this.strike(this.random.pick(this.faultKinds));
      this.startClientOperations();
      await cluster.runUntil(time);
      this.expireClientOperations();
    }
  }

  /** Every fault heals, every node restarts; then a write must commit and every member must agree. */
  async healingPhase(): Promise<void> {
    const cluster = this.cluster;
    this.pending.length = 0;
    cluster.healAll();
    for (const member of cluster.current()) {
      member.clock.rate = 1;
      // A node being added and not started yet starts as a joiner (as the founders' peers it
      // would start wrong); its join's answer may never come, if the healing crashed the leader.
      if (member.lives === 0) {
        const joining = this.joining.get(member.id);
        if (joining !== undefined) cluster.start(member.id, joining);
        continue;
      }
      // Under fsync "no" a restart may lose what was acknowledged: the running nodes stay up.
      if (member.process !== null && !this.sabotage.crashes) continue;
      cluster.crash(member.id, this.sabotage.powerLoss);
      cluster.start(member.id);
    }
    const deadline = cluster.now + LIVENESS_MS;
    let committed = false;
    while (!committed && cluster.now < deadline && cluster.failure === null) {
      committed = (await this.ask(this.random.pick(cluster.current()).id, ["SET", "liveness", "ok"]))?.type === "status";
    }
    if (cluster.failure !== null) return;
    if (!committed) return cluster.fail("liveness", `no write committed within ${LIVENESS_MS} ms after every fault healed`);
    // Every key read once more through the real read path, after every node restarted: an
    // acknowledged write the restarts lost shows up here as a stale read.
    const reader = CLIENTS + 1;
    for (const key of KEYS) {
      const operation: Operation = { client: reader, command: { kind: "get", key }, invokedAt: ++this.eventTime, completedAt: Infinity, result: undefined };
      const reply = await this.ask(this.random.pick(cluster.current()).id, ["GET", key]);
      const result = reply === null ? undefined : resultOf(reply);
      if (result === undefined) continue;
      operation.completedAt = ++this.eventTime;
      operation.result = result;
      this.history.push(operation);
    }
    await cluster.runUntil(cluster.now + CONVERGENCE_MS);
    this.expireClientOperations();
    for (const key of KEYS) {
      const members = this.finalMembers();
      const values = members.map((member) => cluster.localValue(member.id, key));
      if (new Set(values).size !== 1) {
        return cluster.fail("convergence", `the members disagree on key ${key}: ${values.map((value, i) => `node ${members[i]?.id} ${JSON.stringify(value)}`).join(", ")}`);
      }
    }
    cluster.trace("every member agrees");
  }

  /** The members of the final configuration (a change that failed here may still have taken effect). */
  private finalMembers(): Member[] {
    const status = this.cluster.leader()?.node?.status();
    if (status === undefined) return this.cluster.current();
    const ids = new Set([...status.voters, ...status.learners]);
    return this.cluster.current().filter((member) => ids.has(member.id));
  }

  /** Runs one command at node `id` and waits up to a second for its reply (null: none came). */
  private async ask(id: NodeId, argv: string[]): Promise<Reply | null> {
    const cluster = this.cluster;
    const answer = cluster.execute(id, argv);
    let reply: Reply | null = null;
    if (answer !== null) void Promise.resolve(answer).then((value) => (reply = value));
    const until = cluster.now + 1_000;
    while (reply === null && cluster.now < until && cluster.failure === null) await cluster.runUntil(cluster.now + STEP_MS);
    return reply;
  }

  private strike(kind: FaultKind): void {
    const cluster = this.cluster;
    const ids = [...cluster.members.keys()];
    const running = ids.filter((id) => cluster.member(id).process !== null);
    if (running.length === 0) return;
    const id = this.random.pick(running);
    const member = cluster.member(id);
    this.faultCounts[kind] += 1;
    switch (kind) {
      case "crash": {
        cluster.crash(id, this.sabotage.powerLoss);
        this.restartLater(id);
        return;
      }
      case "midReadyCrash": {
        // The next WAL fsync completes, and the node dies before it hears so: what it
        // persisted is on disk, the messages and applies that were to follow never happen.
        member.disk.faults.crashAfterSync = () => {
          cluster.trace(`node ${id}'s WAL fsync completes; the node crashes before it sends or applies`);
          cluster.crash(id, this.sabotage.powerLoss);
          this.restartLater(id);
        };
        cluster.trace(`node ${id} will crash right after its next WAL fsync`);
        return;
      }
      case "transfer": {
        const leader = cluster.leader();
        const voters = leader?.node?.status().voters.filter((voter) => voter !== leader.id) ?? [];
        if (leader === null || leader.node === null || voters.length === 0) return;
        const target = this.random.pick(voters);
        cluster.trace(`node ${leader.id} transfers its leadership to node ${target}`);
        leader.node.transferLeadership(target);
        return;
      }
      case "partition": {
        const shuffled = this.random.shuffle(ids);
        const cut = this.random.between(1, ids.length - 1);
        const groups = [shuffled.slice(0, cut), shuffled.slice(cut)];
        cluster.network.partition(groups);
        cluster.trace(`partition ${groups.map((group) => `[${group.join(",")}]`).join(" ")}`);
        this.later(this.random.between(300, 4_000), () => {
          cluster.network.heal();
          cluster.trace("the partition heals");
        });
        return;
      }
      case "pause":
        cluster.pause(id, this.random.between(100, 3_000));
        return;
      case "clockDrift": {
        member.clock.rate = 1 / RATE_SPREAD + this.random.next() * (RATE_SPREAD - 1 / RATE_SPREAD);
        member.clock.offsetMs += this.random.between(-2_000, 2_000);
        cluster.trace(`node ${id}'s clock runs at ${member.clock.rate.toFixed(3)}, offset ${member.clock.offsetMs} ms`);
        return;
      }
      case "diskFull": {
        member.disk.faults.capacityBytes = member.disk.usedBytes() + this.random.between(0, 4_096);
        cluster.trace(`node ${id}'s disk fills up at ${member.disk.faults.capacityBytes} bytes`);
        this.later(this.random.between(300, 3_000), () => {
          member.disk.faults.capacityBytes = null;
          cluster.trace(`node ${id}'s disk has room again`);
        });
        return;
      }
      case "slowFsync": {
        member.disk.faults.fsyncDelayMs = { min: 20, max: this.random.between(50, 500) };
        cluster.trace(`node ${id}'s fsyncs slow down to ${member.disk.faults.fsyncDelayMs.max} ms`);
        this.later(this.random.between(500, 4_000), () => {
          member.disk.faults.fsyncDelayMs = { min: 1, max: 2 };
          cluster.trace(`node ${id}'s fsyncs are fast again`);
        });
        return;
      }
      case "membership":
        this.changeMembership();
        return;
      case "failingFsync": {
        member.disk.faults.fsyncFailureProbability = 0.3;
        cluster.trace(`node ${id}'s fsyncs start failing`);
        this.later(this.random.between(300, 2_000), () => {
          member.disk.faults.fsyncFailureProbability = 0;
          cluster.trace(`node ${id}'s fsyncs work again; it restarts`);
          // A failed fsync is final until restart (wal/writer.ts): the operator restarts it.
          cluster.crash(id, this.sabotage.powerLoss);
          cluster.start(id);
        });
        return;
      }
    }
  }

  /**
   * One membership change through the leader's real path (Node.changeMembership, what
   * RAFT ADD and RAFT REMOVE call): with 3 voters or fewer a new node joins (as a learner
   * with an empty disk, promoted later, as `walnut serve --join` does); with 5 or more a
   * voter other than the leader is removed and retired; in between, either.
   */
  private changeMembership(): void {
    const cluster = this.cluster;
    const leader = cluster.leader();
    if (this.changing || leader === null || leader.node === null) return;
    const node = leader.node;
    const { voters, learners } = node.status();
    const nextId = Math.max(...cluster.members.keys()) + 1;
    const add = nextId <= MAX_NODE_ID && learners.length === 0 && (voters.length <= 3 || (voters.length < 5 && this.random.chance(0.5)));
    this.changing = true;
    const done = (): void => {
      this.changing = false;
    };
    if (!add) {
      const candidates = voters.filter((id) => id !== leader.id);
      if (voters.length <= 3 || candidates.length === 0) return done();
      const id = this.random.pick(candidates);
      cluster.trace(`membership: node ${leader.id} removes node ${id}`);
      node.changeMembership({ type: "remove", node: id }).then(
        () => {
          cluster.retire(id);
          done();
        },
        (error: unknown) => {
          cluster.trace(`membership: removing node ${id} failed: ${describeError(error)}`);
          done();
        },
      );
      return;
    }
    cluster.addMember(nextId);
    this.joining.set(nextId, { voters, learners: [...learners, nextId] });
    cluster.trace(`membership: node ${leader.id} adds node ${nextId} as a learner`);
    node.changeMembership({ type: "addLearner", node: nextId, address: cluster.addressOf(nextId) }).then(
      () => {
        const status = node.status();
        // Started once (the healing phase may have come in between: it leaves a joiner to this).
        if (cluster.member(nextId).lives === 0) cluster.start(nextId, { voters: status.voters, learners: status.learners });
        this.later(PROMOTE_AFTER_MS, () => this.promote(nextId));
      },
      (error: unknown) => {
        // It may still be in the log and take effect later: retire it, never start it.
        cluster.trace(`membership: adding node ${nextId} failed: ${describeError(error)}`);
        cluster.retire(nextId);
        done();
      },
    );
  }

  /** The learner becomes a voter, through whoever leads now (retried while nobody does). */
  private promote(id: NodeId): void {
    const cluster = this.cluster;
    if (cluster.removed.has(id)) {
      this.changing = false;
      return;
    }
    const leader = cluster.leader();
    if (leader === null || leader.node === null) return this.later(500, () => this.promote(id));
    cluster.trace(`membership: node ${leader.id} promotes node ${id} to voter`);
    leader.node.changeMembership({ type: "addVoter", node: id }).then(
      () => {
        this.changing = false;
      },
      (error: unknown) => {
        cluster.trace(`membership: promoting node ${id} failed: ${describeError(error)}`);
        this.later(500, () => this.promote(id));
      },
    );
  }

  private restartLater(id: NodeId): void {
    this.later(this.random.between(100, 3_000), () => this.cluster.member(id).process === null && this.cluster.start(id));
  }

  private later(delayMs: number, action: () => void): void {
    this.pending.push({ at: this.cluster.now + delayMs, action });
  }

  private runDueRepairs(): void {
    const due = this.pending.filter((repair) => repair.at <= this.cluster.now);
    if (due.length === 0) return;
    for (const repair of due) this.pending.splice(this.pending.indexOf(repair), 1);
    for (const repair of due) repair.action();
  }

  private startClientOperations(): void {
    const cluster = this.cluster;
    for (let client = 1; client <= CLIENTS; client++) {
      if (this.outstanding.has(client) || !this.random.chance(CLIENT_PROBABILITY)) continue;
      const open = [...cluster.members.values()].filter((member) => member.executor !== null);
      if (open.length === 0) return;
      const member = this.random.pick(open);
      const key = this.random.pick(KEYS);
      const kind = this.random.pick(["set", "get", "append"] as const);
      const command: KvCommand = kind === "get" ? { kind, key } : { kind, key, value: `${kind === "set" ? "v" : "+"}${this.nextValue++}` };
      const argv = command.kind === "get" ? ["GET", key] : [command.kind.toUpperCase(), key, command.value];
      const operation: Operation = { client, command, invokedAt: ++this.eventTime, completedAt: Infinity, result: undefined };
      const entry: Outstanding = { operation, deadline: cluster.now + CLIENT_TIMEOUT_MS };
      this.outstanding.set(client, entry);
      cluster.trace(`client ${client} -> node ${member.id}: ${argv.join(" ")}`);
      const answer = this.sabotage.staleReads && command.kind === "get" ? staleRead(cluster, member.id, key) : cluster.execute(member.id, argv);
      if (answer === null) continue;
      if (answer instanceof Promise) answer.then((reply) => this.answer(client, entry, reply), (error: unknown) => this.answer(client, entry, { type: "error", text: describeError(error) }));
      else this.answer(client, entry, answer);
    }
  }

  private answer(client: number, entry: Outstanding, reply: Reply): void {
    if (this.outstanding.get(client) !== entry) return; // it gave up already
    this.outstanding.delete(client);
    const { operation } = entry;
    const result = resultOf(reply);
    this.cluster.trace(`client ${client} <- ${result === undefined ? (reply.type === "error" ? reply.text : reply.type) : JSON.stringify(result)}`);
    if (result === undefined) {
      // An error: a write may still take effect (its entry may be in a log), a read tells
      // nothing. Only a write refused before it was proposed (no leader known) surely did not.
      this.counts.failed += 1;
      if (operation.command.kind !== "get" && !neverProposed(reply)) this.history.push(operation);
      return;
    }
    operation.completedAt = ++this.eventTime;
    operation.result = result;
    this.counts.completed += 1;
    this.history.push(operation);
  }

  /** Clients that waited too long give up: their operations' outcomes are unknown. */
  private expireClientOperations(): void {
    for (const [client, entry] of this.outstanding) {
      if (entry.deadline > this.cluster.now) continue;
      this.outstanding.delete(client);
      this.counts.unknown += 1;
      this.cluster.trace(`client ${client} gives up`);
      if (entry.operation.command.kind !== "get") this.history.push(entry.operation);
    }
  }
}

/** Sabotage: the node's own value, with no read barrier (what a broken read path would answer). */
function staleRead(cluster: NodeCluster, id: NodeId, key: string): Reply | null {
  const value = cluster.localValue(id, key);
  if (value === undefined) return null;
  return value === null ? { type: "nil" } : { type: "bulk", value };
}

/** The error of a write the node refused before proposing it (node.ts proposeNow): it is in no log. */
function neverProposed(reply: Reply): boolean {
  return reply.type === "error" && reply.code === "NO_LEADER" && reply.text.includes("no leader is known yet");
}

/** A reply as the model's result; undefined for an error. */
export function resultOf(reply: Reply): KvResult | undefined {
  switch (reply.type) {
    case "status":
      return reply.text;
    case "bulk":
      return reply.value;
    case "nil":
      return null;
    case "integer":
      return String(reply.value);
    default:
      return undefined;
  }
}
