/**
 * Group commit: how appended frames reach the disk, and when an append counts as done.
 *
 * Appends encode their frames straight into the *pending* batch buffer and wait (the
 * appends of one batch share one promise: they settle together). One
 * batch at a time is in flight: one positional write of the whole batch, then, under
 * fsync "always", one fdatasync; only then do its appends resolve. Appends that arrive
 * meanwhile fill the next pending batch, which goes out as soon as the current one is
 * done: the busier the log, the larger the batches and the fewer fsyncs per append.
 * Under "everysec" and "no" an append resolves once its write reached the OS; an
 * unref'd timer fdatasyncs once a second under "everysec".
 *
 * Failures:
 * - a write fails (ENOSPC, EIO, EROFS...): the segment is truncated back to the last
 *   good offset and every append of the batch rejects with WAL_IO, as do appends
 *   already queued behind it (they were encoded to follow entries that are not
 *   there). Later appends try again: space may come back.
 * - an fdatasync fails: after a failed fsync the kernel may have dropped the dirty
 *   pages, so what the file holds is unknown (PostgreSQL's "fsyncgate"). The writer
 *   enters the failed state: this batch and every later append reject with WAL_IO
 *   asking for a restart, which recovers from what is really on disk.
 * - a truncation after a failed write fails: the same failed state, since garbage
 *   past the last good offset could later read as frames.
 *
 * Segments roll between batches: when the active one has reached segmentSizeBytes,
 * the next batch first fdatasyncs and closes it and goes to a new segment. A frame is
 * never split, so a segment may overshoot the size by one batch (as etcd's do).
 */
import { assert } from "../lib/assert.js";
import { realTimers, type Timer, type Timers } from "../lib/environment.js";
import { describeError, WalnutError } from "../lib/errors.js";
import { limits } from "../lib/limits.js";
import { closeFile, dataSync, truncateFile, writeAll, writeAllSync, type WalFileSystem } from "./file_system.js";
import {
  CHECKPOINT_FRAME_BYTES,
  FRAME_HEADER_BYTES,
  HARD_STATE_FRAME_BYTES,
  entryFrameBytes,
  frameCrcAt,
  writeCheckpointFrame,
  writeEntryFrame,
  writeHardStateFrame,
  type CheckpointMarker,
  type HardState,
  type LogEntry,
} from "./record.js";
import { createSegmentFile, displayPath, type OpenSegment } from "./segment.js";
import type { SegmentTable } from "./segment_table.js";

export type FsyncMode = "always" | "everysec" | "no";

/** A batch buffer starts this large and doubles when an append needs more. */
const BATCH_BUFFER_INITIAL_BYTES = 64 * 1024;
/** A batch buffer that grew past this is dropped after use instead of reused. */
const BATCH_BUFFER_REUSE_BYTES_MAX = 4 * 1024 * 1024;
/**
 * Batches up to this size are written on the event loop's thread (a copy into the page
 * cache, tens of microseconds), saving a thread-pool round trip per batch; larger ones go
 * through the thread pool so the event loop never waits long.
 */
const SYNC_WRITE_BYTES_MAX = 256 * 1024;
/** "everysec": the longest the log's fdatasync lags behind its writes. */
const EVERYSEC_INTERVAL_MS = 1000;

/** Told of every batch written and every fsync: what metrics observe (src/metrics/wal_metrics.ts). */
export interface WalObserver {
  batchWritten(entries: number, bytes: number): void;
  synced(durationMs: number): void;
}

/**
 * Everyone waiting for the same event of one batch (written, or synced): they all settle
 * together, so they share one promise, made when the first of them asks.
 */
class Waiters {
  private promise: Promise<void> | null = null;
  private resolve: () => void = ignore;
  private reject: (error: Error) => void = ignore;

  get isEmpty(): boolean {
    return this.promise === null;
  }

  wait(): Promise<void> {
    this.promise ??= new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    return this.promise;
  }

  settle(error: Error | null): void {
    if (this.promise === null) return;
    if (error) this.reject(error);
    else this.resolve();
    this.promise = null;
    this.resolve = ignore;
    this.reject = ignore;
  }
}

function ignore(): void {}

/** Where the log ends: the last entry, and the latest hard state and checkpoint marker. */
export interface LogTail {
  lastIndex: number;
  lastTerm: number;
  hardState: HardState | null;
  checkpoint: CheckpointMarker | null;
}

/** The frames of appends that go to disk together. */
class Batch {
  buffer: Buffer;
  lengthBytes = 0;
  lastFrameOffset = 0;
  readonly appendWaiters = new Waiters();
  readonly syncWaiters = new Waiters();
  entryCount = 0;
  /** The smallest entry index in the batch: older entries from here on are superseded. */
  lowestIndex = Infinity;
  /** The log's tail once this batch is written. */
  tail: LogTail;

  constructor(buffer: Buffer, tail: LogTail) {
    this.buffer = buffer;
    this.tail = { ...tail };
  }

  get isEmpty(): boolean {
    return this.lengthBytes === 0 && this.appendWaiters.isEmpty && this.syncWaiters.isEmpty;
  }

  addEntries(entries: readonly LogEntry[]): void {
    if (entries.length === 0) return;
    for (const entry of entries) {
      const offset = this.reserve(entryFrameBytes(entry));
      this.lengthBytes = writeEntryFrame(this.buffer, offset, entry);
    }
    const last = entries[entries.length - 1]!;
    this.lowestIndex = Math.min(this.lowestIndex, entries[0]!.index);
    this.tail.lastIndex = last.index;
    this.tail.lastTerm = last.term;
    this.entryCount += entries.length;
  }

  addHardState(hardState: HardState): void {
    const offset = this.reserve(HARD_STATE_FRAME_BYTES);
    this.lengthBytes = writeHardStateFrame(this.buffer, offset, hardState);
    this.tail.hardState = { ...hardState };
  }

  addCheckpoint(marker: CheckpointMarker): void {
    const offset = this.reserve(CHECKPOINT_FRAME_BYTES);
    this.lengthBytes = writeCheckpointFrame(this.buffer, offset, marker);
    this.tail.checkpoint = { ...marker };
    if (marker.index > this.tail.lastIndex) {
      // A checkpoint installed from elsewhere (a leader's snapshot): the log continues after it.
      this.tail.lastIndex = marker.index;
      this.tail.lastTerm = marker.term;
    }
  }

  /** Makes room for a frame at the end (growing the buffer) and returns its offset. */
  private reserve(frameBytes: number): number {
    const needed = this.lengthBytes + frameBytes;
    if (needed > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, this.buffer.length * 2));
      this.buffer.copy(grown, 0, 0, this.lengthBytes);
      this.buffer = grown;
    }
    this.lastFrameOffset = this.lengthBytes;
    return this.lengthBytes;
  }
}

export interface WriterOptions {
  fileSystem: WalFileSystem;
  directory: string;
  fsync: FsyncMode;
  segmentSizeBytes: number;
  clusterId: string;
  nodeId: number;
  active: OpenSegment;
  activeSeq: number;
  table: SegmentTable;
  tail: LogTail;
  observer?: WalObserver;
  timers?: Timers;
}

export interface WriterStats {
  /** append() calls accepted. */
  appends: number;
  entries: number;
  bytesWritten: number;
  /** fdatasyncs of the active segment. */
  fsyncs: number;
  fsyncMsTotal: number;
  /** Entries per batch written: how well group commit is batching. */
  batchesMeanSize: number;
  lastFsyncMs: number;
}

export class GroupCommitWriter {
  private readonly options: WriterOptions;
  private active: OpenSegment;
  private activeSeq: number;
  /** The tail of what has been written (the in-flight batch's once it succeeds). */
  private written: LogTail;
  private pending: Batch;
  private spareBuffer: Buffer | null = null;
  private draining = false;
  private unsyncedBytes = false;
  private failure: WalnutError | null = null;
  private closed = false;
  private readonly everysecTimer: Timer | null = null;
  private readonly counters = {
    appends: 0,
    entries: 0,
    bytesWritten: 0,
    fsyncs: 0,
    fsyncMsTotal: 0,
    batches: 0,
    lastFsyncMs: 0,
  };

  constructor(options: WriterOptions) {
    this.options = options;
    this.active = options.active;
    this.activeSeq = options.activeSeq;
    this.written = { ...options.tail };
    this.pending = new Batch(Buffer.allocUnsafe(BATCH_BUFFER_INITIAL_BYTES), this.written);
    if (options.fsync === "everysec") {
      this.everysecTimer = (options.timers ?? realTimers).setInterval(() => this.syncInBackground(), EVERYSEC_INTERVAL_MS);
    }
  }

  /** The tail appends must follow: that of every accepted append, written or not. */
  get acceptedTail(): Readonly<LogTail> {
    return this.pending.tail;
  }

  append(entries: readonly LogEntry[], hardState: HardState | undefined): Promise<void> {
    const refusal = this.refusal();
    if (refusal) return Promise.reject(refusal);
    const batch = this.pending;
    assertFollows(entries, batch.tail.lastIndex);
    const refusedForSize = checkSize(entries, hardState, batch.lengthBytes);
    if (refusedForSize) return Promise.reject(refusedForSize);
    batch.addEntries(entries);
    if (hardState) batch.addHardState(hardState);
    this.counters.appends += 1;
    return this.enqueue(batch.appendWaiters);
  }

  markCheckpoint(marker: CheckpointMarker): Promise<void> {
    const refusal = this.refusal();
    if (refusal) return Promise.reject(refusal);
    this.pending.addCheckpoint(marker);
    return this.enqueue(this.pending.appendWaiters);
  }

  /** Resolves once everything accepted so far is written and fdatasynced. */
  sync(): Promise<void> {
    const refusal = this.refusal();
    if (refusal) return Promise.reject(refusal);
    return this.enqueue(this.pending.syncWaiters);
  }

  /** Writes and syncs what is pending, then closes the active segment. Later calls refuse. */
  async close(): Promise<void> {
    if (this.closed) return;
    const flushed = this.failure ? Promise.resolve() : this.enqueue(this.pending.syncWaiters);
    this.closed = true;
    if (this.everysecTimer) (this.options.timers ?? realTimers).clearInterval(this.everysecTimer);
    try {
      await flushed;
    } finally {
      await closeFile(this.options.fileSystem, this.active.fd);
    }
  }

  stats(): WriterStats {
    const { batches, ...counters } = this.counters;
    return { ...counters, batchesMeanSize: batches === 0 ? 0 : counters.entries / batches };
  }

  /** Set once the writer is in the failed state (after a failed fsync or truncation): final. */
  get failedState(): WalnutError | null {
    return this.failure;
  }

  private refusal(): WalnutError | null {
    if (this.closed) return new WalnutError("NOT_OPEN", "Cannot use WAL: it is closed");
    return this.failure;
  }

  private enqueue(waiters: Waiters): Promise<void> {
    const done = waiters.wait();
    if (!this.draining) {
      this.draining = true;
      // Let every append made in this tick join the batch before it goes out.
      process.nextTick(() => this.drain());
    }
    return done;
  }

  private syncInBackground(): void {
    const behind = this.unsyncedBytes || this.draining;
    // A failure here enters the failed state, which the next append reports.
    if (behind && !this.failure && !this.closed) this.sync().catch(() => undefined);
  }

  /**
   * Commits pending batches one after the other. A batch that needs no waiting (written on
   * this thread, no fsync due) is committed on the spot, without the promises an
   * asynchronous commit costs: the common case under "no" and "everysec".
   */
  private drain(): void {
    while (!this.pending.isEmpty && !this.failure) {
      const batch = this.pending;
      this.pending = new Batch(this.takeSpareBuffer(), batch.tail);
      const committing = this.commit(batch);
      if (committing !== undefined) {
        void committing.then(() => {
          this.recycle(batch);
          this.drain();
        });
        return;
      }
      this.recycle(batch);
    }
    this.draining = false;
  }

  private recycle(batch: Batch): void {
    if (batch.buffer.length <= BATCH_BUFFER_REUSE_BYTES_MAX) this.spareBuffer = batch.buffer;
  }

  private takeSpareBuffer(): Buffer {
    const buffer = this.spareBuffer ?? Buffer.allocUnsafe(BATCH_BUFFER_INITIAL_BYTES);
    this.spareBuffer = null;
    return buffer;
  }

  /**
   * Writes one batch (rolling first if the active segment is full), syncs, resolves.
   * Undefined when it finished synchronously, else a promise that never rejects.
   */
  private commit(batch: Batch): Promise<void> | undefined {
    if (batch.lengthBytes > 0) {
      const { writeSync } = this.options.fileSystem;
      const mustRoll = this.active.sizeBytes >= this.options.segmentSizeBytes;
      if (mustRoll || writeSync === undefined || batch.lengthBytes > SYNC_WRITE_BYTES_MAX) return this.commitAsync(batch, mustRoll);
      try {
        writeAllSync(writeSync, this.active.fd, batch.buffer, batch.lengthBytes, this.active.sizeBytes);
      } catch (error) {
        return this.failBatch(batch, error);
      }
      this.recordWritten(batch);
    }
    return this.settleWritten(batch);
  }

  /** commit() when the batch needs a roll first, or goes through the thread pool. */
  private async commitAsync(batch: Batch, mustRoll: boolean): Promise<void> {
    try {
      if (mustRoll) await this.roll();
    } catch (error) {
      return this.failBatch(batch, error);
    }
    try {
      const { writeSync } = this.options.fileSystem;
      if (writeSync !== undefined && batch.lengthBytes <= SYNC_WRITE_BYTES_MAX) {
        writeAllSync(writeSync, this.active.fd, batch.buffer, batch.lengthBytes, this.active.sizeBytes);
      } else {
        await writeAll(this.options.fileSystem, this.active.fd, batch.buffer, batch.lengthBytes, this.active.sizeBytes);
      }
    } catch (error) {
      return this.failBatch(batch, error);
    }
    this.recordWritten(batch);
    return this.settleWritten(batch);
  }

  /** The batch is written: resolve its appends, after the fsync when one is due. */
  private settleWritten(batch: Batch): Promise<void> | undefined {
    const mustSync = !batch.syncWaiters.isEmpty || (this.options.fsync === "always" && batch.lengthBytes > 0);
    if (!mustSync) {
      batch.appendWaiters.settle(null);
      return undefined;
    }
    if (this.options.fsync !== "always") batch.appendWaiters.settle(null);
    return this.syncAndSettle(batch);
  }

  private async syncAndSettle(batch: Batch): Promise<void> {
    try {
      await this.syncActive();
    } catch (error) {
      return this.rejectAll(batch, this.enterFailedState("an fsync", error));
    }
    batch.appendWaiters.settle(null);
    batch.syncWaiters.settle(null);
  }

  private recordWritten(batch: Batch): void {
    this.active.sizeBytes += batch.lengthBytes;
    this.active.lastFrameCrc = frameCrcAt(batch.buffer, batch.lastFrameOffset);
    if (batch.entryCount > 0) this.options.table.recordEntries(batch.lowestIndex, batch.tail.lastIndex);
    this.options.table.recordBytes(this.active.sizeBytes);
    this.written = batch.tail; // the batch is done: nothing changes its tail any more
    this.unsyncedBytes = true;
    this.counters.batches += 1;
    this.counters.entries += batch.entryCount;
    this.counters.bytesWritten += batch.lengthBytes;
    this.options.observer?.batchWritten(batch.entryCount, batch.lengthBytes);
  }

  private async syncActive(): Promise<void> {
    if (!this.unsyncedBytes) return;
    const startedMs = performance.now();
    await dataSync(this.options.fileSystem, this.active.fd);
    this.unsyncedBytes = false;
    this.counters.lastFsyncMs = performance.now() - startedMs;
    this.counters.fsyncMsTotal += this.counters.lastFsyncMs;
    this.counters.fsyncs += 1;
    this.options.observer?.synced(this.counters.lastFsyncMs);
  }

  /** A write (or the creation of a segment) failed: undo it, reject, stay usable. */
  private async failBatch(batch: Batch, error: unknown): Promise<void> {
    if (this.failure) return this.rejectAll(batch, this.failure);
    try {
      await truncateFile(this.options.fileSystem, this.active.fd, this.active.sizeBytes);
    } catch (truncateError) {
      return this.rejectAll(batch, this.enterFailedState("a truncation after a failed write", truncateError));
    }
    const where = displayPath(this.options.directory, this.active.name);
    const message = `Cannot append to WAL: ${describeError(error)} (${where})`;
    this.rejectAll(batch, new WalnutError("WAL_IO", message, { cause: error }));
  }

  /** Rejects the batch and everything queued behind it, which was encoded to follow it. */
  private rejectAll(batch: Batch, error: WalnutError): void {
    const queued = this.pending;
    this.pending = new Batch(queued.buffer, this.written);
    for (const waiters of [batch.appendWaiters, batch.syncWaiters, queued.appendWaiters, queued.syncWaiters]) {
      waiters.settle(error);
    }
  }

  private enterFailedState(what: string, error: unknown): WalnutError {
    const where = displayPath(this.options.directory, this.active.name);
    this.failure ??= new WalnutError(
      "WAL_IO",
      `Cannot append to WAL: ${what} of ${where} failed (${describeError(error)}), ` +
        "so what reached the disk is unknown; restart walnut to recover from the log on disk",
      { cause: error },
    );
    return this.failure;
  }

  /** Closes the full active segment durably and starts the next one. */
  private async roll(): Promise<void> {
    const { fileSystem, directory } = this.options;
    try {
      await this.syncActive();
    } catch (error) {
      throw this.enterFailedState("an fsync", error);
    }
    const seq = this.activeSeq + 1;
    const firstIndex = this.written.lastIndex + 1;
    const next = await createSegmentFile(fileSystem, {
      directory,
      clusterId: this.options.clusterId,
      nodeId: this.options.nodeId,
      seq,
      firstIndex,
      previousTerm: this.written.lastTerm,
      previousSegmentCrc: this.active.lastFrameCrc,
      hardState: this.written.hardState,
      checkpoint: this.written.checkpoint,
    });
    const previous = this.active;
    this.active = next;
    this.activeSeq = seq;
    this.options.table.add({ name: next.name, seq, firstIndex, sizeBytes: next.sizeBytes });
    await closeFile(fileSystem, previous.fd).catch(() => undefined);
  }
}

/** A LIMIT error when an append's frames are too big to write or to wait for, else null. */
function checkSize(
  entries: readonly LogEntry[],
  hardState: HardState | undefined,
  pendingBytes: number,
): WalnutError | null {
  let bytes = pendingBytes + (hardState ? HARD_STATE_FRAME_BYTES : 0);
  for (const entry of entries) {
    const frameBytes = entryFrameBytes(entry);
    // A frame longer than readers accept would read back as corruption: refuse it now.
    if (frameBytes - FRAME_HEADER_BYTES > limits.walFrameBytesMax) {
      const size = `entry ${entry.index} holds ${entry.data.length} bytes`;
      return new WalnutError("LIMIT", `Cannot append to WAL: ${size}, too many for one frame`);
    }
    bytes += frameBytes;
  }
  if (bytes <= limits.pendingWalBytesMax) return null;
  const waiting = `${bytes} bytes would be waiting to be written`;
  return new WalnutError("LIMIT", `Cannot append to WAL: ${waiting}, more than ${limits.pendingWalBytesMax}`);
}

/** Raft's rule: a batch starts at most one past the log's end and is contiguous. */
function assertFollows(entries: readonly LogEntry[], lastIndex: number): void {
  let expected = entries[0]?.index ?? 0;
  const startsWell = entries.length === 0 || (expected >= 1 && expected <= lastIndex + 1);
  if (!(startsWell)) assert(false, `appended entries must start at an index in [1, ${lastIndex + 1}], got ${expected}`);
  for (const entry of entries) {
    if (!(entry.index === expected)) assert(false, `appended entries must be contiguous: expected ${expected}, got ${entry.index}`);
    expected += 1;
  }
}
