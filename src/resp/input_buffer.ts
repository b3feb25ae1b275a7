/**
 * The bytes a connection has received and its parser has not consumed yet, kept in one
 * contiguous Buffer as `bytes[start, end)` so that a parser reads lines and bulk strings
 * in place and moves `start` forward, with no copy per command.
 *
 * Memory: a chunk that arrives while nothing is pending is borrowed as is (no copy).
 * Otherwise the pending tail and the chunk are copied into a buffer of our own that
 * grows by doubling, so its capacity stays within twice the bytes it must hold (or
 * MIN_CAPACITY_BYTES). When everything has been consumed the buffer is dropped, so a
 * large bulk string leaves nothing behind once it has been parsed.
 */
import { assert } from "../lib/assert.js";

/** Smallest buffer allocated for a pending tail: one typical socket read. */
export const MIN_CAPACITY_BYTES = 16 * 1024;

const EMPTY = Buffer.alloc(0);

export class InputBuffer {
  /** Holds the pending bytes in [start, end); parsers read it directly. */
  bytes: Buffer = EMPTY;
  start = 0;
  end = 0;
  /** False while `bytes` is a borrowed chunk, which must never be written into. */
  private owned = false;

  /** Bytes received and not consumed yet. */
  get length(): number {
    return this.end - this.start;
  }

  /** Bytes held in memory, consumed or not: the size of the buffer kept. */
  get capacityBytes(): number {
    return this.bytes.length;
  }

  append(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.start === this.end) {
      this.bytes = chunk;
      this.start = 0;
      this.end = chunk.length;
      this.owned = false;
      return;
    }
    const pendingBytes = this.end - this.start;
    const neededBytes = pendingBytes + chunk.length;
    const capacity = this.bytes.length;
    const reusable =
      this.owned && neededBytes <= capacity && capacity <= Math.max(2 * neededBytes, MIN_CAPACITY_BYTES);
    if (reusable) {
      if (this.end + chunk.length > capacity) this.moveToFront();
    } else {
      const grown = Buffer.allocUnsafe(Math.max(2 * neededBytes, MIN_CAPACITY_BYTES));
      this.bytes.copy(grown, 0, this.start, this.end);
      this.bytes = grown;
      this.start = 0;
      this.end = pendingBytes;
      this.owned = true;
    }
    chunk.copy(this.bytes, this.end);
    this.end += chunk.length;
  }

  /** Marks everything before `position` as consumed. */
  consumeTo(position: number): void {
    assert(position >= this.start && position <= this.end, "consumed position lies in the pending bytes");
    this.start = position;
    if (position === this.end) this.clear();
  }

  /** Drops every pending byte and the buffer that held them. */
  clear(): void {
    this.bytes = EMPTY;
    this.start = 0;
    this.end = 0;
    this.owned = false;
  }

  private moveToFront(): void {
    this.bytes.copy(this.bytes, 0, this.start, this.end);
    this.end -= this.start;
    this.start = 0;
  }
}

/**
 * Strings up to this many bytes are built in JavaScript rather than by Buffer.toString.
 * Each byte appended makes a new string: at 16 bytes (redis-benchmark's "key:__rand_int__")
 * that cost 2.5 times a toString, and left a cons string for the key look-up to flatten.
 */
const SHORT_STRING_BYTES_MAX = 8;

/**
 * The byte string in `bytes[start, end)`. Short ones (command names, typical keys) are
 * built with String.fromCharCode, which costs less than a call into C++ for a few bytes;
 * measured on a pipeline of SET/GET commands it parses about a third faster.
 */
export function byteStringAt(bytes: Buffer, start: number, end: number): string {
  switch (end - start) {
    case 0:
      return "";
    case 1:
      return String.fromCharCode(bytes[start]!);
    case 2:
      return String.fromCharCode(bytes[start]!, bytes[start + 1]!);
    case 3:
      return String.fromCharCode(bytes[start]!, bytes[start + 1]!, bytes[start + 2]!);
    case 4:
      return String.fromCharCode(bytes[start]!, bytes[start + 1]!, bytes[start + 2]!, bytes[start + 3]!);
  }
  if (end - start > SHORT_STRING_BYTES_MAX) {
    return bytes.toString("latin1", start, end);
  }
  let text = "";
  for (let position = start; position < end; position++) text += String.fromCharCode(bytes[position]!);
  return text;
}
