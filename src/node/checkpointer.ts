/**
 * Taking a checkpoint of a running node, and everything that follows from one: the
 * checkpoint marker in the WAL, control.toml, pruning to the last two checkpoints, and
 * removing (or archiving) WAL segments that no kept checkpoint needs.
 *
 * The WAL is trimmed only through the *older* of the two kept checkpoints: if the newest
 * one turns out corrupt at the next start, recovery falls back to the previous one and
 * still finds every entry after it.
 */
import { join } from "node:path";
import type { Engine } from "../engine/engine.js";
import type { Logger } from "../lib/log.js";
import type { CheckpointMetrics } from "../metrics/checkpoint_metrics.js";
import type { ConfState } from "../raft/types.js";
import { listCheckpoints, pruneCheckpoints } from "../snapshot/store.js";
import { writeCheckpoint, type CheckpointInfo } from "../snapshot/writer.js";
import type { Wal } from "../wal/wal.js";
import { writeControlFile, type ControlFile } from "./control_file.js";
import { realCheckpointIo, type CheckpointIo } from "../snapshot/io.js";
import { encodeSessions } from "./sessions_metadata.js";
import { encodeFunctions } from "./function_metadata.js";

export const CHECKPOINTS_KEPT = 2;

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
  const view = job.engine.openView();
  let info: CheckpointInfo;
  try {
    // A checkpoint must never be ahead of the log it replaces.
    await job.waitDurable();
  } catch (error) {
    view.close();
    throw error;
  }
  info = await writeCheckpoint(view, {
    dir: job.control.checkpointDirectory,
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
  });
  await job.wal.markCheckpoint(info.index, info.term);
  job.control.lastCheckpointId += 1;
  job.control.lastCheckpointIndex = info.index;
  job.control.lastCheckpointTerm = info.term;
  await writeControlFile(job.dataDir, job.control, io.files);
  await pruneCheckpoints(job.control.checkpointDirectory, CHECKPOINTS_KEPT, io);
  const kept = await listCheckpoints(job.control.checkpointDirectory, io);
  const oldestKept = kept[kept.length - 1];
  if (kept.length >= CHECKPOINTS_KEPT && oldestKept !== undefined) {
    const archiveDir = job.archiveWal ? join(job.control.walDirectory, "archive") : undefined;
    const removed = await job.wal.compact(oldestKept.index, archiveDir === undefined ? {} : { archiveDir });
    const count = removed.deleted.length + removed.archived.length;
    const verb = job.archiveWal ? "archived" : "removed";
    if (count > 0) job.log.info({ segments: count, index: oldestKept.index }, `WAL: ${verb} ${count} segment(s) through index ${oldestKept.index}`);
  }
  const fields = {
    index: info.index,
    term: info.term,
    keys: info.keys,
    sizeBytes: info.sizeBytes,
    durationMs: Math.round(info.durationMs),
    longestSliceMs: Number(info.longestSliceMs.toFixed(1)),
  };
  job.log.info(
    fields,
    `checkpoint at index ${info.index}: ${info.keys} keys, ${info.sizeBytes} bytes in ${info.durationMs.toFixed(0)} ms ` +
      `(longest slice ${info.longestSliceMs.toFixed(1)} ms)`,
  );
  return info;
}
