/**
 * The keyspace commands answer byte for byte what redis-server 7.0 answers: TYPE, SCAN
 * TYPE, COPY, TOUCH, OBJECT (ENCODING of every kind and size class, REFCOUNT, FREQ, HELP,
 * errors), SORT and SORT_RO, RESTORE's errors, MEMORY USAGE's errors, in RESP2 and after
 * HELLO 3. The same script runs on a fresh redis-server and a fresh walnut node, one
 * command at a time on one connection; every reply is compared.
 *
 * Hashes, sets and sorted sets are written by families added in parallel: their part of
 * the script runs when walnut's table has their write command (HSET, SADD, ZADD).
 * DUMP payloads differ on purpose (walnut's format, not RDB): each server restores its
 * own payload, and what the restored keys hold is compared.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { lookupDataCommand } from "../commands/table.js";
import { startRedis } from "../bench/resp_servers.js";
import { startTestNode } from "./harness.js";
import { conversation } from "./server_fixtures.js";

const x44 = "x".repeat(44);
const x45 = "x".repeat(45);
const v64 = "v".repeat(64);
const v65 = "v".repeat(65);

/** Strings of every size class, lists, and the string-like kinds walnut has (integer, float, HLL). */
const STRINGS_AND_LISTS: string[][] = [
  ["SET", "str", "hello"],
  ["SET", "int", "123"],
  ["SET", "neg", "-5"],
  ["SET", "big", "12345678901234567890"],
  ["SET", "lead", "007"],
  ["SET", "minus0", "-0"],
  ["SET", "s44", x44],
  ["SET", "s45", x45],
  ["SET", "n10000", "10000"],
  ["APPEND", "app", "ab"],
  ["APPEND", "app2", "ab"],
  ["APPEND", "app2", "cd"],
  ["SETRANGE", "sr", "0", "ab"],
  ["SET", "num", "12"],
  ["APPEND", "num", "3"],
  ["INCR", "cnt"],
  ["INCRBY", "cnt2", "20000"],
  ["INCRBYFLOAT", "fl", "1.5"],
  ["INCRBYFLOAT", "fl3", "3"],
  ["PFADD", "hll", "a", "b", "c"],
  ["RPUSH", "list", "3", "1", "2", "10"],
  ["RPUSH", "biglist", ...Array.from({ length: 200 }, (_, index) => `element-${index}`)],
  ["SET", "ttl", "v", "EX", "100"],
];

function typeAndEncoding(keys: string[]): string[][] {
  return keys.flatMap((key) => [
    ["TYPE", key],
    ["OBJECT", "ENCODING", key],
    ["OBJECT", "REFCOUNT", key],
  ]);
}

const STRING_AND_LIST_KEYS = ["str", "int", "neg", "big", "lead", "minus0", "s44", "s45", "n10000", "app", "app2", "sr", "num", "cnt", "cnt2", "fl", "fl3", "hll", "list", "biglist", "missing"];

const OBJECT_AND_TOUCH: string[][] = [
  ["OBJECT", "FREQ", "str"],
  ["OBJECT", "FREQ", "missing"],
  ["OBJECT", "IDLETIME", "missing"],
  ["OBJECT", "HELP"],
  ["OBJECT", "help", "extra"],
  ["OBJECT", "foo"],
  ["OBJECT", "foo", "bar"],
  ["OBJECT"],
  ["OBJECT", "ENCODING"],
  ["OBJECT", "ENCODING", "a", "b"],
  ["OBJECT", "REFCOUNT"],
  ["TOUCH", "str", "int", "missing", "str"],
  ["TOUCH"],
];

const SCANS: string[][] = [
  ["SCAN", "0", "MATCH", "int", "TYPE", "string", "COUNT", "1000"],
  ["SCAN", "0", "MATCH", "hll", "TYPE", "string", "COUNT", "1000"],
  ["SCAN", "0", "MATCH", "fl", "TYPE", "STRING", "COUNT", "1000"],
  ["SCAN", "0", "MATCH", "list", "TYPE", "list", "COUNT", "1000"],
  ["SCAN", "0", "MATCH", "hll", "TYPE", "list", "COUNT", "1000"],
  ["SCAN", "0", "MATCH", "list", "TYPE", "nosuchtype", "COUNT", "1000"],
  ["SCAN", "0", "TYPE", "zset", "MATCH", "list", "COUNT", "1000"],
  ["SCAN", "0", "TYPE"],
];

const COPIES: string[][] = [
  ["COPY", "str", "str2"],
  ["GET", "str2"],
  ["COPY", "int", "str2"],
  ["GET", "str2"],
  ["COPY", "int", "str2", "REPLACE"],
  ["GET", "str2"],
  ["OBJECT", "ENCODING", "str2"],
  ["COPY", "str", "str"],
  ["COPY", "missing", "x"],
  ["COPY", "str", "x", "DB"],
  ["COPY", "str", "x", "DB", "abc"],
  ["COPY", "str", "x", "DB", "16"],
  ["COPY", "str", "x", "DB", "99999999999"],
  ["COPY", "str", "x", "DB", "99999999999999999999"],
  ["COPY", "str", "x", "DB", "-1"],
  ["COPY", "str", "x", "FOO"],
  ["COPY", "str", "x", "DB", "0"],
  ["GET", "x"],
  ["SET", "ttl", "v", "EX", "100"], // again, just before: TTL rounds to whole seconds
  ["COPY", "ttl", "ttl2"],
  ["TTL", "ttl2"],
  ["COPY", "list", "list2"],
  ["LRANGE", "list2", "0", "-1"],
  ["OBJECT", "ENCODING", "list2"],
  ["COPY", "app2", "app3"],
  ["OBJECT", "ENCODING", "app3"],
  ["COPY", "hll", "hll2"],
  ["PFCOUNT", "hll2"],
  ["COPY"],
  ["COPY", "a"],
];

const SORTS: string[][] = [
  ["SORT", "list"],
  ["SORT", "list", "DESC"],
  ["SORT", "list", "ALPHA"],
  ["SORT", "list", "ALPHA", "DESC"],
  ["SORT", "list", "LIMIT", "1", "2"],
  ["SORT", "list", "LIMIT", "-1", "2"],
  ["SORT", "list", "LIMIT", "5", "2"],
  ["SORT", "list", "LIMIT", "0", "0"],
  ["SORT", "list", "LIMIT", "2", "-1"],
  ["SORT", "list", "BY", "nosort"],
  ["SORT", "list", "BY", "nosort", "DESC"],
  ["SORT", "list", "BY", "nosort", "LIMIT", "1", "2"],
  ["SORT", "list", "BY", "nosort", "DESC", "LIMIT", "1", "5"],
  ["MSET", "weight_3", "1", "weight_1", "30", "weight_2", "2", "val_1", "one", "val_3", "three"],
  ["SORT", "list", "BY", "weight_*"],
  ["SORT", "list", "BY", "weight_*", "DESC"],
  ["SORT", "list", "BY", "weight_*", "ALPHA"],
  ["SORT", "list", "BY", "weight_*", "GET", "#", "GET", "val_*"],
  ["SORT", "list", "GET", "val_*", "GET", "nostar"],
  ["SORT", "list", "BY", "weight_*", "LIMIT", "0", "2", "GET", "val_*", "STORE", "dst"],
  ["LRANGE", "dst", "0", "-1"],
  ["TYPE", "dst"],
  ["SORT", "list", "STORE", "dst"],
  ["LRANGE", "dst", "0", "-1"],
  ["SORT", "missing", "STORE", "dst"],
  ["EXISTS", "dst"],
  ["SORT", "missing"],
  ["SORT", "str"],
  ["SORT", "str", "badopt"],
  ["SORT", "list", "badopt"],
  ["SORT", "list", "LIMIT", "1"],
  ["SORT", "list", "LIMIT", "a", "b"],
  ["SORT", "list", "BY"],
  ["SORT_RO", "list", "STORE", "x"],
  ["SORT_RO", "list", "DESC", "LIMIT", "0", "3"],
  ["SORT_RO", "list", "BY", "weight_*", "GET", "val_*"],
  ["RPUSH", "mixed", "a", "1"],
  ["SORT", "mixed"],
  ["SORT", "mixed", "LIMIT", "0", "0"],
  ["SORT", "mixed", "ALPHA"],
  ["SORT", "mixed", "ALPHA", "DESC"],
  ["RPUSH", "floats", "1.5", " 2", "0x10", "inf", "-inf", "1e2", "", "-0", "0", "+3", ".5", "5."],
  ["SORT", "floats"],
  ["SORT", "floats", "DESC"],
  ["RPUSH", "trailing", "1 "],
  ["SORT", "trailing"],
  ["RPUSH", "notanumber", "nan"],
  ["SORT", "notanumber"],
  ["RPUSH", "huge", "1e400"],
  ["SORT", "huge"],
  ["RPUSH", "ties", "b", "a", "c"],
  ["SORT", "ties", "BY", "nothing_*"],
  ["SORT", "ties", "BY", "nothing_*", "DESC"],
  ["SORT", "hll"],
];

const RESTORES_AND_MEMORY: string[][] = [
  ["RESTORE", "new", "0", "garbage"],
  ["RESTORE", "str", "0", "garbage"],
  ["RESTORE", "new", "-1", "garbage"],
  ["RESTORE", "new", "abc", "garbage"],
  ["RESTORE", "new", "0", "garbage", "BADOPT"],
  ["RESTORE", "new", "0", "garbage", "IDLETIME", "-1"],
  ["RESTORE", "new", "0", "garbage", "IDLETIME", "x"],
  ["RESTORE", "new", "0", "garbage", "FREQ", "256"],
  ["RESTORE", "new", "0", "garbage", "IDLETIME", "1", "FREQ", "1"],
  ["RESTORE", "new", "0", "garbage", "IDLETIME"],
  ["RESTORE", "str", "0", "garbage", "REPLACE"],
  ["RESTORE", "new", "0", ""],
  ["RESTORE", "new"],
  ["DUMP", "missing"],
  ["DUMP"],
  ["MEMORY", "USAGE", "missing"],
  ["MEMORY", "USAGE", "str", "SAMPLES"],
  ["MEMORY", "USAGE", "str", "SAMPLES", "a"],
  ["MEMORY", "USAGE", "str", "SAMPLES", "-1"],
  ["MEMORY", "USAGE", "str", "FOO", "1"],
  ["MEMORY", "USAGE"],
  ["MEMORY"],
  ["MEMORY", "nosuch"],
];

/** Hashes of every size class (walnut's hash commands come from a parallel branch). */
const HASHES: string[][] = [
  ["HSET", "h", "f", "v"],
  ["HSET", "h64", "f", v64],
  ["HSET", "h65", "f", v65],
  ["HSET", "h65", "f", "short"], // stays a hashtable
  ["HSET", "hk", v65, "x"],
  ["HSET", "h512", ...Array.from({ length: 512 }, (_, index) => [`f${index}`, "v"]).flat()],
  ["HSET", "h513", ...Array.from({ length: 513 }, (_, index) => [`f${index}`, "v"]).flat()],
  ["HDEL", "h513", "f0", "f1"],
  ...typeAndEncoding(["h", "h64", "h65", "hk", "h512", "h513"]),
  ["SCAN", "0", "MATCH", "h", "TYPE", "hash", "COUNT", "10000"],
  ["SCAN", "0", "MATCH", "h", "TYPE", "string", "COUNT", "10000"],
  ["COPY", "h65", "h65copy"],
  ["OBJECT", "ENCODING", "h65copy"],
  ["HSET", "wh", "w3", "1", "w1", "30", "w2", "2", "w10", "x"],
  ["SORT", "list", "BY", "wh->w*", "GET", "#"],
  ["SORT", "list", "BY", "h->f"],
  ["SORT", "list", "GET", "wh->w*"],
  ["SORT", "list", "BY", "weight_*", "GET", "wh->w*", "GET", "wh->"],
];

/** Sets: intset and hashtable classes, SORT on sets (sorted, so the order is Redis'). */
const SETS: string[][] = [
  ["SADD", "si", "1", "2", "-5"],
  ["SADD", "sx", "1", "x"],
  ["SADD", "s0", "007"],
  ["SADD", "s512", ...Array.from({ length: 512 }, (_, index) => String(index))],
  ["SADD", "s513", ...Array.from({ length: 513 }, (_, index) => String(index))],
  ["SREM", "s513", "0", "1"],
  ["SADD", "sneg", "x"],
  ["SREM", "sneg", "x"],
  ...typeAndEncoding(["si", "sx", "s0", "s512", "s513"]),
  ["SCAN", "0", "MATCH", "si", "TYPE", "set", "COUNT", "10000"],
  ["SORT", "si"],
  ["SORT", "si", "DESC", "LIMIT", "0", "2"],
  ["SORT", "sx", "ALPHA"],
  ["SORT", "sx"],
  ["SORT", "sx", "BY", "nosort", "STORE", "sdst"],
  ["LRANGE", "sdst", "0", "-1"],
  ["SADD", "sw", "3", "1", "2"],
  ["SORT", "sw", "BY", "weight_*", "GET", "#", "GET", "val_*"],
];

/** Sorted sets (a parallel branch): listpack and skiplist classes, SORT BY nosort keeps score order. */
const ZSETS: string[][] = [
  ["ZADD", "z", "1", "a", "2", "b", "3", "c"],
  ["ZADD", "z64", "1", v64],
  ["ZADD", "z65", "1", v65],
  ["ZADD", "z128", ...Array.from({ length: 128 }, (_, index) => [String(index), `m${index}`]).flat()],
  ["ZADD", "z129", ...Array.from({ length: 129 }, (_, index) => [String(index), `m${index}`]).flat()],
  ["ZREM", "z129", "m0", "m1"],
  ...typeAndEncoding(["z", "z64", "z65", "z128", "z129"]),
  ["SCAN", "0", "MATCH", "z", "TYPE", "zset", "COUNT", "10000"],
  ["SORT", "z", "BY", "nosort"],
  ["SORT", "z", "BY", "nosort", "DESC", "LIMIT", "1", "5"],
  ["SORT", "z", "ALPHA", "DESC"],
  ["ZADD", "zn", "3", "10", "1", "2", "2", "1"],
  ["SORT", "zn"],
  ["SORT", "zn", "BY", "nosort"],
  ["COPY", "z", "zcopy"],
  ["ZRANGE", "zcopy", "0", "-1", "WITHSCORES"],
];

/** The script, with the families walnut has in this build. */
function script(): string[][] {
  const families: string[][] = [
    ...STRINGS_AND_LISTS,
    ...typeAndEncoding(STRING_AND_LIST_KEYS),
    ...OBJECT_AND_TOUCH,
    ...SCANS,
    ...COPIES,
    ...SORTS,
    ...RESTORES_AND_MEMORY,
  ];
  if (lookupDataCommand("HSET") !== undefined) families.push(...HASHES);
  if (lookupDataCommand("SADD") !== undefined) families.push(...SETS);
  if (lookupDataCommand("ZADD") !== undefined) families.push(...ZSETS);
  return families;
}

async function compareConversations(prefix: string[][]): Promise<void> {
  const redis = await startRedis({ appendFsyncAlways: false });
  const node = await startTestNode();
  try {
    const commands = [...prefix, ...script()];
    const fromRedis = await conversation(redis.port, commands);
    const fromWalnut = await conversation(node.respPort, commands);
    commands.forEach((command, index) => {
      if (index < prefix.length) return; // HELLO's reply names the server
      assert.equal(fromWalnut[index], fromRedis[index], `reply ${index} to ${command.join(" ").slice(0, 120)}`);
    });
  } finally {
    await Promise.all([redis.stop(), node.stop()]);
  }
}

test("TYPE, SCAN TYPE, COPY, TOUCH, OBJECT, SORT, RESTORE and MEMORY errors answer redis-server 7.0's bytes in RESP2", async () => {
  await compareConversations([]);
});

test("the same keyspace script answers redis-server 7.0's bytes after HELLO 3", async () => {
  await compareConversations([["HELLO", "3"]]);
});

test("SCAN TYPE string finds every key Redis calls a string, as redis-server does for the same data", async () => {
  const redis = await startRedis({ appendFsyncAlways: false });
  const node = await startTestNode();
  try {
    const found: string[][] = [];
    for (const port of [redis.port, node.respPort]) {
      const client = new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 0 });
      try {
        for (const command of STRINGS_AND_LISTS) await client.call(command[0], ...command.slice(1));
        const [cursor, keys] = (await client.call("SCAN", "0", "TYPE", "string", "COUNT", "1000")) as [string, string[]];
        assert.equal(cursor, "0");
        found.push([...keys].sort());
      } finally {
        client.disconnect();
      }
    }
    assert.deepEqual(found[1], found[0]);
    assert.ok(found[0].includes("cnt") && found[0].includes("fl") && found[0].includes("hll"), "integers, floats and HLLs are strings");
  } finally {
    await Promise.all([redis.stop(), node.stop()]);
  }
});

test("DUMP and RESTORE round-trip every kind on each server, with REPLACE, TTL, ABSTTL and IDLETIME, as in Redis", async () => {
  const redis = await startRedis({ appendFsyncAlways: false });
  const node = await startTestNode();
  try {
    const outcomes: unknown[][] = [];
    for (const port of [redis.port, node.respPort]) {
      const client = new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 0 });
      const seen: unknown[] = [];
      try {
        await client.call("SET", "s", "bytes\x00\xff");
        await client.call("INCRBY", "n", "42");
        await client.call("RPUSH", "l", "a", "b", "c");
        await client.call("PFADD", "h", "x", "y");
        for (const key of ["s", "n", "l", "h"]) {
          const payload = (await client.callBuffer("DUMP", key)) as Buffer;
          seen.push(await client.call("RESTORE", `${key}:copy`, "0", payload));
          seen.push(await client.call("TYPE", `${key}:copy`));
          // A restored HyperLogLog is embstr in Redis when its sparse bytes fit 44; walnut keeps
          // registers, not Redis' sparse bytes, and answers raw (docs/commands.md).
          if (key !== "h") seen.push(await client.call("OBJECT", "ENCODING", `${key}:copy`));
          seen.push(await client.call("RESTORE", `${key}:copy`, "0", payload).catch((error: Error) => error.message));
          seen.push(await client.call("RESTORE", `${key}:copy`, "5000", payload, "REPLACE", "IDLETIME", "1000"));
          seen.push(await client.call("PTTL", `${key}:copy`).then((ttl) => Number(ttl) > 4000 && Number(ttl) <= 5000));
          seen.push(await client.call("OBJECT", "IDLETIME", `${key}:copy`).then((idle) => Number(idle) >= 1000 && Number(idle) < 1010));
          const past = String(Date.now() - 1000);
          seen.push(await client.call("RESTORE", `${key}:copy`, past, payload, "REPLACE", "ABSTTL"));
          seen.push(await client.call("EXISTS", `${key}:copy`), "restoring with a past ABSTTL deletes the key");
          const future = String(Date.now() + 60_000);
          seen.push(await client.call("RESTORE", `${key}:copy`, future, payload, "ABSTTL"));
          seen.push(await client.call("TTL", `${key}:copy`).then((ttl) => Number(ttl) > 55 && Number(ttl) <= 60));
        }
        seen.push(await client.call("GET", "s:copy"), await client.call("GET", "n:copy"));
        seen.push(await client.call("LRANGE", "l:copy", "0", "-1"), await client.call("PFCOUNT", "h:copy"));
        const payload = (await client.callBuffer("DUMP", "s")) as Buffer;
        payload[0] ^= 0x55;
        seen.push(await client.call("RESTORE", "broken", "0", payload).catch((error: Error) => error.message));
      } finally {
        client.disconnect();
      }
      outcomes.push(seen);
    }
    assert.deepEqual(outcomes[1], outcomes[0]);
  } finally {
    await Promise.all([redis.stop(), node.stop()]);
  }
});

test("walnut's DUMP payload is refused by redis-server and Redis' by walnut, with Redis' error", async () => {
  const redis = await startRedis({ appendFsyncAlways: false });
  const node = await startTestNode();
  const toRedis = new Redis({ port: redis.port, host: "127.0.0.1", maxRetriesPerRequest: 0 });
  const toWalnut = new Redis({ port: node.respPort, host: "127.0.0.1", maxRetriesPerRequest: 0 });
  try {
    for (const client of [toRedis, toWalnut]) await client.call("SET", "k", "v");
    const fromRedis = (await toRedis.callBuffer("DUMP", "k")) as Buffer;
    const fromWalnut = (await toWalnut.callBuffer("DUMP", "k")) as Buffer;
    const refusal = "ERR DUMP payload version or checksum are wrong";
    await assert.rejects(toWalnut.call("RESTORE", "other", "0", fromRedis), { message: refusal });
    await assert.rejects(toRedis.call("RESTORE", "other", "0", fromWalnut), { message: refusal });
  } finally {
    toRedis.disconnect();
    toWalnut.disconnect();
    await Promise.all([redis.stop(), node.stop()]);
  }
});

test("COMMAND INFO of COPY, TOUCH, DUMP, RESTORE, SORT and SORT_RO matches redis-server 7.0's arity, flags and key positions", async () => {
  const redis = await startRedis({ appendFsyncAlways: false });
  const node = await startTestNode();
  const clients = [redis.port, node.respPort].map((port) => new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 0 }));
  try {
    for (const name of ["copy", "touch", "dump", "restore", "sort", "sort_ro"]) {
      const [theirs, ours] = await Promise.all(clients.map(async (client) => ((await client.call("COMMAND", "INFO", name)) as unknown[][])[0].slice(0, 6)));
      assert.deepEqual(ours, theirs, name);
    }
  } finally {
    for (const client of clients) client.disconnect();
    await Promise.all([redis.stop(), node.stop()]);
  }
});
