/**
 * Reading a WAL back: the scan that validates every frame and finds the first damage,
 * and the replay that hands surviving entries to the caller in index order.
 *
 * The scan reads segments in seq order and checks each frame (length sane and within
 * the file, checksum, known type, well-formed payload) and the structure around it:
 * each segment begins with a header that agrees with its file name, seqs have no gaps,
 * each header carries the checksum of the previous segment's last frame (unchecked for
 * the oldest segment, whose predecessor compaction removed), and entry indexes never
 * skip ahead. The first problem found is the damage. It is a *torn tail* when it lies
 * in the last segment and no well-formed frame follows it anywhere in that file (a
 * crash cut the last write short); anything else is corruption.
 *
 * Replay is a second pass because a frame read later may supersede entries read
 * earlier (a Raft leader overwrote a follower's suffix): only once the whole log has
 * been read is it known which entries survive. The scan records each overwrite; the
 * replay re-reads only the segments holding entries past `replayAfterIndex`. The scan
 * keeps the newest segments' buffers, up to `keptBufferBytesMax`: the replay walks those
 * bytes again without reading the file again, and without checking the checksums the
 * scan just checked over the same bytes in memory (every other check runs again). A
 * segment it did not keep is read again and checked in full.
 */
import { assert } from "../lib/assert.js";
import { readWholeFile, fileSize, openFile, closeFile, type WalFileSystem } from "./file_system.js";
import { RECORD_TYPE, type CheckpointMarker, type FrameView, type HardState, type LogEntry, type SegmentHeader } from "./record.js";
import { displayPath, findNextValidFrame, listSegmentFiles, walkFrames, type SegmentName } from "./segment.js";
import { SegmentTable } from "./segment_table.js";

export interface ScannedSegment {
  name: string;
  seq: number;
  header: SegmentHeader;
  /** Bytes up to the end of the last valid frame. */
  validBytes: number;
  lastFrameCrc: number;
  /** The file's bytes as the scan read and checked them, while kept for the replay (see the top). */
  buffer: Buffer | null;
}

/** How many bytes of the newest segments the scan keeps for the replay: two default segments. */
export const KEPT_BUFFER_BYTES_MAX = 128 * 1024 * 1024;

export interface WalDamage {
  name: string;
  /** Relative to the data dir, e.g. "wal/0000000000000003-0000000000000120.wal". */
  path: string;
  offset: number;
  reason: string;
  /** In the last segment with no valid frame after it: a crash cut the last write short. */
  tornTail: boolean;
  fileBytes: number;
}

interface FramePosition {
  /** The segment's position in WalScan.segments. */
  segment: number;
  offset: number;
}

/** Where an entry overwrote (or a checkpoint marker restarted) the log, and at which index. */
interface OverwritePosition extends FramePosition {
  index: number;
}

export interface WalScan {
  /** Every segment file listed, in seq order, damaged or not. */
  names: SegmentName[];
  temporaryNames: string[];
  /** The segments read up to the damage; a damaged segment's validBytes end at it. */
  segments: ScannedSegment[];
  table: SegmentTable;
  frames: number;
  firstIndex: number;
  lastIndex: number;
  lastTerm: number;
  hardState: HardState | null;
  checkpoint: CheckpointMarker | null;
  overwrites: OverwritePosition[];
  /** The last checkpoint marker past the log's end: entries before it are not replayed. */
  restartPosition: OverwritePosition | null;
  damage: WalDamage | null;
}

export interface ScanOptions {
  fileSystem: WalFileSystem;
  directory: string;
  /** Keep up to this many bytes of the newest segments' buffers for the replay (0 unless given: the offline tools keep none). */
  keptBufferBytesMax?: number;
  /** Called after each segment file is read with its size in bytes. */
  onSegmentRead?(sizeBytes: number): void;
}

/** Reads and validates the whole WAL; never throws for damage, returns it. */
export async function scanWal(options: ScanOptions): Promise<WalScan> {
  const { segments: names, temporaryNames } = await listSegmentFiles(options.fileSystem, options.directory);
  const scan: WalScan = {
    names,
    temporaryNames,
    segments: [],
    table: new SegmentTable(),
    frames: 0,
    firstIndex: 1,
    lastIndex: 0,
    lastTerm: 0,
    hardState: null,
    checkpoint: null,
    overwrites: [],
    restartPosition: null,
    damage: null,
  };
  const keptBytesMax = options.keptBufferBytesMax ?? 0;
  let keptBytes = 0;
  for (const [position, name] of names.entries()) {
    const buffer = await readWholeFile(options.fileSystem, `${options.directory}/${name.name}`);
    options.onSegmentRead?.(buffer.length);
    const isLast = position === names.length - 1;
    scan.damage = scanSegment(scan, { directory: options.directory, name, buffer, isLast });
    if (scan.damage) break;
    const segment = scan.segments[scan.segments.length - 1];
    if (segment === undefined || buffer.length > keptBytesMax) continue;
    // Keep the newest: let go of the oldest kept buffers until this one fits.
    for (const older of scan.segments) {
      if (keptBytes + buffer.length <= keptBytesMax) break;
      if (older.buffer === null) continue;
      keptBytes -= older.buffer.length;
      older.buffer = null;
    }
    segment.buffer = buffer;
    keptBytes += buffer.length;
  }
  return scan;
}

function scanSegment(
  scan: WalScan,
  file: { directory: string; name: SegmentName; buffer: Buffer; isLast: boolean },
): WalDamage | null {
  const { buffer, name } = file;
  let segment: ScannedSegment | null = null;
  const walk = walkFrames(buffer, 0, (frame) => {
    if (segment === null) {
      const rejection = checkHeader(scan, name, frame);
      if (rejection) return rejection;
      segment = startSegment(scan, name, frame);
      return;
    }
    const rejection = applyFrame(scan, frame, scan.segments.length - 1);
    if (rejection) return rejection;
    segment.validBytes = frame.end;
    segment.lastFrameCrc = frame.crc;
    scan.table.recordBytes(segment.validBytes);
  });
  if (walk.damage === null) return null;
  const { offset, reason, intact } = walk.damage;
  const tornTail = file.isLast && !intact && findNextValidFrame(buffer, offset) === null;
  return {
    name: name.name,
    path: displayPath(file.directory, name.name),
    offset,
    reason,
    tornTail,
    fileBytes: buffer.length,
  };
}

function checkHeader(scan: WalScan, name: SegmentName, frame: FrameView): string | undefined {
  if (frame.type !== RECORD_TYPE.header) return "segment does not begin with a header frame";
  const record = frame.record();
  assert(record.type === "header", "a header frame holds a header");
  const header = record.header;
  if (header.segmentSeq !== name.seq || header.firstIndex !== name.firstIndex) {
    return `header says seq ${header.segmentSeq} first index ${header.firstIndex}, unlike the file name`;
  }
  const previous = scan.segments[scan.segments.length - 1];
  if (previous === undefined) return undefined;
  if (name.seq !== previous.seq + 1) {
    return `segment seq ${previous.seq + 1} is missing before it`;
  }
  if (header.previousSegmentCrc !== previous.lastFrameCrc) {
    return (
      `header's previous-segment checksum ${hex(header.previousSegmentCrc)} does not match ` +
      `the last frame of ${previous.name} (${hex(previous.lastFrameCrc)})`
    );
  }
  if (header.firstIndex !== scan.lastIndex + 1 || header.previousTerm !== scan.lastTerm) {
    return (
      `header starts after index ${header.firstIndex - 1} term ${header.previousTerm}, ` +
      `but the log before it ends at index ${scan.lastIndex} term ${scan.lastTerm}`
    );
  }
  return undefined;
}

function startSegment(scan: WalScan, name: SegmentName, frame: FrameView): ScannedSegment {
  const record = frame.record();
  assert(record.type === "header", "a segment starts with its header");
  const header = record.header;
  if (scan.segments.length === 0) {
    scan.firstIndex = header.firstIndex;
    scan.lastIndex = header.firstIndex - 1;
    scan.lastTerm = header.previousTerm;
  }
  const segment = { name: name.name, seq: name.seq, header, validBytes: frame.frameBytes, lastFrameCrc: frame.crc, buffer: null };
  scan.segments.push(segment);
  scan.table.add({ name: name.name, seq: name.seq, firstIndex: header.firstIndex, sizeBytes: frame.frameBytes });
  scan.frames += 1;
  return segment;
}

/** Notes one frame after the header; entries are read in place (a scan meets millions of them). */
function applyFrame(scan: WalScan, frame: FrameView, segment: number): string | undefined {
  switch (frame.type) {
    case RECORD_TYPE.header:
      return "a segment header in the middle of a segment";
    case RECORD_TYPE.entry:
    case RECORD_TYPE.compactEntry: {
      const index = frame.entryIndex();
      if (!Number.isSafeInteger(index) || index < 1 || index > scan.lastIndex + 1) {
        return `entry index ${index} does not follow last index ${scan.lastIndex}`;
      }
      if (index <= scan.lastIndex) scan.overwrites.push({ segment, offset: frame.offset, index });
      scan.firstIndex = Math.min(scan.firstIndex, index);
      scan.table.recordEntries(index, index);
      scan.lastIndex = index;
      scan.lastTerm = frame.entryTerm();
      break;
    }
    case RECORD_TYPE.hardState: {
      const record = frame.record();
      assert(record.type === "hard-state", "a hard state frame holds a hard state");
      scan.hardState = record.hardState;
      break;
    }
    case RECORD_TYPE.checkpoint: {
      const record = frame.record();
      assert(record.type === "checkpoint", "a checkpoint frame holds a checkpoint marker");
      scan.checkpoint = record.checkpoint;
      if (record.checkpoint.index > scan.lastIndex) {
        // A checkpoint installed from elsewhere: the log continues after it.
        scan.restartPosition = { segment, offset: frame.offset, index: record.checkpoint.index };
        scan.lastIndex = record.checkpoint.index;
        scan.lastTerm = record.checkpoint.term;
        scan.firstIndex = scan.lastIndex + 1;
      }
      break;
    }
  }
  scan.frames += 1;
  return undefined;
}

function hex(value: number): string {
  return `0x${value.toString(16).padStart(8, "0")}`;
}

// ---------------------------------------------------------------------------------
// Replay

export interface ReplayOptions {
  fileSystem: WalFileSystem;
  directory: string;
  scan: WalScan;
  replayAfterIndex: number;
  onEntry(entry: LogEntry): void;
  /** Bytes of a segment replayed so far, in steps of REPLAY_PROGRESS_STEP_BYTES (their sum is the file's size). */
  onSegmentRead?(sizeBytes: number): void;
}

/** How often the replay reports progress, in bytes of frames walked. */
const REPLAY_PROGRESS_STEP_BYTES = 4 * 1024 * 1024;

/** Calls onEntry for every surviving entry with index > replayAfterIndex, in index order. */
export async function replayEntries(options: ReplayOptions): Promise<number> {
  const { scan } = options;
  const superseded = new SupersededEntries(scan.overwrites);
  const restart = scan.restartPosition;
  let replayed = 0;
  let previousIndex = options.replayAfterIndex;
  for (const [position, segment] of scan.segments.entries()) {
    const kept = segment.buffer;
    segment.buffer = null; // let it go once replayed, or at once when not needed
    if (!segmentNeedsReplay(scan, position, options.replayAfterIndex)) continue;
    const buffer = kept ?? (await readWholeFile(options.fileSystem, `${options.directory}/${segment.name}`));
    // Reported as the walk goes, not when the file is read: the caller may apply each
    // entry as it comes (a node alone does), and that is where a replay's time goes.
    let reported = 0;
    const walk = walkFrames(buffer.subarray(0, segment.validBytes), 0, (frame) => {
      if (frame.offset - reported >= REPLAY_PROGRESS_STEP_BYTES) {
        options.onSegmentRead?.(frame.offset - reported);
        reported = frame.offset;
      }
      if (!frame.isEntry) return;
      const index = frame.entryIndex();
      if (index <= options.replayAfterIndex) return;
      const offset = frame.offset;
      if (restart && !isBefore(restart, position, offset)) return;
      if (superseded.includes(position, offset, index)) return;
      assert(index === previousIndex + 1 || replayed === 0, "replayed entries are contiguous");
      previousIndex = index;
      replayed += 1;
      options.onEntry({ index, term: frame.entryTerm(), data: frame.entryData() });
    }, kept === null ? "check" : "verified");
    assert(walk.damage === null || kept === null, "a kept buffer replays as it scanned");
    options.onSegmentRead?.(buffer.length - reported);
  }
  return replayed;
}

/** True when the segment may hold a surviving entry with index > replayAfterIndex. */
export function segmentNeedsReplay(scan: WalScan, position: number, replayAfterIndex: number): boolean {
  const range = scan.table.list()[position];
  assert(range !== undefined && range.name === scan.segments[position]!.name, "scan and table agree");
  return range.lastIndex > replayAfterIndex;
}

/**
 * Answers "did a later frame supersede this entry?" for frames visited in file order:
 * an entry is superseded when an overwrite at a later position has index <= its own.
 */
class SupersededEntries {
  private readonly lowestIndexFrom: number[];
  private next = 0;

  constructor(private readonly overwrites: OverwritePosition[]) {
    this.lowestIndexFrom = new Array<number>(overwrites.length);
    let lowest = Infinity;
    for (let at = overwrites.length - 1; at >= 0; at -= 1) {
      lowest = Math.min(lowest, overwrites[at]!.index);
      this.lowestIndexFrom[at] = lowest;
    }
  }

  /** Whether the entry `index` at `offset` of segment `segment` is superseded (positions as numbers: no object per entry). */
  includes(segment: number, offset: number, index: number): boolean {
    while (this.next < this.overwrites.length && !isAfter(this.overwrites[this.next]!, segment, offset)) this.next += 1;
    return this.next < this.overwrites.length && this.lowestIndexFrom[this.next]! <= index;
  }
}

/** Whether position `a` lies after the frame at `offset` of segment `segment`. */
function isAfter(a: FramePosition, segment: number, offset: number): boolean {
  return a.segment > segment || (a.segment === segment && a.offset > offset);
}

/** Whether position `a` lies before the frame at `offset` of segment `segment`. */
function isBefore(a: FramePosition, segment: number, offset: number): boolean {
  return a.segment < segment || (a.segment === segment && a.offset < offset);
}

/** The byte sizes of the listed segment files (for progress reports). */
export async function segmentFileSizes(
  fileSystem: WalFileSystem,
  directory: string,
  names: SegmentName[],
): Promise<number[]> {
  const sizes: number[] = [];
  for (const name of names) {
    const fd = await openFile(fileSystem, `${directory}/${name.name}`, "r");
    try {
      sizes.push(await fileSize(fileSystem, fd));
    } finally {
      await closeFile(fileSystem, fd);
    }
  }
  return sizes;
}
