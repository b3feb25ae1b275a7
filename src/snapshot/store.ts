/**
 * The checkpoint directory as a whole: which checkpoints exist, which one to load at
 * start (the newest that verifies), and which to delete once newer ones are safely down.
 *
 * Only names matching `<index 20 digits>-<term 20 digits>.ckpt` are checkpoints. Temporary
 * files (`*.tmp`) are never checkpoints; those not being written by this process right
 * now are leftovers of a crash or a failed write and are removed when the directory is
 * listed. Corrupt checkpoints are renamed `*.ckpt.corrupt` once an older one has loaded.
 */
import { basename, join } from "node:path";
import { assert } from "../lib/assert.js";
import { WalnutError, describeError, isWalnutError, systemErrorCode } from "../lib/errors.js";
import {
  displayName,
  isStaleTemporaryFile,
  parseCheckpointFileName,
  removeQuietly,
} from "./checkpoint_files.js";
import { syncDirectory } from "../lib/durable_file.js";
import { realCheckpointIo, type CheckpointIo } from "./io.js";
import { readCheckpoint, type LoadedCheckpoint } from "./reader.js";

/** Appended to the name of a corrupt checkpoint once an older one has loaded instead. */
export const CORRUPT_SUFFIX = ".corrupt";

/** How many checkpoints pruning keeps by default: the newest, and one to fall back to. */
export const CHECKPOINTS_KEPT_DEFAULT = 2;

export interface CheckpointFile {
  path: string;
  index: number;
  term: number;
}

/** Checkpoints in `dir`, newest (highest index) first; an absent directory holds none. */
export async function listCheckpoints(dir: string, io: CheckpointIo = realCheckpointIo): Promise<CheckpointFile[]> {
  let names: string[];
  try {
    names = await io.files.readdir(dir);
  } catch (error) {
    if (systemErrorCode(error) === "ENOENT") return [];
    throw new WalnutError("CHECKPOINT_IO", `Cannot list checkpoints in ${dir}: ${describeError(error)}`, { cause: error });
  }
  const checkpoints: CheckpointFile[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const parsed = parseCheckpointFileName(name);
    if (parsed !== null) checkpoints.push({ path, ...parsed });
    else if (isStaleTemporaryFile(path)) await removeQuietly(path, io.files);
  }
  return checkpoints.sort((a, b) => b.index - a.index || b.term - a.term);
}

/**
 * The newest checkpoint in `dir` that verifies, or null when there is none. A corrupt one
 * is reported through `log` and the next older one tried; once one loads, the corrupt
 * newer ones are renamed to `<name>.corrupt` (kept for inspection, no longer counted as
 * checkpoints, so pruning cannot keep them in place of good ones). If checkpoints exist
 * and every one is corrupt, that is an error, not null: starting empty would silently
 * drop the state they held (the WAL before them may be gone).
 */
export async function loadNewestCheckpoint(
  dir: string,
  log: (message: string) => void,
  io: CheckpointIo = realCheckpointIo,
): Promise<LoadedCheckpoint | null> {
  const checkpoints = await listCheckpoints(dir, io);
  const corrupt: string[] = [];
  for (const [position, checkpoint] of checkpoints.entries()) {
    try {
      const loaded = await readCheckpoint(checkpoint.path, io);
      await moveAside(corrupt, log, io);
      return loaded;
    } catch (error) {
      if (!isWalnutError(error, "CHECKPOINT_CORRUPT")) throw error;
      corrupt.push(checkpoint.path);
      const older = checkpoints[position + 1];
      log(older === undefined ? error.message : `${error.message}; falling back to the checkpoint at index ${older.index}`);
    }
  }
  if (checkpoints.length === 0) return null;
  throw new WalnutError(
    "CHECKPOINT_CORRUPT",
    `Cannot load a checkpoint from ${dir}: all ${checkpoints.length} checkpoints are corrupt`,
  );
}

async function moveAside(corruptPaths: string[], log: (message: string) => void, io: CheckpointIo): Promise<void> {
  for (const path of corruptPaths) {
    try {
      await io.files.rename(path, `${path}${CORRUPT_SUFFIX}`);
      log(`moved the corrupt checkpoint ${displayName(path)} aside to ${basename(path)}${CORRUPT_SUFFIX}`);
    } catch (error) {
      log(`Cannot move the corrupt checkpoint ${displayName(path)} aside: ${describeError(error)}`);
    }
  }
}

/** Deletes all but the newest `keep` checkpoints; returns the deleted paths. */
export async function pruneCheckpoints(
  dir: string,
  keep: number = CHECKPOINTS_KEPT_DEFAULT,
  io: CheckpointIo = realCheckpointIo,
): Promise<string[]> {
  assert(Number.isInteger(keep) && keep >= 1, `pruning must keep at least one checkpoint, not ${keep}`);
  const doomed = (await listCheckpoints(dir, io)).slice(keep).map((checkpoint) => checkpoint.path);
  try {
    for (const path of doomed) await io.files.rm(path, { force: true });
    if (doomed.length > 0) await syncDirectory(dir, io.files);
  } catch (error) {
    throw new WalnutError("CHECKPOINT_IO", `Cannot prune checkpoints in ${dir}: ${describeError(error)}`, { cause: error });
  }
  return doomed;
}
