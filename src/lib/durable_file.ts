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
import { basename, dirname, join } from "node:path";
import { realFiles, type Files } from "./files.js";

/** fsyncs a directory so that the creation, rename or removal of its entries is durable. */
export function syncDirectory(path: string, files: Files = realFiles): Promise<void> {
  return syncOpened(path, "r", files);
}

/** fsyncs a file that is already written (e.g. by copyFile). */
export function syncFile(path: string, files: Files = realFiles): Promise<void> {
  return syncOpened(path, "r+", files);
}

async function syncOpened(path: string, flags: "r" | "r+", files: Files): Promise<void> {
  const handle = await files.open(path, flags);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Renames a file (already fsynced) to `to` and makes the rename durable. */
export async function renameDurably(from: string, to: string, files: Files = realFiles): Promise<void> {
  await files.rename(from, to);
  await syncDirectory(dirname(to), files);
}

export interface WriteFileDurablyOptions {
  /** The new file's permissions: 0o644 unless given (0o600 for a file holding a secret). */
  mode?: number;
  /** The file system to write on (the real one unless given). */
  files?: Files;
}

/** Replaces `path` with `data` so that a crash leaves either the old or the new contents. */
export async function writeFileDurably(path: string, data: string | Uint8Array, options: WriteFileDurablyOptions = {}): Promise<void> {
  const files = options.files ?? realFiles;
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    const handle = await files.open(temporary, "w", options.mode ?? 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await files.rename(temporary, path);
  } catch (error) {
    await files.rm(temporary, { force: true });
    throw error;
  }
  await syncDirectory(dirname(path), files);
}
