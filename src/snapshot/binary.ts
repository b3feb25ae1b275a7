/**
 * Little-endian binary primitives shared by the checkpoint and collection image formats:
 * a growable writer, and a bounds-checked reader that reports malformed input with the
 * offset where it was found instead of reading past the end or trusting a length.
 *
 * Byte strings (keys, string values) are written as latin1, one byte per char (see
 * engine/bytes.ts). 64-bit unsigned fields hold numbers up to Number.MAX_SAFE_INTEGER
 * (log indexes, terms, instants in ms): larger values are malformed on read.
 */
import type { ByteString } from "../engine/bytes.js";
import { assert } from "../lib/assert.js";

const TWO_TO_32 = 2 ** 32;

/** Malformed bytes: `what` went wrong at `offset` (relative to the buffer being read). */
export class MalformedInput extends Error {
  constructor(
    readonly what: string,
    readonly offset: number,
  ) {
    super(`${what} at offset ${offset}`);
    this.name = "MalformedInput";
  }
}

/** Appends fields to a buffer that doubles when full. */
export class ByteWriter {
  private buffer: Buffer;
  private end = 0;

  constructor(initialCapacityBytes: number) {
    assert(Number.isInteger(initialCapacityBytes) && initialCapacityBytes > 0, "writer capacity must be positive");
    this.buffer = Buffer.allocUnsafe(initialCapacityBytes);
  }

  get length(): number {
    return this.end;
  }

  get capacityBytes(): number {
    return this.buffer.length;
  }

  /** Starts over, keeping the buffer (for reuse once the previous bytes are consumed). */
  reset(): void {
    this.end = 0;
  }

  u8(value: number): void {
    this.ensure(1);
    this.end = this.buffer.writeUInt8(value, this.end);
  }

  u16(value: number): void {
    this.ensure(2);
    this.end = this.buffer.writeUInt16LE(value, this.end);
  }

  u32(value: number): void {
    this.ensure(4);
    this.end = this.buffer.writeUInt32LE(value, this.end);
  }

  /** A non-negative safe integer as u64 (low half first). */
  u64(value: number): void {
    assert(Number.isSafeInteger(value) && value >= 0, `u64 field out of range: ${value}`);
    this.ensure(8);
    this.buffer.writeUInt32LE(value % TWO_TO_32, this.end);
    this.buffer.writeUInt32LE(Math.floor(value / TWO_TO_32), this.end + 4);
    this.end += 8;
  }

  i64(value: bigint): void {
    this.ensure(8);
    this.end = this.buffer.writeBigInt64LE(value, this.end);
  }

  f64(value: number): void {
    this.ensure(8);
    this.end = this.buffer.writeDoubleLE(value, this.end);
  }

  /** The chars of a byte string, without a length prefix. */
  latin1(text: ByteString): void {
    this.ensure(text.length);
    this.end += this.buffer.write(text, this.end, text.length, "latin1");
  }

  bytes(data: Uint8Array): void {
    this.ensure(data.length);
    this.buffer.set(data, this.end);
    this.end += data.length;
  }

  /** The bytes written so far (a view, not a copy: do not write after taking it). */
  finish(): Buffer {
    return this.buffer.subarray(0, this.end);
  }

  private ensure(extraBytes: number): void {
    const needed = this.end + extraBytes;
    if (needed <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < needed) capacity *= 2;
    const grown = Buffer.allocUnsafe(capacity);
    this.buffer.copy(grown, 0, 0, this.end);
    this.buffer = grown;
  }
}

/** Reads fields in order; every read names what it reads so that failures say so. */
export class ByteReader {
  private position = 0;

  constructor(private readonly buffer: Buffer) {}

  get offset(): number {
    return this.position;
  }

  get remaining(): number {
    return this.buffer.length - this.position;
  }

  fail(what: string, offset = this.position): never {
    throw new MalformedInput(what, offset);
  }

  u8(what: string): number {
    this.need(1, what);
    return this.buffer[this.position++]!;
  }

  u16(what: string): number {
    this.need(2, what);
    const value = this.buffer.readUInt16LE(this.position);
    this.position += 2;
    return value;
  }

  u32(what: string): number {
    this.need(4, what);
    const value = this.buffer.readUInt32LE(this.position);
    this.position += 4;
    return value;
  }

  u64(what: string): number {
    this.need(8, what);
    const low = this.buffer.readUInt32LE(this.position);
    const high = this.buffer.readUInt32LE(this.position + 4);
    const value = high * TWO_TO_32 + low;
    if (!Number.isSafeInteger(value)) this.fail(`${what} beyond 2^53`);
    this.position += 8;
    return value;
  }

  i64(what: string): bigint {
    this.need(8, what);
    const value = this.buffer.readBigInt64LE(this.position);
    this.position += 8;
    return value;
  }

  f64(what: string): number {
    this.need(8, what);
    const value = this.buffer.readDoubleLE(this.position);
    this.position += 8;
    return value;
  }

  latin1(length: number, what: string): ByteString {
    this.need(length, what);
    const text = this.buffer.toString("latin1", this.position, this.position + length);
    this.position += length;
    return text;
  }

  /** A copy of the next `length` bytes. */
  bytes(length: number, what: string): Uint8Array {
    this.need(length, what);
    const copy = new Uint8Array(length);
    copy.set(this.buffer.subarray(this.position, this.position + length));
    this.position += length;
    return copy;
  }

  /** The next `length` bytes, shared with the input. */
  view(length: number, what: string): Buffer {
    this.need(length, what);
    const shared = this.buffer.subarray(this.position, this.position + length);
    this.position += length;
    return shared;
  }

  private need(length: number, what: string): void {
    if (length > this.buffer.length - this.position) {
      this.fail(`truncated ${what} (${length} bytes needed, ${this.remaining} left)`);
    }
  }
}
