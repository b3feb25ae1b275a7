/**
 * Taking a checkpoint of a running node, and everything that follows from one: the
 * checkpoint marker in the WAL, control.toml, pruning to the last two checkpoints, and
 * removing (or archiving) WAL segments that no kept checkpoint needs.
 *
 * A checkpoint is full, or a delta holding only what changed since the previous one
 * (snapshot/delta_writer.ts, engine/checkpoint_changes.ts) when that is worth it and
 * safe: there is a previous checkpoint on disk whose chain (a full checkpoint and deltas)
 * is whole, an older state on disk shares no file with that chain (so one damaged file
 * leaves a state to fall back to: a node's first two checkpoints are full),
 * the chain has fewer than INCREMENTAL.chainMax deltas, the deltas so far add up to less
 * than INCREMENTAL.bytesFraction of the full checkpoint they stand on, the WAL (kept since
 * the state before that full checkpoint) is not larger than it once the chain has 4
 * deltas, and less than half the keys changed (in an engine of more than 4,096 keys). Otherwise the checkpoint is full, which is also how deltas are merged:
 * a full checkpoint from the live engine replaces the chain, and pruning removes the old
 * pieces once the two kept states no longer need them (docs/checkpoint-format.md).
 *
 * The WAL is trimmed only through the oldest kept state (pruning keeps two, and a third
 * when those share files: store.ts): if the newest one turns out corrupt at the next
 * start, recovery falls back to an older one and still finds every entry after it.
 */
import { join } from "node:path";
import type { Engine } from "../engine/engine.js";
import type { Logger } from "../lib/log.js";
import type { CheckpointMetrics } from "../metrics/checkpoint_metrics.js";
import type { ConfState } from "../raft/types.js";
import { chainEndingWith, listCheckpointPieces, newestChains, pruneCheckpointPieces, type CheckpointPiece } from "../snapshot/store.js";
import { writeCheckpoint, type CheckpointInfo } from "../snapshot/writer.js";
import { writeDeltaCheckpoint, type DeltaBase } from "../snapshot/delta_writer.js";
import { collectionsOf, type ChangesSinceCheckpoint } from "../engine/checkpoint_changes.js";
import type { Wal } from "../wal/wal.js";
import { writeControlFile, type ControlFile } from "./control_file.js";
import { realCheckpointIo, type CheckpointIo } from "../snapshot/io.js";
import { encodeSessions } from "./sessions_metadata.js";
import { encodeFunctions } from "./function_metadata.js";

export const CHECKPOINTS_KEPT = 2;

/** When a checkpoint may be a delta (see the top of this file). */
export interface IncrementalPolicy {
  /** Deltas a chain may hold before the next checkpoint is full. */
  chainMax: number;
  /** The deltas' bytes, as a share of their full checkpoint's, beyond which the next checkpoint is full. */
  bytesFraction: number;
}

export const INCREMENTAL: IncrementalPolicy = { chainMax: 32, bytesFraction: 0.5 };
/** A chain of at least this many deltas is merged once the WAL kept outgrows its full checkpoint. */
const WAL_RULE_DELTAS_MIN = 4;
/** Up to this many keys, how many changed does not decide between a delta and a full checkpoint. */
const SMALL_ENGINE_KEYS = 4096;

export interface CheckpointJob {
  dataDir: string;
  engine: Engine;
  wal: Wal;
  control: ControlFile;
  /** Membership as of the engine's applied index, recorded in the checkpoint. */
  confState: ConfState;
  /** Peer addresses of the members ("id" → "host:port"). */
  members: Record<string, string>;
  /** Resolves once every applied entry is durable in the WAL. */
  waitDurable(): Promise<void>;
  archiveWal: boolean;
  log: Logger;
  /** Told how each checkpoint went; none in offline tools. */
  metrics?: CheckpointMetrics;
  /** Files, compression and time (the real ones unless given: the simulator's). */
  io?: CheckpointIo;
  /** A full checkpoint whatever changed (a backup, a follower's snapshot); else a delta when worth it. */
  full?: boolean;
  /** When a delta is worth it (INCREMENTAL unless given); false: always full. */
  incremental?: IncrementalPolicy | false;
}

export async function takeCheckpoint(job: CheckpointJob): Promise<CheckpointInfo> {
  const clock = (job.io ?? realCheckpointIo).clock;
  const startedMs = clock.monotonicMs();
  try {
    const info = await writeAndTrim(job);
    job.metrics?.succeeded(clock.monotonicMs() - startedMs, info.sizeBytes);
    return info;
  } catch (error) {
    job.metrics?.failed();
    throw error;
  }
}

/** Writes the checkpoint, records it (WAL marker, control file), prunes, and trims the WAL. */
async function writeAndTrim(job: CheckpointJob): Promise<CheckpointInfo> {
  const io = job.io ?? realCheckpointIo;
  const dir = job.control.checkpointDirectory;
  const view = job.engine.openView();
  const changes = job.engine.checkpointChanges.begin(collectionsOf(job.engine), view.index);
  let base: DeltaBase | null;
  try {
    // A checkpoint must never be ahead of the log it replaces.
    await job.waitDurable();
    const policy = job.full === true ? false : (job.incremental ?? INCREMENTAL);
    const walBytes = job.wal.segments().reduce((sum, segment) => sum + segment.sizeBytes, 0);
    base = policy === false ? null : await deltaBase({ changes, engineKeys: job.engine.size, walBytes }, policy, dir, io);
  } catch (error) {
    view.close();
    job.engine.checkpointChanges.failed();
    throw error;
  }
  const options = {
    dir,
    metadata: {
      clusterId: job.control.clusterId,
      nodeId: job.control.nodeId,
      confState: job.confState,
      members: job.members,
      sessions: encodeSessions(view.sessions),
      functions: encodeFunctions(view.functionLibraries),
      removedKeys: view.removedKeys, // removed_keys_metadata.ts
    },
    io,
  };
  let info: CheckpointInfo;
  try {
    info = base === null ? await writeCheckpoint(view, options) : await writeDeltaCheckpoint(view, changes, base, options);
  } catch (error) {
    job.engine.checkpointChanges.failed();
    throw error;
  }
  job.engine.checkpointChanges.finished();
  await job.wal.markCheckpoint(info.index, info.term);
  job.control.lastCheckpointId += 1;
  job.control.lastCheckpointIndex = info.index;
  job.control.lastCheckpointTerm = info.term;
  await writeControlFile(job.dataDir, job.control, io.files);
  const { keptStates } = await pruneCheckpointPieces(dir, CHECKPOINTS_KEPT, io);
  const oldestKept = Math.min(...keptStates);
  if (keptStates.length >= CHECKPOINTS_KEPT) {
    const archiveDir = job.archiveWal ? join(job.control.walDirectory, "archive") : undefined;
    const removed = await job.wal.compact(oldestKept, archiveDir === undefined ? {} : { archiveDir });
    const count = removed.deleted.length + removed.archived.length;
    const verb = job.archiveWal ? "archived" : "removed";
    if (count > 0) job.log.info({ segments: count, index: oldestKept }, `WAL: ${verb} ${count} segment(s) through index ${oldestKept}`);
  }
  const kind = info.previousIndex === null ? "" : ` (delta after ${info.previousIndex})`;
  const fields = {
    index: info.index,
    term: info.term,
    previousIndex: info.previousIndex,
    keys: info.keys,
    sizeBytes: info.sizeBytes,
    durationMs: Math.round(info.durationMs),
    longestSliceMs: Number(info.longestSliceMs.toFixed(1)),
  };
  job.log.info(
    fields,
    `checkpoint at index ${info.index}${kind}: ${info.keys} keys, ${info.sizeBytes} bytes in ${info.durationMs.toFixed(0)} ms ` +
      `(longest slice ${info.longestSliceMs.toFixed(1)} ms)`,
  );
  return info;
}

/**
 * The checkpoint a delta would follow, when a delta is worth writing (see the top of this
 * file); null: write a full checkpoint.
 */
async function deltaBase(
  state: { changes: ChangesSinceCheckpoint; engineKeys: number; walBytes: number },
  policy: IncrementalPolicy,
  dir: string,
  io: CheckpointIo,
): Promise<DeltaBase | null> {
  const { changes, engineKeys, walBytes } = state;
  const previousIndex = changes.previousIndex;
  if (previousIndex === null) return null;
  // Half the keys changed: a full checkpoint costs about as much and ends the chain. (Not for
  // a small engine, where either is cheap: there the deltas' bytes decide.)
  if (engineKeys > SMALL_ENGINE_KEYS && changes.estimatedEntries * 2 > engineKeys) return null;
  const pieces = await listCheckpointPieces(dir, io);
  let chain: CheckpointPiece[] | null = null;
  for (const piece of pieces) {
    if (piece.index === previousIndex) chain ??= chainEndingWith(piece, pieces);
  }
  if (chain === null || chain.length > policy.chainMax) return null;
  // One damaged file must leave a state to fall back to, as two full checkpoints did: so a
  // delta needs an older state on disk that shares no file with the chain it extends (the
  // second checkpoint of a node is full; store.ts's pruning keeps that state).
  const extended = new Set(chain.map((piece) => piece.path));
  const fallback = newestChains(pieces, pieces.length).some((other) => other.every((piece) => !extended.has(piece.path)));
  if (!fallback) return null;
  const [full, ...deltas] = await Promise.all(chain.map((piece) => fileSize(piece.path, io)));
  const deltaBytes = deltas.reduce((sum, bytes) => sum + bytes, 0);
  if (full === undefined || deltaBytes > full * policy.bytesFraction) return null;
  // The WAL is kept from the state before the chain's full checkpoint (pruning keeps it to
  // fall back to): once it outgrows that full checkpoint, merging is cheaper than keeping it.
  if (deltas.length >= WAL_RULE_DELTAS_MIN && walBytes > full) return null;
  return { previousIndex, previousTerm: (chain[chain.length - 1] as CheckpointPiece).term };
}

async function fileSize(path: string, io: CheckpointIo): Promise<number> {
  const handle = await io.files.open(path, "r");
  try {
    return (await handle.stat()).size;
  } finally {
    await handle.close();
  }
}
