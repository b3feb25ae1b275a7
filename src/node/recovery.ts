/**
 * Bringing a node back from its data directory: control file, newest valid checkpoint,
 * then the WAL entries after it, applied in order. Runs once, at open.
 */
import { mkdir } from "node:fs/promises";
import { decodeEntry } from "../commands/entry.js";
import { Engine } from "../engine/engine.js";
import { WalnutError, describeError } from "../lib/errors.js";
import { loadNewestCheckpoint } from "../snapshot/store.js";
import { Wal, type FsyncMode, type WalFileSystem, type WalRecovery } from "../wal/wal.js";
import { newControlFile, readControlFile, writeControlFile, type ControlFile } from "./control_file.js";
import { createReplayProgress } from "./replay_progress.js";
import { restoreSessions } from "./sessions_metadata.js";
import type { StateMachine } from "./state_machine.js";

export interface RecoveryOptions {
  dataDir: string;
  nodeId: number;
  fsync: FsyncMode;
  segmentSizeBytes: number;
  stateMachine: StateMachine;
  log: (message: string) => void;
  /** Where to draw the replay progress bar; null logs lines instead. */
  terminal: NodeJS.WriteStream | null;
  walFileSystem?: WalFileSystem;
}

export interface RecoveredNode {
  engine: Engine;
  wal: Wal;
  control: ControlFile;
  walRecovery: WalRecovery;
  checkpointIndex: number;
}

export async function prepareDataDir(dataDir: string): Promise<void> {
  try {
    await mkdir(dataDir, { recursive: true });
  } catch (error) {
    throw new WalnutError("DATA_DIR", `Cannot create data directory ${dataDir}: ${describeError(error)}`, {
      cause: error,
    });
  }
}

async function loadControlFile(options: RecoveryOptions): Promise<ControlFile> {
  const existing = await readControlFile(options.dataDir);
  if (existing !== null) return existing;
  const control = newControlFile({ dataDir: options.dataDir, nodeId: options.nodeId });
  await mkdir(control.checkpointDirectory, { recursive: true });
  await writeControlFile(options.dataDir, control);
  return control;
}

export async function recoverNode(options: RecoveryOptions): Promise<RecoveredNode> {
  const control = await loadControlFile(options);
  const engine = new Engine();
  const checkpoint = await loadNewestCheckpoint(control.checkpointDirectory, options.log);
  if (checkpoint !== null) {
    for (const collection of checkpoint.collections) engine.installCollection(collection);
    engine.appliedIndex = checkpoint.index;
    engine.appliedTerm = checkpoint.term;
    restoreSessions(engine.sessions, checkpoint.metadata.sessions, checkpoint.path);
    options.log(`loaded checkpoint ${checkpoint.path} at index ${checkpoint.index} (${checkpoint.keys} keys)`);
  }
  const checkpointIndex = checkpoint?.index ?? 0;

  const startedMs = performance.now();
  const progress = createReplayProgress({ log: options.log, terminal: options.terminal });
  let replayed = 0;
  const { wal, recovery } = await Wal.open({
    dir: control.walDirectory,
    fsync: options.fsync,
    segmentSizeBytes: options.segmentSizeBytes,
    clusterId: control.clusterId,
    nodeId: control.nodeId,
    replayAfterIndex: checkpointIndex,
    onEntry(entry) {
      if (entry.index !== engine.appliedIndex + 1) {
        throw new WalnutError(
          "WAL_CORRUPT",
          `Cannot recover: the WAL continues at index ${entry.index} but the state is at index ${engine.appliedIndex}` +
            ` (entries ${engine.appliedIndex + 1}..${entry.index - 1} are missing)`,
        );
      }
      options.stateMachine.apply(engine, entry.index, entry.term, decodeEntry(entry.data));
      replayed += 1;
    },
    onProgress: (bytes) => progress.update(bytes),
    log: options.log,
    ...(options.walFileSystem === undefined ? {} : { fileSystem: options.walFileSystem }),
  });
  if (recovery.truncatedTail !== null) {
    const tail = recovery.truncatedTail;
    options.log(`WAL: truncated a torn tail of ${tail.droppedBytes} bytes at ${tail.path} offset ${tail.offset}`);
  }
  if (recovery.lastIndex < checkpointIndex && recovery.lastIndex > 0) {
    await wal.close();
    throw new WalnutError(
      "WAL_CORRUPT",
      `Cannot recover: the WAL ends at index ${recovery.lastIndex}, before the checkpoint at index ${checkpointIndex}`,
    );
  }
  progress.finish({ entries: replayed, keys: engine.size, elapsedMs: performance.now() - startedMs });
  return { engine, wal, control, walRecovery: recovery, checkpointIndex };
}
