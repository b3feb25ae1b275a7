/**
 * Segment files: their names, their creation, and walking the frames inside one.
 *
 * A segment is `<dir>/<seq, 16 digits>-<first index, 16 digits>.wal`, e.g.
 * `wal/0000000000000003-0000000000000120.wal`: the fourth segment, created when the
 * next entry to be written was index 120. It begins with a header frame, then (when
 * the log has them) the latest hard state and checkpoint marker, so that the newest
 * of both always survive in the active segment however many older ones compaction
 * removes. A segment is created complete under a temporary name, fdatasynced, renamed
 * and its directory fsynced: a crash never leaves a half-made segment under a real name.
 */
import * as path from "node:path";
import {
  CHECKPOINT_FRAME_BYTES,
  FORMAT_VERSION,
  HARD_STATE_FRAME_BYTES,
  frameCrcAt,
  headerFrameBytes,
  FrameView,
  viewFrameAt,
  writeCheckpointFrame,
  writeHardStateFrame,
  writeHeaderFrame,
  type CheckpointMarker,
  type HardState,
  type SegmentHeader,
} from "./record.js";
import {
  closeFile,
  dataSync,
  listDirectory,
  openFile,
  removeFile,
  renameFile,
  syncDirectory,
  writeAll,
  type WalFileSystem,
} from "./file_system.js";

const NAME_DIGITS = 16;
const SEGMENT_NAME = /^(\d{16})-(\d{16})\.wal$/;
const TEMPORARY_SUFFIX = ".tmp";

export interface SegmentName {
  seq: number;
  firstIndex: number;
  name: string;
}

export function segmentFileName(seq: number, firstIndex: number): string {
  return `${String(seq).padStart(NAME_DIGITS, "0")}-${String(firstIndex).padStart(NAME_DIGITS, "0")}.wal`;
}

export function parseSegmentFileName(name: string): SegmentName | null {
  const match = SEGMENT_NAME.exec(name);
  if (!match) return null;
  return { seq: Number(match[1]), firstIndex: Number(match[2]), name };
}

/** How reports name a segment: relative to the data dir, e.g. "wal/0000…-0000….wal". */
export function displayPath(directory: string, name: string): string {
  return `${path.basename(path.resolve(directory))}/${name}`;
}

/** The segment files in `directory` in seq order, and leftover temporary files. */
export async function listSegmentFiles(
  fileSystem: WalFileSystem,
  directory: string,
): Promise<{ segments: SegmentName[]; temporaryNames: string[] }> {
  const names = await listDirectory(fileSystem, directory);
  const segments: SegmentName[] = [];
  const temporaryNames: string[] = [];
  for (const name of names) {
    const parsed = parseSegmentFileName(name);
    if (parsed) segments.push(parsed);
    else if (name.endsWith(`.wal${TEMPORARY_SUFFIX}`)) temporaryNames.push(name);
  }
  segments.sort((a, b) => a.seq - b.seq);
  return { segments, temporaryNames };
}

export interface NewSegment {
  directory: string;
  clusterId: string;
  nodeId: number;
  seq: number;
  firstIndex: number;
  previousTerm: number;
  previousSegmentCrc: number;
  hardState: HardState | null;
  checkpoint: CheckpointMarker | null;
}

export interface OpenSegment {
  fd: number;
  name: string;
  sizeBytes: number;
  lastFrameCrc: number;
}

/** Creates a segment durably and returns it open for writing at its end. */
export async function createSegmentFile(fileSystem: WalFileSystem, segment: NewSegment): Promise<OpenSegment> {
  const contents = encodeSegmentStart(segment);
  const name = segmentFileName(segment.seq, segment.firstIndex);
  const finalPath = path.join(segment.directory, name);
  const temporaryPath = finalPath + TEMPORARY_SUFFIX;
  const fd = await openFile(fileSystem, temporaryPath, "w");
  try {
    await writeAll(fileSystem, fd, contents.buffer, contents.buffer.length, 0);
    await dataSync(fileSystem, fd);
    await renameFile(fileSystem, temporaryPath, finalPath);
    await syncDirectory(fileSystem, segment.directory);
  } catch (error) {
    await closeFile(fileSystem, fd).catch(() => undefined);
    await removeFile(fileSystem, temporaryPath).catch(() => undefined);
    throw error;
  }
  return { fd, name, sizeBytes: contents.buffer.length, lastFrameCrc: contents.lastFrameCrc };
}

function encodeSegmentStart(segment: NewSegment): { buffer: Buffer; lastFrameCrc: number } {
  const header: SegmentHeader = {
    formatVersion: FORMAT_VERSION,
    clusterId: segment.clusterId,
    nodeId: segment.nodeId,
    segmentSeq: segment.seq,
    firstIndex: segment.firstIndex,
    previousTerm: segment.previousTerm,
    previousSegmentCrc: segment.previousSegmentCrc,
  };
  const sizeBytes =
    headerFrameBytes(header) +
    (segment.hardState ? HARD_STATE_FRAME_BYTES : 0) +
    (segment.checkpoint ? CHECKPOINT_FRAME_BYTES : 0);
  const buffer = Buffer.alloc(sizeBytes);
  let lastFrameOffset = 0;
  let offset = writeHeaderFrame(buffer, 0, header);
  if (segment.hardState) {
    lastFrameOffset = offset;
    offset = writeHardStateFrame(buffer, offset, segment.hardState);
  }
  if (segment.checkpoint) {
    lastFrameOffset = offset;
    offset = writeCheckpointFrame(buffer, offset, segment.checkpoint);
  }
  return { buffer, lastFrameCrc: frameCrcAt(buffer, lastFrameOffset) };
}

// ---------------------------------------------------------------------------------
// Walking frames

export interface WalkDamage {
  offset: number;
  reason: string;
  /** The bytes there passed their checksum: whatever is wrong, it is not a torn write. */
  intact: boolean;
}

/**
 * Calls `visit` for each well-formed frame of `buffer` from `startOffset`, in order,
 * until the end or the first bad frame (`checksums` as viewFrameAt's). The visitor gets one FrameView, refilled for each
 * frame (keep nothing of it past the call but what it copies out). A visitor may return
 * a reason string to declare a well-formed frame wrong in context (a header in the
 * middle, say); the walk then stops there as if the frame were bad.
 */
export function walkFrames(
  buffer: Buffer,
  startOffset: number,
  visit: (frame: FrameView) => string | void,
  checksums: "check" | "verified" = "check",
): { endOffset: number; damage: WalkDamage | null } {
  const view = new FrameView();
  let offset = startOffset;
  while (offset < buffer.length) {
    const problem = viewFrameAt(buffer, offset, buffer.length, view, checksums);
    if (problem !== null) {
      return { endOffset: offset, damage: { offset, reason: problem.reason, intact: problem.checksumMatched } };
    }
    const rejection = visit(view);
    if (typeof rejection === "string") {
      return { endOffset: offset, damage: { offset, reason: rejection, intact: true } };
    }
    offset += view.frameBytes;
  }
  return { endOffset: offset, damage: null };
}

/**
 * The first offset after `from` at which a well-formed frame with a matching checksum
 * parses, or null. This tells a torn tail (nothing valid follows) from corruption in
 * the middle of a segment (good frames follow the bad one).
 */
export function findNextValidFrame(buffer: Buffer, from: number): number | null {
  const view = new FrameView();
  for (let offset = from + 1; offset < buffer.length; offset += 1) {
    if (viewFrameAt(buffer, offset, buffer.length, view) === null) return offset;
  }
  return null;
}
