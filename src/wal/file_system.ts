/**
 * The WAL's view of the file system: the few callback-style calls it makes, as an
 * interface that tests wrap to inject faults (a write that fails with ENOSPC after N
 * bytes, an fdatasync that fails with EIO), plus the real implementation over node:fs
 * and small promise helpers for the paths where speed does not matter (recovery,
 * rolling, compaction, tools).
 *
 * The append path calls write/fdatasync through these callbacks directly: node's
 * callback API skips the FileHandle machinery of fs/promises and is measurably cheaper.
 */
import * as fs from "node:fs";

export type ErrorCallback = (error: NodeJS.ErrnoException | null) => void;
export type ValueCallback<T> = (error: NodeJS.ErrnoException | null, value: T) => void;
export type ByteCountCallback = ValueCallback<number>;

export interface WalFileSystem {
  /** `flags` as node:fs takes them: "r", "r+", "w", "wx". */
  open(path: string, flags: string, callback: ValueCallback<number>): void;
  close(fd: number, callback: ErrorCallback): void;
  /** Reads at `position`; the callback gets the byte count read (0 at end of file). */
  read(
    fd: number,
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
    callback: ByteCountCallback,
  ): void;
  /** Writes at `position`; the callback gets the byte count written (possibly short). */
  write(
    fd: number,
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
    callback: ByteCountCallback,
  ): void;
  /**
   * Optional: writes at `position` on the calling thread, returning the byte count. A small
   * batch costs a copy into the page cache, far less than a round trip through the thread
   * pool; file systems without it (test doubles) get the callback form.
   */
  writeSync?(fd: number, buffer: Buffer, offset: number, length: number, position: number): number;
  fdatasync(fd: number, callback: ErrorCallback): void;
  /** Used for directories, whose entries are metadata that fdatasync may skip. */
  fsync(fd: number, callback: ErrorCallback): void;
  ftruncate(fd: number, length: number, callback: ErrorCallback): void;
  fstatSize(fd: number, callback: ValueCallback<number>): void;
  readdir(path: string, callback: ValueCallback<string[]>): void;
  /** Creates the directory and its parents; succeeds when it exists. */
  mkdirp(path: string, callback: ErrorCallback): void;
  rename(from: string, to: string, callback: ErrorCallback): void;
  unlink(path: string, callback: ErrorCallback): void;
}

/** The real file system. */
export const nodeFileSystem: WalFileSystem = {
  open: (path, flags, callback) => fs.open(path, flags, callback),
  close: (fd, callback) => fs.close(fd, callback),
  read: (fd, buffer, offset, length, position, callback) =>
    fs.read(fd, buffer, offset, length, position, (error, bytesRead) => callback(error, bytesRead)),
  write: (fd, buffer, offset, length, position, callback) =>
    fs.write(fd, buffer, offset, length, position, (error, bytesWritten) => callback(error, bytesWritten)),
  writeSync: (fd, buffer, offset, length, position) => fs.writeSync(fd, buffer, offset, length, position),
  fdatasync: (fd, callback) => fs.fdatasync(fd, callback),
  fsync: (fd, callback) => fs.fsync(fd, callback),
  ftruncate: (fd, length, callback) => fs.ftruncate(fd, length, callback),
  fstatSize: (fd, callback) => fs.fstat(fd, (error, stats) => callback(error, error ? 0 : stats.size)),
  readdir: (path, callback) => fs.readdir(path, callback),
  mkdirp: (path, callback) => fs.mkdir(path, { recursive: true }, (error) => callback(error)),
  rename: (from, to, callback) => fs.rename(from, to, callback),
  unlink: (path, callback) => fs.unlink(path, callback),
};

// ---------------------------------------------------------------------------------
// Promise helpers

function settle<T>(start: (callback: ValueCallback<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => start((error, value) => (error ? reject(error) : resolve(value))));
}

function settleVoid(start: (callback: ErrorCallback) => void): Promise<void> {
  return new Promise((resolve, reject) => start((error) => (error ? reject(error) : resolve())));
}

export function openFile(fileSystem: WalFileSystem, path: string, flags: string): Promise<number> {
  return settle((callback) => fileSystem.open(path, flags, callback));
}

export function closeFile(fileSystem: WalFileSystem, fd: number): Promise<void> {
  return settleVoid((callback) => fileSystem.close(fd, callback));
}

export function dataSync(fileSystem: WalFileSystem, fd: number): Promise<void> {
  return settleVoid((callback) => fileSystem.fdatasync(fd, callback));
}

export function truncateFile(fileSystem: WalFileSystem, fd: number, lengthBytes: number): Promise<void> {
  return settleVoid((callback) => fileSystem.ftruncate(fd, lengthBytes, callback));
}

export function fileSize(fileSystem: WalFileSystem, fd: number): Promise<number> {
  return settle((callback) => fileSystem.fstatSize(fd, callback));
}

export function makeDirectory(fileSystem: WalFileSystem, path: string): Promise<void> {
  return settleVoid((callback) => fileSystem.mkdirp(path, callback));
}

export function renameFile(fileSystem: WalFileSystem, from: string, to: string): Promise<void> {
  return settleVoid((callback) => fileSystem.rename(from, to, callback));
}

export function removeFile(fileSystem: WalFileSystem, path: string): Promise<void> {
  return settleVoid((callback) => fileSystem.unlink(path, callback));
}

/** The names in a directory, or [] when it does not exist. */
export async function listDirectory(fileSystem: WalFileSystem, path: string): Promise<string[]> {
  try {
    return await settle<string[]>((callback) => fileSystem.readdir(path, callback));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

/** Writes all of buffer[0, lengthBytes) at `position`, retrying short writes. */
export function writeAll(
  fileSystem: WalFileSystem,
  fd: number,
  buffer: Buffer,
  lengthBytes: number,
  position: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let written = 0;
    const next = (error: NodeJS.ErrnoException | null, bytesWritten: number): void => {
      if (error) return reject(error);
      if (bytesWritten === 0) return reject(Object.assign(new Error("EIO: write made no progress"), { code: "EIO" }));
      written += bytesWritten;
      if (written >= lengthBytes) return resolve();
      fileSystem.write(fd, buffer, written, lengthBytes - written, position + written, next);
    };
    fileSystem.write(fd, buffer, 0, lengthBytes, position, next);
  });
}

/** Like writeAll, on the calling thread (a file system with writeSync). */
export function writeAllSync(
  writeSync: NonNullable<WalFileSystem["writeSync"]>,
  fd: number,
  buffer: Buffer,
  lengthBytes: number,
  position: number,
): void {
  for (let written = 0; written < lengthBytes; ) {
    const bytes = writeSync(fd, buffer, written, lengthBytes - written, position + written);
    if (bytes === 0) throw Object.assign(new Error("EIO: write made no progress"), { code: "EIO" });
    written += bytes;
  }
}

/** Reads a whole file into one Buffer. */
export async function readWholeFile(fileSystem: WalFileSystem, path: string): Promise<Buffer> {
  const fd = await openFile(fileSystem, path, "r");
  try {
    const sizeBytes = await fileSize(fileSystem, fd);
    const buffer = Buffer.allocUnsafe(sizeBytes);
    let filled = 0;
    while (filled < sizeBytes) {
      const bytesRead = await settle<number>((callback) =>
        fileSystem.read(fd, buffer, filled, sizeBytes - filled, filled, callback),
      );
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return buffer.subarray(0, filled);
  } finally {
    await closeFile(fileSystem, fd);
  }
}

/** fsyncs a directory so that the creation, rename or removal of its entries is durable. */
export async function syncDirectory(fileSystem: WalFileSystem, path: string): Promise<void> {
  const fd = await openFile(fileSystem, path, "r");
  try {
    await settleVoid((callback) => fileSystem.fsync(fd, callback));
  } finally {
    await closeFile(fileSystem, fd);
  }
}

/** Writes a whole file durably: a temporary name, fdatasync, rename, directory fsync. */
export async function writeFileDurably(
  fileSystem: WalFileSystem,
  options: { directory: string; name: string; contents: Buffer },
): Promise<string> {
  const finalPath = `${options.directory}/${options.name}`;
  const temporaryPath = `${finalPath}.tmp`;
  const fd = await openFile(fileSystem, temporaryPath, "w");
  try {
    await writeAll(fileSystem, fd, options.contents, options.contents.length, 0);
    await dataSync(fileSystem, fd);
  } finally {
    await closeFile(fileSystem, fd);
  }
  await renameFile(fileSystem, temporaryPath, finalPath);
  await syncDirectory(fileSystem, options.directory);
  return finalPath;
}
