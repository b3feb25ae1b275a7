/**
 * Checkpoint file names and the file-system steps around them: `<index>-<term>.ckpt`
 * with both numbers zero-padded to 20 digits (so names sort like the numbers), the
 * temporary name a checkpoint is written under before its rename, the set of temporary
 * files this process is writing right now (so that cleaning up stale ones never removes
 * a live one), and which errors are the file system's.
 */
import { basename, dirname, join } from "node:path";
import { assert } from "../lib/assert.js";
import { WalnutError, systemErrorCode } from "../lib/errors.js";
import { realFiles, type Files } from "../lib/files.js";

const NUMBER_DIGITS = 20;
const CHECKPOINT_NAME = /^(\d{20})-(\d{20})\.ckpt$/;
export const TEMPORARY_SUFFIX = ".tmp";

/** Temporary files being written by this process, by full path. */
const temporaryFilesInProgress = new Set<string>();
/** Makes temporary names unique within this process (the pid makes them unique between processes). */
let temporaryFilesClaimed = 0;

export function checkpointFileName(index: number, term: number): string {
  assert(Number.isSafeInteger(index) && index >= 0, `checkpoint index ${index}`);
  assert(Number.isSafeInteger(term) && term >= 0, `checkpoint term ${term}`);
  return `${String(index).padStart(NUMBER_DIGITS, "0")}-${String(term).padStart(NUMBER_DIGITS, "0")}.ckpt`;
}

/** Index and term from a checkpoint file name, or null for any other name. */
export function parseCheckpointFileName(name: string): { index: number; term: number } | null {
  const match = CHECKPOINT_NAME.exec(name);
  if (match === null) return null;
  const index = Number(match[1]);
  const term = Number(match[2]);
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(term)) return null;
  return { index, term };
}

/** How messages name a checkpoint file: its directory's name and its own, "checkpoints/<name>". */
export function displayName(path: string): string {
  return join(basename(dirname(path)), basename(path));
}

/** A fresh temporary path beside `path`, registered as in progress until `forgetTemporaryPath`. */
export function claimTemporaryPath(path: string): string {
  temporaryFilesClaimed += 1;
  const temporaryPath = `${path}.${process.pid}-${temporaryFilesClaimed}${TEMPORARY_SUFFIX}`;
  temporaryFilesInProgress.add(temporaryPath);
  return temporaryPath;
}

export function forgetTemporaryPath(temporaryPath: string): void {
  temporaryFilesInProgress.delete(temporaryPath);
}

/** A temporary file left behind by a crash or a failed write, not one being written now. */
export function isStaleTemporaryFile(path: string): boolean {
  return path.endsWith(TEMPORARY_SUFFIX) && !temporaryFilesInProgress.has(path);
}

/**
 * True for an error from the operating system (ENOSPC, EIO, EACCES, ...): those are what
 * CHECKPOINT_IO reports. Node's own argument errors (ERR_*) and walnut's are not.
 */
export function isSystemError(error: unknown): boolean {
  const code = systemErrorCode(error);
  return code !== undefined && !(error instanceof WalnutError) && !code.startsWith("ERR_");
}

/** Removes a file if it exists; failing to remove is not worth a second error. */
export async function removeQuietly(path: string, files: Files = realFiles): Promise<void> {
  await files.rm(path, { force: true }).catch(() => undefined);
}
