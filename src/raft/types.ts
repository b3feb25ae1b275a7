/**
 * The contract of walnut's Raft core (src/raft/): a pure, I/O-free state machine, after
 * etcd-io/raft. Inputs are ticks, messages and proposals; every effect leaves through one
 * Ready value, which the driver (src/node/) handles in this order:
 *
 *   1. persist `hardState` and `entries` (fsync) — BEFORE sending any message
 *   2. if `snapshot` is set, install it into the state machine
 *   3. send `messages`
 *   4. apply `committedEntries` in order, answer `readStates`
 *   5. call advance(ready)
 *
 * Nothing under src/raft/ imports node:*, uses timers, Date.now(), Math.random() or
 * async: time is tick(), randomness is the injected `random`, so a seeded simulation
 * replays exactly. Indexes and terms are plain numbers (< 2^53).
 */

export type NodeId = number;

/** No node: a vote not cast, a leader not known. */
export const NONE: NodeId = 0;

export type EntryType = "normal" | "confChange";

export interface Entry {
  index: number;
  term: number;
  type: EntryType;
  /** For "normal": the state machine's payload (empty for a new leader's no-op). For
   * "confChange": an encoded ConfChange (see encodeConfChange in conf_change.ts). */
  data: Uint8Array;
}

/** What must be durable before a vote is granted or an append acknowledged. */
export interface HardState {
  term: number;
  vote: NodeId;
  commit: number;
}

/** Cluster membership. Learners receive the log but do not vote or count for quorum. */
export interface ConfState {
  voters: NodeId[];
  learners: NodeId[];
}

/** One server at a time (Raft thesis §4.1); a learner is promoted by adding it as a voter. */
export interface ConfChange {
  type: "addVoter" | "addLearner" | "remove";
  node: NodeId;
  /** Where the node listens for peers ("host:port"): opaque to the core, used by the driver. */
  address?: string;
}

/** A snapshot as the core knows it: what it covers. The bytes travel outside the core. */
export interface SnapshotMetadata {
  index: number;
  term: number;
  confState: ConfState;
}

export type MessageType =
  | "prevote" // pre-vote request (§9.6): would you vote for me? Does not change terms.
  | "prevoteResponse"
  | "vote" // RequestVote
  | "voteResponse"
  | "append" // AppendEntries (also the heartbeat carrier when entries is empty)
  | "appendResponse"
  | "heartbeat" // leader liveness + commit, carries a read-index context
  | "heartbeatResponse"
  | "snapshot" // InstallSnapshot: metadata only; the driver streams the bytes in chunks
  | "snapshotStatus" // local: the driver reports a snapshot send finished or failed
  | "timeoutNow" // leadership transfer: start an election now, skipping pre-vote
  | "readIndex" // a follower forwards a read-index request to the leader
  | "readIndexResponse"
  | "propose" // a follower forwards a proposal to the leader
  | "unreachable"; // local: the driver reports a peer could not be reached

export interface Message {
  type: MessageType;
  from: NodeId;
  to: NodeId;
  term: number;
  /** append: index and term of the entry before `entries`; vote: candidate's last log. */
  logIndex: number;
  logTerm: number;
  entries: Entry[];
  /** append/heartbeat: the leader's commit index. */
  commit: number;
  /** Responses: the rejection flag and, when rejecting an append, a hint for fast backtracking. */
  reject: boolean;
  rejectHint: number;
  /**
   * The index a response acknowledges (appendResponse: the follower's last matching index).
   * heartbeat: the leader's tick count when it sent the heartbeat; heartbeatResponse: that
   * count echoed back, so the leader's lease runs from when it sent, not from when the
   * answer came (lease.ts). A field of its own would need a new wire codec version.
   */
  index: number;
  /** snapshot: what the snapshot covers. */
  snapshot: SnapshotMetadata | null;
  /** readIndex / heartbeat: opaque request context echoed back. */
  context: Uint8Array;
}

/** A linearizable read may be served once the applied index reaches `index`. */
export interface ReadState {
  index: number;
  context: Uint8Array;
}

export type Role = "follower" | "candidate" | "precandidate" | "leader" | "learner";

/** Volatile state worth showing (status pages, GET /status); not persisted. */
export interface SoftState {
  leader: NodeId;
  role: Role;
}

export interface Ready {
  softState: SoftState | null; // set when it changed since the last Ready
  hardState: HardState | null; // set when it changed: persist it
  entries: Entry[]; // append to stable storage (may overwrite a conflicting suffix)
  snapshot: SnapshotMetadata | null; // a snapshot received from the leader: install it
  committedEntries: Entry[]; // apply in order, after persisting `entries` (a sole voter's may be among them)
  messages: Message[]; // send after persisting
  readStates: ReadState[];
}

/**
 * How a leader proves that its commit index is current before answering a read:
 * "index": a heartbeat round acknowledged by a quorum after the read arrived (ReadIndex, §6.4);
 * "lease": no round while a lease from earlier rounds holds (§6.4.1), which is only safe
 * while clocks drift apart by no more than `maxClockDriftRatio` (see lease.ts).
 */
export type ReadMode = "index" | "lease";

export interface RaftConfig {
  id: NodeId;
  /** Ticks without hearing from a leader before an election; randomized in [e, 2e). */
  electionTicks: number;
  /** Ticks between heartbeats; must be < electionTicks. */
  heartbeatTicks: number;
  /** Injected randomness in [0, 1): a seeded PRNG in simulation. */
  random: () => number;
  preVote: boolean;
  checkQuorum: boolean;
  /** Bounds: entries per append message, append messages in flight per follower. */
  maxEntriesPerAppend: number;
  maxInflightAppends: number;
  /**
   * Entry data bytes per append message (an entry larger than this still goes, alone) and
   * unacknowledged per follower in replicate state. Unbounded when absent.
   */
  maxAppendBytes?: number;
  maxInflightBytes?: number;
  /** "index" (the default) or "lease"; lease requires checkQuorum. */
  readMode?: ReadMode;
  /**
   * Lease mode's clock assumption: over any stretch of time, no node ticks more than
   * (1 + maxClockDriftRatio) times as often as another. Default DEFAULT_MAX_CLOCK_DRIFT_RATIO
   * (lease.ts); the lease shrinks as it grows.
   */
  maxClockDriftRatio?: number;
}

/** What the core starts from: the durable state the driver recovered. */
export interface RaftInitialState {
  hardState: HardState;
  /** Membership as of the snapshot, updated by any confChange entries in `entries`. */
  confState: ConfState;
  /** The last snapshot's metadata (index 0, term 0 when none). */
  snapshot: SnapshotMetadata;
  /** Every durable entry after the snapshot, in order. */
  entries: Entry[];
}

export type ProposeResult = { ok: true; index: number } | { ok: false; reason: "not-leader" | "transfer-in-progress" | "conf-change-pending"; leader: NodeId };

export interface PeerProgress {
  match: number;
  next: number;
  state: "probe" | "replicate" | "snapshot";
  recentActive: boolean;
  isLearner: boolean;
}

export interface RaftStatus {
  id: NodeId;
  term: number;
  vote: NodeId;
  role: Role;
  leader: NodeId;
  commit: number;
  applied: number;
  lastIndex: number;
  confState: ConfState;
  /** How this node's reads are confirmed when it leads (config.readMode). */
  readMode: ReadMode;
  /** Leader only: each peer's replication progress. */
  progress: Map<NodeId, PeerProgress>;
}

/**
 * The core's surface (implemented by RaftNode in raft.ts). All methods are synchronous
 * and deterministic given the config's `random`.
 */
export interface RaftCore {
  tick(): void;
  step(message: Message): void;
  /** Appends `data` to the leader's log; a follower forwards it (type "propose") when it knows a leader. */
  propose(data: Uint8Array): ProposeResult;
  proposeConfChange(change: ConfChange): ProposeResult;
  /** Requests a linearizable read point; answered as a ReadState in a later Ready. */
  readIndex(context: Uint8Array): void;
  transferLeadership(to: NodeId): void;
  /** Starts an election now (a single-voter group elects itself at once). */
  campaign(): void;
  hasReady(): boolean;
  ready(): Ready;
  /** The driver has handled `ready` (persisted, sent, applied). */
  advance(ready: Ready): void;
  /** The driver took a snapshot at `metadata.index`: entries up to it may be dropped. */
  compact(metadata: SnapshotMetadata): void;
  status(): RaftStatus;
}
