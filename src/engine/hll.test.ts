import { test } from "node:test";
import assert from "node:assert/strict";
import {
  addElement,
  createRegisters,
  estimateCardinality,
  HLL_HASH_SEED,
  HLL_RANK_MAX,
  HLL_REGISTER_COUNT,
  mergeInto,
  murmurHash64A,
  registerAndRank,
} from "./hll.js";

const toBigInt = (hash: { high: number; low: number }): bigint => (BigInt(hash.high) << 32n) | BigInt(hash.low);

/** MurmurHash64A in BigInt arithmetic: slow, obviously 64-bit, the reference for the fast one. */
function referenceMurmurHash64A(bytes: string, seed: number): bigint {
  const m = 0xc6a4a7935bd1e995n;
  const mask = (1n << 64n) - 1n;
  let h = (BigInt(seed) ^ (BigInt(bytes.length) * m)) & mask;
  const blocksEnd = bytes.length - (bytes.length & 7);
  for (let at = 0; at < blocksEnd; at += 8) {
    let k = 0n;
    for (let i = 7; i >= 0; i--) k = (k << 8n) | BigInt(bytes.charCodeAt(at + i));
    k = (k * m) & mask;
    k ^= k >> 47n;
    k = (k * m) & mask;
    h = ((h ^ k) * m) & mask;
  }
  if ((bytes.length & 7) !== 0) {
    for (let i = (bytes.length & 7) - 1; i >= 0; i--) h ^= BigInt(bytes.charCodeAt(blocksEnd + i)) << BigInt(8 * i);
    h = (h * m) & mask;
  }
  h ^= h >> 47n;
  h = (h * m) & mask;
  return h ^ (h >> 47n);
}

function sketchOf(count: number, prefix = "element:", from = 0): Uint8Array {
  const registers = createRegisters();
  for (let i = from; i < from + count; i++) addElement(registers, prefix + i);
  return registers;
}

test("MurmurHash64A matches published vectors", () => {
  // Published test vectors for MurmurHash64A ("hash me" with seeds 22 and 330).
  assert.equal(toBigInt(murmurHash64A("hash me", 22)), 15828218858260124487n);
  assert.equal(toBigInt(murmurHash64A("hash me", 330)), 11490980199443804233n);
  assert.equal(toBigInt(murmurHash64A("", 0)), 0n);
});

test("MurmurHash64A in 32-bit halves equals a BigInt reference for every tail length", () => {
  for (let n = 0; n < 3000; n++) {
    const length = n % 41;
    let bytes = "";
    for (let i = 0; i < length; i++) bytes += String.fromCharCode((n * 31 + i * 97 + (n >> 3) * i) & 0xff);
    assert.equal(toBigInt(murmurHash64A(bytes, HLL_HASH_SEED)), referenceMurmurHash64A(bytes, HLL_HASH_SEED), `input ${n}`);
  }
});

test("the register and rank come from the low 14 bits and the trailing zeros above them", () => {
  // "a" hashes to 0x53d2470a9b43b1a7: register 0x31a7, rest ...1110 → one trailing zero.
  assert.equal(toBigInt(murmurHash64A("a", HLL_HASH_SEED)), 0x53d2470a9b43b1a7n);
  assert.deepEqual(registerAndRank("a"), { register: 12711, rank: 2 });
  for (let i = 0; i < 1000; i++) {
    const { register, rank } = registerAndRank(`r${i}`);
    assert.ok(register >= 0 && register < HLL_REGISTER_COUNT);
    assert.ok(rank >= 1 && rank <= HLL_RANK_MAX);
  }
});

test("addElement reports a change only when a register rises", () => {
  const registers = createRegisters();
  assert.equal(addElement(registers, "a"), true);
  assert.equal(addElement(registers, "a"), false);
  assert.equal(registers[12711], 2);
});

test("small cardinalities are counted almost exactly", () => {
  assert.equal(estimateCardinality(createRegisters()), 0);
  assert.equal(estimateCardinality(sketchOf(1)), 1);
  assert.ok(Math.abs(estimateCardinality(sketchOf(100)) - 100) <= 2);
  assert.ok(Math.abs(estimateCardinality(sketchOf(10_000)) - 10_000) <= 10_000 * 0.025);
});

test("the estimate of 1,000,000 distinct elements is within 3 standard errors", () => {
  // Standard error 1.04 / sqrt(16384) ≈ 0.81%; this sketch measures +1.04%.
  const estimate = estimateCardinality(sketchOf(1_000_000));
  const relativeError = Math.abs(estimate - 1_000_000) / 1_000_000;
  assert.ok(relativeError < 0.025, `relative error ${relativeError}`);
});

test("merging two sketches gives exactly the sketch of the union", () => {
  const left = sketchOf(60_000, "u", 0);
  const right = sketchOf(60_000, "u", 40_000);
  mergeInto(left, right);
  assert.deepEqual(left, sketchOf(100_000, "u", 0));
  assert.ok(Math.abs(estimateCardinality(left) - 100_000) <= 100_000 * 0.025);
});

test("the estimate stays finite for registers beyond the largest rank", () => {
  const registers = sketchOf(1000);
  registers[7] = 255;
  const estimate = estimateCardinality(registers);
  assert.ok(Number.isFinite(estimate) && Math.abs(estimate - 1000) < 50, `estimate ${estimate}`);
});
