/**
 * One simulated server: a Raft core, its simulated disk and its KV state machine, and the
 * driver loop between them, which follows the Ready contract of src/raft/types.ts exactly:
 *
 *   1. write the received snapshot (if any), the entries and the hard state; sync
 *   2. install the received snapshot into the state machine
 *   3. send the messages
 *   4. apply the committed entries in order; serve the read states that are applied
 *   5. advance; then compact when enough has been applied since the last snapshot
 *
 * A crash can be armed to strike at any of those boundaries (and in the middle of the
 * writes, keeping a random prefix of them): whatever was not synced is lost, the core and
 * state machine are dropped, and restart() rebuilds both from the disk alone.
 */
import { assert } from "../lib/assert.js";
import { applyConfChange, decodeConfChange, foldConfChanges } from "../raft/conf_change.js";
import type { ConfState, Entry, Message, NodeId, ProposeResult, RaftConfig, RaftCore, RaftInitialState, Ready, ReadState, Role } from "../raft/types.js";
import { InvariantViolation, type SafetyCheckers } from "./checkers.js";
import { SimulatedDisk, type InitialDisk } from "./disk.js";
import { decodeRequest, KvStore, type KvRequest, type KvResult } from "./kv.js";
import type { Random } from "../lib/seeded_random.js";

export type CoreFactory = (config: RaftConfig, initial: RaftInitialState) => RaftCore;

/** What travels between simulated servers: a message, and a snapshot's bytes with it. */
export interface Packet {
  message: Message;
  snapshotData: Uint8Array | null;
}

/**
 * Where an armed crash strikes in the Ready loop. "afterVote" is "afterSend" of the first
 * Ready that grants a vote: the moment a node that forgot its vote would do harm.
 */
export const CRASH_POINTS = ["beforePersist", "duringPersist", "afterPersist", "afterSend", "afterApply", "afterVote"] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

/** A linearizable read waiting for its read state, then for the state machine to catch up. */
export interface ReadRequest {
  client: number;
  sequence: number;
  key: string;
}

export interface SimNodeHooks {
  send(packet: Packet): void;
  /** A KV request was applied here at `index`, with this result. */
  applied(node: NodeId, index: number, request: KvRequest, result: KvResult): void;
  /** A linearizable read was served here. */
  read(node: NodeId, request: ReadRequest, value: string | null): void;
  /** Something worth a line in a replay's trace happened here. */
  trace(node: NodeId, event: string): void;
}

export interface SimNodeOptions {
  id: NodeId;
  createNode: CoreFactory;
  raftSettings: Omit<RaftConfig, "id" | "random">;
  random: Random;
  /** What the disk holds at the first start (see bootstrapState). */
  initialDisk: InitialDisk;
  checkers: SafetyCheckers;
  hooks: SimNodeHooks;
  /** Take a state machine snapshot once this many entries were applied since the last (0: never). */
  compactEvery: number;
}

export class SimNode {
  readonly id: NodeId;
  readonly disk: SimulatedDisk;
  private core: RaftCore | null = null;
  private kv = new KvStore();
  private appliedIndex = 0;
  private appliedTerm = 0;
  private appliedConfState: ConfState;
  private incomingSnapshots = new Map<number, Uint8Array>();
  private pendingReads: { state: ReadState; request: ReadRequest }[] = [];
  private armedCrash: CrashPoint | null = null;
  role: Role = "follower";
  leader: NodeId = 0;
  term = 0;
  nextTickAt = 0;
  /** Incarnations so far: 1 after the first start. */
  starts = 0;
  /** Snapshots received from a leader and installed. */
  snapshotsInstalled = 0;

  constructor(private readonly options: SimNodeOptions) {
    this.id = options.id;
    this.disk = new SimulatedDisk(options.initialDisk);
    this.appliedConfState = this.disk.snapshotMetadata.confState;
  }

  get isUp(): boolean {
    return this.core !== null;
  }

  get applied(): number {
    return this.appliedIndex;
  }

  get store(): KvStore {
    return this.kv;
  }

  /** The live core; only while up. */
  get raft(): RaftCore {
    assert(this.core !== null, `node ${this.id} is down`);
    return this.core;
  }

  /** Starts (or restarts) the node from what its disk holds. */
  start(): void {
    assert(this.core === null, `node ${this.id} is already up`);
    const durable = this.disk.recover();
    const initial: RaftInitialState = {
      hardState: durable.hardState,
      confState: foldConfChanges(durable.snapshot.metadata.confState, durable.entries),
      snapshot: durable.snapshot.metadata,
      entries: durable.entries,
    };
    this.kv = KvStore.restore(durable.snapshot.data);
    this.appliedIndex = durable.snapshot.metadata.index;
    this.appliedTerm = durable.snapshot.metadata.term;
    this.appliedConfState = durable.snapshot.metadata.confState;
    this.role = "follower";
    this.leader = 0;
    this.term = durable.hardState.term;
    this.starts++;
    const random = this.options.random.fork();
    this.options.checkers.attach(this.id, this.disk, this.appliedIndex);
    this.options.hooks.trace(this.id, `starts: term ${initial.hardState.term}, vote ${initial.hardState.vote}, commit ${initial.hardState.commit}, snapshot ${initial.snapshot.index}, last index ${this.disk.lastIndex}`);
    this.core = this.options.createNode({ ...this.options.raftSettings, id: this.id, random: () => random.next() }, initial);
    this.handleReady();
  }

  /** Stops the node now: unsynced writes are lost (a prefix of them may survive). */
  crash(survivingWrites = 0): void {
    if (this.core === null) return;
    this.options.hooks.trace(this.id, `crashes${this.armedCrash === null ? "" : ` ${this.armedCrash}`}, ${survivingWrites} of ${this.disk.bufferedWrites} unsynced writes survive`);
    this.disk.crash(survivingWrites);
    this.core = null;
    this.armedCrash = null;
    this.incomingSnapshots.clear();
    this.pendingReads = [];
    this.role = "follower";
    this.leader = 0;
    this.options.checkers.detach(this.id);
  }

  /** Crashes the node when its Ready loop next reaches `point`; null disarms. */
  armCrash(point: CrashPoint | null): void {
    this.armedCrash = point;
  }

  tick(): void {
    if (this.core === null) return;
    this.core.tick();
    this.handleReady();
  }

  receive(packet: Packet): void {
    if (this.core === null) return;
    const snapshot = packet.message.snapshot;
    if (packet.message.type === "snapshot" && snapshot !== null && packet.snapshotData !== null) {
      this.incomingSnapshots.set(snapshot.index, packet.snapshotData);
    }
    this.core.step(packet.message);
    this.handleReady();
  }

  /** Proposes a KV request's entry; null when the node is down. */
  propose(data: Uint8Array): ProposeResult | null {
    if (this.core === null) return null;
    const result = this.core.propose(data);
    this.handleReady();
    return result;
  }

  /** Asks for a linearizable read point; false when the node is down. */
  read(request: ReadRequest): boolean {
    if (this.core === null) return false;
    this.core.readIndex(encodeReadContext(request));
    this.handleReady();
    return true;
  }

  /** Runs `action` on the live core and handles what it produced. */
  act<T>(action: (core: RaftCore) => T): T | null {
    if (this.core === null) return null;
    const result = action(this.core);
    this.handleReady();
    return result;
  }

  private handleReady(): void {
    while (this.core !== null && this.core.hasReady()) {
      const core = this.core;
      const ready = core.ready();
      if (this.crashesAt("beforePersist")) return;
      this.persist(ready);
      if (this.core === null || this.crashesAt("afterPersist")) return;
      if (ready.snapshot !== null) this.installSnapshot(ready);
      for (const message of ready.messages) this.options.hooks.send(this.packetFor(message));
      if (this.crashesAt("afterSend")) return;
      if (this.armedCrash === "afterVote" && ready.messages.some(isGrantedVote) && this.crashesAt("afterVote")) return;
      for (const entry of ready.committedEntries) this.apply(entry);
      for (const state of ready.readStates) this.queueRead(state);
      this.serveReads();
      if (this.crashesAt("afterApply")) return;
      core.advance(ready);
      this.compactIfDue(core);
    }
  }

  private persist(ready: Ready): void {
    const disk = this.disk;
    if (ready.snapshot !== null) {
      const data = this.incomingSnapshots.get(ready.snapshot.index);
      assert(data !== undefined, `node ${this.id} was told to install snapshot ${ready.snapshot.index} it never received`);
      disk.writeSnapshot({ metadata: ready.snapshot, data });
    }
    disk.writeEntries(ready.entries);
    if (ready.hardState !== null) disk.writeHardState(ready.hardState);
    if (this.armedCrash === "duringPersist") {
      this.crash(this.options.random.below(disk.bufferedWrites + 1));
      return;
    }
    disk.sync();
    const checkers = this.options.checkers;
    if (ready.hardState !== null) {
      this.term = ready.hardState.term;
      checkers.observeTerm(ready.hardState.term);
    }
    checkers.onPersist(this.id, ready.entries);
    if (ready.softState !== null) {
      this.role = ready.softState.role;
      this.leader = ready.softState.leader;
      this.term = this.core?.status().term ?? this.term;
      this.options.hooks.trace(this.id, `is ${this.role} in term ${this.term} (leader ${this.leader}), last index ${disk.lastIndex}`);
      checkers.onRoleChange(this.id, { isLeader: this.role === "leader", term: this.term });
    }
  }

  private installSnapshot(ready: Ready): void {
    const metadata = ready.snapshot;
    assert(metadata !== null, "a snapshot to install");
    const data = this.incomingSnapshots.get(metadata.index);
    assert(data !== undefined, "the snapshot's bytes arrived");
    this.kv = KvStore.restore(data);
    this.appliedIndex = metadata.index;
    this.appliedTerm = metadata.term;
    this.appliedConfState = metadata.confState;
    this.incomingSnapshots.clear();
    this.snapshotsInstalled++;
    this.options.hooks.trace(this.id, `installs snapshot ${metadata.index} of term ${metadata.term}`);
    this.options.checkers.onSnapshotInstalled(this.id, metadata);
  }

  private packetFor(message: Message): Packet {
    if (message.type !== "snapshot") return { message, snapshotData: null };
    const stored = this.disk.latestSnapshot;
    assert(message.snapshot !== null && message.snapshot.index === stored.metadata.index, `node ${this.id} sends a snapshot it does not hold`);
    return { message, snapshotData: stored.data };
  }

  private apply(entry: Entry): void {
    this.options.checkers.onApply(this.id, entry);
    if (entry.type === "confChange") {
      this.appliedConfState = applyConfChange(this.appliedConfState, decodeConfChange(entry.data));
    } else {
      const request = decodeRequest(entry.data);
      if (request !== null) this.options.hooks.applied(this.id, entry.index, request, this.kv.apply(request));
    }
    this.appliedIndex = entry.index;
    this.appliedTerm = entry.term;
  }

  private queueRead(state: ReadState): void {
    this.pendingReads.push({ state, request: decodeReadContext(state.context) });
  }

  private serveReads(): void {
    const ready = this.pendingReads.filter((pending) => pending.state.index <= this.appliedIndex);
    if (ready.length === 0) return;
    this.pendingReads = this.pendingReads.filter((pending) => pending.state.index > this.appliedIndex);
    for (const { request } of ready) this.options.hooks.read(this.id, request, this.kv.read(request.key));
  }

  private compactIfDue(core: RaftCore): void {
    const every = this.options.compactEvery;
    if (every <= 0 || this.appliedIndex - this.disk.snapshotMetadata.index < every) return;
    const metadata = { index: this.appliedIndex, term: this.appliedTerm, confState: this.appliedConfState };
    this.disk.compact({ metadata, data: this.kv.snapshot() });
    core.compact(metadata);
  }

  private crashesAt(point: CrashPoint): boolean {
    if (this.armedCrash !== point) return false;
    this.crash(0);
    return true;
  }
}

function isGrantedVote(message: Message): boolean {
  return message.type === "voteResponse" && !message.reject;
}

export function encodeReadContext(request: ReadRequest): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(request));
}

export function decodeReadContext(context: Uint8Array): ReadRequest {
  const request = JSON.parse(new TextDecoder().decode(context)) as ReadRequest;
  if (typeof request.client !== "number" || typeof request.key !== "string") {
    throw new InvariantViolation("read index", `a read state came back with a context the driver never sent`);
  }
  return request;
}
