/**
 * The simulated disk a real node runs on in the simulator: files in memory, with what a
 * real disk does to them when the power goes.
 *
 *  - A write lands in the "page cache" at once; only fdatasync/fsync (FileHandle.sync)
 *    makes a file's bytes durable. crash() puts every file back to its durable bytes,
 *    except that bytes appended since the last sync may survive in part: a random prefix
 *    of them is kept, so the last frame of a WAL segment can be torn anywhere.
 *  - Creating, renaming and removing names is durable at once (a journaling file system
 *    in ordered mode; directory fsyncs are accepted and change nothing).
 *  - Faults: a capacity (a write past it is cut short, the next fails with ENOSPC), fsyncs
 *    that fail with EIO, and fsyncs that take long.
 *
 * One SimDisk per node survives its crashes; each life of the node gets a view (the WAL's
 * callback interface and the promise Files interface over the same files) whose
 * completions run as tasks of that life's Process on the virtual-time queue: when the
 * node crashes, the I/O it had in flight never completes.
 */
import { posix } from "node:path";
import { assert } from "../lib/assert.js";
import type { FileHandleLike, Files } from "../lib/files.js";
import type { Random } from "../lib/seeded_random.js";
import { systemError } from "../wal/fault_file_system.js";
import type { ByteCountCallback, ErrorCallback, ValueCallback, WalFileSystem } from "../wal/file_system.js";
import type { Process, Scheduler } from "./virtual_time.js";

interface StoredFile {
  /** Bytes as the node sees them (the page cache). */
  data: Buffer;
  length: number;
  /** Bytes a crash leaves (as of the last successful sync). */
  durable: Buffer;
}

export interface DiskFaults {
  /** Bytes the disk holds in all; null: no limit. */
  capacityBytes: number | null;
  /** Chance that an fsync fails with EIO. */
  fsyncFailureProbability: number;
  /** An fsync takes this many virtual ms (each one drawn in [min, max]). */
  fsyncDelayMs: { min: number; max: number };
  /** Sabotage, for proving the checkers: fsync reports success and makes nothing durable. */
  fsyncLies?: boolean;
  /**
   * Called (once) right after the next WAL fsync succeeds, before the node hears of it:
   * the simulator crashes the node there, between persisting a Ready and sending or
   * applying it. The fsync's callback never runs.
   */
  crashAfterSync?: () => void;
}

export const HEALTHY_DISK: DiskFaults = { capacityBytes: null, fsyncFailureProbability: 0, fsyncDelayMs: { min: 1, max: 2 } };

export interface DiskStats {
  writes: number;
  fsyncs: number;
  failedFsyncs: number;
  fullWrites: number;
  crashes: number;
  tornBytesKept: number;
}

export class SimDisk {
  private readonly files = new Map<string, StoredFile>();
  private readonly directories = new Set<string>(["/"]);
  faults: DiskFaults = { ...HEALTHY_DISK };
  readonly stats: DiskStats = { writes: 0, fsyncs: 0, failedFsyncs: 0, fullWrites: 0, crashes: 0, tornBytesKept: 0 };

  constructor(private readonly random: Random) {}

  /**
   * The power goes: every file keeps its durable bytes and, at random, part of what was
   * appended after them. With `powerLoss` false only the process dies (kill -9): the
   * page cache survives, every byte written stays.
   */
  crash(powerLoss = true): void {
    this.stats.crashes += 1;
    for (const file of this.files.values()) {
      if (!powerLoss) {
        file.data = Buffer.from(file.data.subarray(0, file.length));
        file.durable = Buffer.from(file.data);
        continue;
      }
      const durableLength = file.durable.length;
      let keep = 0;
      const appendedStartsDurable = file.length > durableLength && file.data.subarray(0, durableLength).equals(file.durable);
      if (appendedStartsDurable && this.random.chance(0.5)) keep = this.random.between(0, file.length - durableLength);
      const survived = Buffer.alloc(durableLength + keep);
      file.durable.copy(survived);
      file.data.copy(survived, durableLength, durableLength, durableLength + keep);
      this.stats.tornBytesKept += keep;
      file.data = survived;
      file.length = survived.length;
      file.durable = Buffer.from(survived);
    }
  }

  /** The disk as one life of its node sees it. */
  view(scheduler: Scheduler, owner: Process): SimDiskView {
    return new SimDiskView(this, scheduler, owner);
  }

  usedBytes(): number {
    let total = 0;
    for (const file of this.files.values()) total += file.length;
    return total;
  }

  /** Names under `directory` (files and directories), sorted. */
  list(directory: string): string[] | null {
    const dir = normalize(directory);
    if (!this.directories.has(dir)) return null;
    const names = new Set<string>();
    const prefix = dir === "/" ? "/" : `${dir}/`;
    for (const path of [...this.files.keys(), ...this.directories]) {
      if (path.startsWith(prefix) && path !== dir) names.add(path.slice(prefix.length).split("/")[0] as string);
    }
    return [...names].sort();
  }

  // ——— Used by the views ———

  file(path: string): StoredFile | undefined {
    return this.files.get(normalize(path));
  }

  isDirectory(path: string): boolean {
    return this.directories.has(normalize(path));
  }

  create(path: string, exclusive: boolean, truncate: boolean): StoredFile | NodeJS.ErrnoException {
    const normalized = normalize(path);
    if (!this.directories.has(posix.dirname(normalized))) return systemError("ENOENT", "open");
    if (this.directories.has(normalized)) return systemError("EISDIR", "open");
    const existing = this.files.get(normalized);
    if (existing !== undefined && exclusive) return systemError("EEXIST", "open");
    if (existing !== undefined) {
      if (truncate) existing.length = 0;
      return existing;
    }
    const created: StoredFile = { data: Buffer.alloc(0), length: 0, durable: Buffer.alloc(0) };
    this.files.set(normalized, created);
    return created;
  }

  makeDirectory(path: string): void {
    for (let dir = normalize(path); dir !== "/"; dir = posix.dirname(dir)) this.directories.add(dir);
  }

  rename(from: string, to: string): NodeJS.ErrnoException | null {
    const source = normalize(from);
    const target = normalize(to);
    const file = this.files.get(source);
    if (file === undefined) return systemError("ENOENT", "rename");
    if (!this.directories.has(posix.dirname(target))) return systemError("ENOENT", "rename");
    this.files.delete(source);
    this.files.set(target, file);
    return null;
  }

  remove(path: string): boolean {
    return this.files.delete(normalize(path));
  }

  /** Stores bytes at `position`, as far as the capacity allows; the count stored. */
  write(file: StoredFile, source: Buffer, position: number): number | NodeJS.ErrnoException {
    const growth = Math.max(0, position + source.length - file.length);
    let length = source.length;
    const capacity = this.faults.capacityBytes;
    if (capacity !== null && growth > 0) {
      const room = Math.max(0, capacity - this.usedBytes());
      if (room === 0) {
        this.stats.fullWrites += 1;
        return systemError("ENOSPC", "write");
      }
      if (growth > room) length = source.length - (growth - room);
    }
    const end = position + length;
    if (end > file.data.length) {
      const grown = Buffer.alloc(Math.max(end, file.data.length * 2));
      file.data.copy(grown, 0, 0, file.length);
      file.data = grown;
    }
    if (position > file.length) file.data.fill(0, file.length, position);
    source.copy(file.data, position, 0, length);
    file.length = Math.max(file.length, end);
    this.stats.writes += 1;
    return length;
  }

  /** Makes the file's current bytes durable, unless the fsync fails. */
  sync(file: StoredFile): NodeJS.ErrnoException | null {
    this.stats.fsyncs += 1;
    if (this.random.chance(this.faults.fsyncFailureProbability)) {
      this.stats.failedFsyncs += 1;
      return systemError("EIO", "fsync");
    }
    if (this.faults.fsyncLies !== true) file.durable = Buffer.from(file.data.subarray(0, file.length));
    return null;
  }

  fsyncDelay(): number {
    return this.random.between(this.faults.fsyncDelayMs.min, this.faults.fsyncDelayMs.max);
  }
}

function normalize(path: string): string {
  const normalized = posix.normalize(path);
  return normalized.length > 1 && normalized.endsWith("/") ? normalized.slice(0, -1) : normalized;
}

interface OpenFile {
  path: string;
  /** Null for a directory (opened only to fsync it). */
  file: StoredFile | null;
  writable: boolean;
}

/** One life's view of a SimDisk: the WAL's callbacks and the promise Files over the same files. */
export class SimDiskView implements WalFileSystem, Files {
  private readonly open_ = new Map<number, OpenFile>();
  private nextFd = 3;

  constructor(
    private readonly disk: SimDisk,
    private readonly scheduler: Scheduler,
    private readonly owner: Process,
  ) {}

  /** Completes an operation later on the virtual-time queue (never if the node crashed first). */
  private complete(delayMs: number, done: () => void): void {
    this.scheduler.schedule(this.owner, this.scheduler.now + delayMs, done);
  }

  private later<T>(delayMs: number, operation: () => T | NodeJS.ErrnoException): Promise<T> {
    return new Promise((resolve, reject) => {
      this.complete(delayMs, () => {
        const outcome = operation();
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      });
    });
  }

  private openNow(path: string, flags: string): number | NodeJS.ErrnoException {
    const writable = flags !== "r";
    let file: StoredFile | null;
    if (flags === "r" || flags === "r+") {
      if (this.disk.isDirectory(path)) {
        if (flags !== "r") return systemError("EISDIR", "open");
        file = null;
      } else {
        const existing = this.disk.file(path);
        if (existing === undefined) return systemError("ENOENT", "open");
        file = existing;
      }
    } else {
      assert(flags === "w" || flags === "wx", `the simulated disk does not open with flags ${flags}`);
      const created = this.disk.create(path, flags === "wx", true);
      if (created instanceof Error) return created;
      file = created;
    }
    const fd = this.nextFd++;
    this.open_.set(fd, { path, file, writable });
    return fd;
  }

  private opened(fd: number, syscall: string): OpenFile | NodeJS.ErrnoException {
    return this.open_.get(fd) ?? systemError("EBADF", syscall);
  }

  private fileOf(fd: number, syscall: string): StoredFile | NodeJS.ErrnoException {
    const opened = this.opened(fd, syscall);
    if (opened instanceof Error) return opened;
    return opened.file ?? systemError("EISDIR", syscall);
  }

  private readNow(fd: number, buffer: Buffer, offset: number, length: number, position: number): number | NodeJS.ErrnoException {
    const file = this.fileOf(fd, "read");
    if (file instanceof Error) return file;
    const available = Math.max(0, Math.min(length, file.length - position));
    file.data.copy(buffer, offset, position, position + available);
    return available;
  }

  private writeNow(fd: number, buffer: Buffer, offset: number, length: number, position: number): number | NodeJS.ErrnoException {
    const opened = this.opened(fd, "write");
    if (opened instanceof Error) return opened;
    if (opened.file === null || !opened.writable) return systemError("EBADF", "write");
    return this.disk.write(opened.file, buffer.subarray(offset, offset + length), position);
  }

  private syncNow(fd: number): NodeJS.ErrnoException | null {
    const opened = this.opened(fd, "fsync");
    if (opened instanceof Error) return opened;
    return opened.file === null ? null : this.disk.sync(opened.file);
  }

  // ——— WalFileSystem (callbacks) ———

  open(path: string, flags: string, callback: ValueCallback<number>): void;
  open(path: string, flags: string, mode?: number): Promise<FileHandleLike>;
  open(path: string, flags: string, third?: ValueCallback<number> | number): void | Promise<FileHandleLike> {
    if (typeof third === "function") {
      this.complete(0, () => {
        const fd = this.openNow(path, flags);
        if (fd instanceof Error) third(fd, -1);
        else third(null, fd);
      });
      return;
    }
    return this.later(0, () => this.openNow(path, flags)).then((fd) => this.handle(fd));
  }

  close(fd: number, callback: ErrorCallback): void {
    this.complete(0, () => callback(this.open_.delete(fd) ? null : systemError("EBADF", "close")));
  }

  read(fd: number, buffer: Buffer, offset: number, length: number, position: number, callback: ByteCountCallback): void {
    this.complete(0, () => {
      const count = this.readNow(fd, buffer, offset, length, position);
      if (count instanceof Error) callback(count, 0);
      else callback(null, count);
    });
  }

  write(fd: number, buffer: Buffer, offset: number, length: number, position: number, callback: ByteCountCallback): void {
    this.complete(0, () => {
      const count = this.writeNow(fd, buffer, offset, length, position);
      if (count instanceof Error) callback(count, 0);
      else callback(null, count);
    });
  }

  /** A property, not a method: the WAL takes it off the file system and calls it alone. */
  readonly writeSync = (fd: number, buffer: Buffer, offset: number, length: number, position: number): number => {
    const count = this.writeNow(fd, buffer, offset, length, position);
    if (count instanceof Error) throw count;
    return count;
  };

  fdatasync(fd: number, callback: ErrorCallback): void {
    this.complete(this.disk.fsyncDelay(), () => {
      const error = this.syncNow(fd);
      const crash = this.disk.faults.crashAfterSync;
      if (error === null && crash !== undefined) {
        delete this.disk.faults.crashAfterSync;
        crash();
        if (!this.owner.alive) return;
      }
      callback(error);
    });
  }

  fsync(fd: number, callback: ErrorCallback): void {
    this.fdatasync(fd, callback);
  }

  ftruncate(fd: number, length: number, callback: ErrorCallback): void {
    this.complete(0, () => {
      const file = this.fileOf(fd, "ftruncate");
      if (file instanceof Error) return callback(file);
      if (length > file.length) {
        const grown = this.disk.write(file, Buffer.alloc(length - file.length), file.length);
        if (grown instanceof Error) return callback(grown);
      }
      file.length = Math.min(file.length, length);
      callback(null);
    });
  }

  fstatSize(fd: number, callback: ValueCallback<number>): void {
    this.complete(0, () => {
      const file = this.fileOf(fd, "fstat");
      if (file instanceof Error) callback(file, 0);
      else callback(null, file.length);
    });
  }

  readdir(path: string, callback: ValueCallback<string[]>): void;
  readdir(path: string): Promise<string[]>;
  readdir(path: string, callback?: ValueCallback<string[]>): void | Promise<string[]> {
    const list = (): string[] | NodeJS.ErrnoException => this.disk.list(path) ?? systemError("ENOENT", "scandir");
    if (callback === undefined) return this.later(0, list);
    this.complete(0, () => {
      const names = list();
      if (names instanceof Error) callback(names, []);
      else callback(null, names);
    });
  }

  mkdirp(path: string, callback: ErrorCallback): void {
    this.complete(0, () => {
      this.disk.makeDirectory(path);
      callback(null);
    });
  }

  rename(from: string, to: string, callback: ErrorCallback): void;
  rename(from: string, to: string): Promise<void>;
  rename(from: string, to: string, callback?: ErrorCallback): void | Promise<void> {
    if (callback === undefined) return this.later(0, () => this.disk.rename(from, to) ?? undefined);
    this.complete(0, () => callback(this.disk.rename(from, to)));
  }

  unlink(path: string, callback: ErrorCallback): void {
    this.complete(0, () => callback(this.disk.remove(path) ? null : systemError("ENOENT", "unlink")));
  }

  // ——— Files (promises) ———

  readFile(path: string, encoding: "utf8"): Promise<string> {
    return this.later(0, () => {
      const file = this.disk.file(path);
      return file === undefined ? systemError("ENOENT", "open") : file.data.subarray(0, file.length).toString(encoding);
    });
  }

  rm(path: string, options: { force: boolean }): Promise<void> {
    return this.later(0, () => (this.disk.remove(path) || options.force ? undefined : systemError("ENOENT", "rm")));
  }

  mkdir(path: string): Promise<unknown> {
    return this.later(0, () => {
      this.disk.makeDirectory(path);
      return undefined;
    });
  }

  private handle(fd: number): FileHandleLike {
    const view = this;
    const written = (count: number | NodeJS.ErrnoException): { bytesWritten: number } | NodeJS.ErrnoException =>
      count instanceof Error ? count : { bytesWritten: count };
    return {
      read: (buffer, offset, length, position) =>
        view.later(0, () => {
          const count = view.readNow(fd, buffer, offset, length, position);
          return count instanceof Error ? count : { bytesRead: count };
        }),
      write: (buffer, offset, length, position) => view.later(0, () => written(view.writeNow(fd, buffer, offset, length, position))),
      writev: (buffers, position) => view.later(0, () => {
        const whole = Buffer.concat(buffers);
        return written(view.writeNow(fd, whole, 0, whole.length, position));
      }),
      writeFile: (data) =>
        view.later(0, () => {
          const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : Buffer.from(data);
          const count = view.writeNow(fd, bytes, 0, bytes.length, 0);
          if (count instanceof Error) return count;
          return count < bytes.length ? systemError("ENOSPC", "write") : undefined;
        }),
      stat: () =>
        view.later(0, () => {
          const file = view.fileOf(fd, "fstat");
          return file instanceof Error ? file : { size: file.length };
        }),
      sync: () => view.later(view.disk.fsyncDelay(), () => view.syncNow(fd) ?? undefined),
      close: () => view.later(0, () => (view.open_.delete(fd) ? undefined : systemError("EBADF", "close"))),
    };
  }
}
