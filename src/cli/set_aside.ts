/**
 * Where `walnut restore` puts the files it replaces: `<data-dir>/restore-backup-<time>/`,
 * one directory per restore, named by the UTC time it began. Restore never deletes a
 * node's files; moving them back (with the node stopped) undoes it.
 *
 *   walnut-data/restore-backup-2026-11-21T09-58-03-120Z/
 *     control.toml     a copy of the control file as it was
 *     wal/             the WAL directory, moved whole
 *     checkpoints/     the checkpoints moved out of the way
 */
import { copyFile, mkdir, rename } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { WalnutError, describeError } from "../lib/errors.js";
import { syncDirectory, syncFile } from "../lib/durable_file.js";

export const SET_ASIDE_PREFIX = "restore-backup-";

export class SetAside {
  private readonly touchedDirectories = new Set<string>();

  private constructor(readonly directory: string) {}

  /** Creates a fresh restore-backup-<time>/ inside `dataDir`. */
  static async create(dataDir: string, now: Date = new Date()): Promise<SetAside> {
    const directory = join(dataDir, `${SET_ASIDE_PREFIX}${now.toISOString().replace(/[:.]/g, "-")}`);
    try {
      await mkdir(directory, { recursive: false });
    } catch (error) {
      throw new WalnutError("DATA_DIR", `Cannot create ${directory} to keep the replaced files in: ${describeError(error)}`, { cause: error });
    }
    const aside = new SetAside(directory);
    aside.touchedDirectories.add(dataDir);
    return aside;
  }

  /** Moves `path` (a file or a whole directory) to `<aside>/<relativeName>`. */
  async move(path: string, relativeName: string = basename(path)): Promise<void> {
    const target = join(this.directory, relativeName);
    try {
      await mkdir(dirname(target), { recursive: true });
      await rename(path, target);
    } catch (error) {
      throw new WalnutError("DATA_DIR", `Cannot move ${path} aside to ${target}: ${describeError(error)}`, { cause: error });
    }
    this.touchedDirectories.add(dirname(path));
    this.touchedDirectories.add(dirname(target));
  }

  /** Copies the file at `path` to `<aside>/<basename>`, leaving it in place. */
  async copy(path: string): Promise<void> {
    const target = join(this.directory, basename(path));
    try {
      await copyFile(path, target);
      await syncFile(target);
    } catch (error) {
      throw new WalnutError("DATA_DIR", `Cannot copy ${path} aside to ${target}: ${describeError(error)}`, { cause: error });
    }
    this.touchedDirectories.add(this.directory);
  }

  /** Makes every move durable: fsyncs each directory an entry left or arrived in. */
  async sync(): Promise<void> {
    for (const directory of this.touchedDirectories) await syncDirectory(directory);
  }
}
