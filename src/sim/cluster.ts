/**
 * A simulated Raft cluster: N SimNodes on one simulated Network and one virtual clock, the
 * safety checkers watching every step, and the clients' history for the linearizability
 * checker.
 *
 * step() advances the clock one unit: nodes whose tick is due tick (each node ticks every
 * `tickUnits`, from a random phase, so they are not in lockstep; with `clockDrift`, at
 * its own pace, see clocks.ts), then every envelope due is delivered. A snapshot message carries the leader's snapshot bytes through the network;
 * when it arrives (or is lost) the leader hears so as a local "snapshotStatus" report; an
 * append swallowed by a partition comes back as a local "unreachable" report.
 *
 * Faults are methods: crash (now, or at a point of a later Ready), restart, pause,
 * partitions (through `network`), membership changes. Everything random comes from the
 * seed, so a run replays exactly.
 */
import { assert } from "../lib/assert.js";
import { createMessage } from "../raft/message.js";
import { RaftNode } from "../raft/raft.js";
import type { ConfChange, ConfState, NodeId, ProposeResult, RaftConfig } from "../raft/types.js";
import { SafetyCheckers } from "./checkers.js";
import { DriftingClocks } from "./clocks.js";
import { bootstrapState, copyConfState, copyEntry, foundingSnapshotState, type InitialDisk } from "./disk.js";
import { ClientHistory } from "./history.js";
import { encodeRequest, KvStore, type KvCommand, type KvRequest, type KvResult } from "./kv.js";
import { Network, RELIABLE_NETWORK, type Envelope, type NetworkFaults } from "./network.js";
import { Random } from "../lib/seeded_random.js";
import { SimNode, type CoreFactory, type CrashPoint, type Packet, type ReadRequest } from "./sim_node.js";

export type RaftSettings = Omit<RaftConfig, "id" | "random">;

export const DEFAULT_RAFT_SETTINGS: RaftSettings = {
  electionTicks: 10,
  heartbeatTicks: 1,
  preVote: false,
  checkQuorum: false,
  maxEntriesPerAppend: 16,
  maxInflightAppends: 4,
};

/** Time units per tick: with one-unit messages, a round trip is half a tick. */
export const DEFAULT_TICK_UNITS = 4;
/** How long a client waits for an answer before its operation's outcome is unknown. */
export const DEFAULT_CLIENT_TIMEOUT_UNITS = 400;
/** Delay of the local reports a transport makes (a snapshot send finished, a peer is unreachable). */
const LOCAL_REPORT_DELAY_UNITS = 1;

export interface ClusterOptions {
  seed: number;
  nodes: number;
  createNode?: CoreFactory;
  raft?: Partial<RaftSettings>;
  network?: NetworkFaults;
  /** Time units per tick (DEFAULT_TICK_UNITS). */
  tickUnits?: number;
  /** Snapshot a node's state machine every this many applied entries; 0 (default) never. */
  compactEvery?: number;
  /** DEFAULT_CLIENT_TIMEOUT_UNITS unless given. */
  clientTimeoutUnits?: number;
  /** Found the cluster with its membership as a snapshot at index 1 (else at index 0, as src/node/ does). */
  foundingSnapshot?: boolean;
  /** Each tick interval varies by a unit either way: the nodes' clocks drift apart. */
  tickJitter?: boolean;
  /**
   * Drifting clocks (clocks.ts) instead of tickJitter: no node ticks more than (1 + this)
   * times as often as another, and a paused node catches up its ticks before anything else.
   */
  clockDrift?: number;
  /** Receives one line per notable event (role changes, crashes, faults): a replay's trace. */
  trace?: (line: string) => void;
}

export class Cluster {
  readonly random: Random;
  readonly network: Network<Packet>;
  readonly checkers = new SafetyCheckers();
  readonly history = new ClientHistory();
  readonly nodes = new Map<NodeId, SimNode>();
  /** Per node: the KV request it applied at each index (not those covered by a snapshot). */
  readonly appliedRequests = new Map<NodeId, Map<number, KvRequest>>();
  /** Nodes removed from the cluster for good: never restarted. */
  readonly retired = new Set<NodeId>();
  private readonly raftSettings: RaftSettings;
  private readonly tickUnits: number;
  private readonly createNode: CoreFactory;
  private readonly clientTimeoutUnits: number;
  private readonly compactEvery: number;
  private readonly traceSink: ((line: string) => void) | null;
  private readonly tickJitter: boolean;
  /** Null: every node ticks every tickUnits (give or take the jitter), missed ticks are skipped. */
  readonly clocks: DriftingClocks | null;
  /** Paused nodes (a stop-the-world pause): until when, and what arrived meanwhile (messages, then clients' requests). */
  private readonly paused = new Map<NodeId, { until: number; backlog: Envelope<Packet>[]; requests: Array<() => void> }>();

  constructor(options: ClusterOptions) {
    assert(options.nodes >= 1, "a cluster has at least one node");
    this.random = new Random(options.seed);
    this.network = new Network(this.random.fork(), options.network ?? RELIABLE_NETWORK);
    this.raftSettings = { ...DEFAULT_RAFT_SETTINGS, ...options.raft };
    this.tickUnits = options.tickUnits ?? DEFAULT_TICK_UNITS;
    this.createNode = options.createNode ?? ((config, initial) => new RaftNode(config, initial));
    this.clientTimeoutUnits = options.clientTimeoutUnits ?? DEFAULT_CLIENT_TIMEOUT_UNITS;
    this.compactEvery = options.compactEvery ?? 0;
    this.traceSink = options.trace ?? null;
    this.tickJitter = options.tickJitter ?? false;
    this.clocks = options.clockDrift === undefined ? null : new DriftingClocks(this.random.fork(), { tickUnits: this.tickUnits, driftRatio: options.clockDrift });
    const voters = Array.from({ length: options.nodes }, (_, index) => index + 1);
    const founders = { voters, learners: [] };
    const image = new KvStore().snapshot();
    for (const id of voters) {
      this.createSimNode(id, options.foundingSnapshot === true ? foundingSnapshotState(founders, image) : bootstrapState(founders, image));
    }
  }

  get now(): number {
    return this.network.now;
  }

  node(id: NodeId): SimNode {
    const node = this.nodes.get(id);
    assert(node !== undefined, `no node ${id}`);
    return node;
  }

  get ids(): NodeId[] {
    return [...this.nodes.keys()];
  }

  /** Advances the clock one unit: ticks, then deliveries, then client timeouts. */
  step(): void {
    const now = this.now + 1;
    this.network.advanceTo(now);
    this.resumePausedNodes();
    for (const node of this.nodes.values()) {
      if (!node.isUp || this.paused.has(node.id)) continue;
      if (this.clocks !== null) {
        this.tickWhenDue(node, this.clocks);
      } else if (node.nextTickAt <= now) {
        node.nextTickAt = now + this.tickUnits + (this.tickJitter ? this.random.between(-1, 1) : 0);
        node.tick();
      }
    }
    const { delivered, lost } = this.network.takeDueAndLost();
    for (const envelope of delivered) this.deliver(envelope);
    for (const envelope of lost) this.reportLost(envelope);
    this.history.expire(now);
  }

  runFor(units: number): void {
    for (let i = 0; i < units; i++) this.step();
  }

  /** Steps until `predicate` holds (true) or `maxUnits` pass (false). */
  runUntil(predicate: () => boolean, maxUnits: number): boolean {
    for (let i = 0; i < maxUnits; i++) {
      if (predicate()) return true;
      this.step();
    }
    return predicate();
  }

  runTicks(ticks: number): void {
    this.runFor(ticks * this.tickUnits);
  }

  /** Units in `ticks` ticks. */
  ticks(ticks: number): number {
    return ticks * this.tickUnits;
  }

  // ——— Faults ———

  /** Crashes `id` now, or at `point` of its next Ready. */
  crash(id: NodeId, point?: CrashPoint): void {
    const node = this.node(id);
    if (point === undefined) {
      node.crash();
      this.paused.delete(id);
    } else {
      node.armCrash(point);
    }
  }

  /**
   * Freezes `id` for `units` (a long GC pause, a stopped VM): it neither ticks nor handles
   * messages or clients' requests, which queue up and are all handled when it resumes,
   * stale or not.
   */
  pause(id: NodeId, units: number): void {
    if (!this.node(id).isUp || this.paused.has(id)) return;
    this.trace(`node ${id} pauses for ${units} units`);
    this.paused.set(id, { until: this.now + units, backlog: [], requests: [] });
  }

  restart(id: NodeId): void {
    assert(!this.retired.has(id), `node ${id} was retired`);
    const node = this.node(id);
    if (node.isUp) return;
    node.nextTickAt = this.now + 1 + this.random.below(this.tickUnits);
    node.start();
  }

  /** Stops `id` for good (after its removal from the membership). */
  retire(id: NodeId): void {
    this.trace(`node ${id} retires`);
    this.node(id).crash();
    this.retired.add(id);
    this.network.isolate(id);
  }

  /**
   * Adds a new node with an empty log, knowing `membership` (the cluster's current one, as
   * an operator would pass it; itself absent), and starts it; returns its id.
   */
  addNode(membership: ConfState): NodeId {
    const id = Math.max(...this.nodes.keys()) + 1;
    this.trace(`node ${id} joins, knowing voters ${membership.voters.join(",")} learners ${membership.learners.join(",")}`);
    this.createSimNode(id, bootstrapState(membership, new KvStore().snapshot()));
    return id;
  }

  /** Proposes a membership change at the current leader; null when there is none. */
  changeMembership(change: ConfChange): ProposeResult | null {
    const leader = this.leader();
    if (leader === undefined) return null;
    const result = this.node(leader).act((core) => core.proposeConfChange(change));
    this.trace(`leader ${leader} proposes ${change.type} ${change.node}: ${result === null ? "down" : result.ok ? `index ${result.index}` : result.reason}`);
    return result;
  }

  /** Adds a line to the trace, stamped with the time. */
  trace(line: string): void {
    if (this.traceSink !== null) this.traceSink(`${String(this.now).padStart(6)}  ${line}`);
  }

  // ——— Observing ———

  /** Up nodes that believe they lead. */
  leaders(): SimNode[] {
    return [...this.nodes.values()].filter((node) => node.isUp && node.role === "leader");
  }

  /** The up leader of the highest term, if any. */
  leader(): NodeId | undefined {
    let best: SimNode | undefined;
    for (const node of this.leaders()) if (best === undefined || node.term > best.term) best = node;
    return best?.id;
  }

  // ——— Clients ———

  /**
   * A client writes (or reads through the log) at `node`. Returns false when the operation
   * could not even start (the client is busy, the node is down or refused it at once).
   */
  submit(options: { client: number; node: NodeId; command: KvCommand }): boolean {
    if (this.history.isBusy(options.client)) return false;
    const node = this.node(options.node);
    if (!node.isUp) return false;
    const request = this.history.invoke({ client: options.client, command: options.command, deadline: this.now + this.clientTimeoutUnits });
    const pause = this.paused.get(node.id);
    if (pause !== undefined) {
      pause.requests.push(() => node.propose(encodeRequest(request)));
      return true;
    }
    const result = node.propose(encodeRequest(request));
    // Refused without forwarding: no log will ever hold it.
    if (result !== null && !result.ok && (result.reason !== "not-leader" || result.leader === 0)) {
      this.history.discard(options.client);
      return false;
    }
    return true;
  }

  /** A client reads `key` through ReadIndex at `node`. */
  submitRead(options: { client: number; node: NodeId; key: string }): boolean {
    if (this.history.isBusy(options.client)) return false;
    const node = this.node(options.node);
    if (!node.isUp) return false;
    const request = this.history.invoke({ client: options.client, command: { kind: "get", key: options.key }, deadline: this.now + this.clientTimeoutUnits });
    const read = (): boolean => node.read({ client: request.client, sequence: request.sequence, key: options.key });
    const pause = this.paused.get(node.id);
    if (pause !== undefined) pause.requests.push(read);
    else read();
    return true;
  }

  private createSimNode(id: NodeId, initialDisk: InitialDisk): SimNode {
    const node = new SimNode({
      id,
      createNode: this.createNode,
      raftSettings: this.raftSettings,
      random: this.random.fork(),
      initialDisk,
      checkers: this.checkers,
      compactEvery: this.compactEvery,
      hooks: {
        send: (packet) => this.send(packet),
        applied: (node: NodeId, index: number, request: KvRequest, result: KvResult) => {
          this.appliedRequests.get(node)?.set(index, request);
          this.history.complete(request.client, request.sequence, result);
        },
        read: (_node: NodeId, request: ReadRequest, value: string | null) => this.history.complete(request.client, request.sequence, value),
        trace: (node: NodeId, event: string) => this.trace(`node ${node} ${event}`),
      },
    });
    this.nodes.set(id, node);
    this.appliedRequests.set(id, new Map());
    node.nextTickAt = this.now + 1 + this.random.below(this.tickUnits);
    node.start();
    return node;
  }

  /** Drifting clocks: every tick of `node` due by now, each scheduled from the last one's due time. */
  private tickWhenDue(node: SimNode, clocks: DriftingClocks): void {
    while (node.isUp && node.nextTickAt <= this.now) {
      node.nextTickAt += clocks.period(node.id);
      node.tick();
    }
  }

  private send(packet: Packet): void {
    const { from, to } = packet.message;
    const sent = this.network.send(from, to, packet);
    if (!sent && packet.message.type === "snapshot") this.reportSnapshotStatus(packet, { failed: true });
  }

  private resumePausedNodes(): void {
    for (const [id, pause] of this.paused) {
      if (pause.until > this.now) continue;
      this.paused.delete(id);
      this.trace(`node ${id} resumes with ${pause.backlog.length} messages waiting`);
      if (this.clocks !== null) this.tickWhenDue(this.node(id), this.clocks); // its clock ran on meanwhile
      for (const envelope of pause.backlog) this.deliver(envelope);
      for (const request of pause.requests) request();
    }
  }

  private deliver(envelope: Envelope<Packet>): void {
    const pause = this.paused.get(envelope.to);
    if (pause !== undefined) {
      pause.backlog.push(envelope);
      return;
    }
    const target = this.nodes.get(envelope.to);
    const packet = envelope.payload;
    const isSnapshot = packet.message.type === "snapshot" && !envelope.local;
    if (target === undefined || !target.isUp) {
      if (isSnapshot) this.reportSnapshotStatus(packet, { failed: true });
      return;
    }
    target.receive(envelope.local ? packet : copyPacket(packet));
    if (isSnapshot) this.reportSnapshotStatus(packet, { failed: false });
  }

  /**
   * A partition swallowed `envelope`: its sender's transport notices (a broken connection),
   * so the leader hears "unreachable" for an append, and a failed snapshotStatus for a snapshot.
   * Plain losses (the network's drop probability) go unnoticed, like lost datagrams.
   */
  private reportLost(envelope: Envelope<Packet>): void {
    const { type, from, to } = envelope.payload.message;
    if (type === "snapshot") this.reportSnapshotStatus(envelope.payload, { failed: true });
    if (type !== "append") return;
    const report = createMessage({ type: "unreachable", from: to, to: from });
    this.network.sendLocal(to, from, { message: report, snapshotData: null }, LOCAL_REPORT_DELAY_UNITS);
  }

  /** Tells the snapshot's sender how its send ended, as a local report. */
  private reportSnapshotStatus(packet: Packet, options: { failed: boolean }): void {
    const { from, to } = packet.message;
    const report = createMessage({ type: "snapshotStatus", from: to, to: from, reject: options.failed });
    this.network.sendLocal(to, from, { message: report, snapshotData: null }, LOCAL_REPORT_DELAY_UNITS);
  }
}

/**
 * Every delivery gets its own copy: nodes never share mutable message objects (a duplicated
 * message is two objects). The snapshot bytes are shared: nobody writes into them.
 */
function copyPacket(packet: Packet): Packet {
  const message = packet.message;
  const snapshot = message.snapshot;
  return {
    message: {
      ...message,
      entries: message.entries.map(copyEntry),
      context: message.context.slice(),
      snapshot: snapshot === null ? null : { index: snapshot.index, term: snapshot.term, confState: copyConfState(snapshot.confState) },
    },
    snapshotData: packet.snapshotData,
  };
}
