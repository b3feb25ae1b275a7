/**
 * The primitive encodings of the peer protocol: unsigned varints, single bytes and
 * length-prefixed byte strings, written by ByteWriter and read back by ByteReader.
 * message_codec.ts and handshake.ts build their layouts from these.
 *
 *   varint   unsigned LEB128: 7 bits per byte, least significant group first, the high
 *            bit set on every byte but the last. At most 8 bytes (56 bits), the value at
 *            most Number.MAX_SAFE_INTEGER (2^53 - 1), and minimal: no trailing zero
 *            groups, so every number has exactly one encoding.
 *   u8       one byte
 *   bytes    varint length, then that many bytes
 *
 * Worked example: 300 = 0b10_0101100 is `ac 02` (0x2c | 0x80, then 0x02); the bytes
 * "hi" are `02 68 69`.
 *
 * ByteReader never trusts a length: every read checks the bytes that remain first, and
 * every failure is a WalnutError BAD_ARGUMENT "Cannot decode <what>: <state>".
 */
import { assert } from "../lib/assert.js";
import { WalnutError } from "../lib/errors.js";

/** The empty byte string, shared (it cannot be changed). */
const EMPTY_BYTES = new Uint8Array(0);

/** A varint of a value below 2^53 needs at most ceil(53 / 7) = 8 bytes. */
export const VARINT_BYTES_MAX = 8;

/** Appends primitives to a growing buffer. */
export class ByteWriter {
  private buffer: Buffer;
  private length = 0;

  constructor(initialBytes = 64) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
  }

  varint(value: number): this {
    if (!(Number.isSafeInteger(value) && value >= 0)) assert(false, `varint out of range: ${value}`);
    this.reserve(VARINT_BYTES_MAX);
    let rest = value;
    while (rest >= 0x80) {
      this.buffer[this.length++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    this.buffer[this.length++] = rest;
    return this;
  }

  u8(value: number): this {
    if (!(Number.isInteger(value) && value >= 0 && value <= 0xff)) assert(false, `u8 out of range: ${value}`);
    this.reserve(1);
    this.buffer[this.length++] = value;
    return this;
  }

  /** A varint length, then the bytes. */
  bytes(value: Uint8Array): this {
    this.varint(value.length);
    return this.raw(value);
  }

  /** The bytes alone, without a length (the reader must know how many to take). */
  raw(value: Uint8Array): this {
    this.reserve(value.length);
    this.buffer.set(value, this.length);
    this.length += value.length;
    return this;
  }

  /** The bytes written so far (a view, not a copy). */
  finish(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  private reserve(extraBytes: number): void {
    if (this.length + extraBytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + extraBytes));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
}

/** Reads primitives from a buffer, refusing anything malformed or truncated. */
export class ByteReader {
  private position = 0;
  /**
   * A private copy of the input, made on the first non-empty byte string: byte strings
   * are views into it (one allocation per message instead of one per entry, ~10x faster
   * to decode), and none of them pins the caller's buffer, such as a 64 KiB socket chunk.
   * Messages without byte strings (most heartbeats) copy nothing.
   */
  private copy: Uint8Array | null = null;

  /** `what` names the thing being decoded in error messages ("peer message"). */
  constructor(
    private readonly buffer: Uint8Array,
    private readonly what: string,
  ) {}

  get remainingBytes(): number {
    return this.buffer.length - this.position;
  }

  /** `field` (and `suffix`, kept apart so hot paths build no strings) names it in errors. */
  varint(field: string, suffix = ""): number {
    let value = 0;
    let scale = 1;
    for (let count = 0; count < VARINT_BYTES_MAX; count += 1) {
      if (this.position >= this.buffer.length) this.fail(`${field}${suffix} is truncated at byte ${this.position}`);
      const byte = this.buffer[this.position++]!;
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) {
        if (byte === 0 && count > 0) this.fail(`${field}${suffix} is a varint with a redundant zero byte`);
        if (value > Number.MAX_SAFE_INTEGER) this.fail(`${field}${suffix} ${value} exceeds 2^53 - 1`);
        return value;
      }
      scale *= 0x80;
    }
    return this.fail(`${field}${suffix} is a varint longer than ${VARINT_BYTES_MAX} bytes`);
  }

  u8(field: string): number {
    if (this.position >= this.buffer.length) this.fail(`${field} is truncated at byte ${this.position}`);
    return this.buffer[this.position++]!;
  }

  /** A varint length, then that many bytes, which must be at most `maxBytes`. */
  bytes(field: string, maxBytes: number): Uint8Array {
    const length = this.varint(field, " length");
    if (length > maxBytes) this.fail(`${field} length ${length} exceeds ${maxBytes}`);
    return this.raw(field, length);
  }

  /** Exactly `length` bytes: a view into the reader's private copy of the input. */
  raw(field: string, length: number): Uint8Array {
    if (length > this.remainingBytes) {
      this.fail(`${field} needs ${length} bytes but ${this.remainingBytes} remain at byte ${this.position}`);
    }
    if (length === 0) return EMPTY_BYTES;
    if (this.copy === null) {
      this.copy = new Uint8Array(this.buffer.length);
      this.copy.set(this.buffer);
    }
    const view = this.copy.subarray(this.position, this.position + length);
    this.position += length;
    return view;
  }

  /** A count of items that each take at least `minimumItemBytes`: refused if the rest cannot hold them. */
  count(field: string, minimumItemBytes: number): number {
    const count = this.varint(field);
    if (count * minimumItemBytes > this.remainingBytes) {
      this.fail(`${field} ${count} cannot fit in the ${this.remainingBytes} bytes that remain`);
    }
    return count;
  }

  /** Refuses trailing bytes after a complete value. */
  end(): void {
    if (this.remainingBytes !== 0) this.fail(`${this.remainingBytes} unexpected bytes after the end at byte ${this.position}`);
  }

  fail(state: string): never {
    throw new WalnutError("BAD_ARGUMENT", `Cannot decode ${this.what}: ${state}`);
  }
}
