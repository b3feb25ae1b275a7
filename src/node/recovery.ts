/**
 * Bringing a node back from its data directory: control file, newest valid checkpoint,
 * then every durable WAL entry after it and the last hard state. Recovery applies
 * nothing itself: the entries go to the Raft core, which hands the committed ones back
 * through the one apply path (and commits the rest once a leader confirms them).
 */
import { Engine } from "../engine/engine.js";
import { WalnutError, describeError, systemErrorCode } from "../lib/errors.js";
import { linesTo, type Logger } from "../lib/log.js";
import { realFiles, type Files } from "../lib/files.js";
import type { Timers } from "../lib/environment.js";
import type { CheckpointIo } from "../snapshot/io.js";
import type { ConfState, Entry, HardState, SnapshotMetadata } from "../raft/types.js";
import { loadNewestCheckpoint } from "../snapshot/store.js";
import { Wal, type FsyncMode, type LogEntry, type WalFileSystem, type WalObserver, type WalRecovery } from "../wal/wal.js";
import { newControlFile, readControlFile, writeControlFile, type ControlFile } from "./control_file.js";
import { fromLogEntry, isConfChangeData } from "./raft_log_codec.js";
import { decodeEntry } from "./entry.js";
import { NOOP_PAYLOAD, type StateMachine } from "./state_machine.js";
import { restoreSessions } from "./sessions_metadata.js";
import { restoreRemovedKeys } from "./removed_keys_metadata.js";
import { restoreFunctions } from "./function_metadata.js";

export interface RecoveryOptions {
  dataDir: string;
  nodeId: number;
  fsync: FsyncMode;
  segmentSizeBytes: number;
  /** Membership for a node with no checkpoint yet (the bootstrap configuration). */
  bootstrapConfState: ConfState;
  /** The cluster this node belongs to; a single node makes up its own. */
  clusterId?: string;
  log: Logger;
  /** Told of the WAL's writes and fsyncs once it is open (metrics). */
  walObserver?: WalObserver;
  onProgress?: (progress: { bytesRead: number; bytesTotal: number }) => void;
  walFileSystem?: WalFileSystem;
  /** The control file's and checkpoints' file system, and the WAL's timers (the real ones unless given). */
  files?: Files;
  checkpointIo?: CheckpointIo;
  timers?: Timers;
  /** Draws a new node's cluster id (a random one from node:crypto unless given). */
  random?: () => number;
  /**
   * A node alone: apply the entries the stored commit index covers as they are read,
   * instead of holding them all for the Raft core to hand back (which it would do first
   * thing, and then let them go at once). See applyWhileReading below.
   */
  stateMachine?: StateMachine;
}

export interface RecoveredNode {
  engine: Engine;
  wal: Wal;
  control: ControlFile;
  walRecovery: WalRecovery;
  hardState: HardState;
  /**
   * Where the log in memory starts: the checkpoint's position, or past it the last entry
   * recovery applied while reading (then `engine.appliedIndex`).
   */
  snapshot: SnapshotMetadata;
  /** Every durable entry after `snapshot`, in order. */
  entries: Entry[];
  /** Entries recovery applied while reading the WAL (before `snapshot`'s index, after the checkpoint's). */
  entriesApplied: number;
  /** Peer addresses recorded in the checkpoint ("id" → "host:port"). */
  members: Record<string, string>;
}

export async function prepareDataDir(dataDir: string, files: Files = realFiles): Promise<void> {
  try {
    await files.mkdir(dataDir, { recursive: true });
  } catch (error) {
    // mkdir's own words for a file in the way ("EEXIST: file already exists, mkdir ...") hide the cause.
    const code = systemErrorCode(error);
    if (code === "EEXIST") throw new WalnutError("DATA_DIR", `Cannot create data directory ${dataDir}: it is a file, not a directory`, { cause: error });
    if (code === "ENOTDIR") {
      throw new WalnutError("DATA_DIR", `Cannot create data directory ${dataDir}: ENOTDIR: a directory above it is a file`, { cause: error });
    }
    throw new WalnutError("DATA_DIR", `Cannot create data directory ${dataDir}: ${describeError(error)}`, {
      cause: error,
    });
  }
}

async function loadControlFile(options: RecoveryOptions): Promise<ControlFile> {
  const files = options.files ?? realFiles;
  const existing = await readControlFile(options.dataDir, files);
  if (existing !== null) {
    if (options.clusterId !== undefined && existing.clusterId !== options.clusterId) {
      throw new WalnutError(
        "DATA_DIR",
        `Cannot open ${options.dataDir} in cluster ${options.clusterId}: it belongs to cluster ${existing.clusterId}`,
      );
    }
    if (existing.nodeId !== options.nodeId) {
      throw new WalnutError(
        "DATA_DIR",
        `Cannot open ${options.dataDir} as node ${options.nodeId}: it belongs to node ${existing.nodeId}`,
      );
    }
    return existing;
  }
  const control = newControlFile({
    dataDir: options.dataDir,
    nodeId: options.nodeId,
    ...(options.random === undefined ? {} : { random: options.random }),
  });
  if (options.clusterId !== undefined) control.clusterId = options.clusterId;
  await files.mkdir(control.checkpointDirectory, { recursive: true });
  await writeControlFile(options.dataDir, control, files);
  return control;
}

function confStateOf(metadata: Record<string, unknown>, fallback: ConfState): ConfState {
  const stored = metadata.confState as Partial<ConfState> | undefined;
  if (stored === undefined) return fallback;
  const ids = (value: unknown): number[] => (Array.isArray(value) ? value.filter((id): id is number => Number.isSafeInteger(id)) : []);
  return { voters: ids(stored.voters), learners: ids(stored.learners) };
}

/**
 * The checkpoint loaded and the WAL after it must reach the newest checkpoint this node
 * recorded (control file). They fall short when that checkpoint is corrupt and an older
 * one loaded instead, but the WAL does not hold the entries in between: a checkpoint
 * installed from the leader replaces the log rather than following it. Starting there
 * would silently drop those entries (and, in a cluster, leave a follower below what it
 * acknowledged, which its leader never resends): refuse instead.
 */
async function refuseLostEntries(control: ControlFile, logEnd: number, wal: Wal): Promise<void> {
  if (logEnd >= control.lastCheckpointIndex) return;
  await wal.close().catch(() => undefined);
  throw new WalnutError(
    "CHECKPOINT_CORRUPT",
    `Cannot recover: this node recorded a checkpoint at index ${control.lastCheckpointIndex}, but the newest readable checkpoint ` +
      `and the WAL after it end at index ${logEnd} (entries ${logEnd + 1}..${control.lastCheckpointIndex} are lost with the corrupt ` +
      `checkpoint); restore from a backup, or replace this node in its cluster (RAFT REMOVE, empty data directory, RAFT ADD)`,
  );
}

export async function recoverNode(options: RecoveryOptions): Promise<RecoveredNode> {
  const control = await loadControlFile(options);
  const engine = new Engine();
  const checkpoint = await loadNewestCheckpoint(control.checkpointDirectory, linesTo(options.log, "warn"), options.checkpointIo);
  let snapshot: SnapshotMetadata = { index: 0, term: 0, confState: options.bootstrapConfState };
  let members: Record<string, string> = {};
  if (checkpoint !== null) {
    for (const collection of checkpoint.collections) engine.installCollection(collection);
    engine.appliedIndex = checkpoint.index;
    engine.appliedTerm = checkpoint.term;
    restoreSessions(engine.sessions, checkpoint.metadata.sessions, checkpoint.path);
    restoreFunctions(engine.functionLibraries, checkpoint.metadata.functions, checkpoint.path);
    restoreRemovedKeys(engine.removedKeys, checkpoint.metadata.removedKeys, checkpoint);
    snapshot = { index: checkpoint.index, term: checkpoint.term, confState: confStateOf(checkpoint.metadata, options.bootstrapConfState) };
    const stored = checkpoint.metadata.members;
    if (typeof stored === "object" && stored !== null) members = stored as Record<string, string>;
    const fields = { path: checkpoint.path, index: checkpoint.index, term: checkpoint.term, keys: checkpoint.keys };
    options.log.info(fields, `loaded checkpoint ${checkpoint.path} at index ${checkpoint.index} (${checkpoint.keys} keys)`);
  }
  const entries: Entry[] = [];
  const reading = applyWhileReading(options.stateMachine, engine, snapshot);
  const { wal, recovery } = await Wal.open({
    dir: control.walDirectory,
    fsync: options.fsync,
    segmentSizeBytes: options.segmentSizeBytes,
    clusterId: control.clusterId,
    nodeId: control.nodeId,
    replayAfterIndex: snapshot.index,
    onScanned: ({ hardState }) => reading.commitIs(hardState?.commit ?? 0),
    onEntry(logEntry) {
      const expected = reading.startIndex + entries.length + 1;
      if (logEntry.index !== expected) {
        throw new WalnutError(
          "WAL_CORRUPT",
          `Cannot recover: the WAL continues at index ${logEntry.index} after index ${expected - 1}` +
            ` (entries ${expected}..${logEntry.index - 1} are missing)`,
        );
      }
      if (entries.length === 0 && reading.apply(logEntry)) return;
      // A copy of the bytes: a view would keep its whole segment's buffer in memory for as
      // long as the log keeps the entry (the window a cluster member keeps, say).
      entries.push(fromLogEntry({ index: logEntry.index, term: logEntry.term, data: Buffer.from(logEntry.data) }));
    },
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    log: linesTo(options.log, "info"),
    ...(options.walObserver === undefined ? {} : { observer: options.walObserver }),
    ...(options.walFileSystem === undefined ? {} : { fileSystem: options.walFileSystem }),
    ...(options.timers === undefined ? {} : { timers: options.timers }),
  });
  await reading.settled();
  const start = reading.start;
  await refuseLostEntries(control, start.index + entries.length, wal);
  if (recovery.truncatedTail !== null) {
    const tail = recovery.truncatedTail;
    options.log.warn(tail, `WAL: truncated a torn tail of ${tail.droppedBytes} bytes at ${tail.path} offset ${tail.offset}`);
  }
  if (recovery.lastIndex < snapshot.index) {
    // A checkpoint newer than the log's end: one received from the leader (the process
    // stopped before recording it in the WAL), or a log lost after its checkpoint. A
    // checkpoint only ever covers committed entries, so the log simply continues after it.
    await wal.markCheckpoint(snapshot.index, snapshot.term);
    if (recovery.lastIndex > 0) {
      const fields = { walLastIndex: recovery.lastIndex, index: snapshot.index };
      options.log.warn(fields, `WAL ends at index ${recovery.lastIndex}; continuing after the checkpoint at ${snapshot.index}`);
    }
  }
  const lastTerm = entries.length > 0 ? (entries[entries.length - 1] as Entry).term : start.term;
  const stored = recovery.hardState;
  const term = Math.max(stored?.term ?? 0, lastTerm);
  const hardState: HardState = {
    term,
    vote: stored !== null && stored.term === term ? stored.vote : 0, // a vote belongs to its term
    commit: Math.min(Math.max(stored?.commit ?? 0, start.index), start.index + entries.length),
  };
  // The WAL keeps its options (and so the onEntry closure) for its lifetime: hand the
  // entries over in a new array and leave the closure's one empty, or they would stay in
  // memory long after a checkpoint has made them redundant.
  return {
    engine,
    wal,
    control,
    walRecovery: recovery,
    snapshot: start,
    hardState,
    entries: entries.splice(0),
    entriesApplied: reading.applied,
    members,
  };
}

/**
 * Applying committed entries while the WAL is read (a node alone). The Raft core would
 * hand every entry up to the commit index back to the one apply path before anything
 * else, and a node alone lets each go once applied; holding a million of them first (an
 * object and a copy of its bytes each) costs seconds of garbage collection and hundreds of
 * MiB. So entries the stored commit covers are applied as they are read, through the same
 * state machine, and never copied; the log in memory then starts after the last of them,
 * as it would once the core had applied and released them.
 *
 * It stops for good at the first entry it must not apply here: one past the commit index
 * (committed only once a leader confirms it), a membership change (the node tracks those
 * itself as the core applies them), or any entry after one whose apply paused (a long
 * script: recovery awaits it before the node starts). Those and all later entries go to
 * the core as before. A cluster member keeps the old path: it keeps a window of applied
 * entries in memory for followers, which this would leave empty.
 */
function applyWhileReading(stateMachine: StateMachine | undefined, engine: Engine, checkpoint: SnapshotMetadata) {
  let commit = 0;
  let stopped = stateMachine === undefined;
  let paused: Promise<unknown> | null = null;
  const lastApplied = { index: checkpoint.index, term: checkpoint.term };
  const reading = {
    /** Where the log in memory starts: after the checkpoint, or after the last entry applied here. */
    get start(): SnapshotMetadata {
      return { ...lastApplied, confState: checkpoint.confState };
    },
    get startIndex(): number {
      return lastApplied.index;
    },
    applied: 0,
    commitIs(index: number): void {
      commit = index;
    },
    /** Applies the entry and returns true, or returns false (and from then on always) to keep it for the core. */
    apply(logEntry: LogEntry): boolean {
      const { index, term, data } = logEntry;
      if (stopped || index > commit || paused !== null || isConfChangeData(data)) {
        stopped = true;
        return false;
      }
      const payload = data.length === 0 ? NOOP_PAYLOAD : decodeEntry(data);
      const applied = (stateMachine as StateMachine).apply(engine, index, term, payload);
      if (applied instanceof Promise) paused = applied;
      lastApplied.index = index;
      lastApplied.term = term;
      reading.applied += 1;
      return true;
    },
    /** Resolves once a paused apply has finished. */
    async settled(): Promise<void> {
      if (paused !== null) await paused;
    },
  };
  return reading;
}
