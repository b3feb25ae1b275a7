/**
 * Replacing a file so that a crash leaves either the old or the new contents, never a
 * mix: write a temporary file beside it, fsync it, rename it over the target, fsync the
 * directory (without the last step the rename itself may not survive a power loss).
 */
import { open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** `mode`: the new file's permissions (0o600 for a file holding a secret). */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    const handle = await open(temporary, "w", mode);
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
  await fsyncDirectory(dirname(path));
}
