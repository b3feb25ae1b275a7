import { test } from "node:test";
import assert from "node:assert/strict";
import { ANY_VALUE, counterValue, registerModel } from "./register_model.js";
import { cas, incr, read, write } from "./test_histories.js";

const model = registerModel();

test("reads, writes and compare-and-sets follow the key's value", () => {
  assert.deepEqual(model.step("a", read(), "a"), ["a"]);
  assert.deepEqual(model.step("a", read(), "b"), []);
  assert.deepEqual(model.step(null, read(), undefined), [null]);
  assert.deepEqual(model.step("a", write("b"), null), ["b"]);
  assert.deepEqual(model.step("a", cas("a", "b"), "true"), ["b"]);
  assert.deepEqual(model.step("a", cas("z", "b"), "true"), []);
  assert.deepEqual(model.step("a", cas("z", "b"), "false"), ["a"]);
  assert.deepEqual(model.step(null, cas(null, "b"), undefined), ["b"]);
});

test("INCR counts an absent key as 0 and refuses what Redis refuses", () => {
  assert.deepEqual(model.step(null, incr(), "1"), ["1"]);
  assert.deepEqual(model.step("-1", incr(), "0"), ["0"]);
  assert.deepEqual(model.step("9", incr(), "9"), []);
  for (const refused of ["abc", "+1", "01", " 1", "9223372036854775807", "99999999999999999999"]) {
    assert.deepEqual(model.step(refused, incr(), undefined), [refused], `${refused}: an unknown INCR changes nothing`);
    assert.deepEqual(model.step(refused, incr(), String(Number(refused) + 1)), [], `${refused}: no answer is possible`);
  }
});

test("counterValue reads canonical 64-bit integers only", () => {
  assert.equal(counterValue(null), 0n);
  assert.equal(counterValue("-9223372036854775808"), -(2n ** 63n));
  assert.equal(counterValue("9223372036854775808"), null);
  assert.equal(counterValue("-0"), null);
  assert.equal(counterValue(""), null);
});

test("from an unknown value every command learns what it can", () => {
  assert.deepEqual(model.step(ANY_VALUE, read(), "q"), ["q"]);
  assert.deepEqual(model.step(ANY_VALUE, write("w"), null), ["w"]);
  assert.deepEqual(model.step(ANY_VALUE, cas("a", "b"), "true"), ["b"]);
  assert.deepEqual(model.step(ANY_VALUE, cas("a", "b"), "false"), [ANY_VALUE]);
  assert.deepEqual(model.step(ANY_VALUE, cas("a", "b"), undefined), ["b", ANY_VALUE]);
  assert.deepEqual(model.step(ANY_VALUE, incr(), "5"), ["5"]);
  assert.deepEqual(model.step(ANY_VALUE, incr(), "five"), []);
  assert.deepEqual(model.step(ANY_VALUE, incr(), undefined), [ANY_VALUE]);
});

test("only reads are read-only, and the initial state can be unknown", () => {
  assert.equal(model.isReadOnly(read()), true);
  assert.equal(model.isReadOnly(cas("a", "b")), false);
  assert.equal(model.initialState, null);
  assert.equal(registerModel(ANY_VALUE).initialState, ANY_VALUE);
});
