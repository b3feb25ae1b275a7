/**
 * Offline WAL tools behind `walnut wal inspect|verify|repair`: one report line per
 * frame, a full validation that names the first damage, and a repair that truncates
 * at the first damage. They take the wal/ directory and must run while no walnut
 * process has it open.
 *
 * Repair keeps the longest valid prefix of the log: it truncates the damaged segment
 * at the damage and removes every later segment. Entries dropped that way were
 * acknowledged once; a node in a cluster gets them back from the leader, a single
 * node loses them, which is why walnut refuses to start instead of repairing alone.
 */
import * as path from "node:path";
import {
  closeFile,
  dataSync,
  nodeFileSystem,
  openFile,
  readWholeFile,
  removeFile,
  syncDirectory,
  truncateFile,
  type WalFileSystem,
} from "./file_system.js";
import { isFrameDamage, readFrameAt, type WalRecord } from "./record.js";
import { scanWal, type WalDamage } from "./recovery.js";
import { displayPath, findNextValidFrame, listSegmentFiles } from "./segment.js";

export interface FrameReport {
  /** Relative to the data dir, e.g. "wal/0000000000000000-0000000000000001.wal". */
  segment: string;
  offset: number;
  type: "header" | "entry" | "hard-state" | "checkpoint" | "bad";
  index?: number;
  term?: number;
  vote?: number;
  commit?: number;
  /** A bad frame's size runs to the next valid frame, or to the end of the file. */
  sizeBytes: number;
  crcOk: boolean;
  /** Why a frame is bad. */
  reason?: string;
}

interface ToolOptions {
  fileSystem?: WalFileSystem;
}

/** Every frame of every segment, in order; past a bad stretch it resumes at the next valid frame. */
export async function* inspectWal(dir: string, options: ToolOptions = {}): AsyncIterable<FrameReport> {
  const fileSystem = options.fileSystem ?? nodeFileSystem;
  const { segments } = await listSegmentFiles(fileSystem, dir);
  for (const { name } of segments) {
    const buffer = await readWholeFile(fileSystem, path.join(dir, name));
    yield* inspectSegment(buffer, displayPath(dir, name));
  }
}

function* inspectSegment(buffer: Buffer, segment: string): Iterable<FrameReport> {
  let offset = 0;
  while (offset < buffer.length) {
    const result = readFrameAt(buffer, offset, buffer.length);
    if (isFrameDamage(result)) {
      const next = findNextValidFrame(buffer, offset);
      const sizeBytes = (next ?? buffer.length) - offset;
      yield { segment, offset, type: "bad", sizeBytes, crcOk: result.checksumMatched, reason: result.reason };
      if (next === null) return;
      offset = next;
      continue;
    }
    const { record, frameBytes } = result;
    yield { segment, offset, type: record.type, ...recordFields(record), sizeBytes: frameBytes, crcOk: true };
    offset += result.frameBytes;
  }
}

/** A header reports its first index and the term before it. */
function recordFields(record: WalRecord): Pick<FrameReport, "index" | "term" | "vote" | "commit"> {
  switch (record.type) {
    case "header":
      return { index: record.header.firstIndex, term: record.header.previousTerm };
    case "entry":
      return { index: record.entry.index, term: record.entry.term };
    case "hard-state":
      return { ...record.hardState };
    case "checkpoint":
      return { ...record.checkpoint };
  }
}

/**
 * One line per frame, e.g.
 * "wal/0000000000000000-0000000000000001.wal  offset 57  entry  index=1 term=1  27 B  crc ok".
 */
export function formatFrameReport(report: FrameReport): string {
  const fields: string[] = [];
  if (report.type === "header") fields.push(`first-index=${report.index} previous-term=${report.term}`);
  else if (report.type === "hard-state") fields.push(`term=${report.term} vote=${report.vote} commit=${report.commit}`);
  else if (report.index !== undefined) fields.push(`index=${report.index} term=${report.term}`);
  if (report.reason) fields.push(report.reason);
  const crc = report.crcOk ? "crc ok" : "crc BAD";
  const where = `${report.segment}  offset ${report.offset}`;
  return `${where}  ${report.type}  ${fields.join(" ")}  ${report.sizeBytes} B  ${crc}`;
}

export interface VerifyResult {
  ok: boolean;
  /** Valid frames read before the first damage (all of them when ok). */
  frames: number;
  firstDamage: { path: string; offset: number; reason: string; tornTail: boolean } | null;
}

/** Validates the WAL exactly as opening it would, without changing anything. */
export async function verifyWal(dir: string, options: ToolOptions = {}): Promise<VerifyResult> {
  const scan = await scanWal({ fileSystem: options.fileSystem ?? nodeFileSystem, directory: dir });
  const damage = scan.damage;
  if (damage === null) return { ok: true, frames: scan.frames, firstDamage: null };
  const reason = damage.tornTail ? `${damage.reason} (a torn tail: opening the WAL truncates it)` : damage.reason;
  const firstDamage = { path: damage.path, offset: damage.offset, reason, tornTail: damage.tornTail };
  return { ok: false, frames: scan.frames, firstDamage };
}

export interface RepairResult {
  path: string;
  offset: number;
  reason: string;
  droppedFrames: number;
  droppedBytes: number;
  removedSegments: string[];
}

/**
 * Truncates the WAL at its first damage and removes the segments after it; a segment
 * damaged at offset 0 is removed whole. Returns what was (with dryRun: would be)
 * dropped, or null when there is no damage.
 */
export async function repairWal(dir: string, options: ToolOptions & { dryRun: boolean }): Promise<RepairResult | null> {
  const fileSystem = options.fileSystem ?? nodeFileSystem;
  const scan = await scanWal({ fileSystem, directory: dir });
  const damage = scan.damage;
  if (damage === null) return null;
  const damagedPosition = scan.names.findIndex((name) => name.name === damage.name);
  const firstRemoved = damage.offset === 0 ? damagedPosition : damagedPosition + 1;
  const removed = scan.names.slice(firstRemoved).map((name) => name.name);
  const dropped = await measureDropped(fileSystem, dir, damage, removed);
  if (!options.dryRun) await truncateAndRemove(fileSystem, dir, damage, removed);
  return {
    path: damage.path,
    offset: damage.offset,
    reason: damage.reason,
    droppedFrames: dropped.frames,
    droppedBytes: dropped.bytes,
    removedSegments: removed.map((name) => displayPath(dir, name)),
  };
}

async function measureDropped(
  fileSystem: WalFileSystem,
  dir: string,
  damage: WalDamage,
  removed: string[],
): Promise<{ frames: number; bytes: number }> {
  const damaged = await readWholeFile(fileSystem, path.join(dir, damage.name));
  let frames = countFrames(damaged, damage.offset);
  let bytes = damaged.length - damage.offset;
  for (const name of removed) {
    if (name === damage.name) continue;
    const buffer = await readWholeFile(fileSystem, path.join(dir, name));
    frames += countFrames(buffer, 0);
    bytes += buffer.length;
  }
  return { frames, bytes };
}

/** Well-formed frames from `offset` on, resuming past bad stretches. */
function countFrames(buffer: Buffer, offset: number): number {
  let frames = 0;
  let at: number | null = offset;
  while (at !== null && at < buffer.length) {
    const result = readFrameAt(buffer, at, buffer.length);
    if (isFrameDamage(result)) {
      at = findNextValidFrame(buffer, at);
    } else {
      frames += 1;
      at += result.frameBytes;
    }
  }
  return frames;
}

async function truncateAndRemove(
  fileSystem: WalFileSystem,
  dir: string,
  damage: WalDamage,
  removed: string[],
): Promise<void> {
  // Newest first: a crash part way leaves a shorter log, never one with a hole.
  for (const name of [...removed].reverse()) await removeFile(fileSystem, path.join(dir, name));
  if (!removed.includes(damage.name)) {
    const fd = await openFile(fileSystem, path.join(dir, damage.name), "r+");
    try {
      await truncateFile(fileSystem, fd, damage.offset);
      await dataSync(fileSystem, fd);
    } finally {
      await closeFile(fileSystem, fd);
    }
  }
  await syncDirectory(fileSystem, dir);
}
