/**
 * Bits of a byte string, numbered as Redis numbers them: bit 0 is the most significant
 * bit of byte 0, bit 8 the most significant bit of byte 1. Bits past the end of the
 * string read as 0. These are the pure operations behind SETBIT, GETBIT, BITCOUNT,
 * BITPOS, BITOP and BITFIELD (commands/bitmaps.ts); they know nothing of keys.
 *
 * Bitfield integers are up to 64 bits wide, so they are bigints: an unsigned field is
 * 0..2^bits-1, a signed one two's complement. Overflow handling follows Redis 7.0's
 * arithmetic exactly, including its int64 wrap-arounds (see checkSignedOverflow).
 */
import type { ByteString } from "./bytes.js";

/** Set bits in every byte value 0..255. */
const POPCOUNT = Uint8Array.from({ length: 256 }, (_, byte) => {
  let count = 0;
  for (let rest = byte; rest !== 0; rest >>= 1) count += rest & 1;
  return count;
});

/** The bit at `offset` of `bytes` (0 past the end). */
export function bitAt(bytes: ByteString, offset: number): 0 | 1 {
  const byte = Math.floor(offset / 8);
  if (byte >= bytes.length) return 0;
  return ((bytes.charCodeAt(byte) >> (7 - (offset % 8))) & 1) as 0 | 1;
}

/** Set bits among bits first..last (inclusive, both within the string). */
export function countBits(bytes: ByteString, first: number, last: number): number {
  if (first > last) return 0;
  const firstByte = Math.floor(first / 8);
  const lastByte = Math.floor(last / 8);
  let count = 0;
  for (let at = firstByte; at <= lastByte; at++) count += POPCOUNT[bytes.charCodeAt(at)]!;
  // Take away the bits of the edge bytes that lie outside the range.
  const before = (0xff00 >> (first % 8)) & 0xff; // bits of the first byte before `first`
  const after = 0xff >> ((last % 8) + 1); // bits of the last byte after `last`
  count -= POPCOUNT[bytes.charCodeAt(firstByte) & before]!;
  count -= POPCOUNT[bytes.charCodeAt(lastByte) & after]!;
  return count;
}

/** The first bit equal to `bit` among bits first..last (inclusive), or -1. */
export function findBit(bytes: ByteString, bit: 0 | 1, first: number, last: number): number {
  const skip = bit === 1 ? 0x00 : 0xff; // a byte with no wanted bit
  let offset = first;
  while (offset <= last) {
    if (offset % 8 === 0 && offset + 7 <= last && bytes.charCodeAt(offset / 8) === skip) {
      offset += 8;
      continue;
    }
    if (bitAt(bytes, offset) === bit) return offset;
    offset++;
  }
  return -1;
}

/** The string `bytes` grown with zero bytes to at least `length` bytes, as a Buffer to edit. */
export function editableBytes(bytes: ByteString, length: number): Buffer {
  const buffer = Buffer.alloc(Math.max(length, bytes.length));
  buffer.write(bytes, 0, "latin1");
  return buffer;
}

/** Sets the bit at `offset` of `buffer` (which must be long enough). */
export function setBit(buffer: Buffer, offset: number, bit: 0 | 1): void {
  const byte = Math.floor(offset / 8);
  const mask = 1 << (7 - (offset % 8));
  buffer[byte] = bit === 1 ? buffer[byte]! | mask : buffer[byte]! & ~mask;
}

export type BitwiseOperation = "AND" | "OR" | "XOR" | "NOT";

/**
 * BITOP's result: the operation over the sources byte by byte, each source padded with
 * zero bytes to the longest one's length (NOT takes exactly one source).
 */
export function combineBytes(operation: BitwiseOperation, sources: readonly ByteString[]): ByteString {
  const length = Math.max(0, ...sources.map((source) => source.length));
  const result = Buffer.alloc(length);
  if (operation === "NOT") {
    const [source] = sources;
    for (let at = 0; at < length; at++) result[at] = ~source!.charCodeAt(at) & 0xff;
    return result.toString("latin1");
  }
  for (let at = 0; at < length; at++) {
    let value = at < sources[0]!.length ? sources[0]!.charCodeAt(at) : 0;
    for (let i = 1; i < sources.length; i++) {
      const source = sources[i]!;
      const byte = at < source.length ? source.charCodeAt(at) : 0;
      if (operation === "AND") value &= byte;
      else if (operation === "OR") value |= byte;
      else value ^= byte;
    }
    result[at] = value;
  }
  return result.toString("latin1");
}

// ——— Bitfields ———

export interface BitfieldType {
  signed: boolean;
  /** 1..64 when signed, 1..63 when not. */
  bits: number;
}

export type OverflowMode = "WRAP" | "SAT" | "FAIL";

const asInt64 = (value: bigint): bigint => BigInt.asIntN(64, value);
const asUint64 = (value: bigint): bigint => BigInt.asUintN(64, value);

/** The unsigned field of `bits` bits at `offset` of `bytes` (bits past the end read 0). */
export function readUnsigned(bytes: ByteString | Buffer, offset: number, bits: number): bigint {
  let value = 0n;
  for (let i = 0; i < bits; i++) {
    const at = offset + i;
    const byte = Math.floor(at / 8);
    const code = typeof bytes === "string" ? (byte < bytes.length ? bytes.charCodeAt(byte) : 0) : (bytes[byte] ?? 0);
    value = (value << 1n) | BigInt((code >> (7 - (at % 8))) & 1);
  }
  return value;
}

/** The field at `offset` read as the type says (sign-extended when signed). */
export function readField(bytes: ByteString | Buffer, offset: number, type: BitfieldType): bigint {
  const value = readUnsigned(bytes, offset, type.bits);
  return type.signed ? BigInt.asIntN(type.bits, value) : value;
}

/** Writes the low `bits` bits of `value` (any bigint, taken as 64-bit two's complement) at `offset`. */
export function writeField(buffer: Buffer, offset: number, bits: number, value: bigint): void {
  const word = asUint64(value);
  for (let i = 0; i < bits; i++) {
    setBit(buffer, offset + i, Number((word >> BigInt(bits - 1 - i)) & 1n) as 0 | 1);
  }
}

/**
 * Whether `value + increment` overflows an unsigned field, and what to store instead
 * (the wrapped or saturated value; undefined under FAIL). `value` is a uint64 (SET passes
 * its int64 argument reinterpreted, so a negative SET counts as too large, as in Redis).
 */
export function checkUnsignedOverflow(
  value: bigint,
  increment: bigint,
  bits: number,
  mode: OverflowMode,
): { overflow: boolean; replacement?: bigint } {
  const max = (1n << BigInt(bits)) - 1n;
  const maxIncrement = asInt64(max - value);
  const minIncrement = asInt64(-value);
  let saturated: bigint;
  if (value > max || (increment > 0n && increment > maxIncrement)) saturated = max;
  else if (increment < 0n && increment < minIncrement) saturated = 0n;
  else return { overflow: false };
  if (mode === "WRAP") return { overflow: true, replacement: asUint64(value + increment) & max };
  if (mode === "SAT") return { overflow: true, replacement: saturated };
  return { overflow: true };
}

/**
 * Whether `value + increment` overflows a signed field, and what to store instead. This
 * is Redis 7.0's test as it computes it in int64: its limits on the increment wrap around
 * for a SET far outside the field's range, so SET i8 with -2^63 saturates to 127, not -128.
 */
export function checkSignedOverflow(
  value: bigint,
  increment: bigint,
  bits: number,
  mode: OverflowMode,
): { overflow: boolean; replacement?: bigint } {
  const max = bits === 64 ? 2n ** 63n - 1n : (1n << BigInt(bits - 1)) - 1n;
  const min = -max - 1n;
  const maxIncrement = asInt64(max - value);
  const minIncrement = asInt64(min - value);
  let saturated: bigint;
  if (value > max || (bits !== 64 && increment > maxIncrement) || (value >= 0n && increment > 0n && increment > maxIncrement)) {
    saturated = max;
  } else if (value < min || (bits !== 64 && increment < minIncrement) || (value < 0n && increment < 0n && increment < minIncrement)) {
    saturated = min;
  } else {
    return { overflow: false };
  }
  if (mode === "WRAP") return { overflow: true, replacement: BigInt.asIntN(bits, value + increment) };
  if (mode === "SAT") return { overflow: true, replacement: saturated };
  return { overflow: true };
}
