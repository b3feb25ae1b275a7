/**
 * The hash and set families byte for byte against a real redis-server 7.0: the same command
 * lists (every command, wrong types, bad arguments, edge values) go to both, in RESP2 and
 * after HELLO 3, and every reply must be the same bytes. Where Redis defines no order (a
 * hash table set or hash, a random pick) the replies are compared as Redis allows:
 *   "any"   - the same elements in any order (SMEMBERS of a non-integer set);
 *   "pairs" - the same [field, value] pairs in any order (HGETALL of a large hash);
 *   "scan"  - the same cursor and the same elements in any order (SSCAN/HSCAN of a large one);
 *   "size"  - the same type and number of elements (SPOP 2 of four members), or the same
 *             type alone for one random pick.
 * Small integer sets and small hashes are compared exactly: walnut answers them in Redis'
 * intset and listpack order. Then redis-benchmark's SADD, HSET and SPOP run against walnut.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { test } from "node:test";
import assert from "node:assert/strict";
import { startRedis } from "../bench/resp_servers.js";
import { startTestNode } from "./harness.js";
import { conversation, Random } from "./server_fixtures.js";

const run = promisify(execFile);

type Order = "exact" | "any" | "pairs" | "scan" | "size";
interface Step {
  argv: string[];
  order: Order;
}

/** "HSET h a 1" → exact; "any: SMEMBERS t" → compared as a multiset. Words split on spaces; '' is an empty word. */
function steps(lines: string[]): Step[] {
  return lines.map((line) => {
    const marked = /^(any|pairs|scan|size): (.*)$/.exec(line);
    const text = marked === null ? line : marked[2]!;
    const argv = text.split(" ").map((word) => (word === "''" ? "" : word));
    return { argv, order: marked === null ? "exact" : (marked[1] as Order) };
  });
}

/** The raw RESP text of each top-level element of an aggregate reply, and its header. */
function splitAggregate(reply: string): { header: string; elements: string[] } {
  const headerEnd = reply.indexOf("\r\n");
  const header = reply.slice(0, headerEnd);
  const elements: string[] = [];
  let at = headerEnd + 2;
  while (at < reply.length) {
    const end = skipValue(reply, at);
    elements.push(reply.slice(at, end));
    at = end;
  }
  return { header, elements };
}

/** Where the RESP value starting at `at` ends. */
function skipValue(text: string, at: number): number {
  const lineEnd = text.indexOf("\r\n", at);
  const type = text[at];
  const length = Number(text.slice(at + 1, lineEnd));
  if (type === "$" || type === "=" || type === "!") return length < 0 ? lineEnd + 2 : lineEnd + 2 + length + 2;
  if (type === "*" || type === "~" || type === "%" || type === ">") {
    let next = lineEnd + 2;
    const count = type === "%" ? length * 2 : Math.max(length, 0);
    for (let index = 0; index < count; index++) next = skipValue(text, next);
    return next;
  }
  return lineEnd + 2;
}

function pairUp(elements: string[]): string[] {
  const paired: string[] = [];
  for (let index = 0; index < elements.length; index += 2) paired.push(elements[index]! + elements[index + 1]!);
  return paired;
}

/** The reply in a form that is equal for two replies Redis would consider equivalent under `order`. */
function canonical(reply: string, { order, argv }: Step): string {
  if (order === "size" && !/^[*~%]/.test(reply)) return reply[0]!; // a random pick: its type alone
  if (order === "exact" || !/^[*~%]/.test(reply)) return reply;
  const { header, elements } = splitAggregate(reply);
  switch (order) {
    case "any":
      return header + "|" + elements.slice().sort().join("");
    case "pairs":
      // RESP2 flat pairs or RESP3 map entries: either way consecutive elements pair up.
      return header + "|" + pairUp(elements).sort().join("");
    case "size":
      return `${header[0]}${elements.length}`;
    case "scan": {
      const [cursor, found] = elements as [string, string];
      const inner = splitAggregate(found);
      const grouped = argv[0]!.toUpperCase() === "HSCAN" ? pairUp(inner.elements) : inner.elements;
      return `${cursor}|${inner.header}|${grouped.slice().sort().join("")}`;
    }
  }
}

/** Sends `lines` to both servers on one connection each (after HELLO 3 when asked) and compares. */
async function compare(walnutPort: number, redisPort: number, lines: string[], protocol: 2 | 3): Promise<void> {
  const script = steps(["FLUSHDB", ...lines]);
  const argvs = script.map((step) => step.argv);
  const prefix = protocol === 3 ? [["HELLO", "3"]] : [];
  // HELLO's own reply names the server: only what follows it is compared.
  const ours = (await conversation(walnutPort, [...prefix, ...argvs])).slice(prefix.length);
  const theirs = (await conversation(redisPort, [...prefix, ...argvs])).slice(prefix.length);
  for (const [index, step] of script.entries()) {
    const label = `RESP${protocol} ${step.argv.join(" ")} (step ${index})`;
    assert.equal(canonical(ours[index]!, step), canonical(theirs[index]!, step), `${label}\nwalnut: ${JSON.stringify(ours[index])}\nredis:  ${JSON.stringify(theirs[index])}`);
  }
}

function fields(count: number, prefix: string): string {
  return Array.from({ length: count }, (_, index) => `${prefix}${index} v${index}`).join(" ");
}

function numbers(from: number, to: number): string {
  return Array.from({ length: to - from + 1 }, (_, index) => String(from + index)).join(" ");
}

const LONG = "x".repeat(65);

const HASH_SCRIPT = [
  "HSET h f1 v1 f2 v2",
  "HSET h f1 x",
  "HSET h",
  "HSET h f",
  "HSET h f v g",
  "HMSET h a 1 b 2",
  "HMSET h a",
  "HSETNX h f1 y",
  "HSETNX h new y",
  "HSETNX h a",
  "HGET h f1",
  "HGET h nofield",
  "HGET nokey f",
  "HGET h",
  "HMGET h f1 nofield a",
  "HMGET nokey a b",
  "HMGET h",
  "HGETALL h",
  "HGETALL nokey",
  "HGETALL",
  "HKEYS h",
  "HVALS h",
  "HKEYS nokey",
  "HVALS nokey",
  "HLEN h",
  "HLEN nokey",
  "HEXISTS h f1",
  "HEXISTS h zz",
  "HEXISTS nokey f",
  "HSTRLEN h f1",
  "HSTRLEN h zz",
  "HSTRLEN nokey f",
  "HSET h empty ''",
  "HSTRLEN h empty",
  "HGET h empty",
  "HDEL h f1 zz f1",
  "HDEL h",
  "HDEL nokey f",
  "HGETALL h",
  "HINCRBY h n 5",
  "HINCRBY h n -10",
  "HINCRBY h f2 1",
  "HINCRBY h n abc",
  "HINCRBY h n 1.5",
  "HINCRBY h n 9223372036854775807",
  "HINCRBY h m 9223372036854775807",
  "HINCRBY h m 1",
  "HINCRBY h o -9223372036854775808",
  "HINCRBY h o -1",
  "HINCRBY h n 99999999999999999999",
  "HINCRBY nk f 3",
  "HINCRBY h n",
  "HSET h lead 007",
  "HINCRBY h lead 1",
  "HINCRBYFLOAT h lead 1",
  "HINCRBYFLOAT h fl 0.1",
  "HINCRBYFLOAT h fl 0.2",
  "HINCRBYFLOAT h fl -0.3",
  "HINCRBYFLOAT h fl 1e-20",
  "HINCRBYFLOAT h fl 5.0e3",
  "HINCRBYFLOAT h fl .5",
  "HINCRBYFLOAT h fl 5.",
  "HINCRBYFLOAT h fl +1",
  "HINCRBYFLOAT h fl -0",
  "HINCRBYFLOAT h fl 3.14159265358979323846",
  "HINCRBYFLOAT h fl abc",
  "HINCRBYFLOAT h fl inf",
  "HINCRBYFLOAT h fl -Infinity",
  "HINCRBYFLOAT h fl nan",
  "HINCRBYFLOAT h fl 1e",
  "HINCRBYFLOAT h fl ''",
  "HINCRBYFLOAT h f2 1",
  "HINCRBYFLOAT h n 1.5",
  "HINCRBYFLOAT h big 1e308",
  "HINCRBYFLOAT h big 1e308",
  "HINCRBYFLOAT h huge 1e400",
  "HINCRBYFLOAT h over 1e5000",
  "HINCRBYFLOAT h under 1e-5000",
  "HINCRBYFLOAT h tiny 1e-4940",
  "HINCRBYFLOAT h hex 0x10",
  "HINCRBYFLOAT h hex 0x1.8p1",
  "HINCRBYFLOAT h hex 0X.8",
  "HINCRBYFLOAT h hex -0x1p-2",
  "HINCRBYFLOAT h hex 0x",
  "HINCRBYFLOAT h hex 0x1p",
  "HINCRBYFLOAT h hex 0x1p99999",
  "HINCRBYFLOAT h hex 0x1p-99999",
  "HSET h hexv 0x20",
  "HINCRBYFLOAT h hexv 1",
  "HINCRBYFLOAT h neg -2.5",
  "HINCRBYFLOAT h neg 2.5",
  "HINCRBYFLOAT h third 0.333333333333333333333333",
  "HINCRBYFLOAT h third 0.333333333333333333333333",
  "HINCRBYFLOAT h third 0.333333333333333333333333",
  "HSET h infv inf",
  "HINCRBYFLOAT h infv 1",
  "HINCRBYFLOAT nk2 f 2.5",
  // Values past 64 bytes made h a hash table in Redis: no defined order any more.
  "pairs: HGETALL h",
  // HRANDFIELD: counts at least the size answer the whole hash, in order.
  "HSET r a 1 b 2 c 3",
  "HRANDFIELD nokey",
  "HRANDFIELD nokey 5",
  "HRANDFIELD nokey 5 WITHVALUES",
  "HRANDFIELD r 0",
  "HRANDFIELD r 0 WITHVALUES",
  "HRANDFIELD r 3",
  "HRANDFIELD r 100",
  "HRANDFIELD r 100 WITHVALUES",
  "HRANDFIELD r 100 withvalues",
  "HRANDFIELD r 100 WITHVALUES extra",
  "HRANDFIELD r 1 foo",
  "HRANDFIELD r abc",
  "HRANDFIELD r -9223372036854775808",
  "HRANDFIELD r 9223372036854775807",
  "HRANDFIELD r 4611686018427387904 WITHVALUES",
  "HRANDFIELD r -4611686018427387904 WITHVALUES",
  "size: HRANDFIELD r -5",
  "size: HRANDFIELD r -5 WITHVALUES",
  "size: HRANDFIELD r 2",
  "size: HRANDFIELD r 2 WITHVALUES",
  "size: HRANDFIELD r 1 WITHVALUES",
  "HSET one only 1",
  "HRANDFIELD one",
  "HRANDFIELD one -3 WITHVALUES",
  "HRANDFIELD one 1 WITHVALUES",
  // HSCAN: a small hash whole with cursor 0.
  "HSCAN r 0",
  "HSCAN r 0 MATCH a*",
  "HSCAN r 0 MATCH *",
  "HSCAN r 0 COUNT 1",
  "HSCAN r 0 COUNT 0",
  "HSCAN r 0 COUNT -1",
  "HSCAN r 0 COUNT abc",
  "HSCAN r 0 MATCH",
  "HSCAN r 0 TYPE string",
  "HSCAN r 0 NOVALUES",
  "HSCAN r abc",
  "HSCAN r -1",
  "HSCAN r ''",
  "HSCAN r 18446744073709551616",
  "HSCAN r 18446744073709551615",
  "HSCAN nokey 0",
  "HSCAN nokey 0 COUNT 0",
  "HSCAN nokey x",
  "HSCAN r",
  // The last field deleted deletes the key; an existing hash keeps its expiry.
  "HDEL one only",
  "EXISTS one",
  "HSET he a 1",
  "EXPIRE he 100",
  "HSET he b 2",
  "HINCRBY he c 1",
  "HDEL he a",
  "TTL he",
  "TYPE he",
  // Large hashes are hash tables in Redis: no defined order.
  `HSET big ${fields(200, "f")}`,
  "HLEN big",
  "pairs: HGETALL big",
  "any: HKEYS big",
  "scan: HSCAN big 0 COUNT 1000",
  `HSET longv a 1 b ${LONG}`,
  "pairs: HGETALL longv",
  "scan: HSCAN longv 0 COUNT 1000",
  // Wrong types.
  "SET str v",
  "RPUSH list a",
  "HSET str a b",
  "HMSET str a b",
  "HSETNX str a b",
  "HGET str a",
  "HMGET str a",
  "HGETALL str",
  "HDEL str a",
  "HEXISTS str a",
  "HLEN list",
  "HKEYS list",
  "HVALS list",
  "HINCRBY str a 1",
  "HINCRBY str a x",
  "HINCRBYFLOAT str a 1",
  "HINCRBYFLOAT str a x",
  "HSTRLEN str a",
  "HRANDFIELD str",
  "HRANDFIELD str 2",
  "HRANDFIELD str x",
  "HSCAN str 0",
  "HSCAN str x",
  "GET r",
  "LPUSH r x",
  "TYPE r",
  // Other families on a hash.
  "APPEND r x",
  "STRLEN r",
  "INCR r",
  "INCRBYFLOAT r 1",
  "GETRANGE r 0 1",
  "SETRANGE r 0 x",
  "GETDEL r",
  "GETEX r",
  "GETSET r v",
  "MGET r str",
  "LLEN r",
  "LRANGE r 0 -1",
  "PFADD r a",
  "PFCOUNT r",
  "SADD r a",
  "SCARD r",
  "SET r v GET",
  "RENAME r r2",
  "HGETALL r2",
  "scan: SCAN 0 TYPE hash COUNT 1000",
  "DEL r2",
  "EXISTS r2",
];

const SET_SCRIPT = [
  "SADD s 3 1 2",
  "SADD s 2",
  "SADD s",
  "SMEMBERS s",
  "SADD s -5 10 9223372036854775807 -9223372036854775808",
  "SMEMBERS s",
  "SADD t a b c",
  "any: SMEMBERS t",
  "SMEMBERS nokey",
  "SMEMBERS",
  "SISMEMBER s 1",
  "SISMEMBER s 9",
  "SISMEMBER nokey 1",
  "SISMEMBER s",
  "SMISMEMBER s 1 9 2",
  "SMISMEMBER nokey a",
  "SMISMEMBER s",
  "SCARD s",
  "SCARD nokey",
  "SREM s 1 99 1",
  "SREM nokey a",
  "SREM s",
  "SMEMBERS s",
  // Not integers as Redis reads them: a hash table, no defined order.
  "SADD w 1 01 +2 -0 3.0",
  "any: SMEMBERS w",
  // SPOP
  "SPOP nokey",
  "SPOP nokey 3",
  "SPOP s 0",
  "SPOP s -1",
  "SPOP s abc",
  "SPOP s 1 2",
  "SPOP nokey -1",
  "SADD one x",
  "SPOP one",
  "EXISTS one",
  "SADD p 3 1 2",
  "SPOP p 10",
  "EXISTS p",
  "SADD p2 a b c",
  "any: SPOP p2 3",
  "EXISTS p2",
  "SADD q a b c d",
  "size: SPOP q 2",
  "SCARD q",
  "size: SPOP q",
  "SCARD q",
  // SRANDMEMBER
  "SRANDMEMBER nokey",
  "SRANDMEMBER nokey 5",
  "SRANDMEMBER nokey -5",
  "SRANDMEMBER s 0",
  "SRANDMEMBER s 100",
  "SRANDMEMBER s 6",
  "size: SRANDMEMBER s -20",
  "size: SRANDMEMBER s 3",
  "size: SRANDMEMBER s 1",
  "SRANDMEMBER s abc",
  "SRANDMEMBER s 1 2",
  "SRANDMEMBER s -9223372036854775808",
  "any: SRANDMEMBER t 100",
  "SADD single z",
  "SRANDMEMBER single",
  "SRANDMEMBER single -3",
  // SMOVE
  "SET str v",
  "SMOVE nokey s a",
  "SMOVE nokey str a",
  "SMOVE s str 2",
  "SMOVE str s a",
  "SMOVE s s 2",
  "SMOVE s s 99",
  "SMOVE s dst 2",
  "SMEMBERS dst",
  "SMOVE s dst 99",
  "SMOVE single dst z",
  "EXISTS single",
  "any: SMEMBERS dst",
  "SMOVE s dst",
  // SINTER SINTERCARD SINTERSTORE
  "SADD i1 1 2 3 4 5",
  "SADD i2 4 5 6 3",
  "SADD m1 a b c 1",
  "SADD m2 b c d 1",
  "SINTER i1 i2",
  "SINTER i2 i1",
  "SINTER i1",
  "SINTER i1 nokey",
  "SINTER nokey i1",
  "SINTER nokey str",
  "SINTER i1 str",
  "any: SINTER m1 m2",
  "SINTER m1 i1",
  "SINTER",
  "SINTERCARD 2 i1 i2",
  "SINTERCARD 2 i1 i2 LIMIT 1",
  "SINTERCARD 2 i1 i2 LIMIT 0",
  "SINTERCARD 2 i1 i2 limit 100",
  "SINTERCARD 2 i1 i2 LIMIT -1",
  "SINTERCARD 2 i1 i2 LIMIT x",
  "SINTERCARD 2 i1 i2 LIMIT",
  "SINTERCARD 2 i1 i2 FOO 1",
  "SINTERCARD 0 i1",
  "SINTERCARD -1 i1",
  "SINTERCARD abc i1",
  "SINTERCARD 3 i1",
  "SINTERCARD 1 nokey",
  "SINTERCARD 2 nokey str",
  "SINTERCARD 1 str",
  "SINTERCARD 1",
  "SINTERSTORE d i1 i2",
  "SMEMBERS d",
  "SINTERSTORE d i1 nokey",
  "EXISTS d",
  "SINTERSTORE d m1 i1",
  "SMEMBERS d",
  "SINTERSTORE d i1 str",
  "SINTERSTORE str i1 i2",
  "TYPE str",
  "SMEMBERS str",
  "SET str v",
  "SINTERSTORE d",
  // SUNION SUNIONSTORE SDIFF SDIFFSTORE
  "SUNION i1 i2",
  "SUNION i1 nokey",
  "SUNION nokey",
  "any: SUNION m1 m2",
  "any: SUNION i1 m1",
  "SUNION i1 str",
  "SUNIONSTORE u i1 i2",
  "SMEMBERS u",
  "SUNIONSTORE u nokey",
  "EXISTS u",
  "SUNIONSTORE u str",
  "SDIFF i1 i2",
  "SDIFF i2 i1",
  "SDIFF i1 nokey",
  "SDIFF nokey i1",
  "SDIFF i1 i1",
  "any: SDIFF m1 m2",
  "SDIFF i1 str",
  "SDIFF str i1",
  "SDIFFSTORE df i1 i2",
  "SMEMBERS df",
  "SDIFFSTORE df i1 i1",
  "EXISTS df",
  "SADD ex 1",
  "EXPIRE ex 100",
  "SUNIONSTORE ex i1",
  "TTL ex",
  "SADD ex2 7",
  "EXPIRE ex2 100",
  "SADD ex2 8",
  "SREM ex2 7",
  "TTL ex2",
  // SSCAN: an intset whole, cursor 0, in order.
  "SSCAN i1 0",
  "SSCAN i1 0 MATCH 1*",
  "SSCAN i1 0 COUNT 1",
  "SSCAN i1 0 COUNT 0",
  "SSCAN i1 0 COUNT abc",
  "SSCAN i1 0 TYPE string",
  "SSCAN i1 0 MATCH",
  "SSCAN i1 abc",
  "SSCAN i1 -5",
  "SSCAN nokey 0",
  "SSCAN nokey 0 COUNT 0",
  "SSCAN str 0",
  "SSCAN i1",
  "scan: SSCAN m1 0 COUNT 1000",
  "scan: SSCAN m1 0 MATCH [ab] COUNT 1000",
  // The intset bound: 512 integers stay sorted, 513 do not.
  `SADD ints ${numbers(1, 512)}`,
  "SMEMBERS ints",
  "SSCAN ints 0",
  `SADD ints2 ${numbers(-300, 212)} 213`,
  "any: SMEMBERS ints2",
  // Wrong types.
  "HSET h a 1",
  "SADD h a",
  "SREM h a",
  "SMEMBERS h",
  "SISMEMBER h a",
  "SMISMEMBER h a",
  "SCARD h",
  "SPOP h",
  "SPOP h 2",
  "SPOP h x",
  "SRANDMEMBER h",
  "SRANDMEMBER h 2",
  "SUNION h",
  "SDIFF h",
  "SSCAN h 0",
  "GET s",
  "TYPE s",
  // Other families on a set.
  "APPEND s x",
  "STRLEN s",
  "INCR s",
  "MGET s",
  "LPUSH s a",
  "PFCOUNT s",
  "HGET s a",
  "HLEN s",
  "RENAME i1 i9",
  "SMEMBERS i9",
];

/**
 * HINCRBYFLOAT with increments of every magnitude and precision, seeded: each result is a
 * long double rounded and written by "%.17Lf", then read back by the next increment.
 */
function floatIncrements(seed: number, count: number): string[] {
  const random = new Random(seed);
  const lines: string[] = [];
  for (let index = 0; index < count; index++) {
    const digits = Array.from({ length: random.between(1, 25) }, () => String(random.below(10))).join("");
    const point = random.below(digits.length + 1);
    const mantissa = `${digits.slice(0, point)}.${digits.slice(point)}`.replace(/^\.$/, "0");
    const exponent = random.chance(0.3) ? `e${random.between(-30, 30)}` : "";
    const sign = random.chance(0.4) ? "-" : "";
    lines.push(`HINCRBYFLOAT fuzz f${random.below(4)} ${sign}${mantissa}${exponent}`);
  }
  return [...lines, "HGETALL fuzz"];
}

test("HINCRBYFLOAT rounds as redis-server 7.0's long doubles do, over many increments", async () => {
  const node = await startTestNode();
  const redis = await startRedis({ appendFsyncAlways: false });
  try {
    await compare(node.respPort, redis.port, floatIncrements(20261207, 300), 2);
  } finally {
    await redis.stop();
    await node.stop();
  }
});

test("hash commands answer redis-server 7.0's bytes, RESP2 and RESP3", async () => {
  const node = await startTestNode();
  const redis = await startRedis({ appendFsyncAlways: false });
  try {
    await compare(node.respPort, redis.port, HASH_SCRIPT, 2);
    await compare(node.respPort, redis.port, HASH_SCRIPT, 3);
  } finally {
    await redis.stop();
    await node.stop();
  }
});

test("set commands answer redis-server 7.0's bytes, RESP2 and RESP3", async () => {
  const node = await startTestNode();
  const redis = await startRedis({ appendFsyncAlways: false });
  try {
    await compare(node.respPort, redis.port, SET_SCRIPT, 2);
    await compare(node.respPort, redis.port, SET_SCRIPT, 3);
  } finally {
    await redis.stop();
    await node.stop();
  }
});

test("redis-benchmark's SADD, HSET and SPOP run against walnut without an error", async () => {
  const node = await startTestNode();
  try {
    const bench = await run("redis-benchmark", ["-p", String(node.respPort), "-t", "sadd,hset,spop", "-n", "20000", "-q"]);
    for (const name of ["SADD", "HSET", "SPOP"]) assert.match(bench.stdout, new RegExp(`${name}: [\\d.]+ requests per second`));
    assert.doesNotMatch(bench.stdout + bench.stderr, /ERR|error/i);
  } finally {
    await node.stop();
  }
});
