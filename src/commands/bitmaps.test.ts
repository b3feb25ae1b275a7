import { test } from "node:test";
import assert from "node:assert/strict";
import { Engine } from "../engine/engine.js";
import { countBits, findBit, checkSignedOverflow, checkUnsignedOverflow } from "../engine/bits.js";
import { array, bulk, error, integer, NIL, WRONGTYPE } from "../engine/reply.js";
import { NOW_MS, read, run } from "./testing.js";

function engineWith(...lines: string[]): Engine {
  const engine = new Engine();
  for (const line of lines) run(engine, line);
  return engine;
}

test("countBits and findBit number bits from the most significant bit of byte 0", () => {
  const bytes = "\xf0\x0f";
  assert.equal(countBits(bytes, 0, 15), 8);
  assert.equal(countBits(bytes, 2, 13), 4);
  assert.equal(countBits(bytes, 4, 11), 0);
  assert.equal(findBit(bytes, 0, 0, 15), 4);
  assert.equal(findBit(bytes, 1, 4, 15), 12);
  assert.equal(findBit(bytes, 1, 4, 11), -1);
});

test("bitfield overflow: WRAP wraps, SAT saturates, FAIL gives no replacement", () => {
  assert.deepEqual(checkUnsignedOverflow(3n, 1n, 2, "WRAP"), { overflow: true, replacement: 0n });
  assert.deepEqual(checkUnsignedOverflow(3n, 1n, 2, "SAT"), { overflow: true, replacement: 3n });
  assert.deepEqual(checkUnsignedOverflow(3n, 1n, 2, "FAIL"), { overflow: true });
  assert.deepEqual(checkUnsignedOverflow(1n, -2n, 2, "SAT"), { overflow: true, replacement: 0n });
  assert.deepEqual(checkSignedOverflow(127n, 1n, 8, "WRAP"), { overflow: true, replacement: -128n });
  assert.deepEqual(checkSignedOverflow(-128n, -1n, 8, "SAT"), { overflow: true, replacement: -128n });
  assert.deepEqual(checkSignedOverflow(5n, 1n, 8, "FAIL"), { overflow: false });
  // Redis computes the limits in int64: a SET far below i8's range saturates high.
  assert.deepEqual(checkSignedOverflow(-(2n ** 63n), 0n, 8, "SAT"), { overflow: true, replacement: 127n });
});

test("SETBIT grows the string with zero bytes and answers the previous bit", () => {
  const engine = new Engine();
  assert.deepEqual(run(engine, "SETBIT k 9 1"), integer(0));
  assert.deepEqual(run(engine, "SETBIT k 9 1"), integer(1));
  assert.deepEqual(read(engine, "GET k"), bulk("\x00\x40"));
  assert.deepEqual(read(engine, "GETBIT k 9"), integer(1));
  assert.deepEqual(read(engine, "GETBIT k 1000"), integer(0));
  assert.deepEqual(run(engine, "SETBIT k 1 2"), error("ERR", "bit is not an integer or out of range"));
  assert.deepEqual(run(engine, "SETBIT k 4294967296 1"), error("ERR", "bit offset is not an integer or out of range"));
});

test("bit commands read typed values as their text, keep a blob a blob and keep the expiry", () => {
  const engine = engineWith("SET n 42 AS integer", "SET b x AS blob", "SET t x PX 5000");
  assert.deepEqual(read(engine, "BITCOUNT n"), integer(6)); // "4" = 0x34, "2" = 0x32
  assert.deepEqual(run(engine, "SETBIT n 6 1"), integer(0));
  assert.deepEqual(read(engine, "GET n"), bulk("62"));
  assert.equal(read(engine, "TYPE n").type, "status");
  run(engine, "SETBIT b 15 1");
  assert.equal(engine.requireCollection("default").get("b")?.kind, "blob");
  run(engine, "BITFIELD t SET u8 8 65");
  assert.deepEqual(read(engine, "GET t"), bulk("xA"));
  assert.deepEqual(read(engine, "PEXPIRETIME t"), integer(NOW_MS + 5000));
});

test("bit commands answer WRONGTYPE for lists; BITOP replaces any destination", () => {
  const engine = engineWith("RPUSH l a", "SET s ab");
  assert.deepEqual(run(engine, "SETBIT l 0 1"), WRONGTYPE);
  assert.deepEqual(read(engine, "BITCOUNT l"), WRONGTYPE);
  assert.deepEqual(read(engine, "BITPOS l 1"), WRONGTYPE);
  assert.deepEqual(run(engine, "BITOP NOT l s"), integer(2));
  assert.deepEqual(read(engine, "GET l"), bulk("\x9e\x9d"));
  assert.deepEqual(run(engine, "BITOP AND l none"), integer(0));
  assert.deepEqual(read(engine, "EXISTS l"), integer(0));
});

test("BITFIELD runs its operations in order; OVERFLOW FAIL answers nil and still creates the key", () => {
  const engine = new Engine();
  assert.deepEqual(
    run(engine, "BITFIELD k OVERFLOW FAIL INCRBY u2 0 4 SET u2 0 3 INCRBY u2 0 1 OVERFLOW SAT INCRBY u2 0 1"),
    array([NIL, integer(0), NIL, integer(3)]),
  );
  assert.deepEqual(read(engine, "GET k"), bulk("\xc0"));
  assert.deepEqual(read(engine, "BITFIELD_RO k GET i2 0 GET u8 #0"), array([integer(-1), integer(192)]));
  assert.deepEqual(read(engine, "BITFIELD_RO k SET u2 0 1"), error("ERR", "BITFIELD_RO only supports the GET subcommand"));
});
