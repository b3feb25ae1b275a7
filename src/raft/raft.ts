/**
 * RaftNode: walnut's Raft core, a pure state machine after etcd-io/raft and the extended
 * Raft paper. It owns terms, votes, roles, the leader's replication bookkeeping and the
 * decisions of the protocol; the log, progress, quorum, read-index, membership and Ready
 * bookkeeping live in their own files beside this one.
 *
 * Roles are not classes: becomeFollower / becomePreCandidate / becomeCandidate /
 * becomeLeader install a step function (how messages are handled) and a tick function
 * (what time does) for the role, as etcd-io/raft does.
 *
 * Design choices:
 * - Membership changes take effect when their entry is appended to a log, not when it
 *   commits (Raft thesis §4.1): every node uses the newest configuration in its log, and
 *   falls back if that entry is overwritten. A leader accepts a new change only once the
 *   previous one has committed, and only after it committed an entry of its own term.
 *   A leader that removed itself keeps leading until the change commits, then steps down;
 *   a node removed by a change that has not committed still campaigns (without counting
 *   its own vote), since it may be the only one able to get that change committed.
 * - `initial.confState` is the membership as of the snapshot (or the bootstrap one); the
 *   core folds the confChange entries of `initial.entries` into it itself. Each change sets
 *   one node's membership, so folding is idempotent: a driver that already folded them gets
 *   the same answer. A node joining a running cluster starts with the cluster's current
 *   membership (as etcd's "existing" cluster state), not an empty one: the bootstrap
 *   membership is not in the log, so it could not learn it from there.
 * - The leader stops replicating to a node as soon as its removal is appended, so a removed
 *   node may never see its removal and may campaign: check-quorum's lease (followers that
 *   heard from a leader ignore vote requests) keeps it from disrupting the cluster.
 * - Linearizable reads use ReadIndex with a heartbeat round by default. With `readMode:
 *   "lease"` (§6.4.1) a leader answers at once while a lease from heartbeat rounds a
 *   quorum acknowledged still holds (lease.ts: it runs from when the round was sent, and
 *   assumes bounded clock drift), and falls back to ReadIndex when it does not. Followers
 *   back the lease by refusing votes while they hear from their leader (check-quorum's
 *   inLease); in lease mode also for an election timeout after a restart (they may have
 *   acknowledged a leader just before), and a node does not campaign on its own vote while
 *   in lease. A transfer's forced campaign bypasses leases, so starting one forfeits the
 *   leader's lease for the rest of its term.
 * - Messages forwarded on a client's behalf ("propose", "readIndex") carry term 0: they
 *   say nothing about the sender's term and must not disturb the receiver's.
 */
import { WalnutError } from "../lib/errors.js";
import { TRANSFER_CONTEXT, validateConfig } from "./config.js";
import { assert } from "../lib/assert.js";
import { applyConfChange, copyConfState, decodeConfChange, encodeConfChange } from "./conf_change.js";
import { RaftLog } from "./log.js";
import { Membership } from "./membership.js";
import { EMPTY_BYTES, createMessage, isLocalMessage, sameBytes, type MessageFields } from "./message.js";
import type { Progress } from "./progress.js";
import { tallyVotes } from "./quorum.js";
import { LeaderLease, leaseTicksOf } from "./lease.js";
import { LeaderReads, type LeaderReadState, type PendingRead } from "./read_index.js";
import { ReadyTracker, type ReadyInputs } from "./ready.js";
import { Replication } from "./replication.js";
import {
  NONE,
  type ConfChange,
  type Entry,
  type HardState,
  type Message,
  type NodeId,
  type PeerProgress,
  type ProposeResult,
  type RaftConfig,
  type RaftCore,
  type RaftInitialState,
  type RaftStatus,
  type ReadState,
  type Ready,
  type Role,
  type SnapshotMetadata,
  type SoftState,
} from "./types.js";

type CoreRole = Exclude<Role, "learner">;
type StepFunction = (message: Message) => void;
type TickFunction = () => void;
type Proposal = Pick<Entry, "type" | "data">;

export class RaftNode implements RaftCore {
  readonly id: NodeId;
  private readonly config: RaftConfig;
  private term: number;
  private vote: NodeId;
  private leader: NodeId = NONE;
  private role: CoreRole = "follower";
  private readonly log: RaftLog;
  private readonly membership: Membership;
  /** The leader's view of its followers (kept, but unused, in other roles). */
  private readonly replication: Replication;
  private readonly votes = new Map<NodeId, boolean>();
  private messages: Message[] = [];
  private readStates: ReadState[] = [];
  private readonly reads: LeaderReads;
  private readonly lease: LeaderLease;
  /** Ticks since this core started: the clock heartbeats are stamped with for leases. */
  private ticks = 0;
  /** Started with a term: this node may have acknowledged a leader before it restarted. */
  private readonly restarted: boolean;
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  private transferee: NodeId = NONE;
  private snapshotToInstall: SnapshotMetadata | null = null;
  private readonly readyTracker: ReadyTracker;
  private readonly readyInputsScratch: ReadyInputs;
  // Installed by the become* functions; the constructor calls becomeFollower.
  private stepRole!: StepFunction;
  private tickRole!: TickFunction;

  constructor(config: RaftConfig, initial: RaftInitialState) {
    validateConfig(config);
    this.id = config.id;
    this.config = config;
    this.term = initial.hardState.term;
    this.vote = initial.hardState.vote;
    this.log = new RaftLog({ snapshot: initial.snapshot, entries: initial.entries, committed: initial.hardState.commit });
    this.membership = new Membership(initial.confState, initial.entries);
    this.replication = new Replication({
      selfId: this.id,
      log: this.log,
      maxEntriesPerAppend: config.maxEntriesPerAppend,
      maxInflightAppends: config.maxInflightAppends,
      maxAppendBytes: config.maxAppendBytes ?? Number.POSITIVE_INFINITY,
      maxInflightBytes: config.maxInflightBytes ?? Number.POSITIVE_INFINITY,
      currentTick: () => this.ticks,
      send: (fields) => this.send(fields),
    });
    this.reads = new LeaderReads({
      selfId: this.id,
      answer: (read) => this.answerRead(read),
      broadcastHeartbeat: (context) => this.replication.broadcastHeartbeat({ context, sentTick: this.ticks }),
    });
    this.lease = new LeaderLease({ selfId: this.id, leaseTicks: leaseTicksOf(config) });
    this.restarted = initial.hardState.term > 0;
    this.becomeFollower(this.term, NONE);
    this.readyTracker = new ReadyTracker({ softState: this.softState(), hardState: this.hardState(), log: this.log });
    this.readyInputsScratch = { log: this.log, softState: this.softState(), hardState: this.hardState(), messages: [], readStates: [], snapshot: null };
  }

  // ——— The driver's surface ———

  tick(): void {
    this.ticks += 1;
    this.tickRole();
  }

  step(message: Message): void {
    if (message.term === 0) {
      this.stepRole(message); // local or forwarded: no term to compare
      return;
    }
    if (message.term > this.term && !this.acceptHigherTerm(message)) return;
    if (message.term < this.term) {
      this.answerStaleTerm(message);
      return;
    }
    if (message.type === "vote" || message.type === "prevote") {
      this.handleVoteRequest(message);
      return;
    }
    this.stepRole(message);
  }

  propose(data: Uint8Array): ProposeResult {
    return this.proposeEntry({ type: "normal", data });
  }

  proposeConfChange(change: ConfChange): ProposeResult {
    const data = encodeConfChange(change);
    if (applyConfChange(this.membership.current, change).voters.length === 0) {
      throw new WalnutError("BAD_ARGUMENT", `Cannot change membership: ${change.type} ${change.node} would leave no voters`);
    }
    return this.proposeEntry({ type: "confChange", data });
  }

  readIndex(context: Uint8Array): void {
    this.stepRole(createMessage({ type: "readIndex", from: this.id, to: this.id, context }));
  }

  transferLeadership(to: NodeId): void {
    if (this.role !== "leader" || to === this.id || !this.membership.isVoter(to)) return;
    if (this.transferee === to) return;
    this.transferee = to;
    this.lease.forfeit(); // the target campaigns without waiting out any lease
    this.electionElapsed = 0; // the transfer is aborted after one election timeout
    if (this.replication.matchOf(to) === this.log.lastIndex()) this.send({ type: "timeoutNow", to });
    else this.replication.sendAppend(to, { sendIfEmpty: true });
  }

  campaign(): void {
    if (this.role === "leader") return;
    // Lease mode: our own vote may be one a leader's lease rests on.
    if (this.config.readMode === "lease" && this.inLease() && !this.isSoleVoter()) return;
    this.startElection({ transfer: false });
  }

  hasReady(): boolean {
    return this.readyTracker.hasReady(this.readyInputs());
  }

  ready(): Ready {
    this.commitAsSoleVoter();
    const ready = this.readyTracker.build(this.readyInputs());
    // The Ready took the outboxes over: start new ones.
    this.messages = [];
    this.readStates = [];
    this.snapshotToInstall = null;
    return ready;
  }

  advance(ready: Ready): void {
    this.readyTracker.advance(ready, this.log);
    if (this.role !== "leader") return;
    // The leader's own entries count toward a quorum only once they are durable.
    if (this.replication.selfPersisted(this.log.stableIndex)) this.commitAndPropagate();
  }

  compact(metadata: SnapshotMetadata): void {
    if (metadata.index <= this.log.snapshot.index) return;
    assert(metadata.index <= this.log.applied, `compacting to ${metadata.index} beyond applied ${this.log.applied}`);
    // The membership at the snapshot is the log's, whatever the driver believes.
    const confState = this.membership.compactTo(this.log, metadata.index);
    this.log.compact({ index: metadata.index, term: metadata.term, confState });
  }

  /** The leader this node knows of (NONE: none); cheaper than status() for hot paths. */
  get currentLeader(): NodeId {
    return this.leader;
  }

  /** Whether this node leads a group in which it is the only voter (it may read its own state at once). */
  get leadsAlone(): boolean {
    return this.role === "leader" && this.membership.current.voters.length === 1;
  }

  status(): RaftStatus {
    const progress = this.role === "leader" ? this.replication.views() : new Map<NodeId, PeerProgress>();
    return {
      id: this.id,
      term: this.term,
      vote: this.vote,
      role: this.displayedRole(),
      leader: this.leader,
      commit: this.log.committed,
      applied: this.log.applied,
      lastIndex: this.log.lastIndex(),
      confState: copyConfState(this.membership.current),
      readMode: this.config.readMode ?? "index",
      progress,
    };
  }

  // ——— Roles ———

  private becomeFollower(term: number, leader: NodeId): void {
    this.reset(term);
    this.leader = leader;
    this.role = "follower";
    this.stepRole = (message) => this.stepFollower(message);
    this.tickRole = () => this.tickElection();
  }

  /** Pre-vote (§9.6): ask whether we could win before disturbing anyone's term. */
  private becomePreCandidate(): void {
    assert(this.role !== "leader", "a leader cannot become a pre-candidate");
    this.votes.clear();
    this.leader = NONE;
    this.role = "precandidate";
    this.stepRole = (message) => this.stepCandidate(message);
    this.tickRole = () => this.tickElection();
  }

  private becomeCandidate(): void {
    assert(this.role !== "leader", "a leader cannot become a candidate");
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = "candidate";
    this.stepRole = (message) => this.stepCandidate(message);
    this.tickRole = () => this.tickElection();
  }

  private becomeLeader(): void {
    assert(this.role === "candidate", `only a candidate becomes leader, not a ${this.role}`);
    this.reset(this.term);
    this.leader = this.id;
    this.role = "leader";
    this.stepRole = (message) => this.stepLeader(message);
    this.tickRole = () => this.tickHeartbeat();
    // Committing this entry also commits whatever earlier terms left uncommitted.
    this.appendAsLeader([{ type: "normal", data: EMPTY_BYTES }]);
  }

  private reset(term: number): void {
    if (term !== this.term) {
      this.term = term;
      this.vote = NONE;
    }
    this.leader = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.config.electionTicks + Math.floor(this.config.random() * this.config.electionTicks);
    assert(this.randomizedElectionTimeout < 2 * this.config.electionTicks, "random() must return a number in [0, 1)");
    this.transferee = NONE;
    this.votes.clear();
    this.reads.clear();
    this.lease.reset();
    this.replication.reset(this.membership.current);
  }

  // ——— Time ———

  private tickElection(): void {
    this.electionElapsed += 1;
    if (this.isPromotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.startElection({ transfer: false });
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed += 1;
    this.electionElapsed += 1;
    if (this.electionElapsed >= this.config.electionTicks) {
      this.electionElapsed = 0;
      if (this.config.checkQuorum && !this.replication.quorumWasActive(this.membership.current.voters)) {
        this.becomeFollower(this.term, NONE); // check-quorum: we may be the minority side
        return;
      }
      this.transferee = NONE; // a transfer that has not finished in an election timeout failed
    }
    if (this.heartbeatElapsed >= this.config.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.replication.broadcastHeartbeat({ context: this.reads.lastContext() ?? EMPTY_BYTES, sentTick: this.ticks });
    }
  }

  // ——— Elections ———

  private startElection(options: { transfer: boolean }): void {
    if (!this.isPromotable()) return;
    if (this.config.preVote && !options.transfer) this.runElection({ kind: "prevote", transfer: false });
    else this.runElection({ kind: "vote", transfer: options.transfer });
  }

  private runElection(options: { kind: "prevote" | "vote"; transfer: boolean }): void {
    if (options.kind === "prevote") this.becomePreCandidate();
    else this.becomeCandidate();
    this.votes.set(this.id, true);
    if (tallyVotes(this.membership.current.voters, this.votes) === "won") {
      this.onElectionWon();
      return;
    }
    const electionTerm = options.kind === "prevote" ? this.term + 1 : this.term;
    for (const voter of this.membership.current.voters) {
      if (voter === this.id) continue;
      this.send({
        type: options.kind,
        to: voter,
        term: electionTerm,
        logIndex: this.log.lastIndex(),
        logTerm: this.log.lastTerm(),
        context: options.transfer ? TRANSFER_CONTEXT : EMPTY_BYTES,
      });
    }
  }

  private onElectionWon(): void {
    if (this.role === "precandidate") {
      this.runElection({ kind: "vote", transfer: false });
      return;
    }
    this.becomeLeader();
    this.replication.broadcastAppend();
  }

  /** A message from a higher term: false when it must be ignored altogether. */
  private acceptHigherTerm(message: Message): boolean {
    const isVoteRequest = message.type === "vote" || message.type === "prevote";
    if (isVoteRequest && this.inLease() && !sameBytes(message.context, TRANSFER_CONTEXT)) {
      // We heard from a leader within an election timeout: a disruptive candidate (a
      // removed or partitioned node) gets no hearing (thesis §4.2.3).
      return false;
    }
    // Pre-votes and their grants speak of a term nobody has entered yet.
    if (message.type === "prevote" || (message.type === "prevoteResponse" && !message.reject)) return true;
    const fromLeader = message.type === "append" || message.type === "heartbeat" || message.type === "snapshot";
    this.becomeFollower(message.term, fromLeader ? message.from : NONE);
    return true;
  }

  /** Whether vote requests go unheard: a leader was heard from within an election timeout. */
  private inLease(): boolean {
    if (!this.config.checkQuorum) return false;
    if (this.leader !== NONE && this.electionElapsed < this.config.electionTicks) return true;
    // Lease mode: a node that restarted may have acknowledged a heartbeat just before, and
    // a leader's lease may rest on that acknowledgement: it waits an election timeout.
    return this.config.readMode === "lease" && this.restarted && this.ticks < this.config.electionTicks;
  }

  private answerStaleTerm(message: Message): void {
    if ((this.config.checkQuorum || this.config.preVote) && (message.type === "append" || message.type === "heartbeat")) {
      // A leader cut off from a newer term learns of it here and steps down; without this a
      // node whose term was bumped while partitioned could never rejoin under pre-vote.
      this.send({ type: "appendResponse", to: message.from });
    } else if (message.type === "prevote") {
      this.send({ type: "prevoteResponse", to: message.from, reject: true });
    }
  }

  /** RequestVote receiver (Figure 2) and its pre-vote twin. */
  private handleVoteRequest(request: Message): void {
    const isPreVote = request.type === "prevote";
    const canVote = this.vote === request.from || (this.vote === NONE && this.leader === NONE) || (isPreVote && request.term > this.term);
    const responseType = isPreVote ? "prevoteResponse" : "voteResponse";
    if (canVote && this.log.isUpToDate(request.logIndex, request.logTerm)) {
      this.send({ type: responseType, to: request.from, term: request.term });
      if (!isPreVote) {
        this.electionElapsed = 0;
        this.vote = request.from;
      }
    } else {
      this.send({ type: responseType, to: request.from, reject: true });
    }
  }

  // ——— Step functions ———

  private stepFollower(message: Message): void {
    switch (message.type) {
      case "append":
      case "heartbeat":
      case "snapshot":
        this.electionElapsed = 0;
        this.leader = message.from;
        this.handleFromLeader(message);
        return;
      case "timeoutNow":
        this.startElection({ transfer: true });
        return;
      case "readIndex":
        if (this.leader !== NONE && message.from === this.id) {
          this.send({ type: "readIndex", to: this.leader, term: 0, context: message.context });
        }
        return;
      case "readIndexResponse":
        this.readStates.push({ index: message.index, context: message.context });
        return;
      default:
        // A proposal forwarded to us is dropped, not forwarded again: two nodes that each
        // believe the other leads must not bounce it between them.
        return;
    }
  }

  private stepCandidate(message: Message): void {
    switch (message.type) {
      case "append":
      case "heartbeat":
      case "snapshot":
        this.becomeFollower(message.term, message.from); // a leader of our term exists
        this.handleFromLeader(message);
        return;
      case "prevoteResponse":
      case "voteResponse": {
        const expected = this.role === "precandidate" ? "prevoteResponse" : "voteResponse";
        if (message.type !== expected) return;
        this.votes.set(message.from, !message.reject);
        const result = tallyVotes(this.membership.current.voters, this.votes);
        if (result === "won") this.onElectionWon();
        if (result === "lost") this.becomeFollower(this.term, NONE);
        return;
      }
      default:
        return; // proposals and reads are dropped: there is no leader to serve them
    }
  }

  private stepLeader(message: Message): void {
    if (message.type === "propose") return this.handleForwardedProposal(message);
    if (message.type === "readIndex") return this.reads.request(message, this.leaderReadState());
    const peer = this.replication.get(message.from);
    if (peer === undefined || message.from === this.id) return; // not (or no longer) a member
    if (!isLocalMessage(message.type)) peer.recentActive = true;
    switch (message.type) {
      case "appendResponse":
        return this.handleAppendResponse(message, peer);
      case "heartbeatResponse":
        return this.handleHeartbeatResponse(message, peer);
      case "snapshotStatus":
        return this.handleSnapshotStatus(message, peer);
      case "unreachable":
        return this.replication.onUnreachable(peer);
      default:
        return;
    }
  }

  // ——— Follower: receiving from the leader ———

  private handleFromLeader(message: Message): void {
    if (message.type === "append") this.handleAppend(message);
    else if (message.type === "heartbeat") this.handleHeartbeat(message);
    else this.handleSnapshot(message);
  }

  /** AppendEntries receiver (Figure 2), answering a mismatch with a backtracking hint. */
  private handleAppend(message: Message): void {
    if (message.logIndex < this.log.committed) {
      this.send({ type: "appendResponse", to: message.from, index: this.log.committed });
      return;
    }
    const outcome = this.log.maybeAppend({
      previousIndex: message.logIndex,
      previousTerm: message.logTerm,
      leaderCommit: message.commit,
      entries: message.entries,
    });
    if (outcome !== undefined) {
      this.afterLogChanged({ truncatedFrom: outcome.truncatedFrom, added: message.entries });
      this.send({ type: "appendResponse", to: message.from, index: outcome.lastIndex });
      return;
    }
    // Skip every entry that cannot match: the leader then probes at our best guess.
    const hintIndex = this.log.findConflictByTerm(Math.min(message.logIndex, this.log.lastIndex()), message.logTerm);
    this.send({
      type: "appendResponse",
      to: message.from,
      index: message.logIndex,
      reject: true,
      rejectHint: hintIndex,
      logTerm: this.log.term(hintIndex) ?? 0,
    });
  }

  private handleHeartbeat(message: Message): void {
    // The leader sends min(our match, its commit), so this never passes our matching prefix.
    this.log.commitTo(Math.min(message.commit, this.log.lastIndex()));
    // Echo the leader's send tick: its lease runs from when it sent this heartbeat.
    this.send({ type: "heartbeatResponse", to: message.from, context: message.context, index: message.index });
  }

  private handleSnapshot(message: Message): void {
    const snapshot = message.snapshot;
    if (snapshot === null) return;
    if (this.restore(snapshot)) {
      this.send({ type: "appendResponse", to: message.from, index: this.log.lastIndex() });
    } else {
      this.send({ type: "appendResponse", to: message.from, index: this.log.committed });
    }
  }

  /** Installs a snapshot from the leader; false when our log already covers it. */
  private restore(snapshot: SnapshotMetadata): boolean {
    if (snapshot.index <= this.log.committed) return false;
    if (this.log.matchTerm(snapshot.index, snapshot.term)) {
      this.log.commitTo(snapshot.index); // we hold that entry: just learn it committed
      return false;
    }
    this.log.restore(snapshot);
    this.readyTracker.onRestore(snapshot);
    this.membership.restore(snapshot);
    this.replication.syncMembers(this.membership.current);
    this.snapshotToInstall = snapshot;
    return true;
  }

  // ——— Leader: proposals ———

  private proposeEntry(proposal: Proposal): ProposeResult {
    if (this.role !== "leader") {
      if (this.leader !== NONE) this.forwardProposal(proposal);
      return { ok: false, reason: "not-leader", leader: this.leader };
    }
    const refusal = this.refuseProposal(proposal);
    if (refusal !== undefined) return { ok: false, reason: refusal, leader: this.id };
    const index = this.appendAsLeader([proposal]);
    this.broadcastAppend();
    return { ok: true, index };
  }

  private forwardProposal(proposal: Proposal): void {
    const entry: Entry = { index: 0, term: 0, type: proposal.type, data: proposal.data };
    this.send({ type: "propose", to: this.leader, term: 0, entries: [entry] });
  }

  private refuseProposal(proposal: Proposal): "transfer-in-progress" | "conf-change-pending" | undefined {
    if (this.transferee !== NONE) return "transfer-in-progress";
    // One change at a time, and none before this term's first entry commits: until then
    // an uncommitted change of an earlier term may still be in effect (thesis §4.1).
    const changePending = this.membership.lastChangeIndex > this.log.committed || !this.committedInCurrentTerm();
    if (proposal.type === "confChange" && changePending) return "conf-change-pending";
    return undefined;
  }

  /** Proposals forwarded by followers: no one to answer, so a refused one is dropped. */
  private handleForwardedProposal(message: Message): void {
    let appended = 0;
    for (const entry of message.entries) {
      const proposal = { type: entry.type, data: entry.data };
      if (this.refuseProposal(proposal) !== undefined || !this.isAcceptableConfChange(proposal)) break;
      this.appendAsLeader([proposal]);
      appended += 1;
    }
    if (appended > 0) this.broadcastAppend();
  }

  private isAcceptableConfChange(proposal: Proposal): boolean {
    if (proposal.type !== "confChange") return true;
    try {
      return applyConfChange(this.membership.current, decodeConfChange(proposal.data)).voters.length > 0;
    } catch {
      return false; // a malformed change from the network is dropped, not applied
    }
  }

  /** Appends to the leader's own log; returns the last new index. */
  private appendAsLeader(proposals: readonly Proposal[]): number {
    const first = this.log.lastIndex() + 1;
    const entries = proposals.map((proposal, offset): Entry => ({ index: first + offset, term: this.term, type: proposal.type, data: proposal.data }));
    this.log.append(entries);
    this.afterLogChanged({ truncatedFrom: 0, added: entries });
    return this.log.lastIndex();
  }

  /** Keeps the Ready bookkeeping and the membership in step with a changed log. */
  private afterLogChanged(change: { truncatedFrom: number; added: readonly Entry[] }): void {
    if (change.truncatedFrom !== 0) this.readyTracker.onTruncate(change.truncatedFrom);
    if (!this.membership.onLogChanged(this.log, change)) return;
    this.replication.syncMembers(this.membership.current);
    if (this.transferee !== NONE && !this.membership.isVoter(this.transferee)) this.transferee = NONE;
    if (this.role === "leader") this.commitAndPropagate(); // the quorum itself may have changed
  }

  // ——— Leader: replication ———

  private handleAppendResponse(response: Message, peer: Progress): void {
    if (response.reject) {
      this.replication.onAppendRejected(response, peer);
      return;
    }
    const wasPaused = peer.isPaused();
    if (!this.replication.onAppendAccepted(response, peer)) return;
    if (!this.commitAndPropagate() && wasPaused) this.replication.sendAppend(response.from, { sendIfEmpty: true });
    if (this.role !== "leader") return;
    this.replication.fillWindow(response.from);
    if (response.from === this.transferee && peer.match === this.log.lastIndex()) {
      this.send({ type: "timeoutNow", to: response.from });
    }
  }

  private handleHeartbeatResponse(response: Message, peer: Progress): void {
    this.replication.onHeartbeatResponse(response.from, peer, response.index);
    this.lease.onEcho(response.from, response.index, this.ticks);
    this.reads.onHeartbeatResponse(response.from, response.context, this.membership.current.voters);
  }

  private handleSnapshotStatus(report: Message, peer: Progress): void {
    this.replication.onSnapshotStatus(report.reject, peer);
  }

  private broadcastAppend(): void {
    if (this.role === "leader") this.replication.broadcastAppend();
  }

  /**
   * Moves the commit index to what a quorum of voters holds, if that entry is of this term
   * (Figure 8: older entries commit only indirectly); then tells the followers and reacts.
   * Returns whether the commit index moved.
   */
  private commitAndPropagate(): boolean {
    const quorumIndex = this.replication.quorumMatchIndex(this.membership.current.voters);
    if (!this.log.maybeCommit(quorumIndex, this.term)) return false;
    this.broadcastAppend();
    this.reads.releaseDeferred(this.leaderReadState());
    if (!this.membership.isVoter(this.id) && this.log.committed >= this.membership.lastChangeIndex) {
      this.becomeFollower(this.term, NONE); // our own removal committed: step aside (thesis §4.2.2)
    }
    return true;
  }

  /**
   * A sole voter is its own quorum: its new entries commit in the Ready that hands them out,
   * on the driver's contract to persist a Ready's entries before applying its committed
   * entries. This saves a group of one a second Ready per write; its progress still counts
   * only durable entries (advance), which is what a voter added later relies on.
   */
  private commitAsSoleVoter(): void {
    if (this.role !== "leader" || !this.isSoleVoter()) return;
    if (this.log.maybeCommit(this.log.lastIndex(), this.term)) this.reads.releaseDeferred(this.leaderReadState());
  }

  // ——— Leader: reads ———

  private leaderReadState(): LeaderReadState {
    const voters = this.membership.current.voters;
    const leaseHolds = this.config.readMode === "lease" && this.lease.holds(this.ticks, voters);
    return { committed: this.log.committed, committedInCurrentTerm: this.committedInCurrentTerm(), voters, leaseHolds };
  }

  private answerRead(read: PendingRead): void {
    if (read.request.from === this.id) this.readStates.push({ index: read.index, context: read.request.context });
    else this.send({ type: "readIndexResponse", to: read.request.from, index: read.index, context: read.request.context });
  }

  private committedInCurrentTerm(): boolean {
    return this.log.term(this.log.committed) === this.term;
  }

  // ——— Helpers ———

  /** Queues a message from this node, in this term unless the fields say otherwise. */
  private send(fields: Omit<MessageFields, "from">): void {
    this.messages.push(createMessage({ term: this.term, ...fields, from: this.id }));
  }

  /** Whether this node may start an election. */
  private isPromotable(): boolean {
    if (this.membership.isVoter(this.id)) return true;
    // Thesis §4.1: a node removed by a change that has not committed yet may be the only
    // one able to win (it may hold that change); it campaigns, without voting for itself.
    if (this.membership.lastChangeIndex <= this.log.committed) return false;
    return this.membership.at(this.log, this.log.committed).voters.includes(this.id);
  }

  /** Whether this node is the only voter: nobody else's lease can rest on its vote. */
  private isSoleVoter(): boolean {
    const voters = this.membership.current.voters;
    return voters.length === 1 && voters[0] === this.id;
  }

  private displayedRole(): Role {
    if (this.role === "follower" && this.membership.isLearner(this.id)) return "learner";
    return this.role;
  }

  private softState(): SoftState {
    return { leader: this.leader, role: this.displayedRole() };
  }

  private hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  /** The tracker's inputs, refreshed in place: hasReady() runs on every turn of the driver's loop. */
  private readyInputs(): ReadyInputs {
    const inputs = this.readyInputsScratch;
    inputs.softState.leader = this.leader;
    inputs.softState.role = this.displayedRole();
    inputs.hardState.term = this.term;
    inputs.hardState.vote = this.vote;
    inputs.hardState.commit = this.log.committed;
    inputs.messages = this.messages;
    inputs.readStates = this.readStates;
    inputs.snapshot = this.snapshotToInstall;
    return inputs;
  }
}
