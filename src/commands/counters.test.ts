import { test } from "node:test";
import assert from "node:assert/strict";
import { Engine } from "../engine/engine.js";
import { bulk, error, integer, status, WRONGTYPE } from "../engine/reply.js";
import { read, run } from "./testing.js";

const NOT_AN_INTEGER = error("ERR", "value is not an integer or out of range");
const OVERFLOW = error("ERR", "increment or decrement would overflow");
const NOT_A_FLOAT = error("ERR", "value is not a valid float");

test("INCR and DECR count from 0 and store an integer item", () => {
  const engine = new Engine();
  assert.deepEqual(run(engine, "INCR n"), integer(1));
  assert.deepEqual(run(engine, "INCR n"), integer(2));
  assert.deepEqual(run(engine, "DECR n"), integer(1));
  assert.deepEqual(run(engine, "DECR m"), integer(-1));
  assert.deepEqual(read(engine, "WALNUT.TYPE n"), status("integer"));
  assert.deepEqual(read(engine, "GET n"), bulk("1"));
});

test("INCR on a string holding an integer turns it into an integer item", () => {
  const engine = new Engine();
  run(engine, "SET n 41");
  assert.deepEqual(read(engine, "WALNUT.TYPE n"), status("string"));
  assert.deepEqual(run(engine, "INCR n"), integer(42));
  assert.deepEqual(read(engine, "WALNUT.TYPE n"), status("integer"));
});

test("INCRBY and DECRBY add and subtract their argument", () => {
  const engine = new Engine();
  assert.deepEqual(run(engine, "INCRBY n 10"), integer(10));
  assert.deepEqual(run(engine, "DECRBY n 25"), integer(-15));
  assert.deepEqual(run(engine, "INCRBY n -5"), integer(-20));
});

test("counters refuse values and arguments that are not int64 integers", () => {
  const engine = new Engine();
  for (const value of ["abc", "1.5", " 1", "01", "", "9223372036854775808"]) {
    run(engine, `SET bad "${value}"`);
    assert.deepEqual(run(engine, "INCR bad"), NOT_AN_INTEGER, JSON.stringify(value));
  }
  assert.deepEqual(run(engine, "INCRBY n x"), NOT_AN_INTEGER);
  assert.deepEqual(run(engine, "INCRBY n 1.0"), NOT_AN_INTEGER);
  run(engine, "RPUSH l a");
  assert.deepEqual(run(engine, "INCR l"), WRONGTYPE);
  run(engine, "SET b true AS boolean");
  assert.deepEqual(run(engine, "INCR b"), NOT_AN_INTEGER);
});

test("counters overflow exactly at the int64 bounds", () => {
  const engine = new Engine();
  run(engine, "SET n 9223372036854775807");
  assert.deepEqual(run(engine, "INCR n"), OVERFLOW);
  assert.deepEqual(read(engine, "GET n"), bulk("9223372036854775807"), "a refused increment changes nothing");
  assert.deepEqual(run(engine, "DECR n"), integer(9223372036854775806n));
  run(engine, "SET m -9223372036854775808");
  assert.deepEqual(run(engine, "DECR m"), OVERFLOW);
  assert.deepEqual(run(engine, "INCRBY m 9223372036854775807"), integer(-1));
  assert.deepEqual(run(engine, "DECRBY m -9223372036854775808"), error("ERR", "decrement would overflow"));
  run(engine, "SET big 9007199254740993");
  assert.deepEqual(run(engine, "INCR big"), integer(9007199254740994n), "beyond 2^53 the reply is an exact bigint");
});

test("counters keep the key's expiry", () => {
  const engine = new Engine();
  run(engine, "SET n 1 EX 100");
  run(engine, "INCR n");
  assert.deepEqual(read(engine, "TTL n"), integer(100));
  run(engine, "INCRBYFLOAT n 0.5");
  assert.deepEqual(read(engine, "TTL n"), integer(100));
});

test("INCRBYFLOAT adds and writes the result as Redis does", () => {
  const engine = new Engine();
  assert.deepEqual(run(engine, "INCRBYFLOAT f 10.5"), bulk("10.5"));
  assert.deepEqual(run(engine, "INCRBYFLOAT f 0.1"), bulk("10.6"));
  assert.deepEqual(run(engine, "INCRBYFLOAT f -5"), bulk("5.6"));
  assert.deepEqual(run(engine, "INCRBYFLOAT f 5.0e3"), bulk("5005.6"));
  assert.deepEqual(read(engine, "WALNUT.TYPE f"), status("float"));
  run(engine, "SET s 1.5");
  assert.deepEqual(run(engine, "INCRBYFLOAT s 1.5"), bulk("3"));
  assert.deepEqual(read(engine, "GET s"), bulk("3"));
  run(engine, "SET big 17179869184");
  assert.deepEqual(run(engine, "INCRBYFLOAT big 1.5"), bulk("17179869185.5"));
  run(engine, "SET i 5 AS integer");
  assert.deepEqual(run(engine, "INCRBYFLOAT i 0.25"), bulk("5.25"));
});

test("INCRBYFLOAT never writes a negative zero", () => {
  const engine = new Engine();
  run(engine, "INCRBYFLOAT z 0.024390243902439025");
  assert.deepEqual(run(engine, "INCRBYFLOAT z -0.024390243902439025"), bulk("0"));
  assert.deepEqual(read(engine, "GET z"), bulk("0"));
});

test("INCRBYFLOAT refuses invalid floats and NaN or infinite results", () => {
  const engine = new Engine();
  run(engine, "SET s abc");
  assert.deepEqual(run(engine, "INCRBYFLOAT s 1"), NOT_A_FLOAT);
  assert.deepEqual(run(engine, "INCRBYFLOAT f x"), NOT_A_FLOAT);
  assert.deepEqual(run(engine, "INCRBYFLOAT f nan"), NOT_A_FLOAT);
  run(engine, "SET zero 1");
  run(engine, "SETRANGE zero 1 \x002");
  assert.deepEqual(run(engine, "INCRBYFLOAT zero 1"), NOT_A_FLOAT, "a value with a zero byte is not a float");
  run(engine, "SET huge 1.7e308");
  assert.deepEqual(run(engine, "INCRBYFLOAT huge 1.7e308"), error("ERR", "increment would produce NaN or Infinity"));
  assert.deepEqual(run(engine, "INCRBYFLOAT f inf"), error("ERR", "increment would produce NaN or Infinity"));
  run(engine, "RPUSH l a");
  assert.deepEqual(run(engine, "INCRBYFLOAT l 1"), WRONGTYPE);
  assert.deepEqual(read(engine, "EXISTS f"), integer(0));
});
