import { test } from "node:test";
import assert from "node:assert/strict";
import { Engine } from "../engine/engine.js";
import { array, bulk, error, integer, NIL, OK, WRONGTYPE } from "../engine/reply.js";
import { NOW_MS, read, run } from "./testing.js";

const SYNTAX = error("ERR", "syntax error");
const NOT_AN_INTEGER = error("ERR", "value is not an integer or out of range");

function engineWith(...lines: string[]): Engine {
  const engine = new Engine();
  for (const line of lines) run(engine, line);
  return engine;
}

test("SET stores a string that GET returns; GET of an absent key is nil", () => {
  const engine = engineWith("SET k v");
  assert.deepEqual(run(engine, "GET k"), bulk("v"));
  assert.deepEqual(read(engine, "GET k"), bulk("v"));
  assert.deepEqual(read(engine, "GET missing"), NIL);
});

test("SET NX and XX set only when the key is absent, or present", () => {
  const engine = engineWith("SET k v");
  assert.deepEqual(run(engine, "SET k w NX"), NIL);
  assert.deepEqual(run(engine, "SET other w NX"), OK);
  assert.deepEqual(run(engine, "SET absent w XX"), NIL);
  assert.deepEqual(run(engine, "SET k w XX"), OK);
  assert.deepEqual(read(engine, "GET k"), bulk("w"));
  assert.deepEqual(read(engine, "EXISTS absent"), integer(0));
});

test("SET GET answers the previous value, also when NX blocks the write", () => {
  const engine = engineWith("SET k v");
  assert.deepEqual(run(engine, "SET k w GET"), bulk("v"));
  assert.deepEqual(run(engine, "SET k x NX GET"), bulk("w"));
  assert.deepEqual(read(engine, "GET k"), bulk("w"));
  assert.deepEqual(run(engine, "SET fresh x GET"), NIL);
});

test("SET GET on a list answers WRONGTYPE and changes nothing", () => {
  const engine = engineWith("RPUSH l a");
  assert.deepEqual(run(engine, "SET l v GET"), WRONGTYPE);
  assert.deepEqual(read(engine, "TYPE l"), { type: "status", text: "list" });
  assert.deepEqual(run(engine, "SET l v"), OK, "plain SET replaces any kind");
  assert.deepEqual(read(engine, "GET l"), bulk("v"));
});

test("SET expiry options set absolute instants from the entry's clock", () => {
  const engine = new Engine();
  run(engine, "SET a v EX 10");
  run(engine, "SET b v PX 1500");
  run(engine, `SET c v EXAT ${NOW_MS / 1000 + 20}`);
  run(engine, `SET d v PXAT ${NOW_MS + 30_000}`);
  assert.deepEqual(read(engine, "PEXPIRETIME a"), integer(NOW_MS + 10_000));
  assert.deepEqual(read(engine, "PEXPIRETIME b"), integer(NOW_MS + 1500));
  assert.deepEqual(read(engine, "PEXPIRETIME c"), integer(NOW_MS + 20_000));
  assert.deepEqual(read(engine, "PEXPIRETIME d"), integer(NOW_MS + 30_000));
});

test("SET without KEEPTTL clears the expiry, with KEEPTTL keeps it", () => {
  const engine = engineWith("SET a v EX 10", "SET b v EX 10");
  run(engine, "SET a w");
  run(engine, "SET b w KEEPTTL");
  assert.deepEqual(read(engine, "TTL a"), integer(-1));
  assert.deepEqual(read(engine, "TTL b"), integer(10));
});

test("SET with an expiry instant already past deletes the key", () => {
  const engine = engineWith("SET k v");
  assert.deepEqual(run(engine, `SET k w PXAT ${NOW_MS - 1}`), OK);
  assert.deepEqual(read(engine, "EXISTS k"), integer(0));
});

test("SET and GETEX take the same expiry word twice (the last time counts), as Redis does", () => {
  const engine = new Engine();
  assert.deepEqual(run(engine, "SET k v PX 1000 NX px 2000"), OK);
  assert.deepEqual(read(engine, "PEXPIRETIME k"), integer(NOW_MS + 2000));
  assert.deepEqual(run(engine, "SET k v EXAT 9223372036854775807 GET EXAT -1"), error("ERR", "invalid expire time in 'set' command"));
  assert.deepEqual(run(engine, "GETEX k EX 10 ex 20"), bulk("v"));
  assert.deepEqual(read(engine, "PEXPIRETIME k"), integer(NOW_MS + 20_000));
  assert.deepEqual(run(engine, "GETEX k PERSIST persist"), bulk("v"));
  assert.deepEqual(read(engine, "PEXPIRETIME k"), integer(-1));
  assert.deepEqual(run(engine, "GETEX k EX 10 PX 20"), SYNTAX);
});

test("SET refuses conflicting or malformed options", () => {
  const engine = new Engine();
  for (const options of ["NX XX", "EX 1 PX 1", "EX 1 KEEPTTL", "KEEPTTL EX 1", "EX", "BOGUS", "AS", "AS integer AS float"]) {
    assert.deepEqual(run(engine, `SET k 1 ${options}`), SYNTAX, options);
  }
  assert.deepEqual(run(engine, "SET k v EX ten"), NOT_AN_INTEGER);
  assert.deepEqual(run(engine, "SET k v EX 0"), error("ERR", "invalid expire time in 'set' command"));
  assert.deepEqual(run(engine, "SET k v PX -5"), error("ERR", "invalid expire time in 'set' command"));
  assert.deepEqual(run(engine, "SET k v EX 9223372036854775807"), error("ERR", "invalid expire time in 'set' command"));
  assert.deepEqual(run(engine, "SET k"), error("ERR", "wrong number of arguments for 'set' command"));
  assert.deepEqual(read(engine, "DBSIZE"), integer(0));
});

test("SET AS stores typed values that read back as their text", () => {
  const engine = engineWith("SET i 42 AS integer", "SET f 1.50 AS FLOAT", "SET b TRUE AS boolean", "SET x \xff\x00 AS blob");
  assert.deepEqual(read(engine, "TYPE i"), { type: "status", text: "integer" });
  assert.deepEqual(read(engine, "GET i"), bulk("42"));
  assert.deepEqual(read(engine, "TYPE f"), { type: "status", text: "float" });
  assert.deepEqual(read(engine, "GET f"), bulk("1.5"));
  assert.deepEqual(read(engine, "GET b"), bulk("true"));
  assert.deepEqual(read(engine, "TYPE x"), { type: "status", text: "blob" });
  assert.deepEqual(read(engine, "GET x"), bulk("\xff\x00"));
  assert.deepEqual(read(engine, "STRLEN i"), integer(2));
});

test("SET AS refuses text that is not a value of the type", () => {
  const engine = new Engine();
  assert.deepEqual(run(engine, "SET i 4.2 AS integer"), NOT_AN_INTEGER);
  assert.deepEqual(run(engine, "SET i 9223372036854775808 AS integer"), NOT_AN_INTEGER);
  assert.deepEqual(run(engine, "SET f abc AS float"), error("ERR", "value is not a valid float"));
  assert.deepEqual(run(engine, "SET f inf AS float"), error("ERR", "value is not a valid float"));
  assert.deepEqual(run(engine, "SET b 1 AS boolean"), error("ERR", "value is not a valid boolean"));
  assert.deepEqual(
    run(engine, "SET l a AS list"),
    error("ERR", "unknown value type 'list' (use string, blob, integer, float, boolean)"),
  );
  assert.deepEqual(read(engine, "DBSIZE"), integer(0));
});

test("every write gives the item the entry's index as its version", () => {
  const engine = new Engine();
  run(engine, "SET k v");
  const firstIndex = engine.appliedIndex;
  assert.deepEqual(read(engine, "VERSION k"), integer(firstIndex));
  run(engine, "APPEND k w");
  assert.deepEqual(read(engine, "VERSION k"), integer(firstIndex + 1));
  run(engine, "GET k");
  assert.deepEqual(read(engine, "VERSION k"), integer(firstIndex + 1), "a read changes no version");
});

test("SETNX, SETEX and PSETEX", () => {
  const engine = new Engine();
  assert.deepEqual(run(engine, "SETNX k v"), integer(1));
  assert.deepEqual(run(engine, "SETNX k w"), integer(0));
  assert.deepEqual(read(engine, "GET k"), bulk("v"));
  assert.deepEqual(run(engine, "SETEX s 5 v"), OK);
  assert.deepEqual(read(engine, "PTTL s"), integer(5000));
  assert.deepEqual(run(engine, "PSETEX p 250 v"), OK);
  assert.deepEqual(read(engine, "PTTL p"), integer(250));
  assert.deepEqual(run(engine, "SETEX s 0 v"), error("ERR", "invalid expire time in 'setex' command"));
  assert.deepEqual(run(engine, "PSETEX s -1 v"), error("ERR", "invalid expire time in 'psetex' command"));
  assert.deepEqual(run(engine, "SETEX s x v"), NOT_AN_INTEGER);
});

test("GETSET and GETDEL answer the previous value", () => {
  const engine = engineWith("SET k v EX 100", "RPUSH l a");
  assert.deepEqual(run(engine, "GETSET k w"), bulk("v"));
  assert.deepEqual(read(engine, "TTL k"), integer(-1), "GETSET clears the expiry");
  assert.deepEqual(run(engine, "GETSET new w"), NIL);
  assert.deepEqual(run(engine, "GETSET l w"), WRONGTYPE);
  assert.deepEqual(run(engine, "GETDEL k"), bulk("w"));
  assert.deepEqual(read(engine, "EXISTS k"), integer(0));
  assert.deepEqual(run(engine, "GETDEL k"), NIL);
  assert.deepEqual(run(engine, "GETDEL l"), WRONGTYPE);
});

test("GETEX answers the value and changes the expiry", () => {
  const engine = engineWith("SET k v");
  assert.deepEqual(run(engine, "GETEX k"), bulk("v"));
  assert.deepEqual(read(engine, "TTL k"), integer(-1));
  assert.deepEqual(run(engine, "GETEX k EX 30"), bulk("v"));
  assert.deepEqual(read(engine, "TTL k"), integer(30));
  assert.deepEqual(run(engine, "GETEX k PERSIST"), bulk("v"));
  assert.deepEqual(read(engine, "TTL k"), integer(-1));
  assert.deepEqual(run(engine, `GETEX k PXAT ${NOW_MS}`), bulk("v"), "an instant already past answers, then deletes");
  assert.deepEqual(read(engine, "EXISTS k"), integer(0));
  assert.deepEqual(run(engine, "GETEX k EX 10"), NIL);
});

test("GETEX refuses bad options", () => {
  const engine = engineWith("SET k v");
  assert.deepEqual(run(engine, "GETEX k EX 10 PERSIST"), SYNTAX);
  assert.deepEqual(run(engine, "GETEX k PERSIST EX 10"), SYNTAX);
  assert.deepEqual(run(engine, "GETEX k EX"), SYNTAX);
  assert.deepEqual(run(engine, "GETEX k EX 0"), error("ERR", "invalid expire time in 'getex' command"));
  assert.deepEqual(run(engine, "GETEX k EX soon"), NOT_AN_INTEGER);
});

test("GETEX checks its option words, then the key, then the time's value, as Redis 7.0 does", () => {
  const engine = engineWith("RPUSH l x");
  assert.deepEqual(run(engine, "GETEX missing PX soon"), NIL);
  assert.deepEqual(run(engine, "GETEX missing EXAT 9223372036854775807"), NIL);
  assert.deepEqual(run(engine, "GETEX l EX 1.5"), WRONGTYPE);
  assert.deepEqual(run(engine, "GETEX missing EX"), SYNTAX);
});

test("MGET answers nil for absent keys and for keys that are not strings", () => {
  const engine = engineWith("SET a 1", "SET c 3 AS integer", "RPUSH l x");
  assert.deepEqual(read(engine, "MGET a b c l"), array([bulk("1"), NIL, bulk("3"), NIL]));
});

test("MSET sets every pair and clears expiries; MSETNX sets all or none", () => {
  const engine = engineWith("SET a old EX 10");
  assert.deepEqual(run(engine, "MSET a 1 b 2"), OK);
  assert.deepEqual(read(engine, "MGET a b"), array([bulk("1"), bulk("2")]));
  assert.deepEqual(read(engine, "TTL a"), integer(-1));
  assert.deepEqual(run(engine, "MSET a 1 b"), error("ERR", "wrong number of arguments for 'mset' command"));
  assert.deepEqual(run(engine, "MSETNX b 9 c 9"), integer(0));
  assert.deepEqual(read(engine, "EXISTS c"), integer(0));
  assert.deepEqual(run(engine, "MSETNX c 3 d 4"), integer(1));
  assert.deepEqual(read(engine, "MGET c d"), array([bulk("3"), bulk("4")]));
});

test("APPEND creates or extends a value and keeps its expiry", () => {
  const engine = engineWith("SET k hello EX 50", "SET i 42 AS integer", "SET x \x01 AS blob", "RPUSH l a");
  assert.deepEqual(run(engine, "APPEND k \" world\""), integer(11));
  assert.deepEqual(read(engine, "GET k"), bulk("hello world"));
  assert.deepEqual(read(engine, "TTL k"), integer(50));
  assert.deepEqual(run(engine, "APPEND new abc"), integer(3));
  assert.deepEqual(run(engine, "APPEND i 0"), integer(3));
  assert.deepEqual(read(engine, "TYPE i"), { type: "status", text: "string" });
  assert.deepEqual(read(engine, "GET i"), bulk("420"));
  run(engine, "APPEND x \x02");
  assert.deepEqual(read(engine, "TYPE x"), { type: "status", text: "blob" });
  assert.deepEqual(run(engine, "APPEND l a"), WRONGTYPE);
});

test("STRLEN counts bytes; 0 when absent", () => {
  const engine = engineWith("SET k \xe2\x82\xac", "RPUSH l a");
  assert.deepEqual(read(engine, "STRLEN k"), integer(3));
  assert.deepEqual(read(engine, "STRLEN missing"), integer(0));
  assert.deepEqual(read(engine, "STRLEN l"), WRONGTYPE);
});

test("GETRANGE takes inclusive, possibly negative offsets as Redis does", () => {
  const engine = engineWith('SET k "This is a string"');
  assert.deepEqual(read(engine, "GETRANGE k 0 3"), bulk("This"));
  assert.deepEqual(read(engine, "GETRANGE k -3 -1"), bulk("ing"));
  assert.deepEqual(read(engine, "GETRANGE k 0 -1"), bulk("This is a string"));
  assert.deepEqual(read(engine, "GETRANGE k 10 100"), bulk("string"));
  assert.deepEqual(read(engine, "GETRANGE k 5 3"), bulk(""));
  assert.deepEqual(read(engine, "GETRANGE k -1 -5"), bulk(""));
  assert.deepEqual(read(engine, "GETRANGE k -100 2"), bulk("Thi"));
  assert.deepEqual(read(engine, "GETRANGE missing 0 -1"), bulk(""));
  assert.deepEqual(read(engine, "GETRANGE k a 1"), NOT_AN_INTEGER);
});

test("SETRANGE overwrites at an offset, padding with zero bytes", () => {
  const engine = engineWith('SET k "Hello World"', "RPUSH l a");
  assert.deepEqual(run(engine, "SETRANGE k 6 Redis"), integer(11));
  assert.deepEqual(read(engine, "GET k"), bulk("Hello Redis"));
  assert.deepEqual(run(engine, "SETRANGE pad 3 x"), integer(4));
  assert.deepEqual(read(engine, "GET pad"), bulk("\0\0\0x"));
  assert.deepEqual(run(engine, 'SETRANGE none 5 ""'), integer(0));
  assert.deepEqual(read(engine, "EXISTS none"), integer(0), "an empty patch creates nothing");
  assert.deepEqual(run(engine, 'SETRANGE k 100 ""'), integer(11));
  assert.deepEqual(run(engine, "SETRANGE k -1 x"), error("ERR", "offset is out of range"));
  assert.deepEqual(run(engine, "SETRANGE k 536870912 x"), error("ERR", "string exceeds maximum allowed size (proto-max-bulk-len)"));
  assert.deepEqual(run(engine, "SETRANGE l 0 x"), WRONGTYPE);
});

test("reads treat an item expired at nowMs as absent", () => {
  const engine = engineWith("SET k v PX 100");
  assert.deepEqual(read(engine, "GET k", { nowMs: NOW_MS + 99 }), bulk("v"));
  assert.deepEqual(read(engine, "GET k", { nowMs: NOW_MS + 100 }), NIL);
  assert.deepEqual(run(engine, "SET k w NX", { nowMs: NOW_MS + 100 }), OK, "an expired key counts as absent for writes");
});

test("a key longer than the key limit is refused with an ERR reply", () => {
  const engine = new Engine();
  const reply = run(engine, `SET ${"k".repeat(64 * 1024 + 1)} v`);
  assert.equal(reply.type, "error");
  assert.match((reply as { text: string }).text, /^ERR Cannot write key: 65537 bytes exceeds the limit of 65536/);
});
