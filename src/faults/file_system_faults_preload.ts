/**
 * A preload for one `walnut serve` process (NODE_OPTIONS=--import=<this file's URL>)
 * that makes its disk misbehave on the campaign's command, without a test hook in
 * walnut's own code paths: it wraps the node:fs functions the WAL (wal/file_system.ts:
 * fs.open/write/writeSync/fdatasync/fsync through the `fs` namespace) and checkpoints
 * and control files (fs/promises open → FileHandle.write/writev/sync/datasync) call, then
 * runs syncBuiltinESMExports() so that ESM imports of node:fs and node:fs/promises,
 * named or namespace, see the wrappers.
 *
 * Only files under WALNUT_FAULTS_DATA_DIR are affected (the process's stderr is not).
 * The switch is a small JSON file, WALNUT_FAULTS_CONTROL, that the runner rewrites
 * (file_system_fault_switch.ts) and this module re-reads every CONTROL_POLL_MS:
 *
 *   {"diskFull": true}       every write fails with ENOSPC, as on a full disk
 *   {"fsyncDelayMs": 300}    every fsync / fdatasync waits 300 ms first (a slow disk)
 *   {}                       a healthy disk
 *
 * It also keeps a sync log, `<WALNUT_FAULTS_CONTROL>.synced`, for the power-loss nemesis:
 * after each fsync or fdatasync of a file under the data directory succeeds, one line
 * "<path>\t<size>" with the file's size when the sync began (every byte written before
 * then is durable); after each rename under it, "rename\t<from>\t<to>" (the WAL creates
 * a segment as <name>.tmp and renames it, with its fd still open). What lies past a
 * file's last logged size could vanish in a power cut.
 */
import fs from "node:fs";
import { appendFileSync, fstatSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { resolve, sep } from "node:path";
import type { FileHandle } from "node:fs/promises";

/** How often the switch file is re-read. */
const CONTROL_POLL_MS = 50;

interface FaultSwitch {
  diskFull: boolean;
  fsyncDelayMs: number;
}

type Callback = (error: NodeJS.ErrnoException | null, ...values: unknown[]) => void;
/** `any`: the wrapped functions have node's many overloads; the wrappers only look at fd, path and callback. */
type AnyFunction = (...args: any[]) => any;

const controlPath = process.env.WALNUT_FAULTS_CONTROL;
const dataDir = process.env.WALNUT_FAULTS_DATA_DIR;
const current: FaultSwitch = { diskFull: false, fsyncDelayMs: 0 };
const syncLogPath = `${controlPath ?? ""}.synced`;
/** File descriptors open on files under the data directory, and their paths. */
const trackedFds = new Map<number, string>();

function readSwitch(): void {
  try {
    const parsed = JSON.parse(fs.readFileSync(controlPath as string, "utf8")) as Partial<FaultSwitch>;
    current.diskFull = parsed.diskFull === true;
    current.fsyncDelayMs = typeof parsed.fsyncDelayMs === "number" ? parsed.fsyncDelayMs : 0;
  } catch {
    // Missing or half-written: keep the last switch read.
  }
}

function isUnderDataDir(path: unknown): boolean {
  if (typeof path !== "string" && !(path instanceof URL) && !Buffer.isBuffer(path)) return false;
  const absolute = absolutePath(path);
  return absolute === dataDir || absolute.startsWith(`${dataDir as string}${sep}`);
}

function absolutePath(path: string | URL | Buffer): string {
  return resolve(path instanceof URL ? path.pathname : path.toString());
}

function track(fd: number, path: unknown): void {
  if (isUnderDataDir(path)) trackedFds.set(fd, absolutePath(path as string));
}

/** The size of `fd`'s file now; what a sync that begins now makes durable. */
function sizeAtSync(fd: number): number {
  try {
    return fstatSync(fd).size;
  } catch {
    return 0;
  }
}

/** Notes that `fd`'s file is durable up to `sizeBytes`. */
function logSynced(fd: number, sizeBytes: number): void {
  const path = trackedFds.get(fd);
  if (path !== undefined) appendFileSync(syncLogPath, `${path}\t${sizeBytes}\n`);
}

function noSpace(syscall: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOSPC: no space left on device, ${syscall}`), { code: "ENOSPC", errno: -28, syscall });
}

function sleepSync(milliseconds: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, milliseconds);
}

/** Replaces fs[name] with `make(original)`. */
function wrap(target: object, name: string, make: (original: AnyFunction) => AnyFunction): void {
  const holder = target as Record<string, AnyFunction>;
  const original = holder[name];
  if (typeof original === "function") holder[name] = make(original.bind(target));
}

function lastCallback(args: unknown[]): Callback | null {
  const last = args[args.length - 1];
  return typeof last === "function" ? (last as Callback) : null;
}

function wrapOpenAndClose(): void {
  wrap(fs, "open", (original) => (path: unknown, ...rest: unknown[]) => {
    const callback = lastCallback(rest);
    if (callback === null || !isUnderDataDir(path)) return original(path, ...rest);
    const tracked: Callback = (error, fd) => {
      if (error === null) track(fd as number, path);
      callback(error, fd);
    };
    return original(path, ...rest.slice(0, -1), tracked);
  });
  wrap(fs, "openSync", (original) => (path: unknown, ...rest: unknown[]) => {
    const fd = original(path, ...rest) as number;
    track(fd, path);
    return fd;
  });
  wrap(fs, "close", (original) => (fd: number, ...rest: unknown[]) => (trackedFds.delete(fd), original(fd, ...rest)));
  wrap(fs, "closeSync", (original) => (fd: number) => (trackedFds.delete(fd), original(fd)));
}

/** After a rename under the data directory: open fds follow the file, and the sync log says so. */
function renamed(from: unknown, to: unknown): void {
  if (!isUnderDataDir(from) || !isUnderDataDir(to)) return;
  const [fromPath, toPath] = [absolutePath(from as string), absolutePath(to as string)];
  for (const [fd, path] of trackedFds) if (path === fromPath) trackedFds.set(fd, toPath);
  appendFileSync(syncLogPath, `rename\t${fromPath}\t${toPath}\n`);
}

function wrapRenames(): void {
  wrap(fs, "rename", (original) => (from: unknown, to: unknown, callback: Callback) =>
    original(from, to, (error: NodeJS.ErrnoException | null) => {
      if (error === null) renamed(from, to);
      callback(error);
    }),
  );
  wrap(fs, "renameSync", (original) => (from: unknown, to: unknown) => {
    original(from, to);
    renamed(from, to);
  });
  wrap(fs.promises, "rename", (original) => async (from: unknown, to: unknown) => {
    await original(from, to);
    renamed(from, to);
  });
}

function wrapWrites(): void {
  for (const name of ["write", "writev"]) {
    wrap(fs, name, (original) => (fd: number, ...rest: unknown[]) => {
      const callback = lastCallback(rest);
      if (!current.diskFull || !trackedFds.has(fd) || callback === null) return original(fd, ...rest);
      process.nextTick(() => callback(noSpace(name)));
    });
  }
  for (const name of ["writeSync", "writevSync"]) {
    wrap(fs, name, (original) => (fd: number, ...rest: unknown[]) => {
      if (current.diskFull && trackedFds.has(fd)) throw noSpace(name.replace("Sync", ""));
      return original(fd, ...rest);
    });
  }
}

function wrapSyncs(): void {
  for (const name of ["fsync", "fdatasync"]) {
    wrap(fs, name, (original) => (fd: number, callback: Callback) => {
      if (!trackedFds.has(fd)) return original(fd, callback);
      const sizeBytes = sizeAtSync(fd);
      const logged: Callback = (error) => {
        if (error === null) logSynced(fd, sizeBytes);
        callback(error);
      };
      if (current.fsyncDelayMs <= 0) return original(fd, logged);
      setTimeout(() => original(fd, logged), current.fsyncDelayMs);
    });
  }
  for (const name of ["fsyncSync", "fdatasyncSync"]) {
    wrap(fs, name, (original) => (fd: number) => {
      if (!trackedFds.has(fd)) return original(fd);
      const sizeBytes = sizeAtSync(fd);
      if (current.fsyncDelayMs > 0) sleepSync(current.fsyncDelayMs);
      const result: unknown = original(fd);
      logSynced(fd, sizeBytes);
      return result;
    });
  }
}

/** fs/promises: open tracks the handle's fd; the FileHandle prototype's writes and syncs consult the switch. */
async function wrapFileHandles(): Promise<void> {
  wrap(fs.promises, "open", (original) => async (path: unknown, ...rest: unknown[]) => {
    const handle = (await original(path, ...rest)) as FileHandle;
    track(handle.fd, path);
    return handle;
  });
  const probe = await fs.promises.open(process.execPath, "r");
  const prototype = Object.getPrototypeOf(probe) as object;
  await probe.close();
  const isTracked = (handle: FileHandle): boolean => trackedFds.has(handle.fd);
  for (const name of ["write", "writev", "writeFile", "appendFile"]) {
    const original = (prototype as Record<string, AnyFunction>)[name];
    if (typeof original !== "function") continue;
    (prototype as Record<string, AnyFunction>)[name] = function (this: FileHandle, ...args: unknown[]) {
      if (current.diskFull && isTracked(this)) return Promise.reject(noSpace(name));
      return original.apply(this, args);
    };
  }
  for (const name of ["sync", "datasync"]) {
    const original = (prototype as Record<string, AnyFunction>)[name] as AnyFunction;
    (prototype as Record<string, AnyFunction>)[name] = async function (this: FileHandle) {
      if (!isTracked(this)) return original.apply(this, []);
      const fd = this.fd;
      const sizeBytes = sizeAtSync(fd);
      if (current.fsyncDelayMs > 0) await new Promise((done) => setTimeout(done, current.fsyncDelayMs));
      const result: unknown = await original.apply(this, []);
      logSynced(fd, sizeBytes);
      return result;
    };
  }
  const close = (prototype as Record<string, AnyFunction>).close as AnyFunction;
  (prototype as Record<string, AnyFunction>).close = function (this: FileHandle) {
    trackedFds.delete(this.fd);
    return close.apply(this, []);
  };
}

if (controlPath !== undefined && dataDir !== undefined) {
  readSwitch();
  setInterval(readSwitch, CONTROL_POLL_MS).unref();
  wrapOpenAndClose();
  wrapWrites();
  wrapSyncs();
  wrapRenames();
  await wrapFileHandles();
  syncBuiltinESMExports();
}
