import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_COLLECTION, Engine } from "../engine/engine.js";
import { bulk, error, integer, NIL, OK, status, type Reply } from "../engine/reply.js";
import { applyNext, NOW_MS, read, run } from "./testing.js";

function engineWith(...lines: string[]): Engine {
  const engine = new Engine();
  for (const line of lines) run(engine, line);
  return engine;
}

function payloadOf(reply: Reply): string {
  assert.equal(reply.type, "bulk");
  return (reply as { value: string }).value;
}

/** Applies a command given as arguments (a DUMP payload is binary: words() cannot carry it). */
function runArgv(engine: Engine, argv: string[]): Reply {
  return applyNext(engine, { type: "command", nowMs: NOW_MS, clientId: "", requestId: 0, call: { collection: DEFAULT_COLLECTION, argv } });
}

test("COPY copies value, kind and expiry, and answers 0 when the target exists without REPLACE", () => {
  const engine = engineWith("SET n 5 AS integer EX 100", "RPUSH l a b");
  assert.deepEqual(run(engine, "COPY n m"), integer(1));
  assert.deepEqual(read(engine, "WALNUT.TYPE m"), status("integer"));
  assert.deepEqual(read(engine, "TTL m"), integer(100));
  assert.deepEqual(read(engine, "VERSION m"), integer(3), "the copy is this write's");
  assert.deepEqual(run(engine, "COPY l m"), integer(0));
  assert.deepEqual(run(engine, "COPY l m REPLACE"), integer(1));
  assert.deepEqual(read(engine, "TTL m"), integer(-1), "the replaced key's expiry goes with it");
  run(engine, "RPUSH m c");
  assert.deepEqual(read(engine, "LLEN l"), integer(2), "the copy does not share the source's list");
  assert.deepEqual(run(engine, "COPY n n"), error("ERR", "source and destination objects are the same"));
  assert.deepEqual(run(engine, "COPY missing x"), integer(0));
  assert.deepEqual(run(engine, "COPY n n DB 1"), integer(1), "the same name in another database is another key");
  assert.deepEqual(engine.requireCollection("db1").get("n")?.kind, engine.requireCollection("default").get("n")?.kind);
  assert.deepEqual(run(engine, "COPY n x DB 1024"), error("ERR", "DB index is out of range"));
  assert.deepEqual(run(engine, "COPY n x DB 0"), integer(1));
  assert.deepEqual(run(engine, "COPY n x BAD"), error("ERR", "syntax error"));
});

test("TOUCH counts live keys and marks them accessed; TYPE, EXISTS and TTL do not", () => {
  const engine = engineWith("SET a 1", "SET gone v PX 1");
  const later = NOW_MS + 5000;
  assert.deepEqual(read(engine, "OBJECT IDLETIME a", { nowMs: later }), integer(5));
  read(engine, "TYPE a", { nowMs: later });
  read(engine, "EXISTS a", { nowMs: later });
  read(engine, "TTL a", { nowMs: later });
  assert.deepEqual(read(engine, "OBJECT IDLETIME a", { nowMs: later }), integer(5), "looking at a key is not an access");
  assert.deepEqual(read(engine, "TOUCH a gone missing a", { nowMs: later }), integer(2));
  assert.deepEqual(read(engine, "OBJECT IDLETIME a", { nowMs: later + 999 }), integer(0));
  read(engine, "GET a", { nowMs: later + 3000 });
  assert.deepEqual(read(engine, "OBJECT IDLETIME a", { nowMs: later + 4000 }), integer(1), "a read is an access");
});

test("OBJECT answers nil for a missing key, Redis' error for FREQ, and subcommand errors in Redis' words", () => {
  const engine = engineWith("SET a 1", "APPEND s abc", "APPEND s d");
  assert.deepEqual(read(engine, "OBJECT ENCODING a"), bulk("int"));
  assert.deepEqual(read(engine, "OBJECT ENCODING s"), bulk("raw"), "APPEND to an existing string makes it raw");
  assert.deepEqual(read(engine, "OBJECT ENCODING missing"), NIL);
  assert.deepEqual(read(engine, "OBJECT FREQ missing"), NIL);
  assert.match((read(engine, "OBJECT FREQ a") as { text: string }).text, /^ERR An LFU maxmemory policy is not selected/);
  assert.deepEqual(read(engine, "OBJECT encoding"), error("ERR", "wrong number of arguments for 'object|encoding' command"));
  assert.deepEqual(read(engine, "OBJECT HELP me"), error("ERR", "wrong number of arguments for 'object|help' command"));
  assert.deepEqual(read(engine, "OBJECT nope a"), error("ERR", "unknown subcommand 'nope'. Try OBJECT HELP."));
  assert.equal(read(engine, "OBJECT HELP").type, "array");
});

test("MEMORY USAGE estimates walnut's bytes, growing with the value; nil for a missing key", () => {
  const engine = engineWith("SET small x", `SET large ${"x".repeat(1000)}`, "RPUSH list a b c");
  const usage = (key: string): number => Number((read(engine, `MEMORY USAGE ${key}`) as { value: number }).value);
  assert.ok(usage("large") > usage("small") + 900, "a longer value takes more");
  assert.ok(usage("list") > usage("small"));
  assert.deepEqual(read(engine, "MEMORY USAGE list SAMPLES 0"), read(engine, "MEMORY USAGE list"), "SAMPLES changes nothing");
  assert.deepEqual(read(engine, "MEMORY USAGE missing"), NIL);
  assert.deepEqual(read(engine, "MEMORY USAGE list SAMPLES -1"), error("ERR", "syntax error"));
  assert.deepEqual(read(engine, "MEMORY STATS"), error("ERR", "unknown subcommand 'STATS'. Try MEMORY HELP."));
});

test("DUMP then RESTORE recreates the value with a TTL; errors come in Redis' order and words", () => {
  const engine = engineWith("RPUSH l a b c", "SET s v");
  const payload = payloadOf(read(engine, "DUMP l"));
  const restoreWith = (line: string, value = payload): Reply => {
    const [name, key, ttl, , ...options] = line.split(" ");
    return runArgv(engine, [name, key, ttl, value, ...options]);
  };
  assert.deepEqual(restoreWith("RESTORE l2 5000 P"), OK);
  assert.deepEqual(read(engine, "LRANGE l2 0 -1"), read(engine, "LRANGE l 0 -1"));
  assert.deepEqual(read(engine, "PTTL l2"), integer(5000));
  assert.deepEqual(restoreWith("RESTORE l2 0 P"), error("BUSYKEY", "Target key name already exists."));
  assert.deepEqual(restoreWith("RESTORE l2 0 P REPLACE IDLETIME 100"), OK);
  assert.deepEqual(read(engine, "PTTL l2"), integer(-1));
  assert.deepEqual(read(engine, "OBJECT IDLETIME l2"), integer(100));
  assert.deepEqual(restoreWith(`RESTORE l3 ${NOW_MS - 1} P ABSTTL`), OK);
  assert.deepEqual(read(engine, "EXISTS l3"), integer(0), "a past absolute TTL creates nothing");
  assert.deepEqual(restoreWith("RESTORE s 0 P"), error("BUSYKEY", "Target key name already exists."));
  assert.deepEqual(restoreWith("RESTORE x -1 P"), error("ERR", "Invalid TTL value, must be >= 0"));
  assert.deepEqual(restoreWith("RESTORE x 0 P FREQ 300"), error("ERR", "Invalid FREQ value, must be >= 0 and <= 255"));
  assert.deepEqual(restoreWith("RESTORE x 0 P"), OK);
  assert.deepEqual(restoreWith("RESTORE y 0 P", "not a payload"), error("ERR", "DUMP payload version or checksum are wrong"));
  assert.deepEqual(read(engine, "DUMP missing"), NIL);
});

