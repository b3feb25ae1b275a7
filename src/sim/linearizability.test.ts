import { test } from "node:test";
import assert from "node:assert/strict";
import { checkLinearizability, type Operation } from "./linearizability.js";
import type { KvCommand, KvResult } from "./kv.js";

function op(client: number, command: KvCommand, invokedAt: number, completedAt: number, result: KvResult | undefined): Operation {
  return { client, command, invokedAt, completedAt, result };
}
const put = (key: string, value: string): KvCommand => ({ kind: "put", key, value });
const get = (key: string): KvCommand => ({ kind: "get", key });
const append = (key: string, value: string): KvCommand => ({ kind: "append", key, value });
const cas = (key: string, expected: string | null, value: string): KvCommand => ({ kind: "cas", key, expected, value });

test("an empty history is linearizable", () => {
  assert.deepEqual(checkLinearizability([]), { linearizable: true });
});

test("sequential operations that follow the model are linearizable", () => {
  const history = [op(1, put("x", "a"), 0, 1, "ok"), op(1, append("x", "b"), 2, 3, "ok"), op(2, get("x"), 4, 5, "ab"), op(2, cas("x", "ab", "c"), 6, 7, "true")];
  assert.equal(checkLinearizability(history).linearizable, true);
});

test("a read that sees a value before it was written is not linearizable", () => {
  const history = [op(1, get("x"), 0, 1, "a"), op(2, put("x", "a"), 2, 3, "ok")];
  const verdict = checkLinearizability(history);
  assert.equal(verdict.linearizable, false);
  assert.equal(verdict.linearizable === false && verdict.key, "x");
});

test("a stale read after a completed write is not linearizable", () => {
  const history = [op(1, put("x", "a"), 0, 1, "ok"), op(1, put("x", "b"), 2, 3, "ok"), op(2, get("x"), 4, 5, "a")];
  assert.equal(checkLinearizability(history).linearizable, false);
});

test("concurrent writes may be ordered either way by the reads that follow", () => {
  const history = [op(1, put("x", "a"), 0, 10, "ok"), op(2, put("x", "b"), 1, 9, "ok"), op(3, get("x"), 11, 12, "a"), op(3, get("x"), 13, 14, "a")];
  assert.equal(checkLinearizability(history).linearizable, true);
  const flipped = [...history.slice(0, 2), op(3, get("x"), 11, 12, "b"), op(3, get("x"), 13, 14, "a")];
  assert.equal(checkLinearizability(flipped).linearizable, false);
});

test("two reads concurrent with a write may not see it in opposite orders when sequential", () => {
  // Reader 2 sees the new value and finishes before reader 3 starts, yet 3 sees the old one.
  const history = [op(1, put("x", "new"), 0, 100, "ok"), op(2, get("x"), 10, 20, "new"), op(3, get("x"), 30, 40, null)];
  assert.equal(checkLinearizability(history).linearizable, false);
});

test("an unknown write may take effect late, or never", () => {
  const late = [op(1, put("x", "a"), 0, Infinity, undefined), op(2, get("x"), 5, 6, null), op(2, get("x"), 7, 8, "a")];
  assert.equal(checkLinearizability(late).linearizable, true);
  const never = [op(1, put("x", "a"), 0, Infinity, undefined), op(2, get("x"), 5, 6, null)];
  assert.equal(checkLinearizability(never).linearizable, true);
});

test("an unknown write cannot take effect before it was invoked", () => {
  const history = [op(2, get("x"), 0, 1, "a"), op(1, put("x", "a"), 5, Infinity, undefined)];
  assert.equal(checkLinearizability(history).linearizable, false);
});

test("an unknown append takes effect at most once", () => {
  const history = [op(1, append("x", "a"), 0, Infinity, undefined), op(2, get("x"), 5, 6, "aa")];
  assert.equal(checkLinearizability(history).linearizable, false);
});

test("compare-and-set results must agree with the value they compared", () => {
  const good = [op(1, put("x", "a"), 0, 1, "ok"), op(1, cas("x", "a", "b"), 2, 3, "true"), op(2, cas("x", "a", "c"), 4, 5, "false"), op(2, get("x"), 6, 7, "b")];
  assert.equal(checkLinearizability(good).linearizable, true);
  const bad = [op(1, put("x", "a"), 0, 1, "ok"), op(1, cas("x", "a", "b"), 2, 3, "true"), op(2, cas("x", "a", "c"), 4, 5, "true")];
  assert.equal(checkLinearizability(bad).linearizable, false);
});

test("keys are checked independently and the failing key is named", () => {
  const history = [op(1, put("x", "a"), 0, 1, "ok"), op(2, get("y"), 2, 3, "zzz"), op(3, get("x"), 4, 5, "a")];
  const verdict = checkLinearizability(history);
  assert.equal(verdict.linearizable, false);
  assert.equal(verdict.linearizable === false && verdict.key, "y");
});

test("concurrent appends may land in any order", () => {
  const history: Operation[] = [];
  let expected = "";
  for (let client = 0; client < 7; client++) {
    history.push(op(client, append("x", String.fromCharCode(97 + client)), client, 100 + client, "ok"));
    expected += String.fromCharCode(97 + client);
  }
  history.push(op(99, get("x"), 200, 201, expected));
  assert.equal(checkLinearizability(history).linearizable, true);
  const reordered = expected.slice(1, 2) + expected.slice(0, 1) + expected.slice(2);
  history[history.length - 1] = op(99, get("x"), 200, 201, reordered);
  assert.equal(checkLinearizability(history).linearizable, true);
});

test("a read showing an append twice among concurrent appends is refuted", () => {
  const history: Operation[] = [];
  for (let client = 0; client < 6; client++) history.push(op(client, append("x", String.fromCharCode(97 + client)), client, 100 + client, "ok"));
  history.push(op(99, get("x"), 200, 201, "abcdefa"));
  assert.equal(checkLinearizability(history).linearizable, false);
});
