import { test } from "node:test";
import assert from "node:assert/strict";
import { formatFloat, INT64_MAX, INT64_MIN, parseBoolean, parseFloatStrict, parseInteger } from "./numbers.js";

test("integers follow Redis' strict syntax within int64", () => {
  assert.equal(parseInteger("0"), 0n);
  assert.equal(parseInteger("-17"), -17n);
  assert.equal(parseInteger("9223372036854775807"), INT64_MAX);
  assert.equal(parseInteger("-9223372036854775808"), INT64_MIN);
  for (const bad of ["", "9223372036854775808", "-9223372036854775809", "+1", "01", "-0", " 1", "1 ", "1.0", "1e3", "abc"]) {
    assert.equal(parseInteger(bad), null, JSON.stringify(bad));
  }
});

test("floats accept decimal, exponent and infinity forms but never NaN or spaces", () => {
  assert.equal(parseFloatStrict("1.5"), 1.5);
  assert.equal(parseFloatStrict("-.5"), -0.5);
  assert.equal(parseFloatStrict("5."), 5);
  assert.equal(parseFloatStrict("5.0e3"), 5000);
  assert.equal(parseFloatStrict("+1E-2"), 0.01);
  assert.equal(parseFloatStrict("inf"), Infinity);
  assert.equal(parseFloatStrict("-Infinity"), -Infinity);
  for (const bad of ["", "nan", "NaN", " 1", "1 ", "1.5x", "1\x002", ".", "e5"]) {
    assert.equal(parseFloatStrict(bad), null, JSON.stringify(bad));
  }
});

test("floats also take C's hexadecimal forms, as strtold does", () => {
  assert.equal(parseFloatStrict("0x10"), 16);
  assert.equal(parseFloatStrict("0x1.8p1"), 3);
  assert.equal(parseFloatStrict("-0x.8"), -0.5);
  assert.equal(parseFloatStrict("+0x1P+2"), 4);
  for (const text of ["0x", "0xp1", "0x1p", "0x1g", " 0x1"]) assert.equal(parseFloatStrict(text), null, text);
});

test("floats are written like INCRBYFLOAT writes them", () => {
  assert.equal(formatFloat(1.5), "1.5");
  assert.equal(formatFloat(3), "3");
  assert.equal(formatFloat(-0), "0");
  assert.equal(formatFloat(10.5 + 0.1), "10.6");
  assert.equal(formatFloat(1e21), "1000000000000000000000");
  assert.equal(formatFloat(-1.25e22), "-12500000000000000000000");
  assert.equal(formatFloat(1.5e-7), "0.00000015");
  assert.equal(formatFloat(17179869184 + 1.5), "17179869185.5");
  // Redis' "%.17Lf": at most 17 decimals, so tiny results round (to 0, here).
  assert.equal(formatFloat(5e-324), "0");
  assert.equal(formatFloat(-2.5e-18), "0");
  assert.equal(formatFloat(1.5e-17), "0.00000000000000002");
  assert.equal(formatFloat(0.0012345678901234567), "0.00123456789012346");
});

test("booleans are true or false in any case", () => {
  assert.equal(parseBoolean("TRUE"), true);
  assert.equal(parseBoolean("false"), false);
  assert.equal(parseBoolean("yes"), null);
});
