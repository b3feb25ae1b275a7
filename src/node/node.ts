/**
 * The node: the only place that orchestrates I/O. It drives the pure Raft core
 * (src/raft/) through its Ready loop, following the order the core's contract gives:
 *
 *   1. persist the Ready's hard state and entries in the WAL (group commit: proposals
 *      that arrive while a persist is in flight form the next Ready)
 *   2. install a snapshot received from a leader
 *   3. send the Ready's messages to peers
 *   4. apply committed entries to the engine, answer the proposals among them and the
 *      reads waiting for them
 *   5. advance the core, and let the log in memory go of the entries it no longer
 *      needs (src/node/durable_log.ts says which; they stay in the WAL)
 *
 * A single node is a Raft group of one that elects itself at open: an entry commits as
 * soon as its own WAL holds it as durably as the fsync mode promises. There is no other
 * write path.
 *
 *   fsync always    a Ready's entries count as persisted after the fsync covering them
 *   fsync everysec  ... after write() reached the OS; fsync at most a second behind
 *   fsync no        ... at once; the WAL writes them at its own pace
 *
 * Failed WAL writes never lose an acknowledged write. Under always/everysec the failed
 * Ready was not persisted: its proposals are answered with the error and the core is
 * rebuilt from what the WAL really holds (as a restart would), after a pause during which
 * writes are refused. Under "no" the entries were already counted as persisted, so they
 * are written again until the disk takes them, and new writes are refused meanwhile.
 * A failed fsync is final until restart. Reads keep working throughout.
 */
import type { HistoryBounds } from "../engine/change_history.js";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { decodeEntry, encodeEntry, peekOrigin, peekOriginNode, peekOriginSequence, type EntryPayload } from "./entry.js";
import type { Engine } from "../engine/engine.js";
import { assert } from "../lib/assert.js";
import { WalnutError, describeError } from "../lib/errors.js";
import { limits } from "../lib/limits.js";
import { silentLogger, type Logger } from "../lib/log.js";
import { NodeMetrics } from "../metrics/node_metrics.js";
import { applyConfChange, decodeConfChange } from "../raft/conf_change.js";
import { createMessage } from "../raft/message.js";
import { RaftNode } from "../raft/raft.js";
import type { ConfChange, ConfState, Entry, HardState, Message, ReadMode, Ready, SnapshotMetadata } from "../raft/types.js";
import { checkpointFileName } from "../snapshot/checkpoint_files.js";
import { readCheckpoint } from "../snapshot/reader.js";
import type { CheckpointInfo } from "../snapshot/writer.js";
import type { FsyncMode, SegmentInfo, Wal, WalFileSystem } from "../wal/wal.js";
import { takeCheckpoint } from "./checkpointer.js";
import { collectionsOf } from "../engine/checkpoint_changes.js";
import { ClusterLink, type ClusterOptions } from "./cluster.js";
import { writeControlFile, type ControlFile } from "./control_file.js";
import { lockDataDir, type DataDirLock } from "./data_dir_lock.js";
import { DurableLog, type LogMemory } from "./durable_log.js";
import { realEnvironment, type NodeEnvironment } from "./environment.js";
import type { Timer } from "../lib/environment.js";
import { MembershipBook } from "./membership.js";
import { PeerQuestions, type MemberAnswer, type PeerQuestionStats, type TopicAnswerer } from "./peer_questions.js";
import { describeStatus, type NodeStatus } from "./status.js";
import { ProposalTable, type ProposalListener, type WriteResult } from "./proposals.js";
import { ReadBarriers } from "./read_barrier.js";
import { toLogEntry } from "./raft_log_codec.js";
import { prepareDataDir, recoverNode } from "./recovery.js";
import { createReplayProgress } from "./replay_progress.js";
import { restoreSessions } from "./sessions_metadata.js";
import { restoreRemovedKeys } from "./removed_keys_metadata.js";
import { restoreFunctions } from "./function_metadata.js";
import { ApplyAbandoned, NOOP_PAYLOAD, type StateMachine } from "./state_machine.js";
import { TickClock } from "./tick_clock.js";
import { Removal } from "./removal.js";
import { UnwrittenEntries } from "./unwritten_entries.js";
import { WriteAdmission } from "./write_admission.js";
import { SessionNumbers } from "./session_numbers.js";

export type { ProposalListener, WriteResult } from "./proposals.js";
export type { ClusterOptions } from "./cluster.js";
export type { NodeStatus } from "./status.js";

const TICK_MS = 100;
const ELECTION_TICKS = 10;
const HEARTBEAT_TICKS = 1;
const MAX_ENTRIES_PER_APPEND = 4096;
const MAX_INFLIGHT_APPENDS = 256;
const EXPIRY_SWEEP_INTERVAL_MS = 100;
const FAILED_WRITE_RETRY_MS = 1000;
const PROPOSAL_TIMEOUT_MS = 10_000;
const READ_TIMEOUT_MS = 5_000;
/** How long a group commit of several writes waits for the next group to gather. */
const GROUP_COMMIT_GATHER_MS = 1;
/** In a cluster: bytes of applied log entries kept in memory for followers that fall behind. */
const LOG_MEMORY_BYTES_DEFAULT = 32 * 1024 * 1024;
/**
 * The log in memory lets go of entries once at least this many are applied and written,
 * or once they hold this many bytes (beyond a cluster's window): a few large values must
 * not stay in memory until 64 entries have gathered.
 */
const RELEASE_BATCH_ENTRIES = 64;
const RELEASE_BATCH_BYTES = 1024 * 1024;
const NOOP = NOOP_PAYLOAD;
const NO_MESSAGES: readonly Message[] = Object.freeze([]);
const RESOLVED = Promise.resolve();

export interface NodeOptions {
  dataDir: string;
  fsync: FsyncMode;
  segmentSizeBytes: number;
  /** Checkpoint every this many ms (0: never by time). */
  checkpointIntervalMs: number;
  /** Checkpoint once this many WAL bytes were written since the last one (0: never by size). */
  checkpointWalBytes: number;
  /** gzip WAL segments into wal/archive instead of deleting them after a checkpoint. */
  archiveWal: boolean;
  stateMachine: StateMachine;
  nodeId?: number;
  /** Where the node reports recovery, checkpoints, elections and failures; silent by default. */
  log?: Logger;
  /** Where the node and its parts record metrics; a new registry by default (node.metrics). */
  metrics?: NodeMetrics;
  /** Terminal for the replay progress bar; null or absent logs lines instead. */
  terminal?: NodeJS.WriteStream | null;
  /** The proposer's clock, stamped into entries; injectable for tests (environment.clock.now by default). */
  clock?: () => number;
  /**
   * Time, timers, randomness, files and the peer transport: the real ones unless given
   * (the deterministic simulator hands in its own). See environment.ts.
   */
  environment?: Partial<NodeEnvironment>;
  /** The WAL's file system; injectable so tests can make the disk fail. */
  walFileSystem?: WalFileSystem;
  /** Peers to replicate with; absent for a single node. */
  cluster?: ClusterOptions;
  /** How the leader proves a read current (--read-mode): "index" (default) or "lease". */
  readMode?: ReadMode;
  /**
   * In a cluster: bytes of applied log entries kept in memory for followers that fall
   * behind (default 32 MiB); a follower further behind gets a checkpoint. A node alone
   * keeps none. See src/node/durable_log.ts.
   */
  logMemoryBytes?: number;
  /** Bounds of this node's watch history window (--watch-history, --watch-history-bytes; engine/change_history.ts). */
  watchHistory?: HistoryBounds;
}

/**
 * Every founding member derives the same cluster id from the founding member ids and the
 * cluster secret, and only from those: a member that moves (a new host or port, a proxy)
 * keeps its cluster. A node that joins later is told the id (--join).
 */
export function clusterIdOf(cluster: ClusterOptions): string {
  if (cluster.clusterId !== undefined) return cluster.clusterId;
  const ids = [...cluster.peers.keys()].sort((a, b) => a - b).join(",");
  return createHash("sha256").update(`walnut cluster ${ids} ${cluster.secret ?? ""}`).digest("hex").slice(0, 16);
}


type Recovered = Awaited<ReturnType<typeof recoverNode>>;

export class Node {
  readonly engine: Engine;
  private readonly wal: Wal;
  private readonly control: ControlFile;
  private readonly lock: DataDirLock;
  private readonly options: NodeOptions;
  readonly metrics: NodeMetrics;
  /** The logger handed in; `log` is its child for the node's own events. */
  private readonly rootLog: Logger;
  private readonly log: Logger;
  /** Set once the cluster removed this node: it then serves nothing and stops campaigning. */
  private readonly removal: Removal;
  private readonly clock: () => number;
  private readonly durable: DurableLog;
  /** Where time, timers, randomness, files and peers come from. */
  private readonly environment: NodeEnvironment;
  private readonly proposals: ProposalTable;
  private readonly admission = new WriteAdmission();
  /** Blocks of session numbers, each named by the index at which an entry of this node was applied. */
  private readonly sessionNumbers = new SessionNumbers();
  private readonly reads = new ReadBarriers(READ_TIMEOUT_MS);
  private cluster: ClusterLink | null = null;
  private readonly membership = new MembershipBook();
  private readonly questions = new PeerQuestions();
  private raft!: RaftNode;
  /** Membership as of the applied index (what a checkpoint records). */
  private appliedConfState: ConfState;
  /**
   * The last log index whose membership change the address book already holds: recovery
   * replays every change in the log into it before the flags have their say. Applying
   * those entries again after a restart must not touch it: a replayed "remove 3" would
   * forget node 3 for good even though a later "add 3" brought it back.
   */
  private readonly addressesKnownThrough: number;
  private readyRunning = false;
  /** An apply paused by a long script (waitForPausedApply), else null. */
  private applying: Promise<void> | null = null;
  private readyScheduled = false;
  private walBytesSinceCheckpoint = 0;
  private checkpointInProgress: Promise<CheckpointInfo> | null = null;
  /** Whether the running checkpoint is full (a delta cannot serve a backup or a follower). */
  private checkpointInProgressFull = false;
  /** Index of the newest full checkpoint file this node holds (-1: unknown), which a follower's snapshot streams. */
  private fullCheckpointIndex = -1;
  private sweepInProgress = false;
  private writeError: WalnutError | null = null;
  /** Under fsync "no": what the WAL has queued and not written yet. */
  private readonly unwritten = new UnwrittenEntries((cause) => this.onUnwrittenEntries(cause));
  /** A group commit pause in progress: ends when `target` proposals have arrived. */
  private gathering: { target: number; arrived: number; done(): void } | null = null;
  /** Term and vote of the last hard state written to the WAL (those must be durable before we act on them). */
  private persistedTermAndVote: { term: number; vote: number } | null = null;
  private retryTimer: Timer | null = null;
  private readonly timers: Timer[] = [];
  private closed = false;
  /** The leader this node knows of (0: none), and the last term it voted for itself in. */
  private knownLeader = 0;
  private lastCampaignTerm: number;
  /** Lease mode: the core's ticks follow the monotonic clock (null in index mode). */
  private readonly leaseTicks: TickClock | null;

  private constructor(options: NodeOptions, lock: DataDirLock, recovered: Recovered) {
    this.options = options;
    this.environment = environmentOf(options);
    // Numbered from a random point, so that a restarted node's proposals never match the old ones'.
    this.proposals = new ProposalTable(PROPOSAL_TIMEOUT_MS, Math.floor(this.environment.random() * 2 ** 32) * 2 ** 20 + 1);
    this.rootLog = options.log ?? silentLogger;
    this.log = this.rootLog.child({ component: "node" });
    this.removal = new Removal(this.log);
    this.metrics = options.metrics ?? new NodeMetrics();
    this.lastCampaignTerm = recovered.hardState.term;
    const clock = this.environment.clock;
    this.clock = options.clock ?? (() => clock.now());
    this.lock = lock;
    this.engine = recovered.engine;
    if (options.watchHistory !== undefined) this.engine.history.setBounds(options.watchHistory);
    this.wal = recovered.wal;
    this.control = recovered.control;
    this.fullCheckpointIndex = recovered.fullCheckpointIndex;
    this.durable = new DurableLog(recovered.snapshot, recovered.entries, recovered.hardState);
    this.appliedConfState = recovered.snapshot.confState;
    // Addresses, oldest knowledge first: the checkpoint's, then membership changes in the
    // log after it, then the flags (the operator's word on where members are now).
    this.membership.loadRecorded(recovered.members);
    for (const entry of recovered.entries) {
      if (entry.type !== "confChange") continue;
      const change = decodeConfChange(entry.data);
      this.membership.noteAppended(change);
      this.membership.noteApplied(change);
    }
    for (const [id, address] of options.cluster?.peers ?? []) this.membership.set(id, address);
    this.addressesKnownThrough = recovered.snapshot.index + recovered.entries.length;
    this.raft = this.createCore();
    this.leaseTicks = options.readMode === "lease" ? new TickClock(TICK_MS, () => this.tickRaft(), this.environment.clock) : null;
    this.metrics.state.watch(this);
  }

  /** Opens (or creates) the data directory, recovers its state and starts serving. */
  static async open(options: NodeOptions): Promise<Node> {
    const environment = environmentOf(options);
    await prepareDataDir(options.dataDir, environment.files);
    const lock = await lockDataDir(options.dataDir, undefined, environment.files, environment.processes);
    const startedMs = environment.clock.monotonicMs();
    const log = (options.log ?? silentLogger).child({ component: "recovery" });
    const metrics = options.metrics ?? new NodeMetrics();
    const progress = createReplayProgress({ log, terminal: options.terminal ?? null, clock: environment.clock });
    let node: Node;
    try {
      const nodeId = options.nodeId ?? 1;
      const voters = options.cluster === undefined ? [nodeId] : [...options.cluster.peers.keys()].sort((a, b) => a - b);
      const bootstrap = options.cluster?.initialConfState ?? { voters, learners: [] };
      const recovered = await recoverNode({
        dataDir: options.dataDir,
        nodeId,
        fsync: options.fsync,
        segmentSizeBytes: options.segmentSizeBytes,
        bootstrapConfState: bootstrap,
        ...(options.cluster === undefined ? {} : { clusterId: clusterIdOf(options.cluster) }),
        log,
        walObserver: metrics.wal,
        onProgress: (bytes) => progress.update(bytes),
        walFileSystem: environment.walFileSystem,
        files: environment.files,
        checkpointIo: environment.checkpointIo,
        timers: environment.timers,
        ...(options.environment?.random === undefined ? {} : { random: environment.random }),
        // A node alone applies its committed entries as recovery reads them (recovery.ts).
        ...(options.cluster === undefined ? { stateMachine: options.stateMachine } : {}),
      });
      node = new Node({ ...options, metrics }, lock, recovered);
      const replayed = recovered.entriesApplied + recovered.entries.length;
      if (options.cluster !== undefined) await node.joinCluster(options.cluster);
      await node.becomeReady();
      progress.finish({ entries: replayed, keys: node.engine.size, elapsedMs: environment.clock.monotonicMs() - startedMs });
    } catch (error) {
      await lock.release();
      throw error;
    }
    node.startTimers();
    return node;
  }

  get id(): number {
    return this.control.nodeId;
  }

  get dataDir(): string {
    return this.options.dataDir;
  }

  get fsyncMode(): FsyncMode {
    return this.options.fsync;
  }

  /**
   * Proposes a write; resolves with its reply once it is committed and applied. When
   * `limits.writesInFlightMax` proposals are unanswered it waits its turn first (see
   * write_admission.ts); the wait is not counted against its deadline.
   */
  propose(payload: EntryPayload): Promise<WriteResult> {
    return new Promise((resolve, reject) => this.proposeTo(payload, { resolve, reject }));
  }

  /**
   * Like propose(), the outcome told to `listener` instead of a promise (no promise per
   * write on the RESP write path). A refusal may be told before this returns.
   */
  proposeTo(payload: EntryPayload, listener: ProposalListener): void {
    if (this.closed) return listener.reject(new WalnutError("NOT_OPEN", "Cannot write: the node is closed"));
    if (this.writeError !== null) return listener.reject(this.writeError);
    if (this.removal.happened) return listener.reject(this.removal.error("write"));
    if (this.admission.length > 0 || !this.hasRoomForProposals()) return this.admission.enqueue(payload, listener);
    this.proposeNow(payload, listener);
  }

  /**
   * A number for a new at-most-once session, unique in this log across nodes and restarts
   * (session_numbers.ts), or null when none is at hand yet (then use a string id).
   */
  sessionNumber(): number | null {
    return this.sessionNumbers.take();
  }

  /** True while writes wait for room: a server should stop taking more from its clients. */
  get writesQueued(): boolean {
    return this.admission.length > 0;
  }

  private readonly hasRoomForProposals = (): boolean => this.proposals.size < limits.writesInFlightMax;

  /** Proposes the writes that waited for room, as far as there is room now. */
  private admitQueuedWrites(): void {
    if (this.admission.length === 0) return;
    if (this.closed) {
      this.admission.rejectAll(new WalnutError("NOT_OPEN", "Cannot write: the node closed first"));
    } else if (this.removal.happened) {
      this.admission.rejectAll(this.removal.error("write"));
    } else if (this.writeError !== null) {
      this.admission.rejectAll(this.writeError); // never proposed: they certainly failed
    } else {
      this.admission.admit(this.hasRoomForProposals, this.proposeNow);
    }
  }

  private readonly proposeNow = (payload: EntryPayload, listener: ProposalListener): void => {
    const sequence = this.proposals.addListening(payload, this.clock(), this.raft.currentLeader, listener);
    let outcome;
    try {
      outcome = this.raft.propose(encodeProposal(payload, this.id, sequence));
    } catch (error) {
      this.proposals.reject(sequence, error instanceof Error ? error : new Error(String(error)));
      return;
    }
    if (!outcome.ok && outcome.leader === 0) {
      this.proposals.reject(sequence, new WalnutError("NO_LEADER", "Cannot write: no leader is known yet; retry shortly"));
    } else if (!outcome.ok && outcome.reason !== "not-leader") {
      this.proposals.reject(sequence, new WalnutError("NO_LEADER", `Cannot write: ${outcome.reason}; retry shortly`));
    }
    if (this.gathering !== null && ++this.gathering.arrived >= this.gathering.target) this.gathering.done();
    this.scheduleReady();
  };

  /**
   * What a linearizable read must wait for: null when this node may read its own state at
   * once (the leader of a group of one), else a promise that resolves once this node has
   * applied everything the leader had committed when the read arrived (ReadIndex).
   */
  readBarrier(): Promise<void> | null {
    if (this.closed) return Promise.reject(new WalnutError("NOT_OPEN", "Cannot read: the node is closed"));
    if (this.removal.happened) return Promise.reject(this.removal.error("read"));
    if (this.raft.leadsAlone) return null;
    const barrier = this.reads.request(this.clock());
    this.scheduleReady();
    return barrier;
  }

  /** Hands a message from a peer (or about one) to the Raft core. */
  step(message: Message): void {
    if (this.closed) return;
    this.leaseTicks?.catchUp();
    this.raft.step(message);
    this.scheduleReady();
  }

  /** Asks the leader to hand leadership to `to` (RAFT TRANSFER). */
  transferLeadership(to: number): void {
    this.raft.transferLeadership(to);
    this.scheduleReady();
  }

  /** Runs a read against the current state (every acknowledged write is visible). */
  read<T>(reader: (engine: Engine) => T): T {
    if (this.closed) throw new WalnutError("NOT_OPEN", "Cannot read: the node is closed");
    return reader(this.engine);
  }

  /** The proposer's clock, as stamped into entries. */
  now(): number {
    return this.clock();
  }

  /**
   * Takes a checkpoint now (joins one already running): a delta when worth it
   * (checkpointer.ts), a full one when `full` (a backup, a follower's snapshot).
   */
  checkpoint(options: { full?: boolean } = {}): Promise<CheckpointInfo> {
    if (this.closed) return Promise.reject(new WalnutError("NOT_OPEN", "Cannot checkpoint: the node is closed"));
    const full = options.full === true;
    if (this.checkpointInProgress !== null) {
      if (!full || this.checkpointInProgressFull) return this.checkpointInProgress;
      return this.checkpointInProgress.catch(() => undefined).then(() => this.checkpoint(options));
    }
    // The engine holds half of a paused entry (a long script): checkpoint once it is whole.
    if (this.applying !== null) return this.applying.then(() => this.checkpoint(options));
    this.walBytesSinceCheckpoint = 0;
    const running = takeCheckpoint({
      dataDir: this.options.dataDir,
      engine: this.engine,
      wal: this.wal,
      control: this.control,
      confState: this.appliedConfState,
      members: this.membership.recorded(),
      waitDurable: () => (this.options.fsync === "always" ? Promise.resolve() : this.wal.sync()),
      archiveWal: this.options.archiveWal,
      log: this.rootLog.child({ component: "checkpointer" }),
      metrics: this.metrics.checkpoints,
      io: this.environment.checkpointIo,
      full,
    })
      .then((info) => {
        // Only a full checkpoint is something to send a follower, so only a full one moves the
        // log's start. After a delta the log in memory goes as releaseLogEntries lets it (the
        // window kept for followers): deltas come often, and moving the start at each one left a
        // joiner installing a full checkpoint behind the leader's log again, checkpoint after checkpoint.
        if (info.previousIndex !== null) return info;
        this.fullCheckpointIndex = info.index;
        const snapshot = { index: info.index, term: info.term, confState: this.appliedConfState };
        this.raft.compact(snapshot);
        this.durable.compact(snapshot);
        return info;
      })
      .finally(() => {
        this.checkpointInProgress = null;
      });
    this.checkpointInProgress = running;
    this.checkpointInProgressFull = full;
    return running;
  }

  status(): NodeStatus {
    return describeStatus({
      raft: this.raft.status(),
      control: this.control,
      appliedIndex: this.engine.appliedIndex,
      fsync: this.options.fsync,
      pendingWrites: this.proposals.size,
      writeError: this.writeError,
      removed: this.removal.happened,
    });
  }


  /** What the Raft log holds in memory (shared by the core and the durable log). */
  logMemory(): LogMemory {
    return this.durable.memory();
  }

  segments(): SegmentInfo[] {
    return this.wal.segments();
  }

  walStats(): ReturnType<Wal["stats"]> {
    return this.wal.stats();
  }

  /** Stops timers, finishes the Ready loop, waits for a running checkpoint, closes the WAL. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) this.environment.timers.clearInterval(timer);
    if (this.retryTimer !== null) this.environment.timers.clearTimeout(this.retryTimer);
    // A paused apply (a long script) is not waited for: its entry is durable, and applied after a restart.
    if (this.options.stateMachine.abandonPaused?.(this.engine, new ApplyAbandoned()) === true) {
      this.log.info({ appliedIndex: this.engine.appliedIndex }, "closing without waiting for a paused script: a logged one is applied after a restart");
    }
    await this.checkpointInProgress?.catch(() => undefined);
    while (this.readyRunning) await this.environment.timers.yieldTurn();
    this.proposals.rejectAll(new WalnutError("NOT_OPEN", "Cannot write: the node closed first"));
    this.admission.rejectAll(new WalnutError("NOT_OPEN", "Cannot write: the node closed first"));
    this.reads.rejectAll(new WalnutError("NOT_OPEN", "Cannot read: the node closed first"));
    await this.cluster?.close();
    try {
      await this.wal.close();
    } finally {
      await this.lock.release();
    }
  }

  // ——— Start ———

  private createCore(): RaftNode {
    return new RaftNode(
      {
        id: this.control.nodeId,
        electionTicks: ELECTION_TICKS,
        heartbeatTicks: HEARTBEAT_TICKS,
        random: this.environment.random,
        preVote: true,
        checkQuorum: true,
        readMode: this.options.readMode ?? "index",
        maxEntriesPerAppend: MAX_ENTRIES_PER_APPEND,
        maxInflightAppends: MAX_INFLIGHT_APPENDS,
        maxAppendBytes: limits.raftAppendBytesMax,
        maxInflightBytes: limits.raftInflightBytesMax,
      },
      this.durable.initialState(this.appliedConfState),
    );
  }

  private async joinCluster(options: ClusterOptions): Promise<void> {
    this.cluster = new ClusterLink(
      {
        id: this.id,
        clusterId: this.control.clusterId,
        checkpointDirectory: this.control.checkpointDirectory,
        step: (message) => this.step(message),
        log: this.rootLog,
        metrics: this.metrics.raft,
        wasRemoved: (id) => this.membership.wasRemoved(id),
        removed: (reason) => this.removal.note(reason),
        answerQuestion: (from, question) => this.questions.receive(from, question),
        environment: this.environment,
      },
      { ...options, peers: this.membership.peers() },
    );
    this.membership.attach(this.cluster);
    await this.cluster.start();
  }

  /**
   * Changes membership one server at a time (RAFT ADD / REMOVE); resolves once the change
   * has been applied here. A new member's address travels in the change's log entry.
   */
  changeMembership(change: ConfChange): Promise<void> {
    if (this.cluster === null) return Promise.reject(new WalnutError("BAD_ARGUMENT", "Cannot change membership: this node runs alone (start it with --peers)"));
    if (this.removal.happened) return Promise.reject(this.removal.error("change membership"));
    const outcome = this.raft.proposeConfChange(change);
    this.scheduleReady();
    if (!outcome.ok && outcome.leader === 0) return Promise.reject(new WalnutError("NO_LEADER", "Cannot change membership: no leader is known yet; retry shortly"));
    if (!outcome.ok && outcome.reason === "conf-change-pending") {
      return Promise.reject(new WalnutError("BAD_ARGUMENT", "Cannot change membership: another change is not committed yet; retry shortly"));
    }
    if (!outcome.ok && outcome.reason === "transfer-in-progress") {
      return Promise.reject(new WalnutError("NO_LEADER", "Cannot change membership: a leadership transfer is in progress; retry shortly"));
    }
    return this.membership.waitFor(change, this.appliedConfState, this.clock() + PROPOSAL_TIMEOUT_MS);
  }

  /** The members other than this node, as of the applied membership (none when it runs alone). */
  otherMembers(): number[] {
    const { voters, learners } = this.appliedConfState;
    return this.cluster === null ? [] : [...voters, ...learners].filter((id) => id !== this.id);
  }

  /** Answers the other members' questions of `topic` outside Raft (peer_questions.ts); returns the function that stops. */
  answerQuestions(topic: string, answerer: TopicAnswerer): () => void {
    return this.questions.answer(topic, answerer);
  }

  /** Asks every other member a question of `topic`; each answers within `timeoutMs` or is reported silent. */
  askOtherMembers(topic: string, question: Uint8Array, timeoutMs: number): Promise<MemberAnswer[]> {
    const cluster = this.cluster;
    if (cluster === null) return Promise.resolve([]);
    return this.questions.askAll({ members: this.otherMembers(), topic, question, timeoutMs, ask: (member, payload, ms) => cluster.ask(member, payload, ms) });
  }

  /** What the questions this node asked its members did (peer_questions.ts: the in-flight bound per member). */
  peerQuestionStats(): PeerQuestionStats {
    return this.questions.stats();
  }

  /** Members and where they listen for peers ("host:port"), for RAFT STATUS and checkpoints. */
  memberAddresses(): Record<string, string> {
    return this.membership.recorded();
  }

  /** The cluster's id (shared by every member). */
  get clusterId(): string {
    return this.control.clusterId;
  }

  /** A group of one elects itself and applies everything it holds before serving. */
  private async becomeReady(): Promise<void> {
    const voters = this.raft.status().confState.voters;
    if (voters.length !== 1 || voters[0] !== this.id) return;
    this.raft.campaign();
    await this.runReadyLoop();
    if (this.writeError !== null) throw this.writeError;
  }

  /** Time passes for Raft, except on a removed node: it must not campaign any more. */
  private tickRaft(): void {
    if (!this.removal.happened) this.raft.tick();
  }

  private startTimers(): void {
    const timers = this.environment.timers;
    const tick = timers.setInterval(() => {
      if (this.leaseTicks !== null) this.leaseTicks.catchUp();
      else this.tickRaft();
      this.proposals.expire(this.clock());
      this.admitQueuedWrites();
      this.reads.expire(this.clock());
      this.membership.settle(this.appliedConfState, this.clock());
      this.scheduleReady();
    }, TICK_MS);
    this.timers.push(tick);
    if (this.options.checkpointIntervalMs > 0) {
      this.timers.push(timers.setInterval(() => this.backgroundCheckpoint("interval"), this.options.checkpointIntervalMs));
    }
    this.timers.push(timers.setInterval(() => this.sweepExpiredKeys(), EXPIRY_SWEEP_INTERVAL_MS));
  }

  // ——— The Ready loop ———

  private scheduleReady(): void {
    if (this.readyScheduled || this.readyRunning) return;
    this.readyScheduled = true;
    // Gather the current burst of synchronous proposals (one socket read, one batch()). A
    // resolved promise's then() is a microtask without the AsyncResource and bound function
    // that queueMicrotask() makes on every call.
    void RESOLVED.then(this.runScheduledReady);
  }

  private readonly runScheduledReady = (): void => {
    this.readyScheduled = false;
    void this.runReadyLoop();
  };

  private async runReadyLoop(): Promise<void> {
    if (this.readyRunning) return;
    this.readyRunning = true;
    try {
      for (let turns = 1; ; turns++) {
        // Bounded work per turn of the event loop: after a run of Readys that never had to
        // wait (fsync "no", or only commits moving), let timers, peers and clients in.
        if (turns % limits.readyTurnsBeforeYield === 0) await this.environment.timers.yieldTurn();
        this.leaseTicks?.catchUp();
        if (this.reads.hasWaiting) this.reads.issue((context) => this.raft.readIndex(context), this.clock());
        if (this.closed || this.writeError !== null || !this.raft.hasReady()) break;
        const ready = this.raft.ready();
        this.noteRaftEvents(ready);
        if (ready.softState !== null) this.proposals.leaderChanged(ready.softState.leader);
        if (ready.snapshot !== null && !(await this.installedSnapshot(ready))) return;
        // A leader may send its appends before its own copy is durable (Raft thesis
        // §10.2.1): the core counts the leader's copy only once persisted, so followers
        // fsync in parallel with it. Anything else waits for the persist, and so does
        // everything when the Ready changes the term or vote (they must be durable first).
        const early = this.sendsEarly(ready) ? ready.messages.filter((m) => m.type === "append") : NO_MESSAGES;
        this.send(early);
        // Most Readys need not wait (fsync "no", or only the commit index moved): those skip
        // the await and the promises an async persist costs.
        let persisted = this.persist(ready);
        if (typeof persisted !== "boolean") persisted = await persisted;
        if (!persisted) return;
        this.send(early.length === 0 ? ready.messages : ready.messages.filter((m) => m.type !== "append"));
        const applying = this.applyCommitted(ready.committedEntries);
        if (applying !== undefined && !(await this.waitForPausedApply(applying))) return;
        this.checkProgressOrder();
        for (const state of ready.readStates) this.reads.confirm(state.context, state.index, this.engine.appliedIndex);
        this.reads.applied(this.engine.appliedIndex);
        this.leaseTicks?.catchUp();
        this.raft.advance(ready);
        this.releaseLogEntries();
        this.admitQueuedWrites(); // the answered proposals made room: their entries form the next Ready
        // Just answered a group of writers: give them a moment to send their next writes.
        if (this.options.fsync === "always" && ready.committedEntries.length > 1 && this.raft.currentLeader === this.id) {
          await this.gatherNextGroup(Math.floor(ready.committedEntries.length / 2));
        }
      }
    } finally {
      this.readyRunning = false;
    }
  }

  /**
   * An apply that paused (a long script): checkpoints and the expiry sweep wait for it
   * (`applying`), since the engine holds half of an entry meanwhile. Raft's timers go on;
   * messages wait for the loop, so a script longer than an election timeout may cost a
   * leader change after it (docs/scripting.md). False when close() abandoned it.
   */
  private async waitForPausedApply(applying: Promise<void>): Promise<boolean> {
    this.applying = applying;
    try {
      await applying;
      return true;
    } catch (cause) {
      if (cause instanceof ApplyAbandoned && this.closed) return false; // close() gave it up: the loop ends here
      throw cause;
    } finally {
      this.applying = null;
    }
  }

  /**
   * Step 1: make the Ready's entries and hard state durable; false when that failed. A
   * promise only when it had to wait.
   */
  private persist(ready: Ready): boolean | Promise<boolean> {
    if (ready.entries.length === 0 && ready.hardState === null) return true;
    if (ready.entries.length === 0 && ready.hardState !== null && this.onlyCommitMoved(ready.hardState)) {
      // The commit index need not be durable (Raft learns it again from the leader, or by
      // electing one): it is written with the next entries instead of costing an fsync.
      this.durable.append([], ready.hardState);
      return true;
    }
    this.checkAppendable(ready.entries);
    this.noteLoggedEntries(ready.entries);
    // Normal entries carry their payload's bytes as the WAL stores them: written as they are.
    const entries = ready.entries.every(isStoredAsIs) ? ready.entries : ready.entries.map(toLogEntry);
    for (const entry of entries) this.walBytesSinceCheckpoint += entry.data.length;
    const hardState = ready.hardState ?? this.durable.currentHardState();
    const append = this.wal.append(entries, hardState);
    if (this.options.fsync === "no") {
      // Counted as persisted now; a failure is repaired by writing them again. Bound what
      // may wait in the WAL's queue, so the OS is never far behind what was acknowledged.
      this.durable.append(ready.entries, ready.hardState);
      this.notePersisted(hardState);
      let bytes = 0;
      for (const entry of entries) bytes += entry.data.length;
      const settled = this.unwritten.add(append, entries.length, bytes);
      if (this.unwritten.overLimit) return settled.then(() => true);
      return true;
    }
    return this.persistOnceWritten(ready, append, hardState);
  }

  /** Step 1 under fsync "always" and "everysec": the entries count once the WAL has them. */
  private async persistOnceWritten(ready: Ready, append: Promise<void>, hardState: HardState): Promise<boolean> {
    try {
      await append;
    } catch (error) {
      this.onPersistFailed(ready, error);
      return false;
    }
    this.durable.append(ready.entries, ready.hardState);
    this.notePersisted(hardState);
    this.maybeCheckpointBySize();
    return true;
  }

  /**
   * Step 2, and what a failure means: the disk refused part of it (a full disk writing the
   * control file, say). Handled as a failed persist: the Ready's writes fail, and the core
   * starts over from what the WAL holds after a pause; the leader sends what is missing.
   * (Found by the real-node simulator: the rejection used to escape the Ready loop.)
   */
  private async installedSnapshot(ready: Ready): Promise<boolean> {
    try {
      await this.installSnapshot(ready.snapshot as SnapshotMetadata);
      return true;
    } catch (error) {
      this.onPersistFailed(ready, error);
      return false;
    }
  }

  /**
   * Before entries go to the WAL: they follow one another, and they continue what the node
   * holds as durable with no gap and without rewriting a committed entry. (The other half
   * of the pair: DurableLog.append checks the same of what the WAL accepted.)
   */
  private checkAppendable(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    const durableLast = this.durable.lastIndex;
    const committed = this.durable.currentHardState().commit;
    if (!(first.index <= durableLast + 1)) assert(false, `Ready entry ${first.index} leaves a gap after the durable log's last entry ${durableLast}`);
    if (!(first.index > committed)) assert(false, `Ready entry ${first.index} would rewrite committed entries (commit index ${committed})`);
    for (let position = 1; position < entries.length; position++) {
      const previous = entries[position - 1] as Entry;
      const entry = entries[position] as Entry;
      if (!(entry.index === previous.index + 1)) assert(false, `Ready entries jump from ${previous.index} to ${entry.index}`);
      if (!(entry.term >= previous.term)) assert(false, `Ready entry ${entry.index} has term ${entry.term} after term ${previous.term}`);
    }
  }

  /** After a Ready is persisted and applied: applied ≤ committed ≤ durable. */
  private checkProgressOrder(): void {
    const applied = this.engine.appliedIndex;
    const committed = this.durable.currentHardState().commit;
    const durableLast = this.durable.lastIndex;
    if (!(applied <= committed)) assert(false, `applied index ${applied} is past the commit index ${committed}`);
    if (!(committed <= durableLast)) assert(false, `commit index ${committed} is past the durable log's last entry ${durableLast}`);
  }

  /** Step 2: replace our state with a checkpoint the leader sent (already on disk, checked). */
  private async installSnapshot(snapshot: SnapshotMetadata): Promise<void> {
    await this.checkpointInProgress?.catch(() => undefined);
    const path = join(this.control.checkpointDirectory, checkpointFileName(snapshot.index, snapshot.term));
    const loaded = await readCheckpoint(path, this.environment.checkpointIo);
    this.engine.replaceContents(loaded.collections, snapshot.index, snapshot.term);
    this.engine.checkpointChanges.reset(collectionsOf(this.engine), snapshot.index); // the next checkpoint may be a delta on it
    this.fullCheckpointIndex = snapshot.index;
    restoreSessions(this.engine.sessions, loaded.metadata.sessions, path);
    restoreFunctions(this.engine.functionLibraries, loaded.metadata.functions, path);
    restoreRemovedKeys(this.engine.removedKeys, loaded.metadata.removedKeys, { path, index: snapshot.index });
    this.appliedConfState = snapshot.confState;
    // Found by the simulator (seed 1875 --fsync no): a follower that learned of a member
    // only through a checkpoint had no address for it, and as leader never reached it.
    const recorded = loaded.metadata["members"];
    if (typeof recorded === "object" && recorded !== null) this.membership.learnFromCheckpoint(recorded as Record<string, string>, snapshot.confState, this.id);
    await this.wal.markCheckpoint(snapshot.index, snapshot.term); // the log continues after it
    this.durable.restore(snapshot);
    this.control.lastCheckpointId += 1;
    this.control.lastCheckpointIndex = snapshot.index;
    this.control.lastCheckpointTerm = snapshot.term;
    await writeControlFile(this.options.dataDir, this.control, this.environment.files);
    const fields = { index: snapshot.index, term: snapshot.term, keys: loaded.keys };
    this.log.info(fields, `installed checkpoint ${snapshot.index} (term ${snapshot.term}) from the leader: ${loaded.keys} keys`);
  }

  /**
   * Entries about to be persisted: membership changes update the address book, and this
   * node's own proposals among them are in its log now (they no longer time out).
   */
  private noteLoggedEntries(entries: readonly Entry[]): void {
    for (const entry of entries) {
      if (entry.type === "confChange") this.membership.noteAppended(decodeConfChange(entry.data));
      else if (peekOriginNode(entry.data) === this.id) this.proposals.noteLogged(peekOriginSequence(entry.data), entry.index);
    }
  }

  /** Step 3: messages go to peers (a group of one has none). */
  private send(messages: readonly Message[]): void {
    if (messages.length === 0 || this.cluster === null) return;
    this.cluster.send(messages.filter((message) => message.type !== "snapshot" || this.checkpointCovers(message)));
  }

  /**
   * A follower needs entries this node no longer holds, so the core asks to send the
   * checkpoint its log starts after. When the log starts after released entries instead,
   * take a checkpoint (the core's log then starts after it) and tell the core this send
   * failed: it asks again, and then the checkpoint is there.
   */
  private checkpointCovers(message: Message): boolean {
    if (message.snapshot === null) return true;
    const index = message.snapshot.index;
    if (index === this.control.lastCheckpointIndex && index === this.fullCheckpointIndex) return true;
    // A follower gets one self-contained file: when the newest checkpoint is a delta, take a full one.
    const reason = index === this.control.lastCheckpointIndex ? `node ${message.to} needs a full checkpoint` : `node ${message.to} needs entries released from memory`;
    this.backgroundCheckpoint(reason, { full: true });
    queueMicrotask(() => this.step(createMessage({ type: "snapshotStatus", from: message.to, to: this.id, reject: true })));
    return false;
  }

  /** Step 5b: let the log in memory go of entries it no longer needs (they stay in the WAL). */
  private releaseLogEntries(): void {
    // Nothing past what is both applied and written may go: check that cheaply first (under
    // fsync "no" the WAL may lag by thousands of entries, and status() allocates).
    const writtenIndex = this.durable.lastIndex - this.unwritten.entries;
    const releasable = Math.min(writtenIndex, this.engine.appliedIndex) - this.durable.startIndex;
    if (releasable <= 0) return;
    const windowBytes = this.cluster === null ? 0 : (this.options.logMemoryBytes ?? LOG_MEMORY_BYTES_DEFAULT);
    if (releasable < RELEASE_BATCH_ENTRIES && this.durable.bytesHeld < windowBytes + RELEASE_BATCH_BYTES) return;
    const through = this.durable.releasableThrough({
      appliedIndex: Math.min(this.raft.status().applied, this.engine.appliedIndex),
      writtenIndex,
      windowBytes,
    });
    if (through > this.durable.startIndex) this.raft.compact(this.durable.release(through));
  }

  /**
   * Step 4: apply in index order, answering this node's own proposals. A promise when an
   * entry paused (the state machine's apply answered one: a long script lets the server
   * answer BUSY meanwhile); the entries after it are applied once it resolves, and the
   * Ready loop waits for all of them before it moves on, so nothing is reordered.
   */
  private applyCommitted(entries: Entry[], from = 0): void | Promise<void> {
    for (let at = from; at < entries.length; at++) {
      const paused = this.applyOne(entries[at] as Entry);
      if (paused !== undefined) return paused.then(() => this.applyCommitted(entries, at + 1));
    }
  }

  /** Applies one entry; a promise when the state machine paused it, else undefined. */
  private applyOne(entry: Entry): Promise<void> | undefined {
    if (entry.index <= this.engine.appliedIndex) return undefined; // applied before the core was rebuilt
    const sequence = entry.type === "normal" && peekOriginNode(entry.data) === this.id ? peekOriginSequence(entry.data) : 0;
    this.proposals.settleApplied(entry.index, sequence);
    if (entry.type === "confChange") {
      const change = decodeConfChange(entry.data);
      this.appliedConfState = applyConfChange(this.appliedConfState, change);
      if (entry.index > this.addressesKnownThrough) this.membership.noteApplied(change);
      if (change.type === "remove" && change.node === this.id) this.removal.note(`it applied its own removal at index ${entry.index}`);
      else if (change.node === this.id) this.removal.lift(`it applied a change adding it back at index ${entry.index}`);
      else if (change.type === "remove") this.membership.noteRemoved(change.node, this.raft.status().confState);
      const applied = this.options.stateMachine.apply(this.engine, entry.index, entry.term, NOOP);
      const settle = (): void => this.membership.settle(this.appliedConfState, this.clock());
      if (applied instanceof Promise) return applied.then(settle);
      settle();
      return undefined;
    }
    if (entry.data.length === 0) {
      const applied = this.options.stateMachine.apply(this.engine, entry.index, entry.term, NOOP);
      return applied instanceof Promise ? applied.then(() => undefined) : undefined;
    }
    const own = sequence === 0 ? undefined : this.proposals.payloadOf(sequence);
    if (own !== undefined && this.sessionNumbers.wanted) this.sessionNumbers.appliedOwn(entry.index); // committed, and ours
    const applied = this.options.stateMachine.apply(this.engine, entry.index, entry.term, own ?? decodeEntry(entry.data));
    if (applied instanceof Promise) {
      return applied.then((reply) => {
        if (own !== undefined) this.proposals.resolve(sequence, { index: entry.index, reply });
      });
    }
    if (own !== undefined) this.proposals.resolve(sequence, { index: entry.index, reply: applied });
    return undefined;
  }

  /**
   * After a group commit of several writes, wait until `target` new writes have arrived,
   * or GROUP_COMMIT_GATHER_MS: the clients just answered send their next writes within a
   * round trip, and they should join one group rather than split into two that alternate,
   * each waiting for the other's fsync. Writers already waiting end the pause at once.
   */
  private gatherNextGroup(target: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.environment.timers.setTimeout(() => done(), GROUP_COMMIT_GATHER_MS, { keepAlive: true });
      const done = (): void => {
        this.environment.timers.clearTimeout(timer);
        this.gathering = null;
        resolve();
      };
      this.gathering = { target, arrived: 0, done };
    });
  }

  /** Whether this Ready's appends may go out before its entries are durable here. */
  private sendsEarly(ready: Ready): boolean {
    if (this.cluster === null || this.raft.currentLeader !== this.id || ready.messages.length === 0) return false;
    return ready.hardState === null || this.onlyCommitMoved(ready.hardState);
  }

  private notePersisted(hardState: HardState): void {
    if (this.onlyCommitMoved(hardState)) return;
    this.persistedTermAndVote = { term: hardState.term, vote: hardState.vote };
  }

  /** A hard state that differs from the last one written only in its commit index. */
  private onlyCommitMoved(hardState: HardState): boolean {
    const written = this.persistedTermAndVote;
    return written !== null && written.term === hardState.term && written.vote === hardState.vote;
  }

  /** Counts (and logs) the elections this node starts and the leaders it learns of. */
  private noteRaftEvents(ready: Ready): void {
    const hardState = ready.hardState;
    if (hardState !== null && hardState.vote === this.id && hardState.term > this.lastCampaignTerm) {
      this.lastCampaignTerm = hardState.term;
      this.metrics.raft.electionStarted();
      this.log.info({ term: hardState.term }, `starting an election in term ${hardState.term}`);
    }
    const leader = ready.softState?.leader;
    if (leader === undefined || leader === this.knownLeader) return;
    this.knownLeader = leader;
    if (leader === 0) return;
    this.metrics.raft.leaderChanged();
    const term = this.raft.status().term;
    this.log.info({ leader, term }, leader === this.id ? `leading in term ${term}` : `node ${leader} leads in term ${term}`);
  }

  // ——— Failed writes ———

  private onPersistFailed(ready: Ready, cause: unknown): void {
    const error = new WalnutError("WAL_IO", `Cannot write: ${describeError(cause)}`, { cause });
    this.log.error({ code: error.code }, `write failed: ${error.message}`);
    for (const entry of ready.entries) {
      const origin = entry.type === "normal" ? peekOrigin(entry.data) : null;
      if (origin !== null && origin.node === this.id) this.proposals.reject(origin.sequence, error);
    }
    this.writeError = error;
    if (this.wal.failure !== null) return; // final: what reached the disk is unknown until a restart
    this.retryTimer = this.environment.timers.setTimeout(() => {
      this.retryTimer = null;
      // Start over from what the WAL really holds, as a restart would.
      this.persistedTermAndVote = null;
      this.raft = this.createCore();
      this.writeError = null;
      void this.becomeReady().catch(() => undefined);
    }, FAILED_WRITE_RETRY_MS);
  }

  private onUnwrittenEntries(cause: unknown): void {
    if (this.writeError !== null) return;
    this.writeError = new WalnutError("WAL_IO", `Cannot write: ${describeError(cause)}`, { cause });
    this.log.error({ code: this.writeError.code }, `write failed: ${this.writeError.message}; acknowledged writes will be written again`);
    if (this.wal.failure !== null) return;
    const retry = (): void => {
      this.retryTimer = null;
      const unwritten = this.durable.entriesAfter(this.wal.lastIndex).map(toLogEntry);
      this.wal.append(unwritten, this.durable.currentHardState()).then(
        () => {
          this.writeError = null;
          this.scheduleReady();
        },
        () => {
          if (this.wal.failure !== null || this.closed) return;
          this.retryTimer = this.environment.timers.setTimeout(retry, FAILED_WRITE_RETRY_MS);
        },
      );
    };
    this.retryTimer = this.environment.timers.setTimeout(retry, FAILED_WRITE_RETRY_MS);
  }

  // ——— Background work: checkpoints and the expiry sweep ———

  private maybeCheckpointBySize(): void {
    const threshold = this.options.checkpointWalBytes;
    if (threshold > 0 && this.walBytesSinceCheckpoint >= threshold) this.backgroundCheckpoint("WAL size");
  }

  private backgroundCheckpoint(reason: string, options: { full?: boolean } = {}): void {
    if (this.closed || this.checkpointInProgress !== null) return;
    const newest = options.full === true ? this.fullCheckpointIndex : this.control.lastCheckpointIndex;
    if (this.engine.appliedIndex === newest) return; // nothing new
    this.checkpoint(options).catch((error: unknown) => this.log.error({ reason }, `checkpoint (${reason}) failed: ${describeError(error)}`));
  }

  private sweepExpiredKeys(): void {
    if (this.closed || this.sweepInProgress || this.writeError !== null || this.applying !== null) return;
    if (this.raft.currentLeader !== this.id) return; // the leader's sweep reaches every replica
    const sweeps = this.options.stateMachine.expiredKeySweeps(this.engine, this.clock());
    if (sweeps.length === 0) return;
    this.sweepInProgress = true;
    Promise.allSettled(sweeps.map((payload) => this.propose(payload))).then(() => {
      this.sweepInProgress = false;
    });
  }
}

/** The node's environment: the real one, with what the options name replaced. */
function environmentOf(options: NodeOptions): NodeEnvironment {
  const environment = { ...realEnvironment, ...options.environment };
  return options.walFileSystem === undefined ? environment : { ...environment, walFileSystem: options.walFileSystem };
}

/** A normal entry whose data is a Buffer is a LogEntry as it is (raft_log_codec stores those unchanged). */
function isStoredAsIs(entry: Entry): entry is Entry & { data: Buffer } {
  return entry.type === "normal" && Buffer.isBuffer(entry.data);
}

/** The entry bytes of a proposal, tagged with its origin so the proposer finds it again. */
function encodeProposal(payload: EntryPayload, node: number, sequence: number): Buffer {
  return encodeEntry(payload, { node, sequence });
}
