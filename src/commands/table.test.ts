import { test } from "node:test";
import assert from "node:assert/strict";
import { error } from "../engine/reply.js";
import { checkArity, commandTable, dataCommands, lookupCommand, lookupDataCommand } from "./table.js";

const mine = [
  "GET", "SET", "SETNX", "SETEX", "PSETEX", "GETSET", "GETDEL", "GETEX", "MGET", "MSET", "MSETNX", "APPEND", "STRLEN",
  "GETRANGE", "SETRANGE", "INCR", "DECR", "INCRBY", "DECRBY", "INCRBYFLOAT", "DEL", "UNLINK", "EXISTS", "TYPE", "RENAME",
  "RENAMENX", "DBSIZE", "FLUSHDB", "KEYS", "SCAN", "RANDOMKEY", "VERSION", "EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT",
  "TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME", "PERSIST", "EXPIRESWEEP",
];

test("the table holds the string, counter, keyspace and expiry commands", () => {
  for (const name of mine) assert.ok(commandTable.has(name), name);
});

test("every data command is either a write or a read (or publishes); every command has a summary and consistent key positions", () => {
  for (const [name, spec] of commandTable) {
    assert.equal(spec.name, name);
    const publishes = spec.scope === "data" && spec.flags.includes("pubsub"); // PUBLISH, SPUBLISH: logged, flagged as in Redis
    if (publishes) assert.ok(!spec.flags.includes("write") && !spec.flags.includes("readonly"), name);
    else if (spec.scope === "data") assert.notEqual(spec.flags.includes("write"), spec.flags.includes("readonly"), name);
    else assert.ok(spec.usage.toUpperCase().startsWith(name), name);
    assert.ok(spec.summary.length > 0, name);
    assert.ok(spec.arity !== 0, name);
    if (spec.firstKey === 0) assert.deepEqual([spec.lastKey, spec.keyStep], [0, 0], name);
    else assert.ok(spec.keyStep >= 1 && (spec.lastKey < 0 || spec.lastKey >= spec.firstKey), name); // negative: counted from the end (BLPOP: -2)
  }
});

test("write commands of the table are flagged so", () => {
  for (const name of ["SET", "INCR", "DEL", "EXPIRE", "FLUSHDB", "EXPIRESWEEP", "GETEX", "GETDEL"]) {
    assert.ok(lookupCommand(name)?.flags.includes("write"), name);
  }
  for (const name of ["GET", "MGET", "EXISTS", "TTL", "SCAN", "KEYS", "VERSION", "STRLEN", "GETRANGE"]) {
    assert.ok(lookupCommand(name)?.flags.includes("readonly"), name);
  }
});

test("lookupCommand ignores case and knows no other names", () => {
  assert.equal(lookupCommand("get")?.name, "GET");
  assert.equal(lookupCommand("IncrByFloat")?.name, "INCRBYFLOAT");
  assert.equal(lookupCommand("nosuch"), undefined);
  assert.equal(lookupCommand(""), undefined);
});

test("connection commands are in the table, but only data commands are run by the executor and apply()", () => {
  for (const name of ["AUTH", "HELLO", "MULTI", "EXEC", "WATCH", "CLIENT", "COMMAND", "CONFIG", "ACL", "SHUTDOWN", "INFO", "PING"]) {
    assert.equal(lookupCommand(name)?.scope, "connection", name);
    assert.equal(lookupDataCommand(name), undefined, name);
  }
  assert.equal(lookupDataCommand("set")?.name, "SET");
  assert.equal(dataCommands.size + [...commandTable.values()].filter((spec) => spec.scope === "connection").length, commandTable.size);
});

test("checkArity accepts exact and minimum counts and words its error like Redis", () => {
  const get = lookupDataCommand("GET")!;
  const del = lookupDataCommand("DEL")!;
  assert.equal(checkArity(get, 2), null);
  assert.deepEqual(checkArity(get, 3), error("ERR", "wrong number of arguments for 'get' command"));
  assert.deepEqual(checkArity(get, 1), error("ERR", "wrong number of arguments for 'get' command"));
  assert.equal(checkArity(del, 2), null);
  assert.equal(checkArity(del, 10), null);
  assert.deepEqual(checkArity(del, 1), error("ERR", "wrong number of arguments for 'del' command"));
});
