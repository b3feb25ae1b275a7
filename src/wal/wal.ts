/**
 * The write-ahead log's public face: open (with recovery), append, checkpoint markers,
 * compaction, and stats. The byte format is in record.ts, segment files in segment.ts,
 * reading back in recovery.ts, and group commit with its durability rules in writer.ts.
 *
 * Example:
 *   const { wal, recovery } = await Wal.open({
 *     dir: "walnut-data/wal", fsync: "always", segmentSizeBytes: 64 * 1024 * 1024,
 *     clusterId: "c1", nodeId: 1, replayAfterIndex: checkpointIndex,
 *     onEntry: (entry) => raftLog.push(entry),
 *   });
 *   await wal.append([{ index: recovery.lastIndex + 1, term: 3, data }], { term: 3, vote: 1, commit: 7 });
 */
import * as path from "node:path";
import { promisify } from "node:util";
import * as zlib from "node:zlib";
import { assert } from "../lib/assert.js";
import type { Timers } from "../lib/environment.js";
import { describeError, WalnutError } from "../lib/errors.js";
import {
  makeDirectory,
  nodeFileSystem,
  openFile,
  closeFile,
  dataSync,
  readWholeFile,
  removeFile,
  syncDirectory,
  truncateFile,
  writeFileDurably,
  type WalFileSystem,
} from "./file_system.js";
import { CLUSTER_ID_BYTES_MAX, type HardState, type LogEntry } from "./record.js";
import { KEPT_BUFFER_BYTES_MAX, replayEntries, scanWal, segmentFileSizes, type WalDamage, type WalScan } from "./recovery.js";
import { createSegmentFile, listSegmentFiles, type OpenSegment } from "./segment.js";
import type { SegmentTable } from "./segment_table.js";
import { GroupCommitWriter, type FsyncMode, type WalObserver, type WriterStats } from "./writer.js";

export type { FsyncMode, WalObserver, WriterStats as WalStats } from "./writer.js";
export type { HardState, LogEntry } from "./record.js";
export type { WalFileSystem } from "./file_system.js";
export { nodeFileSystem } from "./file_system.js";

const gzip = promisify(zlib.gzip);

export interface SegmentInfo {
  path: string;
  sizeBytes: number;
  firstIndex: number;
  /** The last index the segment holds that no later entry superseded. */
  lastIndex: number;
  active: boolean;
}

export interface WalOptions {
  /** The wal/ directory; created if missing. Its parent is the data dir. */
  dir: string;
  fsync: FsyncMode;
  segmentSizeBytes: number;
  clusterId: string;
  nodeId: number;
  /** Recovery calls onEntry for every surviving entry with index > this, in index order. */
  replayAfterIndex: number;
  /**
   * A recovered entry. `data` is a view into the buffer its segment was read into:
   * copy it if only a small part of the log is kept for long.
   */
  onEntry(entry: LogEntry): void;
  /**
   * Called once the whole log is read and checked (damage refused or the torn tail cut),
   * before the first onEntry: what the log holds, for a caller that acts on entries as
   * they come (a node alone applies the committed ones at once).
   */
  onScanned?(scanned: { hardState: HardState | null; lastIndex: number }): void;
  onProgress?(progress: { bytesRead: number; bytesTotal: number }): void;
  /** Human reports, e.g. "truncated torn tail of wal/... at offset N (M bytes)". */
  log?(message: string): void;
  /** Injectable for fault tests; node:fs by default. */
  fileSystem?: WalFileSystem;
  /** The timers of fsync everysec's background fsync (node's unless given: the simulator's virtual ones). */
  timers?: Timers;
  /** Told of every batch written and every fsync (metrics). */
  observer?: WalObserver;
}

export interface WalRecovery {
  hardState: HardState | null;
  /** The first index the log holds; lastIndex + 1 when it holds none. */
  firstIndex: number;
  lastIndex: number;
  lastTerm: number;
  entriesReplayed: number;
  truncatedTail: { path: string; offset: number; droppedBytes: number } | null;
  checkpointMarker: { index: number; term: number } | null;
}

export interface CompactResult {
  /** Paths of the segment files removed. */
  deleted: string[];
  /** Paths of the gzipped copies written to archiveDir. */
  archived: string[];
}

export class Wal {
  private readonly options: WalOptions;
  private readonly fileSystem: WalFileSystem;
  private readonly writer: GroupCommitWriter;
  private readonly table: SegmentTable;
  private maintenance: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(options: WalOptions, table: SegmentTable, writer: GroupCommitWriter) {
    this.options = options;
    this.fileSystem = options.fileSystem ?? nodeFileSystem;
    this.table = table;
    this.writer = writer;
  }

  /** Opens the log in `options.dir`, recovering and replaying what it holds. */
  static async open(options: WalOptions): Promise<{ wal: Wal; recovery: WalRecovery }> {
    checkOptions(options);
    const fileSystem = options.fileSystem ?? nodeFileSystem;
    await makeDirectory(fileSystem, options.dir);
    const progress = await progressReporter(fileSystem, options);
    const scan = await scanWal({ fileSystem, directory: options.dir, onSegmentRead: progress.add, keptBufferBytesMax: KEPT_BUFFER_BYTES_MAX });
    checkIdentity(scan, options);
    const truncatedTail = scan.damage ? await truncateTornTail(fileSystem, options, scan, scan.damage) : null;
    await removeTemporaryFiles(fileSystem, options, scan);
    options.onScanned?.({ hardState: scan.hardState, lastIndex: scan.lastIndex });
    const entriesReplayed = await replayEntries({
      fileSystem,
      directory: options.dir,
      scan,
      replayAfterIndex: options.replayAfterIndex,
      onEntry: options.onEntry,
      onSegmentRead: progress.add,
    });
    progress.finish();
    const { active, activeSeq } = await openActiveSegment(fileSystem, options, scan);
    const { lastIndex, lastTerm, hardState, checkpoint, table } = scan;
    const writer = new GroupCommitWriter({
      fileSystem,
      directory: options.dir,
      fsync: options.fsync,
      segmentSizeBytes: options.segmentSizeBytes,
      clusterId: options.clusterId,
      nodeId: options.nodeId,
      active,
      activeSeq,
      table,
      tail: { lastIndex, lastTerm, hardState, checkpoint },
      ...(options.observer === undefined ? {} : { observer: options.observer }),
      ...(options.timers === undefined ? {} : { timers: options.timers }),
    });
    const recovery: WalRecovery = {
      hardState,
      firstIndex: Math.min(scan.firstIndex, lastIndex + 1),
      lastIndex,
      lastTerm,
      entriesReplayed,
      truncatedTail,
      checkpointMarker: checkpoint,
    };
    return { wal: new Wal(options, table, writer), recovery };
  }

  /**
   * Appends entries (and optionally a hard state after them). Resolves when durable per
   * the fsync mode. Entries must be contiguous and start at most at lastIndex + 1; a
   * start at or below lastIndex supersedes every earlier entry from there on.
   */
  append(entries: LogEntry[], hardState?: HardState): Promise<void> {
    return this.writer.append(entries, hardState);
  }

  /**
   * Records that a checkpoint covers the log through `index`. When index > lastIndex
   * (a snapshot received from a leader), the log continues at index + 1.
   */
  markCheckpoint(index: number, term: number): Promise<void> {
    return this.writer.markCheckpoint({ index, term });
  }

  /** The index of the last accepted entry (written or still in a pending batch). */
  /**
   * The error that put the WAL in its failed state (a failed fsync: what reached the disk
   * is unknown until a restart reads it back), or null. A failed write is not this state.
   */
  get failure(): WalnutError | null {
    return this.writer.failedState;
  }

  get lastIndex(): number {
    return this.writer.acceptedTail.lastIndex;
  }

  get lastTerm(): number {
    return this.writer.acceptedTail.lastTerm;
  }

  segments(): SegmentInfo[] {
    const ranges = this.table.list();
    return ranges.map((range, position) => ({
      path: path.join(this.options.dir, range.name),
      sizeBytes: range.sizeBytes,
      firstIndex: range.firstIndex,
      lastIndex: range.lastIndex,
      active: position === ranges.length - 1,
    }));
  }

  /**
   * Removes the oldest segments whose entries all have index <= throughIndex (never the
   * active one), gzipping each into archiveDir first when given.
   */
  compact(throughIndex: number, options: { archiveDir?: string } = {}): Promise<CompactResult> {
    if (this.closed) return Promise.reject(notOpen());
    const run = this.maintenance.then(() => this.compactNow(throughIndex, options.archiveDir));
    this.maintenance = run.catch(() => undefined);
    return run;
  }

  stats(): WriterStats {
    return this.writer.stats();
  }

  /** Forces an fdatasync of everything accepted so far. */
  sync(): Promise<void> {
    return this.writer.sync();
  }

  /** Writes and fsyncs what is pending and closes the files; later calls reject with NOT_OPEN. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.maintenance;
    await this.writer.close();
  }

  private async compactNow(throughIndex: number, archiveDir: string | undefined): Promise<CompactResult> {
    const deleted: string[] = [];
    const archived: string[] = [];
    const removable = this.table.compactable(throughIndex);
    if (removable.length === 0) return { deleted, archived };
    try {
      if (archiveDir) await makeDirectory(this.fileSystem, archiveDir);
      for (const range of removable) {
        const segmentPath = path.join(this.options.dir, range.name);
        if (archiveDir) archived.push(await this.archive(segmentPath, archiveDir, range.name));
        await removeFile(this.fileSystem, segmentPath);
        this.table.removeOldest(range.name);
        deleted.push(segmentPath);
      }
      await syncDirectory(this.fileSystem, this.options.dir);
    } catch (error) {
      const message = `Cannot compact WAL through index ${throughIndex}: ${describeError(error)}`;
      throw new WalnutError("WAL_IO", message, { cause: error });
    }
    this.options.log?.(`compacted WAL through index ${throughIndex}: removed ${deleted.length} segment(s)`);
    return { deleted, archived };
  }

  private async archive(segmentPath: string, archiveDir: string, name: string): Promise<string> {
    const compressed = await gzip(await readWholeFile(this.fileSystem, segmentPath));
    return writeFileDurably(this.fileSystem, { directory: archiveDir, name: `${name}.gz`, contents: compressed });
  }
}

function notOpen(): WalnutError {
  return new WalnutError("NOT_OPEN", "Cannot use WAL: it is closed");
}

function checkOptions(options: WalOptions): void {
  const bad = (what: string): never => {
    throw new WalnutError("BAD_ARGUMENT", `Cannot open WAL: ${what}`);
  };
  if (!["always", "everysec", "no"].includes(options.fsync)) {
    bad(`fsync must be always, everysec or no, got ${String(options.fsync)}`);
  }
  if (!Number.isSafeInteger(options.segmentSizeBytes) || options.segmentSizeBytes < 1) {
    bad(`segmentSizeBytes must be a positive integer, got ${options.segmentSizeBytes}`);
  }
  if (!Number.isSafeInteger(options.replayAfterIndex) || options.replayAfterIndex < 0) {
    bad(`replayAfterIndex must be a non-negative integer, got ${options.replayAfterIndex}`);
  }
  if (Buffer.byteLength(options.clusterId, "utf8") > CLUSTER_ID_BYTES_MAX) {
    bad(`clusterId must be at most ${CLUSTER_ID_BYTES_MAX} bytes`);
  }
  if (!Number.isSafeInteger(options.nodeId) || options.nodeId < 0) {
    bad(`nodeId must be a non-negative integer, got ${options.nodeId}`);
  }
}

/** Segments written by another cluster or node mean the wrong data dir. */
function checkIdentity(scan: WalScan, options: WalOptions): void {
  for (const segment of scan.segments) {
    const { clusterId, nodeId } = segment.header;
    if (clusterId !== options.clusterId || nodeId !== options.nodeId) {
      throw new WalnutError(
        "DATA_DIR",
        `Cannot open WAL: ${segment.name} in ${options.dir} belongs to cluster "${clusterId}" node ${nodeId}, ` +
          `not cluster "${options.clusterId}" node ${options.nodeId}`,
      );
    }
  }
}

/** Truncates a torn tail (reporting it), or throws WAL_CORRUPT for any other damage. */
async function truncateTornTail(
  fileSystem: WalFileSystem,
  options: WalOptions,
  scan: WalScan,
  damage: WalDamage,
): Promise<WalRecovery["truncatedTail"]> {
  if (!damage.tornTail) throw corruption(options, damage);
  const segmentPath = path.join(options.dir, damage.name);
  const droppedBytes = damage.fileBytes - damage.offset;
  if (damage.offset === 0) {
    // Not even the header survived: the segment holds nothing.
    await removeFile(fileSystem, segmentPath);
    await syncDirectory(fileSystem, options.dir);
  } else {
    const fd = await openFile(fileSystem, segmentPath, "r+");
    try {
      await truncateFile(fileSystem, fd, damage.offset);
      await dataSync(fileSystem, fd);
    } finally {
      await closeFile(fileSystem, fd);
    }
  }
  assert(scan.damage === damage, "the damage truncated is the scan's");
  const what = `${droppedBytes} bytes: ${damage.reason}`;
  options.log?.(`truncated torn tail of ${damage.path} at offset ${damage.offset} (${what})`);
  return { path: damage.path, offset: damage.offset, droppedBytes };
}

export function corruption(options: { dir: string }, damage: WalDamage): WalnutError {
  const dataDir = path.dirname(path.resolve(options.dir));
  return new WalnutError(
    "WAL_CORRUPT",
    `Cannot open WAL: ${damage.reason} in ${damage.path} at offset ${damage.offset}, and valid data follows it; ` +
      `run \`walnut wal repair --data-dir ${dataDir}\` to truncate at the damage`,
  );
}

async function removeTemporaryFiles(fileSystem: WalFileSystem, options: WalOptions, scan: WalScan): Promise<void> {
  if (scan.temporaryNames.length === 0) return;
  for (const name of scan.temporaryNames) {
    await removeFile(fileSystem, path.join(options.dir, name));
    options.log?.(`removed unfinished segment ${name} left by a crash while rolling`);
  }
  await syncDirectory(fileSystem, options.dir);
}

/** The active segment: the last one, opened at its end, or a new first segment. */
async function openActiveSegment(
  fileSystem: WalFileSystem,
  options: WalOptions,
  scan: WalScan,
): Promise<{ active: OpenSegment; activeSeq: number }> {
  const last = scan.segments[scan.segments.length - 1];
  if (last) {
    const fd = await openFile(fileSystem, path.join(options.dir, last.name), "r+");
    const active = { fd, name: last.name, sizeBytes: last.validBytes, lastFrameCrc: last.lastFrameCrc };
    return { active, activeSeq: last.seq };
  }
  const seq = 0;
  const active = await createSegmentFile(fileSystem, {
    directory: options.dir,
    clusterId: options.clusterId,
    nodeId: options.nodeId,
    seq,
    firstIndex: scan.lastIndex + 1,
    previousTerm: scan.lastTerm,
    previousSegmentCrc: 0,
    hardState: null,
    checkpoint: null,
  });
  scan.table.add({ name: active.name, seq, firstIndex: scan.lastIndex + 1, sizeBytes: active.sizeBytes });
  return { active, activeSeq: seq };
}

/**
 * Progress over both passes: every segment is read once by the scan, and those that may
 * hold entries past replayAfterIndex (judged by the names) once more by the replay.
 */
async function progressReporter(
  fileSystem: WalFileSystem,
  options: WalOptions,
): Promise<{ add(sizeBytes: number): void; finish(): void }> {
  const report = options.onProgress;
  if (!report) return { add: () => undefined, finish: () => undefined };
  const { segments: names } = await listSegmentFiles(fileSystem, options.dir);
  const sizes = await segmentFileSizes(fileSystem, options.dir, names);
  let bytesTotal = 0;
  for (const [position, size] of sizes.entries()) {
    const next = names[position + 1];
    const replayed = next === undefined || next.firstIndex - 1 > options.replayAfterIndex;
    bytesTotal += replayed ? 2 * size : size;
  }
  let bytesRead = 0;
  return {
    add: (sizeBytes) => {
      bytesRead = Math.min(bytesTotal, bytesRead + sizeBytes);
      report({ bytesRead, bytesTotal });
    },
    finish: () => report({ bytesRead: bytesTotal, bytesTotal }),
  };
}
