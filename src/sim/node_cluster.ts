/**
 * N real walnut nodes (node/node.ts: the Ready loop, the WAL over a simulated disk,
 * commands, apply, the engine, checkpoints, snapshot transfer) on one virtual-time queue,
 * talking over the simulated network. Nothing here stands in for the node: each member
 * gets a NodeEnvironment (node/environment.ts) of simulated parts, and that is all.
 *
 *   - time: a SimClock per node (its own rate: clocks drift) and SimTimers on the shared
 *     queue (virtual_time.ts)
 *   - randomness: a seeded Random per node (lib/seeded_random.ts)
 *   - disk: a SimDisk per node that survives its crashes (sim_disk.ts)
 *   - network: SimTransport over network.ts (sim_transport.ts)
 *
 * The run is a pure function of the seed: the queue runs one task at a time, and after
 * each one the promise jobs it started settle (one setImmediate: nothing else in the
 * process does I/O) before the next runs.
 *
 * Faults: crash (the process dies; the disk keeps only what was synced, perhaps a torn
 * tail), restart, pause (the process stops; its timers and I/O wait, its links drop what
 * arrives), partitions (network.ts), clock rates, disk full, slow and failing fsync.
 */
import { assert } from "../lib/assert.js";
import { describeError, isWalnutError } from "../lib/errors.js";
import { loggerFromLines } from "../lib/log.js";
import { Random } from "../lib/seeded_random.js";
import { CommandExecutor, resolveCommand } from "../commands/executor.js";
import { walnutStateMachine } from "../commands/state_machine.js";
import type { Reply } from "../engine/reply.js";
import { DEFAULT_COLLECTION } from "../engine/engine.js";
import type { NodeEnvironment } from "../node/environment.js";
import { Node, clusterIdOf } from "../node/node.js";
import type { ConfState, NodeId, ReadMode } from "../raft/types.js";
import type { FsyncMode } from "../wal/wal.js";
import { inlineCheckpointIo } from "../snapshot/io.js";
import type { PeerAddress } from "../transport/transport.js";
import { Network, type NetworkFaults } from "./network.js";
import { RaftSafety } from "./raft_safety.js";
import { SimDisk, HEALTHY_DISK } from "./sim_disk.js";
import { SimSwitchboard, SimTransport, type Packet } from "./sim_transport.js";
import { Process, Scheduler, SimClock, SimTimers } from "./virtual_time.js";

/** Recovery errors that mean the node lost or mangled acknowledged state: a bug, never a fault to ride out. */
const CORRUPTION_CODES = new Set(["WAL_CORRUPT", "CHECKPOINT_CORRUPT", "CONTROL_CORRUPT"]);

export interface NodeClusterOptions {
  seed: number;
  nodes: number;
  network: NetworkFaults;
  /** WAL segment size: small, so that runs roll segments and compact them. */
  segmentSizeBytes?: number;
  /** A checkpoint once this many WAL bytes were written since the last (small: runs take many). */
  checkpointWalBytes?: number;
  /** Bytes of applied entries a member keeps for followers (small: laggards get snapshots). */
  logMemoryBytes?: number;
  trace?: (line: string) => void;
  /** How leaders prove reads current (--read-mode): "index" by default. */
  readMode?: ReadMode;
  /** The nodes' --fsync mode: "always" by default. */
  fsync?: FsyncMode;
}

export interface Member {
  readonly id: NodeId;
  readonly disk: SimDisk;
  readonly clock: SimClock;
  readonly random: Random;
  /** The current life (null while down). */
  process: Process | null;
  node: Node | null;
  executor: CommandExecutor | null;
  lives: number;
}

export class NodeCluster {
  readonly scheduler = new Scheduler();
  readonly random: Random;
  readonly network: Network<Packet>;
  readonly switchboard: SimSwitchboard;
  readonly members = new Map<NodeId, Member>();
  /** What the nodes' own logs reported, counted: elections won, checkpoints taken and installed, torn tails cut. */
  readonly events = { leaders: 0, checkpoints: 0, deltaCheckpoints: 0, snapshotsInstalled: 0, tornTails: 0, writeFailures: 0 };
  /** The first failure seen (an exception in a node, a corrupt recovery); the run stops on it. */
  failure: { kind: string; message: string; at: number } | null = null;
  private readonly peers = new Map<NodeId, PeerAddress>();
  /** Members removed from the cluster by a membership change: never started again. */
  readonly removed = new Set<NodeId>();
  /** Every member's cluster id, derived once from the founders (later members are told it, as --join does). */
  private readonly clusterId: string;
  /** Simulated process ids: each life of a node is a new process. */
  private nextPid = 100;
  private readonly options: NodeClusterOptions;
  /** Election and state machine safety, watched on every node (raft_safety.ts). */
  readonly safety = new RaftSafety((kind, message) => this.fail(kind, message));

  constructor(options: NodeClusterOptions) {
    assert(options.nodes >= 1, `a cluster needs a node, got ${options.nodes}`);
    this.options = options;
    this.random = new Random(options.seed);
    this.network = new Network<Packet>(this.random.fork(), options.network);
    this.switchboard = new SimSwitchboard(this.network);
    for (let id = 1; id <= options.nodes; id++) this.peers.set(id, { host: `node${id}`, port: 7000 + id });
    for (const id of [...this.peers.keys()]) this.addMember(id);
    this.clusterId = clusterIdOf({ listen: this.peers.get(1) as PeerAddress, peers: this.peers, secret: null });
  }

  /** A member with an empty disk (a founder, or a node about to join); not started yet. */
  addMember(id: NodeId): Member {
    assert(!this.members.has(id), `node ${id} exists already`);
    if (!this.peers.has(id)) this.peers.set(id, { host: `node${id}`, port: 7000 + id });
    const member: Member = {
      id,
      disk: new SimDisk(this.random.fork()),
      clock: new SimClock(this.scheduler),
      random: this.random.fork(),
      process: null,
      node: null,
      executor: null,
      lives: 0,
    };
    this.members.set(id, member);
    return member;
  }

  /** Where node `id` listens for peers, as RAFT ADD takes it. */
  addressOf(id: NodeId): string {
    const address = this.peers.get(id);
    assert(address !== undefined, `node ${id} has no address`);
    return `${address.host}:${address.port}`;
  }

  /** The running member that leads, if any. */
  leader(): Member | null {
    for (const member of this.members.values()) if (member.node !== null && member.node.status().role === "leader") return member;
    return null;
  }

  /** Members not removed from the cluster. */
  current(): Member[] {
    return [...this.members.values()].filter((member) => !this.removed.has(member.id));
  }

  /** Node `id` was removed by a membership change: it stops for good. */
  retire(id: NodeId): void {
    this.crash(id);
    this.removed.add(id);
    this.trace(`node ${id} is retired`);
  }

  get now(): number {
    return this.scheduler.now;
  }

  trace(line: string): void {
    this.options.trace?.(`${String(this.now).padStart(7)} ${line}`);
  }

  fail(kind: string, message: string): void {
    if (this.failure === null) {
      this.failure = { kind, message, at: this.now };
      this.trace(`FAILURE ${kind}: ${message}`);
    }
  }

  member(id: NodeId): Member {
    const member = this.members.get(id);
    assert(member !== undefined, `no member ${id}`);
    return member;
  }

  /**
   * Starts a life of node `id`: it recovers from its disk and joins the others. A node
   * joining a running cluster is given the membership it starts with (as --join does).
   */
  start(id: NodeId, joining?: ConfState): void {
    const member = this.member(id);
    assert(member.process === null, `node ${id} is already running`);
    if (this.removed.has(id)) return;
    member.lives += 1;
    const process = new Process(`node ${id} life ${member.lives}`, this.nextPid++);
    member.process = process;
    const timers = new SimTimers(this.scheduler, process, member.clock);
    const disk = member.disk.view(this.scheduler, process);
    const environment: NodeEnvironment = {
      clock: member.clock,
      timers,
      random: () => member.random.next(),
      files: disk,
      walFileSystem: disk,
      checkpointIo: inlineCheckpointIo(disk, member.clock, () => timers.yieldTurn()),
      transport: (options) => new SimTransport(options, this.switchboard, process, timers),
      processes: { pid: process.pid, isAlive: (pid) => this.isAlive(pid) },
    };
    this.trace(`node ${id} starts (life ${member.lives})`);
    Node.open({
      dataDir: `/data/node${id}`,
      fsync: this.options.fsync ?? "always",
      segmentSizeBytes: this.options.segmentSizeBytes ?? 16 * 1024,
      checkpointIntervalMs: 0,
      checkpointWalBytes: this.options.checkpointWalBytes ?? 4 * 1024,
      // A small window: a follower that falls behind soon needs a checkpoint from its leader.
      logMemoryBytes: this.options.logMemoryBytes ?? 4 * 1024,
      archiveWal: false,
      stateMachine: this.safety.watch(id, walnutStateMachine),
      nodeId: id,
      cluster: {
        listen: this.peers.get(id) as PeerAddress,
        peers: new Map(this.peers),
        secret: null,
        clusterId: this.clusterId,
        ...(joining === undefined ? {} : { initialConfState: joining }),
      },
      environment,
      log: loggerFromLines((line) => this.nodeLogged(id, line)),
      readMode: this.options.readMode ?? "index",
    }).then(
      (node) => {
        if (!process.alive) return;
        member.node = node;
        member.executor = new CommandExecutor(node);
        this.trace(`node ${id} is open`);
      },
      (error: unknown) => {
        if (!process.alive) return;
        const code = isWalnutError(error) ? error.code : "";
        if (CORRUPTION_CODES.has(code)) this.fail("recovery", `node ${id} cannot recover: ${describeError(error)}`);
        else this.trace(`node ${id} failed to open: ${describeError(error)}`);
        member.process = null;
        process.alive = false;
      },
    );
  }

  /**
   * The process dies: in-flight I/O and timers vanish. With the power (`powerLoss`, the
   * default) the disk keeps what was synced and perhaps a torn tail; without, what was
   * written (kill -9: the page cache survives).
   */
  crash(id: NodeId, powerLoss = true): void {
    const member = this.member(id);
    if (member.process === null) return;
    member.process.alive = false;
    member.process = null;
    member.node = null;
    member.executor = null;
    member.disk.crash(powerLoss);
    this.trace(`node ${id} crashes${powerLoss ? "" : " (the process only: its page cache survives)"}`);
  }

  /** The process stops for `durationMs` (SIGSTOP): nothing of it runs until then. */
  pause(id: NodeId, durationMs: number): void {
    const process = this.member(id).process;
    if (process === null) return;
    process.pausedUntil = Math.max(process.pausedUntil, this.now + durationMs);
    this.trace(`node ${id} pauses for ${durationMs} ms`);
  }

  /** Disk and clock faults end; the network heals. */
  healAll(): void {
    this.network.heal();
    for (const member of this.members.values()) {
      member.disk.faults = { ...HEALTHY_DISK };
      if (member.process !== null) member.process.pausedUntil = 0;
    }
    this.trace("every fault heals");
  }

  /** A line of node `id`'s own log: into the trace, and counted. */
  private nodeLogged(id: NodeId, line: string): void {
    if (line.startsWith("leading in term")) {
      this.events.leaders += 1;
      this.safety.leading(id, Number(/^leading in term (\d+)/.exec(line)?.[1]));
    }
    else if (line.startsWith("checkpoint at index")) {
      this.events.checkpoints += 1;
      if (line.includes("(delta after")) this.events.deltaCheckpoints += 1;
    }
    else if (line.startsWith("installed checkpoint")) this.events.snapshotsInstalled += 1;
    else if (line.includes("truncated a torn tail")) this.events.tornTails += 1;
    else if (line.includes("write failed")) this.events.writeFailures += 1;
    this.trace(`node ${id}: ${line}`);
  }

  /** Whether the simulated process `pid` is a running life of some node. */
  isAlive(pid: number): boolean {
    for (const member of this.members.values()) if (member.process?.pid === pid) return true;
    return false;
  }

  /** Runs the queue until virtual time `until` (or a failure). */
  async runUntil(until: number): Promise<void> {
    while (this.failure === null) {
      const next = minDefined(this.scheduler.nextTime(), this.network.nextDeliveryTime());
      if (next === undefined || next > until) break;
      if (next > this.now) {
        this.scheduler.advanceTo(next);
        this.network.advanceTo(next);
      }
      if (this.switchboard.deliverDue() > 0) await settle();
      while (this.failure === null && this.scheduler.runNextDue()) await settle();
    }
    if (until > this.now) {
      this.scheduler.advanceTo(until);
      this.network.advanceTo(until);
    }
  }

  /** Runs one command at node `id` through its real command path (CommandExecutor), as a client connection does. */
  execute(id: NodeId, argv: string[]): Reply | Promise<Reply> | null {
    const executor = this.member(id).executor;
    if (executor === null) return null;
    return executor.execute(DEFAULT_COLLECTION, argv);
  }

  /** This node's own value for `key` (no read barrier), or undefined while it is down. */
  localValue(id: NodeId, key: string): string | null | undefined {
    const executor = this.member(id).executor;
    if (executor === null) return undefined;
    const argv = ["GET", key];
    const spec = resolveCommand(argv);
    assert("run" in spec, "GET is in the command table");
    const reply = executor.read(DEFAULT_COLLECTION, spec, argv, "stale");
    assert(!(reply instanceof Promise), "a stale read answers at once");
    return reply.type === "bulk" ? reply.value : null;
  }
}

function minDefined(x: number | undefined, y: number | undefined): number | undefined {
  if (x === undefined) return y;
  if (y === undefined) return x;
  return Math.min(x, y);
}

/** Lets every promise job queued so far run (nothing else in the process does I/O meanwhile). */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
