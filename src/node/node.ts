/**
 * The node: the only place that orchestrates I/O. It turns proposals into log entries,
 * makes them durable through the WAL, applies committed entries to the engine in index
 * order, answers the proposers, and runs checkpoints and the expiry sweep.
 *
 * A single node is a Raft group of one: an entry is committed once its own WAL has it
 * as durably as the fsync mode promises. The write path is a pipeline with one batch in
 * flight: proposals that arrive while the WAL writes (and fsyncs) the current batch wait
 * together and go out as the next batch: group commit.
 *
 *   fsync always    acknowledged after the fsync covering the entry; applied then
 *   fsync everysec  acknowledged after write(); fsync at most a second behind
 *   fsync no        applied and acknowledged at once; written to the OS at the end of
 *                   the current event-loop turn, fsynced whenever the OS decides
 *
 * A failed WAL write never loses an acknowledged entry: under `always`/`everysec` the
 * failed batch was not acknowledged, so it is rejected and later proposals are renumbered;
 * under `no` the batch was acknowledged, so it is kept and retried, and new writes are
 * refused until the retry succeeds. Reads keep working throughout.
 */
import type { EntryPayload } from "../commands/entry.js";
import { encodeEntry } from "../commands/entry.js";
import type { Reply } from "../commands/reply.js";
import type { Engine } from "../engine/engine.js";
import { assert } from "../lib/assert.js";
import { WalnutError, describeError } from "../lib/errors.js";
import { limits } from "../lib/limits.js";
import type { CheckpointInfo } from "../snapshot/writer.js";
import type { FsyncMode, LogEntry, SegmentInfo, Wal, WalFileSystem } from "../wal/wal.js";
import { takeCheckpoint } from "./checkpointer.js";
import type { ControlFile } from "./control_file.js";
import { lockDataDir, type DataDirLock } from "./data_dir_lock.js";
import { prepareDataDir, recoverNode } from "./recovery.js";
import type { StateMachine } from "./state_machine.js";

const EXPIRY_SWEEP_INTERVAL_MS = 100;
/** Under fsync "no", hand queued entries to the WAL once this many wait, even mid-turn. */
const UNWRITTEN_ENTRIES_MAX = 4096;
const FAILED_WRITE_RETRY_MS = 1000;

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
  log?: (message: string) => void;
  /** Terminal for the replay progress bar; null or absent logs lines instead. */
  terminal?: NodeJS.WriteStream | null;
  /** The proposer's clock, stamped into entries; injectable for tests. */
  clock?: () => number;
  /** The WAL's file system; injectable so tests can make the disk fail. */
  walFileSystem?: WalFileSystem;
}

export interface WriteResult {
  index: number;
  reply: Reply;
}

interface Proposal {
  index: number;
  term: number;
  payload: EntryPayload;
  data: Buffer;
  /** Set once the proposer was answered (at once under fsync no). */
  answered: boolean;
  resolve(result: WriteResult): void;
  reject(error: Error): void;
}

export interface NodeStatus {
  role: "leader";
  id: number;
  term: number;
  leader: number;
  commitIndex: number;
  appliedIndex: number;
  lastIndex: number;
  fsync: FsyncMode;
  pendingWrites: number;
  writeError: string | null;
  lastCheckpoint: { index: number; term: number; id: number };
}

export class Node {
  readonly engine: Engine;
  private readonly wal: Wal;
  private readonly control: ControlFile;
  private readonly lock: DataDirLock;
  private readonly options: NodeOptions;
  private readonly log: (message: string) => void;
  private readonly clock: () => number;
  private term: number;
  /** Highest index handed out to a proposal. */
  private lastIndex: number;
  /** Highest index the WAL holds as durably as the mode promises. */
  private durableIndex: number;
  private queued: Proposal[] = [];
  private inFlight: Proposal[] | null = null;
  private flushScheduled = false;
  private durableWaiters: Array<{ index: number; resolve(): void; reject(error: Error): void }> = [];
  private walBytesSinceCheckpoint = 0;
  private checkpointInProgress: Promise<CheckpointInfo> | null = null;
  private sweepInProgress = false;
  private writeError: WalnutError | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  private closed = false;

  private constructor(options: NodeOptions, lock: DataDirLock, recovered: Awaited<ReturnType<typeof recoverNode>>) {
    this.options = options;
    this.log = options.log ?? (() => {});
    this.clock = options.clock ?? Date.now;
    this.lock = lock;
    this.engine = recovered.engine;
    this.wal = recovered.wal;
    this.control = recovered.control;
    this.lastIndex = Math.max(recovered.walRecovery.lastIndex, recovered.checkpointIndex);
    this.durableIndex = this.lastIndex;
    const lastTerm = Math.max(recovered.walRecovery.lastTerm, recovered.walRecovery.hardState?.term ?? 0, this.engine.appliedTerm);
    this.term = lastTerm + 1;
  }

  /** Opens (or creates) the data directory, recovers its state and starts serving. */
  static async open(options: NodeOptions): Promise<Node> {
    await prepareDataDir(options.dataDir);
    const lock = await lockDataDir(options.dataDir);
    let node: Node;
    try {
      const recovered = await recoverNode({
        dataDir: options.dataDir,
        nodeId: options.nodeId ?? 1,
        fsync: options.fsync,
        segmentSizeBytes: options.segmentSizeBytes,
        stateMachine: options.stateMachine,
        log: options.log ?? (() => {}),
        terminal: options.terminal ?? null,
        ...(options.walFileSystem === undefined ? {} : { walFileSystem: options.walFileSystem }),
      });
      node = new Node(options, lock, recovered);
      // A group of one elects itself: record the new term before accepting writes.
      await node.wal.append([], { term: node.term, vote: node.control.nodeId, commit: node.durableIndex });
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

  /** Proposes a write; resolves with its reply once it is committed and applied. */
  propose(payload: EntryPayload): Promise<WriteResult> {
    if (this.closed) return Promise.reject(new WalnutError("NOT_OPEN", "Cannot write: the node is closed"));
    if (this.writeError !== null) return Promise.reject(this.writeError);
    if (this.queued.length >= limits.pendingWritesMax) {
      return Promise.reject(new WalnutError("LIMIT", `Cannot write: ${limits.pendingWritesMax} writes already wait for the WAL`));
    }
    let data: Buffer;
    try {
      data = encodeEntry(payload);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<WriteResult>((resolve, reject) => {
      const proposal: Proposal = { index: ++this.lastIndex, term: this.term, payload, data, answered: false, resolve, reject };
      this.queued.push(proposal);
      if (this.options.fsync === "no") this.applyAndAnswer(proposal);
      this.scheduleFlush();
    });
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

  /** Takes a checkpoint now (joins one already running). */
  checkpoint(): Promise<CheckpointInfo> {
    if (this.closed) return Promise.reject(new WalnutError("NOT_OPEN", "Cannot checkpoint: the node is closed"));
    if (this.checkpointInProgress !== null) return this.checkpointInProgress;
    this.walBytesSinceCheckpoint = 0;
    const running = takeCheckpoint({
      dataDir: this.options.dataDir,
      engine: this.engine,
      wal: this.wal,
      control: this.control,
      waitDurable: (index) => this.waitDurable(index),
      archiveWal: this.options.archiveWal,
      log: this.log,
    }).finally(() => {
      this.checkpointInProgress = null;
    });
    this.checkpointInProgress = running;
    return running;
  }

  status(): NodeStatus {
    return {
      role: "leader",
      id: this.control.nodeId,
      term: this.term,
      leader: this.control.nodeId,
      commitIndex: this.durableIndex,
      appliedIndex: this.engine.appliedIndex,
      lastIndex: this.lastIndex,
      fsync: this.options.fsync,
      pendingWrites: this.queued.length + (this.inFlight?.length ?? 0),
      writeError: this.writeError?.message ?? null,
      lastCheckpoint: {
        index: this.control.lastCheckpointIndex,
        term: this.control.lastCheckpointTerm,
        id: this.control.lastCheckpointId,
      },
    };
  }

  segments(): SegmentInfo[] {
    return this.wal.segments();
  }

  walStats(): ReturnType<Wal["stats"]> {
    return this.wal.stats();
  }

  /** Stops timers, writes what is queued, waits for a running checkpoint, closes the WAL. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    await this.checkpointInProgress?.catch(() => undefined);
    if (this.writeError === null) await this.waitDurable(this.lastIndex).catch(() => undefined);
    for (const proposal of [...(this.inFlight ?? []), ...this.queued]) {
      if (!proposal.answered) proposal.reject(new WalnutError("NOT_OPEN", "Cannot write: the node closed first"));
    }
    this.queued = [];
    try {
      await this.wal.close();
    } finally {
      await this.lock.release();
    }
  }

  // The write pipeline.

  private scheduleFlush(): void {
    // A program that awaits write after write never yields to the event loop: do not let
    // its acknowledged-but-unwritten entries pile up until it does.
    if (this.options.fsync === "no" && this.queued.length >= UNWRITTEN_ENTRIES_MAX && this.inFlight === null) {
      this.flush();
      return;
    }
    if (this.flushScheduled || this.inFlight !== null) return;
    this.flushScheduled = true;
    // Under `no`, gather the whole event-loop turn; otherwise the current burst of
    // synchronous proposals (one socket read, one batch() call).
    if (this.options.fsync === "no") setImmediate(() => this.flush());
    else queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.inFlight !== null || this.queued.length === 0) return;
    const batch = this.queued;
    this.queued = [];
    this.inFlight = batch;
    const entries: LogEntry[] = batch.map((p) => ({ index: p.index, term: p.term, data: p.data }));
    this.wal.append(entries).then(
      () => this.onBatchDurable(batch),
      (error: unknown) => this.onBatchFailed(batch, error),
    );
  }

  private onBatchDurable(batch: Proposal[]): void {
    this.inFlight = null;
    const last = batch[batch.length - 1];
    assert(last !== undefined && last.index > this.durableIndex, "WAL batches become durable in index order");
    this.durableIndex = last.index;
    for (const proposal of batch) {
      this.walBytesSinceCheckpoint += proposal.data.length;
      if (!proposal.answered) this.applyAndAnswer(proposal);
    }
    this.wakeDurableWaiters();
    this.maybeCheckpointBySize();
    if (this.queued.length > 0) this.scheduleFlush();
  }

  private onBatchFailed(batch: Proposal[], cause: unknown): void {
    this.inFlight = null;
    const error = new WalnutError("WAL_IO", `Cannot write: ${describeError(cause)}`, { cause });
    this.log(`write failed: ${error.message}`);
    if (this.options.fsync === "no") {
      // Acknowledged already: keep these entries first in line and retry until the disk takes them.
      this.writeError = error;
      this.queued = batch.concat(this.queued);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        this.writeError = null;
        this.flush();
      }, FAILED_WRITE_RETRY_MS);
      this.retryTimer.unref();
      return;
    }
    // Not acknowledged: reject them, give their indexes to the proposals behind them.
    for (const proposal of batch) proposal.reject(error);
    this.lastIndex = this.durableIndex;
    for (const proposal of this.queued) proposal.index = ++this.lastIndex;
    this.rejectDurableWaitersAbove(this.lastIndex, error);
    if (this.queued.length > 0) this.scheduleFlush();
  }

  private applyAndAnswer(proposal: Proposal): void {
    assert(proposal.index === this.engine.appliedIndex + 1, `apply in index order (${proposal.index} after ${this.engine.appliedIndex})`);
    const reply = this.options.stateMachine.apply(this.engine, proposal.index, proposal.term, proposal.payload);
    proposal.answered = true;
    proposal.resolve({ index: proposal.index, reply });
  }

  private waitDurable(index: number): Promise<void> {
    if (index <= this.durableIndex) {
      return this.options.fsync === "always" ? Promise.resolve() : this.wal.sync();
    }
    return new Promise<void>((resolve, reject) => {
      this.durableWaiters.push({ index, resolve, reject });
      this.scheduleFlush();
    }).then(() => (this.options.fsync === "always" ? undefined : this.wal.sync()));
  }

  private wakeDurableWaiters(): void {
    if (this.durableWaiters.length === 0) return;
    const waiting = this.durableWaiters;
    this.durableWaiters = [];
    for (const waiter of waiting) {
      if (waiter.index <= this.durableIndex) waiter.resolve();
      else this.durableWaiters.push(waiter);
    }
  }

  private rejectDurableWaitersAbove(index: number, error: Error): void {
    const waiting = this.durableWaiters;
    this.durableWaiters = [];
    for (const waiter of waiting) {
      if (waiter.index > index) waiter.reject(error);
      else this.durableWaiters.push(waiter);
    }
  }

  // Background work: checkpoints and the expiry sweep.

  private startTimers(): void {
    if (this.options.checkpointIntervalMs > 0) {
      const timer = setInterval(() => this.backgroundCheckpoint("interval"), this.options.checkpointIntervalMs);
      timer.unref();
      this.timers.push(timer);
    }
    const sweep = setInterval(() => this.sweepExpiredKeys(), EXPIRY_SWEEP_INTERVAL_MS);
    sweep.unref();
    this.timers.push(sweep);
  }

  private maybeCheckpointBySize(): void {
    const threshold = this.options.checkpointWalBytes;
    if (threshold > 0 && this.walBytesSinceCheckpoint >= threshold) this.backgroundCheckpoint("WAL size");
  }

  private backgroundCheckpoint(reason: string): void {
    if (this.closed || this.checkpointInProgress !== null) return;
    if (this.engine.appliedIndex === this.control.lastCheckpointIndex) return; // nothing new
    this.checkpoint().catch((error: unknown) => this.log(`checkpoint (${reason}) failed: ${describeError(error)}`));
  }

  private sweepExpiredKeys(): void {
    if (this.closed || this.sweepInProgress || this.writeError !== null) return;
    const sweeps = this.options.stateMachine.expiredKeySweeps(this.engine, this.clock());
    if (sweeps.length === 0) return;
    this.sweepInProgress = true;
    Promise.allSettled(sweeps.map((payload) => this.propose(payload))).then(() => {
      this.sweepInProgress = false;
    });
  }
}
