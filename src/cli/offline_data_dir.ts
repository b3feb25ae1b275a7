/**
 * How the offline tools (wal inspect/verify/repair, checkpoint, restore --checkpoint) reach
 * a data directory: only one that holds a node, and only while no node runs on it.
 *
 * - A path that holds no walnut data (missing, a file, or a directory without
 *   control.toml) is refused with a line naming it: a mistyped --data-dir must not turn
 *   into a new empty node or into "WAL ok: 0 frames".
 * - Every tool takes the directory's LOCK (node/data_dir_lock.ts), the read-only ones too:
 *   a WAL a live node is appending to shows a half-written frame at its tail, which verify
 *   would call damage and repair would cut off while the node keeps writing past it.
 *   So a running node is refused with the process that holds it.
 */
import { stat } from "node:fs/promises";
import { WalnutError, describeError, systemErrorCode } from "../lib/errors.js";
import { CONTROL_FILE_NAME, readControlFile, type ControlFile } from "../node/control_file.js";
import { lockDataDir, type DataDirLock } from "../node/data_dir_lock.js";

/**
 * Throws unless `dataDir` is a directory holding a node's control file; returns that file.
 * `action` says what the tool was about to do, naming the directory ("verify the WAL in D").
 */
export async function requireNodeDataDir(dataDir: string, action: string): Promise<ControlFile> {
  try {
    const info = await stat(dataDir);
    if (!info.isDirectory()) throw new WalnutError("DATA_DIR", `Cannot ${action}: it is a file, not a data directory (is --data-dir right?)`);
  } catch (error) {
    if (error instanceof WalnutError) throw error;
    if (systemErrorCode(error) === "ENOENT") throw new WalnutError("DATA_DIR", `Cannot ${action}: no such directory (is --data-dir right?)`);
    throw new WalnutError("DATA_DIR", `Cannot ${action}: ${describeError(error)}`, { cause: error });
  }
  const control = await readControlFile(dataDir);
  if (control === null) {
    throw new WalnutError("DATA_DIR", `Cannot ${action}: it holds no walnut data (no ${CONTROL_FILE_NAME}; is --data-dir right?)`);
  }
  return control;
}

/** requireNodeDataDir, then the directory's LOCK: refused while a node (or another tool) has it. */
export async function lockNodeDataDir(dataDir: string, action: string): Promise<{ control: ControlFile; lock: DataDirLock }> {
  const control = await requireNodeDataDir(dataDir, action);
  const lock = await lockDataDir(dataDir, action);
  return { control, lock };
}
