/**
 * The leader's side of log replication: one Progress per member (voters and learners, and
 * the leader itself, whose match is what it has made durable), what to send each of them
 * (an append, the snapshot, a heartbeat), how their answers move their progress, and the
 * index a quorum of voters holds. Deciding what commits, and everything about terms and
 * roles, stays with the node (raft.ts).
 */
import { assert } from "../lib/assert.js";
import { copyConfState, isLearner, members } from "./conf_change.js";
import type { RaftLog } from "./log.js";
import type { MessageFields } from "./message.js";
import { Progress } from "./progress.js";
import { hasActiveQuorum, quorumMatchIndex } from "./quorum.js";
import type { ConfState, Message, NodeId, PeerProgress } from "./types.js";

/** Queues a message from the node, stamped with its term. */
export type SendFunction = (fields: Omit<MessageFields, "from">) => void;

export class Replication {
  private progress = new Map<NodeId, Progress>();

  constructor(
    private readonly options: {
      selfId: NodeId;
      log: RaftLog;
      maxEntriesPerAppend: number;
      maxInflightAppends: number;
      /** Entry data bytes per append (a larger single entry still goes) and in flight per follower. */
      maxAppendBytes: number;
      maxInflightBytes: number;
      /** The node's tick count: when an append went out, to judge later heartbeat answers by. */
      currentTick: () => number;
      send: SendFunction;
    },
  ) {}

  /** Fresh progress for every member: a new leader knows nothing about its followers. */
  reset(confState: ConfState): void {
    this.progress = new Map();
    this.syncMembers(confState);
  }

  /** Adds progress for new members and drops it for removed ones (the leader itself stays). */
  syncMembers(confState: ConfState): void {
    const everyone = new Set([...members(confState), this.options.selfId]);
    for (const id of everyone) {
      const existing = this.progress.get(id);
      if (existing === undefined) this.progress.set(id, this.newProgress(id, confState));
      else existing.isLearner = isLearner(confState, id);
    }
    for (const id of [...this.progress.keys()]) if (!everyone.has(id)) this.progress.delete(id);
  }

  get(id: NodeId): Progress | undefined {
    return this.progress.get(id);
  }

  matchOf(id: NodeId): number {
    return this.progress.get(id)?.match ?? 0;
  }

  /** The highest index a majority of `voters` holds. */
  quorumMatchIndex(voters: readonly NodeId[]): number {
    return quorumMatchIndex(voters, (id) => this.matchOf(id));
  }

  /** The leader's own entries through `index` are durable; true if that is news. */
  selfPersisted(index: number): boolean {
    return this.self().maybeUpdate(index);
  }

  /** Check-quorum: whether a majority of voters was heard from since the last call. */
  quorumWasActive(voters: readonly NodeId[]): boolean {
    const active = hasActiveQuorum(voters, (id) => id === this.options.selfId || this.progress.get(id)?.recentActive === true);
    for (const [id, each] of this.progress) each.recentActive = id === this.options.selfId;
    return active;
  }

  /** Sends the next append to `to` if its progress allows; true when a message was sent. */
  sendAppend(to: NodeId, options: { sendIfEmpty: boolean }): boolean {
    const { log } = this.options;
    const peer = this.progress.get(to);
    if (peer === undefined || to === this.options.selfId || peer.isPaused()) return false;
    assert(peer.next <= log.lastIndex() + 1, `next ${peer.next} for ${to} beyond last index ${log.lastIndex()}`);
    const previousIndex = peer.next - 1;
    const previousTerm = log.term(previousIndex);
    const entries = log.entriesFrom(peer.next, this.options.maxEntriesPerAppend, this.options.maxAppendBytes);
    if (previousTerm === undefined || entries === undefined) return this.sendSnapshot(to, peer);
    if (entries.length === 0 && !options.sendIfEmpty) return false;
    this.options.send({ type: "append", to, logIndex: previousIndex, logTerm: previousTerm, entries, commit: log.committed });
    peer.lastAppendTick = this.options.currentTick();
    const last = entries[entries.length - 1];
    if (last !== undefined && peer.state === "replicate") peer.sentOptimistically(last.index, entryBytes(entries));
    if (peer.state === "probe") peer.probeSent = true;
    return true;
  }

  /** Appends to every member that can take one (commit-only appends included). */
  broadcastAppend(): void {
    for (const id of this.progress.keys()) if (id !== this.options.selfId) this.sendAppend(id, { sendIfEmpty: true });
  }

  /** Pipelining: sends appends to `to` until its inflight window is full or the log is out. */
  fillWindow(to: NodeId): void {
    while (this.sendAppend(to, { sendIfEmpty: false })) {
      // each send takes a window slot or the last unsent entries, so this ends
    }
  }

  /** Heartbeats carrying a read's context and the leader's tick count (`index`, for leases). */
  broadcastHeartbeat(heartbeat: { context: Uint8Array; sentTick: number }): void {
    for (const [id, peer] of this.progress) {
      if (id === this.options.selfId) continue;
      // Never tell a follower to commit past what it is known to hold.
      const commit = Math.min(peer.match, this.options.log.committed);
      this.options.send({ type: "heartbeat", to: id, commit, context: heartbeat.context, index: heartbeat.sentTick });
    }
  }

  /** A follower refused an append: back off (fast, using its hint) and probe again. */
  onAppendRejected(response: Message, peer: Progress): void {
    const { log } = this.options;
    const hint = response.logTerm > 0 ? log.findConflictByTerm(response.rejectHint, response.logTerm) : response.rejectHint;
    if (!peer.maybeDecreaseTo(response.index, hint)) return; // stale
    if (peer.state === "replicate") peer.becomeProbe();
    this.sendAppend(response.from, { sendIfEmpty: true });
  }

  /** A follower holds the leader's log through `response.index`; false if that is old news. */
  onAppendAccepted(response: Message, peer: Progress): boolean {
    if (!peer.maybeUpdate(response.index)) return false;
    if (peer.state === "probe") peer.becomeReplicate();
    else if (peer.state === "snapshot" && peer.match >= peer.pendingSnapshot) peer.becomeReplicate();
    else if (peer.state === "replicate") peer.inflight.freeThrough(response.index);
    return true;
  }

  /**
   * A follower answered the heartbeat the leader sent at tick `sentTick`. Only an answer to
   * a heartbeat sent after this peer's last append says anything about that append: the
   * follower answered a later message, so if the append has not been answered it was lost,
   * and the flow to the peer reopens. Answers to older heartbeats are ignored here. A
   * follower paused mid catch-up (SIGSTOP, a GC pause, a slow link) answers every heartbeat
   * queued meanwhile (one per ReadIndex round, not only one per tick) in one burst when
   * it resumes; each of those answers used to resend a full append from `match`, thousands
   * of entries each, and the leader's event loop went to encoding them for seconds.
   */
  onHeartbeatResponse(from: NodeId, peer: Progress, sentTick: number): void {
    if (sentTick <= peer.lastAppendTick) return;
    peer.probeSent = false;
    // A full window whose appends were lost would never reopen: the peer is alive, so
    // free a slot; if appends were lost, the next one is rejected and we probe again.
    if (peer.state === "replicate" && peer.inflight.isFull()) peer.inflight.freeOldest();
    if (peer.match < this.options.log.lastIndex()) this.sendAppend(from, { sendIfEmpty: true });
  }

  /** The driver finished (or failed) streaming a snapshot to a peer. */
  onSnapshotStatus(failed: boolean, peer: Progress): void {
    if (peer.state !== "snapshot") return;
    if (failed) peer.pendingSnapshot = 0; // probe from match again
    peer.becomeProbe();
    peer.probeSent = true; // wait for the follower's answer (or a heartbeat) before probing
  }

  onUnreachable(peer: Progress): void {
    if (peer.state === "replicate") peer.becomeProbe();
  }

  views(): Map<NodeId, PeerProgress> {
    return new Map([...this.progress].map(([id, each]) => [id, each.view()]));
  }

  /** The entries `peer` needs are compacted: it gets the snapshot (metadata; the driver streams it). */
  private sendSnapshot(to: NodeId, peer: Progress): boolean {
    const snapshot = this.options.log.snapshot;
    this.options.send({ type: "snapshot", to, snapshot: { index: snapshot.index, term: snapshot.term, confState: copyConfState(snapshot.confState) } });
    peer.becomeSnapshot(snapshot.index);
    return true;
  }

  private self(): Progress {
    const found = this.progress.get(this.options.selfId);
    assert(found !== undefined, "the leader has no progress of its own");
    return found;
  }

  private newProgress(id: NodeId, confState: ConfState): Progress {
    const { log } = this.options;
    const progress = new Progress({
      next: log.lastIndex() + 1,
      isLearner: isLearner(confState, id),
      maxInflightAppends: this.options.maxInflightAppends,
      maxInflightBytes: this.options.maxInflightBytes,
    });
    if (id === this.options.selfId) {
      progress.match = log.stableIndex;
      progress.recentActive = true;
    }
    return progress;
  }
}

/** Entry data bytes of an append, as counted against the byte bounds. */
function entryBytes(entries: readonly { data: Uint8Array }[]): number {
  let bytes = 0;
  for (const each of entries) bytes += each.data.length;
  return bytes;
}
