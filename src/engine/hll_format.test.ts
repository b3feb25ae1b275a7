import { test } from "node:test";
import assert from "node:assert/strict";
import { HLL_DENSE_BYTES, hllShapeError, RedisHll } from "./hll_format.js";

const hex = (bytes: string): string => Buffer.from(bytes, "latin1").toString("hex");

test("a new HLL is Redis' sparse string: header and one XZERO for all registers", () => {
  assert.equal(hex(RedisHll.empty().toBytes()), "48594c4c01000000" + "0000000000000000" + "7fff");
});

test("adding 'a' splits the XZERO around register 12711, as the file comment shows", () => {
  const hll = RedisHll.empty();
  assert.equal(hll.add("a"), 1);
  assert.equal(hll.add("a"), 0);
  hll.invalidateCache();
  assert.equal(hex(hll.toBytes()), "48594c4c01000000" + "0000000000000080" + "71a6844e57");
  assert.equal(hll.count(), 1n);
});

test("neighbouring registers of one value merge into one VAL opcode", () => {
  const hll = RedisHll.empty();
  hll.raise(10, 3);
  hll.raise(11, 3);
  hll.raise(12, 3);
  // ZERO 10, VAL 3 x3, XZERO for the rest
  assert.equal(hex(hll.toBytes()).slice(32), "09" + "8a" + "7ff2");
});

test("a register above 32 turns the HLL dense, keeping every register", () => {
  const hll = RedisHll.empty();
  hll.raise(0, 7);
  hll.raise(16383, 33);
  assert.equal(hll.isSparse, false);
  const bytes = hll.toBytes();
  assert.equal(bytes.length, HLL_DENSE_BYTES);
  const registers = new Uint8Array(16384);
  assert.ok(hll.mergeInto(registers));
  assert.equal(registers[0], 7);
  assert.equal(registers[16383], 33);
  assert.equal(registers.reduce((sum, value) => sum + value, 0), 40);
});

test("the shape check refuses what Redis refuses; a sparse code that does not cover 16384 registers is corrupt", () => {
  assert.equal(hllShapeError("HYLL"), "not-hll");
  assert.equal(hllShapeError("HYLX\x01\0\0\0\0\0\0\0\0\0\0\0\x7f\xff"), "not-hll");
  assert.equal(hllShapeError("HYLL\x02\0\0\0\0\0\0\0\0\0\0\0\x7f\xff"), "not-hll");
  assert.equal(hllShapeError("HYLL\x00\0\0\0\0\0\0\0\0\0\0\0\x7f\xff"), "not-hll");
  assert.equal(hllShapeError(RedisHll.empty().toBytes()), null);
  const short = RedisHll.fromBytes("HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x00");
  assert.equal(short.count(), null);
  assert.equal(short.add("a"), -1);
  assert.equal(short.mergeInto(new Uint8Array(16384)), false);
});

test("the cardinality cache is little-endian with a stale bit in its last byte", () => {
  const hll = RedisHll.empty();
  assert.equal(hll.cachedCardinality(), 0n);
  hll.invalidateCache();
  assert.equal(hll.cachedCardinality(), null);
  hll.setCachedCardinality(0x0102n);
  assert.equal(hex(hll.toBytes()).slice(16, 32), "0201000000000000");
  assert.equal(hll.cachedCardinality(), 258n);
});
