/**
 * Files that survive a crash or a power loss: the one place walnut writes a whole file
 * durably, renames one into place durably, or makes a directory's entries durable.
 *
 *   writeFileDurably(path, data)   temporary name beside it, write, fsync, rename over
 *                                  `path`, fsync the directory: a crash leaves the old
 *                                  contents or the new ones, never a mix
 *   renameDurably(from, to)        rename, then fsync `to`'s directory (for a file already
 *                                  written and fsynced under a temporary name)
 *   syncFile(path)                 fsync a file written by someone else (copyFile)
 *   syncDirectory(path)            fsync a directory: without it a rename, a new file or a
 *                                  removal may not survive a power loss
 *
 * The WAL does the same through its own injectable file system (src/wal/file_system.ts),
 * so that its tests can fail any call; everything else uses these.
 */
import { open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** fsyncs a directory so that the creation, rename or removal of its entries is durable. */
export function syncDirectory(path: string): Promise<void> {
  return syncOpened(path, "r");
}

/** fsyncs a file that is already written (e.g. by copyFile). */
export function syncFile(path: string): Promise<void> {
  return syncOpened(path, "r+");
}

async function syncOpened(path: string, flags: "r" | "r+"): Promise<void> {
  const handle = await open(path, flags);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Renames a file (already fsynced) to `to` and makes the rename durable. */
export async function renameDurably(from: string, to: string): Promise<void> {
  await rename(from, to);
  await syncDirectory(dirname(to));
}

export interface WriteFileDurablyOptions {
  /** The new file's permissions: 0o644 unless given (0o600 for a file holding a secret). */
  mode?: number;
}

/** Replaces `path` with `data` so that a crash leaves either the old or the new contents. */
export async function writeFileDurably(path: string, data: string | Uint8Array, options: WriteFileDurablyOptions = {}): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    const handle = await open(temporary, "w", options.mode ?? 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  await syncDirectory(dirname(path));
}
