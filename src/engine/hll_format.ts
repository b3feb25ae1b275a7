/**
 * HyperLogLogs as Redis keeps them: a string of bytes that GET answers, SET accepts, and
 * another server (Redis or walnut) counts the same. walnut stores HLLs as plain strings
 * in exactly this format, and builds them byte for byte as Redis 7.0 does, so the same
 * PFADD sequence leaves the same bytes in both.
 *
 * Layout (Redis' hyperloglog.c):
 *
 *   header  16 bytes: "HYLL" | encoding (0 dense, 1 sparse) | 3 unused bytes (0) |
 *           8-byte cardinality cache, little-endian; bit 7 of its last byte set = stale
 *   dense   16384 registers of 6 bits, register i at bits 6i..6i+5 counting from the
 *           least significant bit of byte 0 (12288 bytes: 12304 with the header)
 *   sparse  a run-length code of the registers, opcodes:
 *             ZERO   00xxxxxx           xxxxxx+1 registers (1..64) hold 0
 *             XZERO  01xxxxxx yyyyyyyy  the 14-bit count+1 (1..16384) registers hold 0
 *             VAL    1vvvvvxx           xx+1 registers (1..4) hold vvvvv+1 (1..32)
 *
 * A new HLL is sparse: the header and one XZERO for all 16384 registers. A register is
 * set in place by splitting the opcode that covers it (at most XZERO VAL XZERO, 5 bytes)
 * and merging equal neighbouring VALs; the HLL turns dense (for good) when a register
 * needs a value above 32, or when the sparse string would grow past hll-sparse-max-bytes
 * (3000, Redis' default, header included).
 *
 * Example: PFADD k a on a new key gives 16 + 5 bytes:
 *   48594c4c 01 000000 0000000000000080   "HYLL", sparse, cache stale
 *   71 a6 | 84 | 4e 57                    XZERO 12711, VAL 2 ×1, XZERO 3672
 */
import { assert } from "../lib/assert.js";
import type { ByteString } from "./bytes.js";
import { estimateFromHistogram, HLL_REGISTER_COUNT, registerAndRank } from "./hll.js";

export const HLL_HEADER_BYTES = 16;
/** Bits per register in the dense encoding. */
const REGISTER_BITS = 6;
const REGISTER_MAX = (1 << REGISTER_BITS) - 1;
export const HLL_DENSE_BYTES = HLL_HEADER_BYTES + (HLL_REGISTER_COUNT * REGISTER_BITS) / 8;
/** Redis' hll-sparse-max-bytes default: the largest sparse HLL, header included. */
export const HLL_SPARSE_MAX_BYTES = 3000;

const ENCODING_DENSE = 0;
const ENCODING_SPARSE = 1;
const ENCODING_AT = 4;
const CACHE_AT = 8;
const STALE_BIT = 0x80;

const VAL_VALUE_MAX = 32;
const VAL_LENGTH_MAX = 4;
const ZERO_LENGTH_MAX = 64;
const XZERO_LENGTH_MAX = 16384;

const isZero = (op: number): boolean => (op & 0xc0) === 0x00;
const isXZero = (op: number): boolean => (op & 0xc0) === 0x40;
const isVal = (op: number): boolean => (op & 0x80) !== 0;
const zeroLength = (op: number): number => (op & 0x3f) + 1;
const xzeroLength = (op: number, next: number): number => (((op & 0x3f) << 8) | next) + 1;
const valValue = (op: number): number => ((op >> 2) & 0x1f) + 1;
const valLength = (op: number): number => (op & 0x3) + 1;
const valOp = (value: number, length: number): number => 0x80 | ((value - 1) << 2) | (length - 1);
const zeroOp = (length: number): number => length - 1;
const xzeroOps = (length: number): [number, number] => [0x40 | ((length - 1) >> 8), (length - 1) & 0xff];

/** Why a string is not a HyperLogLog Redis would count, or null when it is one. */
export function hllShapeError(bytes: ByteString): "not-hll" | null {
  if (bytes.length < HLL_HEADER_BYTES) return "not-hll";
  if (!bytes.startsWith("HYLL")) return "not-hll";
  const encoding = bytes.charCodeAt(ENCODING_AT);
  if (encoding > ENCODING_SPARSE) return "not-hll";
  if (encoding === ENCODING_DENSE && bytes.length !== HLL_DENSE_BYTES) return "not-hll";
  return null;
}

/**
 * One HLL being read or changed: the header and, when sparse, the opcodes as an array
 * of bytes (splicing is simple and the code is at most 3000 bytes), when dense the 12288
 * register bytes. Built from a string that passed hllShapeError.
 */
export class RedisHll {
  private header: Uint8Array;
  private sparse: number[] | null;
  private dense: Uint8Array | null;

  private constructor(header: Uint8Array, sparse: number[] | null, dense: Uint8Array | null) {
    this.header = header;
    this.sparse = sparse;
    this.dense = dense;
  }

  /** A new, empty HLL as PFADD creates it: sparse, one XZERO, cached cardinality 0. */
  static empty(): RedisHll {
    const header = new Uint8Array(HLL_HEADER_BYTES);
    header.set([0x48, 0x59, 0x4c, 0x4c, ENCODING_SPARSE]);
    return new RedisHll(header, xzeroOps(XZERO_LENGTH_MAX), null);
  }

  static fromBytes(bytes: ByteString): RedisHll {
    assert(hllShapeError(bytes) === null, "RedisHll.fromBytes takes a string that has an HLL's shape");
    const all = Buffer.from(bytes, "latin1");
    const header = Uint8Array.from(all.subarray(0, HLL_HEADER_BYTES));
    const body = all.subarray(HLL_HEADER_BYTES);
    if (header[ENCODING_AT] === ENCODING_SPARSE) return new RedisHll(header, Array.from(body), null);
    return new RedisHll(header, null, Uint8Array.from(body));
  }

  /** An HLL holding `registers` (values up to 63), dense, with a stale cache. */
  static denseFromRegisters(registers: Uint8Array): RedisHll {
    const hll = RedisHll.empty();
    hll.header[ENCODING_AT] = ENCODING_DENSE;
    hll.sparse = null;
    hll.dense = new Uint8Array(HLL_DENSE_BYTES - HLL_HEADER_BYTES);
    for (let i = 0; i < HLL_REGISTER_COUNT; i++) if (registers[i]! > 0) setDenseRegister(hll.dense, i, Math.min(registers[i]!, REGISTER_MAX));
    hll.invalidateCache();
    return hll;
  }

  get isSparse(): boolean {
    return this.sparse !== null;
  }

  toBytes(): ByteString {
    const body = this.sparse !== null ? Uint8Array.from(this.sparse) : this.dense!;
    return Buffer.concat([this.header, body]).toString("latin1");
  }

  invalidateCache(): void {
    this.header[CACHE_AT + 7] = this.header[CACHE_AT + 7]! | STALE_BIT;
  }

  /** The cached cardinality (a uint64), or null when it is stale. */
  cachedCardinality(): bigint | null {
    if ((this.header[CACHE_AT + 7]! & STALE_BIT) !== 0) return null;
    let value = 0n;
    for (let i = 7; i >= 0; i--) value = (value << 8n) | BigInt(this.header[CACHE_AT + i]!);
    return value;
  }

  setCachedCardinality(cardinality: bigint): void {
    let value = cardinality;
    for (let i = 0; i < 8; i++) {
      this.header[CACHE_AT + i] = Number(value & 0xffn);
      value >>= 8n;
    }
  }

  /** Adds one element: 1 when a register rose, 0 when none did, -1 for a corrupt sparse code. */
  add(element: ByteString): 1 | 0 | -1 {
    const { register, rank } = registerAndRank(element);
    return this.raise(register, rank);
  }

  /** Raises register `index` to `value` if it is lower: 1 when it rose, 0 when not, -1 when corrupt. */
  raise(index: number, value: number): 1 | 0 | -1 {
    if (this.dense !== null) return raiseDense(this.dense, index, value);
    const result = sparseRaise(this.sparse!, index, value, HLL_HEADER_BYTES);
    if (result !== "promote") return result;
    if (!this.promote()) return -1;
    const raised = raiseDense(this.dense!, index, value);
    assert(raised === 1, "a register that needed the dense encoding rises in it");
    return 1;
  }

  /** Turns a sparse HLL dense, keeping the header; false when the sparse code is corrupt. */
  promote(): boolean {
    if (this.sparse === null) return true;
    const registers = sparseRegisters(this.sparse);
    if (registers === null) return false;
    const dense = new Uint8Array(HLL_DENSE_BYTES - HLL_HEADER_BYTES);
    for (let i = 0; i < HLL_REGISTER_COUNT; i++) if (registers[i]! > 0) setDenseRegister(dense, i, registers[i]!);
    this.dense = dense;
    this.sparse = null;
    this.header[ENCODING_AT] = ENCODING_DENSE;
    return true;
  }

  /** Raises every register of `into` to at least this HLL's; false when the sparse code is corrupt. */
  mergeInto(into: Uint8Array): boolean {
    if (this.dense !== null) {
      for (let i = 0; i < HLL_REGISTER_COUNT; i++) {
        const value = denseRegister(this.dense, i);
        if (value > into[i]!) into[i] = value;
      }
      return true;
    }
    const registers = sparseRegisters(this.sparse!);
    if (registers === null) return false;
    for (let i = 0; i < HLL_REGISTER_COUNT; i++) if (registers[i]! > into[i]!) into[i] = registers[i]!;
    return true;
  }

  /** The estimated cardinality, or null when the sparse code is corrupt. */
  count(): bigint | null {
    const histogram = new Array<number>(64).fill(0);
    if (this.dense !== null) {
      for (let i = 0; i < HLL_REGISTER_COUNT; i++) histogram[denseRegister(this.dense, i)]! += 1;
      return redisCardinality(estimateFromHistogram(histogram));
    }
    const code = this.sparse!;
    let covered = 0;
    for (let at = 0; at < code.length; ) {
      const op = code[at]!;
      if (isZero(op)) {
        histogram[0]! += zeroLength(op);
        covered += zeroLength(op);
        at += 1;
      } else if (isXZero(op)) {
        const length = xzeroLength(op, code[at + 1] ?? 0);
        histogram[0]! += length;
        covered += length;
        at += 2;
      } else {
        histogram[valValue(op)]! += valLength(op);
        covered += valLength(op);
        at += 1;
      }
    }
    if (covered !== HLL_REGISTER_COUNT) return null;
    return redisCardinality(estimateFromHistogram(histogram));
  }
}

/** The estimate of raw register values (one per byte): PFCOUNT of several keys. */
export function countRegisters(registers: Uint8Array): bigint {
  const histogram = new Array<number>(64).fill(0);
  for (let i = 0; i < HLL_REGISTER_COUNT; i++) histogram[registers[i]!]! += 1;
  return redisCardinality(estimateFromHistogram(histogram));
}

/**
 * The estimate as the uint64 Redis keeps: it rounds with llroundl, which gives INT64_MIN
 * for an infinite or too large estimate (registers all far above any real element's rank
 * make the estimate infinite), so such an HLL counts 2^63 and PFCOUNT answers -2^63.
 */
function redisCardinality(estimate: number): bigint {
  if (!Number.isFinite(estimate) || estimate >= 2 ** 63) return 2n ** 63n;
  return BigInt(estimate);
}

function denseRegister(dense: Uint8Array, index: number): number {
  const bit = index * REGISTER_BITS;
  const byte = bit >> 3;
  const shift = bit & 7;
  // The byte after the last register is sds' terminator in Redis: it reads as 0.
  return ((dense[byte]! >> shift) | ((dense[byte + 1] ?? 0) << (8 - shift))) & REGISTER_MAX;
}

function setDenseRegister(dense: Uint8Array, index: number, value: number): void {
  const bit = index * REGISTER_BITS;
  const byte = bit >> 3;
  const shift = bit & 7;
  dense[byte] = (dense[byte]! & ~(REGISTER_MAX << shift)) | ((value << shift) & 0xff);
  if (byte + 1 < dense.length) {
    dense[byte + 1] = (dense[byte + 1]! & ~(REGISTER_MAX >> (8 - shift))) | (value >> (8 - shift));
  }
}

function raiseDense(dense: Uint8Array, index: number, value: number): 1 | 0 {
  if (denseRegister(dense, index) >= value) return 0;
  setDenseRegister(dense, index, value);
  return 1;
}

/** Every register of a sparse code, or null when the code does not cover exactly 16384. */
function sparseRegisters(code: number[]): Uint8Array | null {
  const registers = new Uint8Array(HLL_REGISTER_COUNT);
  let index = 0;
  for (let at = 0; at < code.length; ) {
    const op = code[at]!;
    if (isZero(op)) {
      index += zeroLength(op);
      at += 1;
    } else if (isXZero(op)) {
      index += xzeroLength(op, code[at + 1] ?? 0);
      at += 2;
    } else {
      const length = valLength(op);
      if (index + length > HLL_REGISTER_COUNT) return null;
      registers.fill(valValue(op), index, index + length);
      index += length;
      at += 1;
    }
  }
  return index === HLL_REGISTER_COUNT ? registers : null;
}

/** The opcodes for a run of `length` zero registers (ZERO up to 64, XZERO beyond). */
function zeroRun(length: number): number[] {
  return length > ZERO_LENGTH_MAX ? xzeroOps(length) : [zeroOp(length)];
}

/**
 * Raises register `index` to `value` in a sparse code, in place, as Redis' hllSparseSet
 * does: 1 when it rose, 0 when it already held as much, -1 when the code is corrupt,
 * "promote" when the value or the grown code does not fit the sparse encoding.
 */
function sparseRaise(code: number[], index: number, value: number, headerBytes: number): 1 | 0 | -1 | "promote" {
  if (value > VAL_VALUE_MAX) return "promote";
  // Find the opcode covering `index`, the register it starts at, and the opcode before it.
  let at = 0;
  let first = 0;
  let previous = -1;
  let span = 0;
  while (at < code.length) {
    const op = code[at]!;
    const width = isXZero(op) ? 2 : 1;
    span = isZero(op) ? zeroLength(op) : isVal(op) ? valLength(op) : xzeroLength(op, code[at + 1] ?? 0);
    if (index <= first + span - 1) break;
    previous = at;
    at += width;
    first += span;
  }
  if (span === 0 || at >= code.length) return -1;
  const op = code[at]!;
  const last = first + span - 1;
  if (isVal(op)) {
    if (valValue(op) >= value) return 0;
    if (valLength(op) === 1) {
      code[at] = valOp(value, 1);
      mergeValues(code, previous);
      return 1;
    }
  }
  if (isZero(op) && zeroLength(op) === 1) {
    code[at] = valOp(value, 1);
    mergeValues(code, previous);
    return 1;
  }
  // Split the opcode: the registers before `index`, `index` itself, the registers after.
  const replacement: number[] = [];
  if (isVal(op)) {
    const current = valValue(op);
    if (index !== first) replacement.push(valOp(current, index - first));
    replacement.push(valOp(value, 1));
    if (index !== last) replacement.push(valOp(current, last - index));
  } else {
    if (index !== first) replacement.push(...zeroRun(index - first));
    replacement.push(valOp(value, 1));
    if (index !== last) replacement.push(...zeroRun(last - index));
  }
  const oldWidth = isXZero(op) ? 2 : 1;
  const growth = replacement.length - oldWidth;
  if (growth > 0 && headerBytes + code.length + growth > HLL_SPARSE_MAX_BYTES) return "promote";
  code.splice(at, oldWidth, ...replacement);
  mergeValues(code, previous);
  return 1;
}

/** Merges adjacent VALs of equal value, scanning up to 5 opcodes from `from` (Redis' step 4). */
function mergeValues(code: number[], from: number): void {
  let at = from >= 0 ? from : 0;
  let scans = 5;
  while (at < code.length && scans-- > 0) {
    const op = code[at]!;
    if (isXZero(op)) {
      at += 2;
      continue;
    }
    if (isZero(op)) {
      at += 1;
      continue;
    }
    const next = code[at + 1];
    if (next !== undefined && isVal(next) && valValue(op) === valValue(next)) {
      const length = valLength(op) + valLength(next);
      if (length <= VAL_LENGTH_MAX) {
        code[at + 1] = valOp(valValue(op), length);
        code.splice(at, 1);
        continue;
      }
    }
    at += 1;
  }
}
