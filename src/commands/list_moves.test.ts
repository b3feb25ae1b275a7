/**
 * LMOVE, RPOPLPUSH, LMPOP and the non-blocking forms of the blocking list commands, run
 * through apply() as the log runs them; the timeout parser; and the at-most-once session
 * that keeps a retried pop from popping twice.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Engine } from "../engine/engine.js";
import { ListDeque } from "../engine/list_deque.js";
import { NIL, NIL_ARRAY, WRONGTYPE, type Reply } from "../engine/reply.js";
import { applyEntryNow } from "./apply.js";
import { parseTimeout, TIMEOUT_NEGATIVE, TIMEOUT_NOT_A_FLOAT } from "./blocking_timeout.js";
import { lookupDataCommand } from "./table.js";

const NOW_MS = 1_700_000_000_000;

function harness() {
  const engine = new Engine();
  const apply = (session: { clientId: string; requestId: number }, ...argv: string[]): Reply =>
    applyEntryNow(engine, engine.appliedIndex + 1, 1, { type: "command", nowMs: NOW_MS, ...session, call: { collection: "default", argv } });
  const run = (...argv: string[]): Reply => apply({ clientId: "", requestId: 0 }, ...argv);
  const list = (key: string): string[] | undefined => {
    const value = engine.requireCollection("default").get(key)?.value;
    return value instanceof ListDeque ? value.toArray() : undefined;
  };
  return { engine, run, apply, list };
}

const bulk = (value: string): Reply => ({ type: "bulk", value });
const bulks = (...values: string[]): Reply => ({ type: "array", items: values.map(bulk) });
const err = (text: string): Reply => ({ type: "error", text });

test("LMOVE moves between any ends, creates the destination and deletes an emptied source", () => {
  const { run, list } = harness();
  run("RPUSH", "src", "a", "b", "c");
  assert.deepEqual(run("LMOVE", "src", "dst", "LEFT", "RIGHT"), bulk("a"));
  assert.deepEqual(run("LMOVE", "src", "dst", "right", "left"), bulk("c"));
  assert.deepEqual(list("dst"), ["c", "a"]);
  assert.deepEqual(run("LMOVE", "src", "dst", "LEFT", "LEFT"), bulk("b"));
  assert.equal(list("src"), undefined);
  assert.deepEqual(list("dst"), ["b", "c", "a"]);
  assert.deepEqual(run("LMOVE", "src", "dst", "LEFT", "LEFT"), NIL);
});

test("LMOVE of a key onto itself rotates it, a one-element list included", () => {
  const { run, list } = harness();
  run("RPUSH", "l", "a", "b", "c");
  assert.deepEqual(run("LMOVE", "l", "l", "LEFT", "RIGHT"), bulk("a"));
  assert.deepEqual(list("l"), ["b", "c", "a"]);
  run("RPUSH", "one", "x");
  assert.deepEqual(run("LMOVE", "one", "one", "RIGHT", "LEFT"), bulk("x"));
  assert.deepEqual(list("one"), ["x"]);
});

test("LMOVE checks the source's type, then (only when it has elements) the destination's, before moving", () => {
  const { run, list } = harness();
  run("SET", "s", "x");
  assert.deepEqual(run("LMOVE", "s", "dst", "LEFT", "LEFT"), WRONGTYPE);
  assert.deepEqual(run("LMOVE", "missing", "s", "LEFT", "LEFT"), NIL);
  run("RPUSH", "l", "a");
  assert.deepEqual(run("LMOVE", "l", "s", "LEFT", "LEFT"), WRONGTYPE);
  assert.deepEqual(list("l"), ["a"]);
  assert.deepEqual(run("LMOVE", "l", "dst", "UP", "LEFT"), err("ERR syntax error"));
});

test("RPOPLPUSH moves the source's tail to the destination's head", () => {
  const { run, list } = harness();
  run("RPUSH", "src", "a", "b");
  run("RPUSH", "dst", "z");
  assert.deepEqual(run("RPOPLPUSH", "src", "dst"), bulk("b"));
  assert.deepEqual(list("dst"), ["b", "z"]);
  assert.deepEqual(run("RPOPLPUSH", "missing", "dst"), NIL);
});

test("LMPOP pops from the first non-empty list, up to COUNT elements, as [key, elements]", () => {
  const { run, list } = harness();
  run("RPUSH", "b", "1", "2", "3");
  assert.deepEqual(run("LMPOP", "2", "a", "b", "LEFT"), { type: "array", items: [bulk("b"), bulks("1")] });
  assert.deepEqual(run("LMPOP", "2", "a", "b", "RIGHT", "COUNT", "5"), { type: "array", items: [bulk("b"), bulks("3", "2")] });
  assert.equal(list("b"), undefined);
  assert.deepEqual(run("LMPOP", "2", "a", "b", "LEFT"), NIL_ARRAY);
});

test("LMPOP refuses bad numkeys, ends and counts with Redis' messages, in Redis' order", () => {
  const { run } = harness();
  run("SET", "s", "x");
  assert.deepEqual(run("LMPOP", "0", "a", "LEFT"), err("ERR numkeys should be greater than 0"));
  assert.deepEqual(run("LMPOP", "x", "a", "LEFT"), err("ERR numkeys should be greater than 0"));
  assert.deepEqual(run("LMPOP", "3", "a", "b", "LEFT"), err("ERR syntax error"));
  assert.deepEqual(run("LMPOP", "1", "a", "MIDDLE"), err("ERR syntax error"));
  assert.deepEqual(run("LMPOP", "1", "a", "LEFT", "COUNT", "0"), err("ERR count should be greater than 0"));
  assert.deepEqual(run("LMPOP", "1", "a", "LEFT", "COUNT", "1", "COUNT", "2"), err("ERR syntax error"));
  assert.deepEqual(run("LMPOP", "1", "a", "LEFT", "COUNT"), err("ERR syntax error"));
  assert.deepEqual(run("LMPOP", "2", "a", "s", "LEFT"), WRONGTYPE);
});

test("the blocking commands' own handlers are the non-blocking forms: a pop, or nil when nothing is there", () => {
  const { run, list } = harness();
  assert.deepEqual(run("BLPOP", "a", "b", "0"), NIL_ARRAY);
  assert.deepEqual(run("BLMPOP", "0", "1", "a", "LEFT"), NIL_ARRAY);
  assert.deepEqual(run("BLMOVE", "a", "b", "LEFT", "LEFT", "0"), NIL);
  assert.deepEqual(run("BRPOPLPUSH", "a", "b", "0"), NIL);
  run("RPUSH", "b", "1", "2", "3");
  assert.deepEqual(run("BLPOP", "a", "b", "1.5"), bulks("b", "1"));
  assert.deepEqual(run("BRPOP", "a", "b", "0"), bulks("b", "3"));
  assert.deepEqual(run("BRPOPLPUSH", "b", "c", "0"), bulk("2"));
  assert.deepEqual(run("BLMOVE", "c", "d", "LEFT", "RIGHT", "0"), bulk("2"));
  assert.deepEqual(list("d"), ["2"]);
  run("RPUSH", "e", "x", "y");
  assert.deepEqual(run("BLMPOP", "0", "2", "a", "e", "RIGHT", "COUNT", "9"), { type: "array", items: [bulk("e"), bulks("y", "x")] });
});

test("the blocking commands check their timeout first, then the keys' types in order", () => {
  const { run } = harness();
  run("SET", "s", "x");
  assert.deepEqual(run("BLPOP", "s", "-1"), err("ERR timeout is negative"));
  assert.deepEqual(run("BLPOP", "s", "soon"), err("ERR timeout is not a float or out of range"));
  assert.deepEqual(run("BLPOP", "missing", "s", "0"), WRONGTYPE);
  assert.deepEqual(run("BLMOVE", "s", "d", "LEFT", "LEFT", "0"), WRONGTYPE);
  assert.deepEqual(run("BLMOVE", "a", "d", "UP", "LEFT", "-1"), err("ERR syntax error"));
  // BLMPOP reads numkeys, the end and COUNT before its timeout.
  assert.deepEqual(run("BLMPOP", "-1", "0", "a", "LEFT"), err("ERR numkeys should be greater than 0"));
  assert.deepEqual(run("BLMPOP", "-1", "1", "a", "LEFT"), err("ERR timeout is negative"));
});

test("timeouts read as Redis reads them: seconds as a float, rounded up to milliseconds", () => {
  assert.equal(parseTimeout("0"), 0);
  assert.equal(parseTimeout("1"), 1000);
  assert.equal(parseTimeout("0.1"), 100);
  assert.equal(parseTimeout("1e-5"), 1); // rounds up: never 0, which would wait forever
  assert.equal(parseTimeout("-0.0001"), 0); // rounds up to 0: forever
  assert.equal(parseTimeout("0x10"), 16_000);
  assert.equal(parseTimeout(".5"), 500);
  assert.deepEqual(parseTimeout("-1"), TIMEOUT_NEGATIVE);
  assert.deepEqual(parseTimeout("inf"), TIMEOUT_NEGATIVE);
  assert.deepEqual(parseTimeout("1e100"), TIMEOUT_NEGATIVE);
  assert.deepEqual(parseTimeout("nan"), TIMEOUT_NOT_A_FLOAT);
  assert.deepEqual(parseTimeout(" 1"), TIMEOUT_NOT_A_FLOAT);
  assert.deepEqual(parseTimeout("1s"), TIMEOUT_NOT_A_FLOAT);
  assert.deepEqual(parseTimeout(""), TIMEOUT_NOT_A_FLOAT);
});

test("a blocked client's retried attempt under the same session pops once and gets the remembered reply", () => {
  const { apply, list } = harness();
  apply({ clientId: "", requestId: 0 }, "RPUSH", "q", "a", "b");
  const session = { clientId: "blocked-client:test", requestId: 7 };
  const first = apply(session, "BLPOP", "q", "0");
  const retried = apply(session, "BLPOP", "q", "0"); // the leader changed: the outcome looked unknown
  assert.deepEqual(first, bulks("q", "a"));
  assert.deepEqual(retried, first);
  assert.deepEqual(list("q"), ["b"]);
  assert.deepEqual(apply({ ...session, requestId: 8 }, "BLPOP", "q", "0"), bulks("q", "b"));
});

test("the blocking commands describe what they wait on, and how one ready key serves them", () => {
  const blpop = lookupDataCommand("BLPOP")!.blocking!(["a", "b", "2.5"]);
  assert.deepEqual(blpop.keys, ["a", "b"]);
  assert.equal(blpop.timeoutMs, 2500);
  assert.deepEqual(blpop.attemptOn("b"), ["BLPOP", "b", "0"]);
  assert.equal(blpop.keepsWaiting(NIL_ARRAY), true);
  assert.equal(blpop.keepsWaiting(WRONGTYPE), true); // Redis ignores a key that changed type while it waits
  const blmove = lookupDataCommand("BLMOVE")!.blocking!(["s", "d", "LEFT", "RIGHT", "0"]);
  assert.deepEqual(blmove.keys, ["s"]);
  assert.equal(blmove.timeoutMs, 0);
  assert.deepEqual(blmove.attemptOn("s"), ["BLMOVE", "s", "d", "LEFT", "RIGHT", "0"]);
  assert.equal(blmove.keepsWaiting(WRONGTYPE), false); // a destination of another type is answered, as in Redis
  const blmpop = lookupDataCommand("BLMPOP")!.blocking!(["0.5", "2", "a", "b", "RIGHT", "COUNT", "3"]);
  assert.deepEqual(blmpop.keys, ["a", "b"]);
  assert.deepEqual(blmpop.attemptOn("b"), ["BLMPOP", "0", "1", "b", "RIGHT", "COUNT", "3"]);
});
