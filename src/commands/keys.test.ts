import { test } from "node:test";
import assert from "node:assert/strict";
import { Engine } from "../engine/engine.js";
import { array, bulk, error, integer, NIL, OK, status } from "../engine/reply.js";
import { NOW_MS, read, run } from "./testing.js";

function engineWith(...lines: string[]): Engine {
  const engine = new Engine();
  for (const line of lines) run(engine, line);
  return engine;
}

function sortedKeys(reply: ReturnType<typeof read>): string[] {
  assert.equal(reply.type, "array");
  return (reply as { items: Array<{ value: string }> }).items.map((item) => item.value).sort();
}

test("DEL and UNLINK count the live keys they removed", () => {
  const engine = engineWith("SET a 1", "SET b 2", "SET c 3", "SET gone v PX 1");
  assert.deepEqual(run(engine, "DEL a b missing"), integer(2));
  assert.deepEqual(run(engine, "UNLINK c"), integer(1));
  assert.deepEqual(run(engine, "DEL gone", { nowMs: NOW_MS + 5 }), integer(0), "an expired key is not counted");
  assert.deepEqual(read(engine, "DBSIZE"), integer(0), "but it is removed");
});

test("EXISTS counts every argument that names a live key, repeats included", () => {
  const engine = engineWith("SET a 1", "SET gone v PX 1");
  assert.deepEqual(read(engine, "EXISTS a a missing"), integer(2));
  assert.deepEqual(read(engine, "EXISTS gone", { nowMs: NOW_MS + 1 }), integer(0));
});

test("TYPE answers Redis' type: walnut's integer, float, boolean and blob kinds (and HyperLogLogs) are strings", () => {
  const engine = engineWith("SET s v", "SET i 1 AS integer", "SET f 1 AS float", "SET b false AS boolean", "SET x y AS blob", "RPUSH l a", "PFADD h a");
  const types = ["s", "i", "f", "b", "x", "h", "l", "missing"].map((key) => read(engine, `TYPE ${key}`));
  assert.deepEqual(types, ["string", "string", "string", "string", "string", "string", "list", "none"].map(status));
});

test("WALNUT.TYPE answers walnut's own kinds, or none", () => {
  const engine = engineWith("SET s v", "SET i 1 AS integer", "SET f 1 AS float", "SET b false AS boolean", "SET x y AS blob", "RPUSH l a", "PFADD h a");
  const kinds = ["s", "i", "f", "b", "x", "h", "l", "missing"].map((key) => read(engine, `WALNUT.TYPE ${key}`));
  assert.deepEqual(kinds, ["string", "integer", "float", "boolean", "blob", "string", "list", "none"].map(status));
});

test("VERSION answers the log index of the key's last write, 0 when absent", () => {
  const engine = engineWith("SET a 1", "SET b 2");
  assert.deepEqual(read(engine, "VERSION a"), integer(1));
  assert.deepEqual(read(engine, "VERSION b"), integer(2));
  run(engine, "EXPIRE a 100");
  assert.deepEqual(read(engine, "VERSION a"), integer(3), "changing the expiry is a write");
  assert.deepEqual(read(engine, "VERSION missing"), integer(0));
});

test("RENAME moves the value with its expiry and replaces the target", () => {
  const engine = engineWith("SET a 1 EX 100", "RPUSH target x");
  assert.deepEqual(run(engine, "RENAME a target"), OK);
  assert.deepEqual(read(engine, "EXISTS a"), integer(0));
  assert.deepEqual(read(engine, "GET target"), bulk("1"));
  assert.deepEqual(read(engine, "TTL target"), integer(100));
  assert.deepEqual(read(engine, "VERSION target"), integer(engine.appliedIndex));
  assert.deepEqual(run(engine, "RENAME target target"), OK);
  assert.deepEqual(run(engine, "RENAME missing x"), error("ERR", "no such key"));
  const tooLong = "t".repeat(64 * 1024 + 1);
  assert.equal(run(engine, `RENAME target ${tooLong}`).type, "error");
  assert.deepEqual(read(engine, "GET target"), bulk("1"), "a refused rename changes nothing");
});

test("RENAMENX renames only when the target does not exist", () => {
  const engine = engineWith("SET a 1", "SET b 2", "RPUSH l x y");
  assert.deepEqual(run(engine, "RENAMENX a b"), integer(0));
  assert.deepEqual(run(engine, "RENAMENX a a"), integer(0));
  assert.deepEqual(run(engine, "RENAMENX l c"), integer(1));
  assert.deepEqual(read(engine, "LRANGE c 0 -1"), array([bulk("x"), bulk("y")]));
  assert.deepEqual(run(engine, "RENAMENX missing c"), error("ERR", "no such key"));
});

test("DBSIZE and FLUSHDB work on the current collection only", () => {
  const engine = engineWith("SET a 1", "SET b 2");
  engine.createCollection("other", "ordered");
  run(engine, "SET c 3", { collection: "other" });
  assert.deepEqual(read(engine, "DBSIZE"), integer(2));
  assert.deepEqual(run(engine, "FLUSHDB ASYNC"), OK);
  assert.deepEqual(read(engine, "DBSIZE"), integer(0));
  assert.deepEqual(read(engine, "DBSIZE", { collection: "other" }), integer(1));
  assert.deepEqual(run(engine, "FLUSHDB SYNC", { collection: "other" }), OK);
  assert.deepEqual(run(engine, "FLUSHDB NOW"), error("ERR", "syntax error"));
  assert.deepEqual(run(engine, "FLUSHDB SYNC ASYNC"), error("ERR", "syntax error"));
});

test("KEYS answers the live keys matching a glob", () => {
  const engine = engineWith("SET user:1 a", "SET user:2 b", "SET admin:1 c", "SET user:3 d PX 1");
  assert.deepEqual(sortedKeys(read(engine, "KEYS user:*", { nowMs: NOW_MS + 1 })), ["user:1", "user:2"]);
  assert.deepEqual(sortedKeys(read(engine, "KEYS *:1")), ["admin:1", "user:1"]);
  assert.deepEqual(sortedKeys(read(engine, "KEYS nothing*")), []);
});

test("RANDOMKEY answers a live key, nil when there is none, and the same key for the same instant", () => {
  const engine = engineWith("SET a 1", "SET b 2", "SET c 3", "SET gone v PX 1");
  const later = { nowMs: NOW_MS + 10 };
  for (let step = 0; step < 20; step++) {
    const reply = read(engine, "RANDOMKEY", { nowMs: NOW_MS + 10 + step });
    assert.ok(["a", "b", "c"].includes((reply as { value: string }).value));
  }
  assert.deepEqual(read(engine, "RANDOMKEY", later), read(engine, "RANDOMKEY", later));
  assert.deepEqual(read(new Engine(), "RANDOMKEY"), NIL);
});

test("keyspace commands check their arity", () => {
  const engine = new Engine();
  assert.deepEqual(run(engine, "DEL"), error("ERR", "wrong number of arguments for 'del' command"));
  assert.deepEqual(run(engine, "RENAME a"), error("ERR", "wrong number of arguments for 'rename' command"));
  assert.deepEqual(run(engine, "DBSIZE x"), error("ERR", "wrong number of arguments for 'dbsize' command"));
});
