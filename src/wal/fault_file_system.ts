/**
 * A WalFileSystem that passes calls to a real one and injects the faults disks have:
 * writes that run out of space part way (a short write, then ENOSPC), fdatasyncs that
 * fail with EIO, truncations that fail. It can also hold writes or fdatasyncs until
 * released, so that tests decide exactly which appends arrive while a batch is in
 * flight. It counts the calls that matter for group commit. For tests and simulations;
 * walnut itself never uses it.
 */
import {
  nodeFileSystem,
  type ByteCountCallback,
  type ErrorCallback,
  type ValueCallback,
  type WalFileSystem,
} from "./file_system.js";

const ERROR_TEXT: Record<string, string> = {
  ENOSPC: "no space left on device",
  EIO: "i/o error",
  EROFS: "read-only file system",
};

/** An error shaped like the ones node:fs reports. */
export function systemError(code: string, syscall: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${code}: ${ERROR_TEXT[code] ?? "failed"}, ${syscall}`);
  error.code = code;
  error.syscall = syscall;
  return error;
}

export type HeldCall = "write" | "fdatasync";

export class FaultFileSystem implements WalFileSystem {
  /** Bytes that writes may still store before failing with `writeErrorCode`; null for no limit. */
  writeBytesLeft: number | null = null;
  writeErrorCode = "ENOSPC";
  /** When set, every fdatasync fails with this code. */
  fdatasyncErrorCode: string | null = null;
  /** When set, every ftruncate fails with this code. */
  ftruncateErrorCode: string | null = null;
  readonly calls = { write: 0, fdatasync: 0, ftruncate: 0 };
  private readonly held = new Map<HeldCall, Array<() => void>>();

  constructor(private readonly inner: WalFileSystem = nodeFileSystem) {}

  /** From now on calls of this kind wait until release(). */
  hold(call: HeldCall): void {
    if (!this.held.has(call)) this.held.set(call, []);
  }

  /** Lets held calls of this kind run, and later ones run at once. */
  release(call: HeldCall): void {
    const waiting = this.held.get(call) ?? [];
    this.held.delete(call);
    for (const run of waiting) run();
  }

  heldCount(call: HeldCall): number {
    return this.held.get(call)?.length ?? 0;
  }

  private runOrHold(call: HeldCall, run: () => void): void {
    const waiting = this.held.get(call);
    if (waiting) waiting.push(run);
    else run();
  }

  open(path: string, flags: string, callback: ValueCallback<number>): void {
    this.inner.open(path, flags, callback);
  }

  close(fd: number, callback: ErrorCallback): void {
    this.inner.close(fd, callback);
  }

  read(
    fd: number,
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
    callback: ByteCountCallback,
  ): void {
    this.inner.read(fd, buffer, offset, length, position, callback);
  }

  write(
    fd: number,
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
    callback: ByteCountCallback,
  ): void {
    this.runOrHold("write", () => {
      this.calls.write += 1;
      if (this.writeBytesLeft === null) return this.inner.write(fd, buffer, offset, length, position, callback);
      if (this.writeBytesLeft === 0) {
        return process.nextTick(() => callback(systemError(this.writeErrorCode, "write"), 0));
      }
      const allowed = Math.min(length, this.writeBytesLeft);
      this.writeBytesLeft -= allowed;
      this.inner.write(fd, buffer, offset, allowed, position, callback);
    });
  }

  fdatasync(fd: number, callback: ErrorCallback): void {
    this.runOrHold("fdatasync", () => {
      this.calls.fdatasync += 1;
      const code = this.fdatasyncErrorCode;
      if (code !== null) return process.nextTick(() => callback(systemError(code, "fdatasync")));
      this.inner.fdatasync(fd, callback);
    });
  }

  fsync(fd: number, callback: ErrorCallback): void {
    this.inner.fsync(fd, callback);
  }

  ftruncate(fd: number, length: number, callback: ErrorCallback): void {
    this.calls.ftruncate += 1;
    const code = this.ftruncateErrorCode;
    if (code !== null) return process.nextTick(() => callback(systemError(code, "ftruncate")));
    this.inner.ftruncate(fd, length, callback);
  }

  fstatSize(fd: number, callback: ValueCallback<number>): void {
    this.inner.fstatSize(fd, callback);
  }

  readdir(path: string, callback: ValueCallback<string[]>): void {
    this.inner.readdir(path, callback);
  }

  mkdirp(path: string, callback: ErrorCallback): void {
    this.inner.mkdirp(path, callback);
  }

  rename(from: string, to: string, callback: ErrorCallback): void {
    this.inner.rename(from, to, callback);
  }

  unlink(path: string, callback: ErrorCallback): void {
    this.inner.unlink(path, callback);
  }
}
