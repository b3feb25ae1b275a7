/**
 * The bitmap and string commands answer exactly what redis-server 7.0 answers: the same
 * command lists (every command, edge offsets, wrong types, bad arguments, seeded random
 * ranges) go to a real redis-server and to a walnut node, in RESP2 and again after
 * HELLO 3, and every reply's bytes must be equal. HyperLogLogs too: the same PFADD
 * sequences leave the same bytes (GET), Redis' bytes SET into walnut count and merge the
 * same, and corrupt bytes are refused with Redis' errors.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { startRedis, type BenchServer } from "../bench/resp_servers.js";
import { startTestNode, type TestNode } from "./harness.js";
import { encodeCommand } from "../resp/writer.js";
import { conversation, Random, RawClient, runSeed, waitUntil } from "./server_fixtures.js";

let redis: BenchServer;
let walnut: TestNode;

before(async () => {
  redis = await startRedis({ appendFsyncAlways: false });
  walnut = await startTestNode();
});

after(async () => {
  await Promise.all([redis?.stop(), walnut?.stop()]);
});

/**
 * Sends `script` to both servers on a fresh connection each (after FLUSHALL, and HELLO 3
 * when `resp3`), and asserts every reply is byte-identical.
 */
async function sameReplies(script: string[][], resp3: boolean): Promise<string[]> {
  const prefix: string[][] = [["FLUSHALL"], ...(resp3 ? [["HELLO", "3"]] : [])];
  const full = [...prefix, ...script];
  const [fromRedis, fromWalnut] = await Promise.all([conversation(redis.port, full), conversation(walnut.respPort, full)]);
  const shown = (reply: string | undefined): string => JSON.stringify(reply?.length !== undefined && reply.length > 300 ? `${reply.slice(0, 300)}...` : reply);
  for (let index = prefix.length; index < full.length; index++) {
    const command = full[index]!.map((word) => (word.length > 40 ? `${word.slice(0, 40)}...` : word)).join(" ");
    assert.equal(fromWalnut[index], fromRedis[index], `RESP${resp3 ? 3 : 2} ${command}: walnut ${shown(fromWalnut[index])}, redis ${shown(fromRedis[index])}`);
  }
  return fromRedis.slice(prefix.length);
}

async function sameRepliesBothProtocols(script: string[][]): Promise<void> {
  await sameReplies(script, false);
  await sameReplies(script, true);
}

/** Runs `check`, naming the seed in its failure so that WALNUT_FUZZ_SEED can replay it. */
async function withSeed(seed: number, check: () => Promise<unknown>): Promise<void> {
  try {
    await check();
  } catch (cause) {
    if (cause instanceof Error) cause.message = `WALNUT_FUZZ_SEED=${seed}: ${cause.message}`;
    throw cause;
  }
}

const BITMAP_SCRIPT: string[][] = [
  // SETBIT / GETBIT
  ["SETBIT", "b", "7", "1"],
  ["SETBIT", "b", "7", "1"],
  ["SETBIT", "b", "7", "0"],
  ["SETBIT", "b", "100", "1"],
  ["GET", "b"],
  ["STRLEN", "b"],
  ["GETBIT", "b", "100"],
  ["GETBIT", "b", "101"],
  ["GETBIT", "b", "99999"],
  ["GETBIT", "nokey", "0"],
  ["SETBIT", "b", "-1", "1"],
  ["SETBIT", "b", "4294967296", "1"],
  ["SETBIT", "b", "x", "1"],
  ["SETBIT", "b", "1", "2"],
  ["SETBIT", "b", "1", "-1"],
  ["SETBIT", "b", "1", "01"],
  ["SETBIT", "b", "x", "2"],
  ["SETBIT", "b", "#1", "1"],
  ["GETBIT", "b", "-1"],
  ["GETBIT", "b", "4294967296"],
  ["GETBIT", "b", "4294967295"],
  ["GETBIT", "b", "1.5"],
  ["SETBIT", "b"],
  ["GETBIT", "b"],
  ["RPUSH", "list", "a"],
  ["SETBIT", "list", "0", "1"],
  ["GETBIT", "list", "0"],
  ["SETBIT", "list", "x", "1"],
  // integers are strings of their digits
  ["SET", "n", "42"],
  ["GETBIT", "n", "2"],
  ["SETBIT", "n", "6", "1"],
  ["GET", "n"],
  ["INCR", "counter"],
  ["SETBIT", "counter", "15", "1"],
  ["GET", "counter"],
  ["SET", "e", ""],
  ["GETBIT", "e", "0"],
  ["SETEX", "ttl", "1000", "x"],
  ["SETBIT", "ttl", "20", "1"],
  ["TTL", "ttl"],
  // BITCOUNT
  ["SET", "s", "foobar"],
  ["BITCOUNT", "s"],
  ["BITCOUNT", "s", "0", "0"],
  ["BITCOUNT", "s", "1", "1"],
  ["BITCOUNT", "s", "1", "1", "BYTE"],
  ["BITCOUNT", "s", "5", "30", "BIT"],
  ["BITCOUNT", "s", "5", "30", "bit"],
  ["BITCOUNT", "s", "-3", "-1"],
  ["BITCOUNT", "s", "-1", "-3"],
  ["BITCOUNT", "s", "-100", "100"],
  ["BITCOUNT", "s", "-100", "-50"],
  ["BITCOUNT", "s", "10", "5"],
  ["BITCOUNT", "s", "0", "-1", "BIT"],
  ["BITCOUNT", "s", "-5", "-1", "BIT"],
  ["BITCOUNT", "s", "1"],
  ["BITCOUNT", "s", "1", "2", "3"],
  ["BITCOUNT", "s", "1", "2", "BIT", "x"],
  ["BITCOUNT", "s", "a", "2"],
  ["BITCOUNT", "s", "1", "b"],
  ["BITCOUNT", "s", "-1", "-3", "nonsense"],
  ["BITCOUNT", "nokey", "x", "y"],
  ["BITCOUNT", "nokey"],
  ["BITCOUNT", "list"],
  ["BITCOUNT", "n"],
  ["BITCOUNT", "e"],
  ["BITCOUNT", "e", "0", "-1"],
  ["BITCOUNT"],
  // BITPOS
  ["SET", "ones", "\xff\xf0\x00"],
  ["BITPOS", "ones", "0"],
  ["BITPOS", "ones", "1"],
  ["BITPOS", "ones", "1", "2"],
  ["BITPOS", "ones", "0", "0", "0"],
  ["BITPOS", "ones", "0", "0"],
  ["BITPOS", "ones", "1", "1", "-1"],
  ["BITPOS", "ones", "1", "3", "10", "BIT"],
  ["BITPOS", "ones", "0", "3", "10", "BIT"],
  ["BITPOS", "ones", "0", "3", "12", "BIT"],
  ["BITPOS", "ones", "1", "13", "-1", "BIT"],
  ["BITPOS", "ones", "1", "0", "-1", "byte"],
  ["BITPOS", "ones", "1", "0", "-1", "word"],
  ["BITPOS", "ones", "2"],
  ["BITPOS", "ones", "-1"],
  ["BITPOS", "ones", "x"],
  ["BITPOS", "ones", "1", "x"],
  ["BITPOS", "ones", "1", "0", "y"],
  ["BITPOS", "ones", "1", "0", "1", "BIT", "extra"],
  ["SET", "full", "\xff\xff"],
  ["BITPOS", "full", "0"],
  ["BITPOS", "full", "0", "1"],
  ["BITPOS", "full", "0", "0", "-1"],
  ["BITPOS", "full", "0", "3", "-1", "BIT"],
  ["BITPOS", "full", "0", "3", "BIT"],
  ["BITPOS", "full", "0", "9"],
  ["SET", "zeros", "\x00\x00"],
  ["BITPOS", "zeros", "1"],
  ["BITPOS", "zeros", "0"],
  ["BITPOS", "nokey", "1"],
  ["BITPOS", "nokey", "0"],
  ["BITPOS", "nokey", "0", "x"],
  ["BITPOS", "e", "0"],
  ["BITPOS", "e", "1"],
  ["BITPOS", "list", "1"],
  ["BITPOS", "list", "3"],
  ["BITPOS", "n", "1"],
  // BITOP
  ["SET", "k1", "foobar"],
  ["SET", "k2", "abcdef"],
  ["SET", "k3", "\x01"],
  ["BITOP", "AND", "dest", "k1", "k2"],
  ["GET", "dest"],
  ["BITOP", "or", "dest", "k1", "k2", "k3"],
  ["GET", "dest"],
  ["BITOP", "XOR", "dest", "k1", "k3", "nokey"],
  ["GET", "dest"],
  ["BITOP", "AND", "dest", "k1", "nokey"],
  ["GET", "dest"],
  ["BITOP", "NOT", "dest", "k1"],
  ["GET", "dest"],
  ["BITOP", "NOT", "dest", "k1", "k2"],
  ["BITOP", "NAND", "dest", "k1"],
  ["BITOP", "AND", "dest", "nokey", "nokey2"],
  ["EXISTS", "dest"],
  ["BITOP", "OR", "list", "k1"],
  ["TYPE", "list"],
  ["RPUSH", "list2", "a"],
  ["BITOP", "OR", "dest", "k1", "list2"],
  ["BITOP", "OR", "n", "n", "k3"],
  ["GET", "n"],
  ["SETEX", "withttl", "100", "x"],
  ["BITOP", "OR", "withttl", "k1"],
  ["TTL", "withttl"],
  ["BITOP", "AND", "dest"],
  // BITFIELD
  ["BITFIELD", "bf", "SET", "i8", "0", "100", "GET", "u4", "0", "INCRBY", "i5", "100", "1"],
  ["GET", "bf"],
  ["BITFIELD", "bf", "INCRBY", "u2", "100", "1", "OVERFLOW", "SAT", "INCRBY", "u2", "102", "1"],
  ["BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "u2", "102", "5", "INCRBY", "i8", "0", "-1000"],
  ["BITFIELD", "bf", "overflow", "wrap", "incrby", "i8", "0", "200", "get", "i8", "0"],
  ["BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "200", "INCRBY", "i8", "0", "-1000", "SET", "i8", "0", "-9223372036854775808", "SET", "u8", "8", "-1"],
  ["BITFIELD", "bf", "OVERFLOW", "WRAP", "SET", "u8", "8", "-1", "SET", "i8", "0", "300", "SET", "u63", "16", "-1", "GET", "u63", "16"],
  ["BITFIELD", "bf", "SET", "i64", "0", "-9223372036854775808", "INCRBY", "i64", "0", "-1", "GET", "i64", "0"],
  ["BITFIELD", "bf", "OVERFLOW", "SAT", "SET", "i64", "0", "9223372036854775807", "INCRBY", "i64", "0", "1", "INCRBY", "i64", "0", "-9223372036854775808"],
  ["BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "u63", "0", "9223372036854775807", "INCRBY", "u63", "0", "1"],
  ["BITFIELD", "bf", "GET", "u8", "#1", "SET", "u8", "#2", "255", "GET", "u16", "#1", "GET", "i1", "0"],
  ["GET", "bf"],
  ["BITFIELD", "bf", "GET", "u64", "0"],
  ["BITFIELD", "bf", "GET", "i65", "0"],
  ["BITFIELD", "bf", "GET", "i0", "0"],
  ["BITFIELD", "bf", "GET", "I8", "0"],
  ["BITFIELD", "bf", "GET", "x8", "0"],
  ["BITFIELD", "bf", "GET", "u8", "-1"],
  ["BITFIELD", "bf", "GET", "u8", "#-1"],
  ["BITFIELD", "bf", "GET", "u8", "4294967296"],
  ["BITFIELD", "bf", "GET", "u8", "#536870912"],
  ["BITFIELD", "bf", "GET", "u8", "x"],
  ["BITFIELD", "bf", "GET", "u8"],
  ["BITFIELD", "bf", "SET", "u8", "0"],
  ["BITFIELD", "bf", "SET", "u8", "0", "x"],
  ["BITFIELD", "bf", "INCRBY", "u8", "0", "1.5"],
  ["BITFIELD", "bf", "OVERFLOW", "MAYBE", "GET", "u8", "0"],
  ["BITFIELD", "bf", "OVERFLOW"],
  ["BITFIELD", "bf", "FROB", "u8", "0"],
  ["BITFIELD", "bf"],
  ["BITFIELD", "nokey", "GET", "u8", "0"],
  ["EXISTS", "nokey"],
  ["BITFIELD", "created", "OVERFLOW", "FAIL", "INCRBY", "u2", "20", "9"],
  ["GET", "created"],
  ["BITFIELD", "list", "GET", "u8", "0"],
  ["BITFIELD", "list", "SET", "u8", "0", "1"],
  ["BITFIELD", "list", "GET", "u99", "0"],
  ["BITFIELD", "n", "INCRBY", "u8", "0", "1"],
  ["GET", "n"],
  ["BITFIELD_RO", "bf", "GET", "u8", "0", "GET", "i4", "#3"],
  ["BITFIELD_RO", "bf", "SET", "u8", "0", "1"],
  ["BITFIELD_RO", "bf", "INCRBY", "u8", "0", "1"],
  ["BITFIELD_RO", "bf", "GET", "u64", "0"],
  ["BITFIELD_RO", "list", "GET", "u8", "0"],
  ["BITFIELD_RO", "nokey", "GET", "u8", "0"],
  ["BITFIELD_RO", "bf"],
  ["BITFIELD_RO"],
];

test("bitmap commands answer redis-server 7.0's bytes, RESP2 and RESP3", async () => {
  await sameRepliesBothProtocols(BITMAP_SCRIPT);
});

/** Random strings, random ranges and random bitfields, the same to both servers. */
function randomBitScript(random: Random): string[][] {
  const script: string[][] = [];
  const patterns = ["\x00", "\xff", "\x0f", "\xf0", "\x80", "\x01"];
  for (let round = 0; round < 40; round++) {
    const length = random.between(0, 6);
    let value = "";
    for (let i = 0; i < length; i++) value += random.chance(0.5) ? random.pick(patterns) : String.fromCharCode(random.below(256));
    script.push(["SET", "r", value]);
    const index = (): string => String(random.between(-60, 60));
    for (let probe = 0; probe < 6; probe++) {
      const unit = random.pick([[], ["BIT"], ["BYTE"]]);
      script.push(["BITCOUNT", "r", index(), index(), ...unit]);
      const bit = String(random.below(2));
      const pos = random.pick([[], [index()], [index(), index()], [index(), index(), "BIT"], [index(), index(), "BYTE"]]);
      script.push(["BITPOS", "r", bit, ...pos]);
    }
    const signed = random.chance(0.5);
    const type = `${signed ? "i" : "u"}${random.between(1, signed ? 64 : 63)}`;
    const offset = String(random.between(0, 70));
    const amount = String(BigInt.asIntN(64, BigInt(random.nextUint32()) * BigInt(random.nextUint32()) * BigInt(random.between(-3, 3))));
    script.push(["BITFIELD", "r", "OVERFLOW", random.pick(["WRAP", "SAT", "FAIL"]), random.pick(["SET", "INCRBY"]), type, offset, amount, "GET", type, offset]);
    script.push(["GET", "r"]);
  }
  return script;
}

test("random BITCOUNT, BITPOS and BITFIELD calls answer redis-server 7.0's bytes", async () => {
  const seed = runSeed();
  await withSeed(seed, () => sameReplies(randomBitScript(new Random(seed)), false));
});

const STRING_SCRIPT: string[][] = [
  // SET and its options
  ["SET", "k", "v"],
  ["SET", "k", "w", "GET"],
  ["SET", "k", "x", "NX"],
  ["SET", "k", "x", "XX", "GET"],
  ["SET", "k", "y", "NX", "XX"],
  ["SET", "k", "y", "EX", "0"],
  ["SET", "k", "y", "EX", "-1"],
  ["SET", "k", "y", "EX", "x"],
  ["SET", "k", "y", "EX", "10", "PX", "100"],
  ["SET", "k", "y", "KEEPTTL", "EX", "10"],
  ["SET", "k", "y", "PX", "100000", "KEEPTTL"],
  ["SET", "k", "y", "EX"],
  ["SET", "k", "y", "BOGUS"],
  ["SET", "k"],
  ["SET", "k", "z", "EX", "100"],
  ["SET", "k", "z2", "KEEPTTL"],
  ["TTL", "k"],
  ["SETNX", "k", "a"],
  ["SETNX", "fresh", "a"],
  ["SETEX", "se", "0", "a"],
  ["SETEX", "se", "x", "a"],
  ["SETEX", "se", "100", "a"],
  ["PSETEX", "pse", "-5", "a"],
  ["PSETEX", "pse", "100000", "a"],
  ["TTL", "se"],
  ["GETSET", "k", "gs"],
  ["GETSET", "newgs", "v"],
  ["TTL", "k"],
  ["GETDEL", "k"],
  ["GETDEL", "k"],
  ["SET", "ge", "v"],
  ["GETEX", "ge", "EX", "100"],
  ["TTL", "ge"],
  ["GETEX", "ge", "PERSIST"],
  ["TTL", "ge"],
  ["GETEX", "ge", "EX", "0"],
  ["GETEX", "ge", "PERSIST", "EX", "10"],
  ["GETEX", "ge", "BOGUS"],
  ["GETEX", "nokey", "EX", "10"],
  ["RPUSH", "list", "a"],
  ["GET", "list"],
  ["GETSET", "list", "x"],
  ["GETDEL", "list"],
  ["GETEX", "list"],
  ["SET", "list", "v", "GET"],
  ["RPUSH", "list2", "a"],
  ["MSET", "a", "1", "b", "2"],
  ["MSET", "a", "1", "b"],
  ["MGET", "a", "b", "nokey", "list2"],
  ["MSETNX", "a", "3", "c", "4"],
  ["MSETNX", "c", "3", "d", "4"],
  ["MSETNX", "c"],
  ["MGET", "a", "b", "c", "d"],
  // APPEND, STRLEN, GETRANGE, SUBSTR, SETRANGE
  ["APPEND", "ap", "Hello"],
  ["APPEND", "ap", " World"],
  ["GET", "ap"],
  ["STRLEN", "ap"],
  ["STRLEN", "nokey"],
  ["STRLEN", "list2"],
  ["APPEND", "list2", "x"],
  ["GETRANGE", "ap", "0", "3"],
  ["GETRANGE", "ap", "-3", "-1"],
  ["GETRANGE", "ap", "0", "-1"],
  ["GETRANGE", "ap", "10", "100"],
  ["GETRANGE", "ap", "-1", "-5"],
  ["GETRANGE", "ap", "5", "3"],
  ["GETRANGE", "ap", "-100", "2"],
  ["GETRANGE", "ap", "0", "9223372036854775807"],
  ["GETRANGE", "ap", "x", "1"],
  ["GETRANGE", "nokey", "0", "1"],
  ["GETRANGE", "list2", "0", "1"],
  ["SUBSTR", "ap", "0", "3"],
  ["SUBSTR", "ap", "-3", "-1"],
  ["SUBSTR", "ap", "1"],
  ["SUBSTR", "list2", "0", "1"],
  ["SUBSTR", "ap", "a", "b"],
  ["SETRANGE", "ap", "6", "Redis"],
  ["GET", "ap"],
  ["SETRANGE", "sr", "5", "x"],
  ["GET", "sr"],
  ["SETRANGE", "sr", "0", ""],
  ["SETRANGE", "nokey", "10", ""],
  ["EXISTS", "nokey"],
  ["SETRANGE", "sr", "-1", "x"],
  ["SETRANGE", "sr", "x", "x"],
  ["SETRANGE", "sr", "536870912", "x"],
  ["SETRANGE", "nokey", "536870912", "x"],
  ["SETRANGE", "list2", "0", "x"],
  ["SETRANGE", "list2", "-1", "x"],
  ["SETEX", "srttl", "100", "abc"],
  ["SETRANGE", "srttl", "1", "X"],
  ["APPEND", "srttl", "d"],
  ["TTL", "srttl"],
  // values walnut may keep as numbers are strings to Redis
  ["SET", "num", "42"],
  ["APPEND", "num", "x"],
  ["GET", "num"],
  ["INCR", "cnt"],
  ["INCRBY", "cnt", "41"],
  ["STRLEN", "cnt"],
  ["APPEND", "cnt", "7"],
  ["GET", "cnt"],
  ["INCR", "cnt"],
  ["GET", "cnt"],
  ["INCR", "cnt2"],
  ["SETRANGE", "cnt2", "0", "9"],
  ["GET", "cnt2"],
  ["INCR", "cnt2"],
  ["GETRANGE", "cnt2", "0", "0"],
  ["INCRBYFLOAT", "fl", "1.5"],
  ["APPEND", "fl", "0"],
  ["GET", "fl"],
  ["INCRBYFLOAT", "fl2", "10.25"],
  ["STRLEN", "fl2"],
  ["GETRANGE", "fl2", "-2", "-1"],
  ["LCS", "cnt", "fl2"],
  ["INCR", "x1"],
  ["DECR", "x1"],
  ["DECRBY", "x1", "5"],
  ["INCRBY", "x1", "x"],
  ["INCR", "ap"],
  ["SET", "big", "9223372036854775807"],
  ["INCR", "big"],
  ["DECRBY", "x1", "-9223372036854775808"],
  ["INCRBYFLOAT", "ap", "1"],
  ["INCRBYFLOAT", "x1", "x"],
  ["GETSET", "cnt", "y"],
  // expiry limits, option order, number syntax
  ["SET", "k", "v", "EX", "9223372036854775807"],
  ["SET", "k", "v", "PX", "9223372036854775807"],
  ["SET", "k", "v", "EXAT", "0"],
  ["SET", "k", "v", "PXAT", "1"],
  ["GET", "k"],
  ["SET", "k", "v", "GET", "NX"],
  ["SET", "k", "v", "nx", "get"],
  ["SETEX", "k", "9223372036854775807", "v"],
  ["GETEX", "k", "PX", "9223372036854775807"],
  ["GETEX", "k", "EXAT", "1"],
  ["EXISTS", "k"],
  ["GETEX", "k", "EX"],
  ["GETEX", "k", "EX", "1", "PX", "1"],
  ["INCRBYFLOAT", "f", "1e3"],
  ["INCRBYFLOAT", "f", "5.0e3"],
  ["INCRBYFLOAT", "f3", "-0.5"],
  ["INCRBYFLOAT", "f3", "0.5"],
  ["GET", "f3"],
  ["INCRBYFLOAT", "f4", "inf"],
  ["INCRBYFLOAT", "f4", " 1"],
  ["SET", "sp", " 1"],
  ["INCR", "sp"],
  ["SET", "z", "007"],
  ["INCR", "z"],
  ["INCRBY", "z2", "-9223372036854775808"],
  ["DECR", "z2"],
  ["APPEND", "a", ""],
  ["EXISTS", "a"],
  ["SETRANGE", "a", "0", ""],
  ["SET", "bin", "\x00\xff"],
  ["APPEND", "bin", "\x80"],
  ["GET", "bin"],
  ["MGET"],
  ["STRLEN", "k", "x"],
  ["PSETEX", "k", "0", "v"],
  // LCS
  ["MSET", "key1", "ohmytext", "key2", "mynewtext"],
  ["LCS", "key1", "key2"],
  ["LCS", "key1", "key2", "LEN"],
  ["LCS", "key1", "key2", "IDX"],
  ["LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4"],
  ["LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"],
  ["LCS", "key1", "key2", "idx", "withmatchlen", "minmatchlen", "-3"],
  ["LCS", "key1", "key2", "LEN", "IDX"],
  ["LCS", "key1", "key2", "IDX", "LEN"],
  ["LCS", "key1", "key2", "MINMATCHLEN"],
  ["LCS", "key1", "key2", "MINMATCHLEN", "x"],
  ["LCS", "key1", "key2", "BOGUS"],
  ["LCS", "key1", "nokey"],
  ["LCS", "nokey", "nokey2", "IDX"],
  ["LCS", "nokey", "nokey2", "LEN"],
  ["LCS", "key1", "list2"],
  ["LCS", "list2", "key1", "BOGUS"],
  ["LCS", "key1", "key1", "IDX", "WITHMATCHLEN"],
  ["LCS", "key1"],
];

test("string commands, typed values and LCS answer redis-server 7.0's bytes, RESP2 and RESP3", async () => {
  await sameRepliesBothProtocols(STRING_SCRIPT);
});

/** Random strings over small alphabets, so that LCS has many ties to break the way Redis does. */
function randomLcsScript(random: Random): string[][] {
  const script: string[][] = [];
  for (let round = 0; round < 40; round++) {
    const alphabet = random.pick(["ab", "abc", "abcd", "\x00\xff"]);
    const text = (): string => {
      let value = "";
      for (let length = random.between(0, 14); length > 0; length--) value += alphabet[random.below(alphabet.length)];
      return value;
    };
    script.push(["MSET", "a", text(), "b", text()]);
    script.push(["LCS", "a", "b"]);
    script.push(["LCS", "a", "b", "LEN"]);
    script.push(["LCS", "a", "b", "IDX", "WITHMATCHLEN", "MINMATCHLEN", String(random.between(0, 3))]);
  }
  return script;
}

test("LCS of random strings answers redis-server 7.0's bytes, ties broken alike", async () => {
  const seed = runSeed();
  await withSeed(seed, () => sameReplies(randomLcsScript(new Random(seed)), true));
});

/** PFADD calls of `count` elements each, `calls` times, with a GET of the bytes after each. */
function pfaddSteps(key: string, prefix: string, calls: number, count: number): string[][] {
  const script: string[][] = [];
  for (let call = 0; call < calls; call++) {
    script.push(["PFADD", key, ...Array.from({ length: count }, (_, i) => `${prefix}${call * count + i}`)]);
    script.push(["GET", key]);
  }
  return script;
}

const HEADER_SPARSE = "HYLL\x01\x00\x00\x00";
const STALE_CACHE = "\x00\x00\x00\x00\x00\x00\x00\x80";

const HLL_SCRIPT: string[][] = [
  ["PFADD", "empty"],
  ["GET", "empty"],
  ["PFADD", "empty"],
  ["PFCOUNT", "empty"],
  ["GET", "empty"],
  ["PFADD", "h", "a"],
  ["GET", "h"],
  ["PFADD", "h", "a"],
  ["PFADD", "h", "b", "c", "d", "e", "f", "g"],
  ["GET", "h"],
  ["PFCOUNT", "h"],
  ["GET", "h"], // the cardinality is cached in the header now
  ["PFCOUNT", "h"],
  ["PFADD", "h", "a"],
  ["GET", "h"],
  ["PFADD", "h", "z"],
  ["GET", "h"],
  // grow until Redis turns it dense (hll-sparse-max-bytes 3000)
  ...pfaddSteps("grow", "e", 16, 64),
  ["PFCOUNT", "grow"],
  ["GET", "grow"],
  ...pfaddSteps("grow", "more", 4, 500),
  ["PFCOUNT", "grow"],
  ["STRLEN", "grow"],
  ["GETRANGE", "grow", "0", "15"],
  // one element at a time, every step's bytes
  ...pfaddSteps("single", "s", 60, 1),
  // merges: sparse into sparse, into absent, dense into sparse, with itself
  ...pfaddSteps("m1", "x", 2, 30),
  ...pfaddSteps("m2", "y", 2, 30),
  ["PFMERGE", "m3", "m1", "m2"],
  ["GET", "m3"],
  ["PFCOUNT", "m1", "m2"],
  ["PFCOUNT", "m3"],
  ["PFMERGE", "m1", "m2"],
  ["GET", "m1"],
  ["PFMERGE", "m2", "grow"],
  ["GET", "m2"],
  ["PFMERGE", "fresh"],
  ["GET", "fresh"],
  ["PFMERGE", "m3"],
  ["GET", "m3"],
  ["PFMERGE", "m4", "nokey", "m1"],
  ["GET", "m4"],
  ["PFCOUNT", "m1", "grow", "nokey"],
  ["PFCOUNT", "nokey"],
  ["PFCOUNT", "nokey", "nokey2"],
  // an HLL keeps its expiry; HLL bytes are strings to every string command
  ["PFADD", "ttl", "a"],
  ["EXPIRE", "ttl", "1000"],
  ["PFADD", "ttl", "b"],
  ["PFMERGE", "ttl", "m1"],
  ["PFCOUNT", "ttl"],
  ["TTL", "ttl"],
  ["TYPE", "ttl"],
  ["STRLEN", "h"],
  ["APPEND", "h", "x"],
  ["PFCOUNT", "h"],
  ["PFADD", "h", "y"],
  // wrong kinds and corrupt bytes
  ["SET", "str", "hello"],
  ["PFADD", "str", "a"],
  ["PFCOUNT", "str"],
  ["PFCOUNT", "h", "str"],
  ["PFMERGE", "str", "m1"],
  ["PFMERGE", "m1", "str"],
  ["RPUSH", "list", "a"],
  ["PFADD", "list", "a"],
  ["PFCOUNT", "list"],
  ["PFCOUNT", "m1", "list"],
  ["PFMERGE", "list", "m1"],
  ["INCR", "counter"],
  ["PFADD", "counter", "a"],
  ["PFCOUNT", "counter"],
  ["SET", "num", "12345678901234567890"],
  ["PFCOUNT", "num"],
  ["SET", "badenc", `HYLL\x02\x00\x00\x00${STALE_CACHE}\x7f\xff`],
  ["PFCOUNT", "badenc"],
  ["SET", "shortdense", `HYLL\x00\x00\x00\x00${STALE_CACHE}\x00\x00`],
  ["PFADD", "shortdense", "a"],
  ["SET", "header", `HYLL\x01\x00\x00`],
  ["PFCOUNT", "header"],
  ["SET", "short", `${HEADER_SPARSE}${STALE_CACHE}\x00`],
  ["PFCOUNT", "short"],
  ["PFADD", "short", "a"],
  ["PFMERGE", "m1", "short"],
  ["PFCOUNT", "m1", "short"],
  ["SET", "long", `${HEADER_SPARSE}${STALE_CACHE}\x7f\xff\x00`],
  ["PFCOUNT", "long"],
  ["SET", "cached", `${HEADER_SPARSE}\x05\x00\x00\x00\x00\x00\x00\x00\x00`],
  ["PFCOUNT", "cached"],
  ["SET", "fullsparse", `${HEADER_SPARSE}${STALE_CACHE}\x7f\xff`],
  ["PFCOUNT", "fullsparse"],
  ["PFADD", "fullsparse", "a", "b"],
  ["GET", "fullsparse"],
  ["SET", "dense", `HYLL\x00\x00\x00\x00${STALE_CACHE}${"\xff".repeat(12288)}`],
  ["PFCOUNT", "dense"],
  ["GET", "dense"],
  ["PFADD", "dense", "a"],
  ["PFMERGE", "fromdense", "dense", "m1"],
  ["GET", "fromdense"],
  // inside a transaction PFCOUNT stores its cardinality too
  ["MULTI"],
  ["PFADD", "tx", "a", "b"],
  ["PFCOUNT", "tx"],
  ["EXEC"],
  ["GET", "tx"],
  ["PFADD"],
  ["PFCOUNT"],
  ["PFMERGE"],
];

test("HyperLogLogs are Redis' bytes: the same PFADD and PFMERGE calls leave the same bytes, RESP2 and RESP3", async () => {
  await sameRepliesBothProtocols(HLL_SCRIPT);
});

/** The bytes of a bulk reply, "$3\r\nabc\r\n" -> "abc". */
function bulkBytes(reply: string): string {
  const headerEnd = reply.indexOf("\r\n");
  assert.equal(reply[0], "$", `a bulk reply: ${reply.slice(0, 20)}`);
  return reply.slice(headerEnd + 2, reply.length - 2);
}

test("an HLL made by redis-server, SET into walnut, counts and merges the same", async () => {
  const build: string[][] = [
    ["FLUSHALL"],
    ["PFADD", "sparse", ...Array.from({ length: 100 }, (_, i) => `s${i}`)],
    ["PFADD", "dense", ...Array.from({ length: 5000 }, (_, i) => `d${i}`)],
    ["PFCOUNT", "dense"],
    ["GET", "sparse"],
    ["GET", "dense"],
  ];
  const fromRedis = await conversation(redis.port, build);
  const sparse = bulkBytes(fromRedis[4]!);
  const dense = bulkBytes(fromRedis[5]!);
  assert.ok(sparse.startsWith("HYLL\x01") && dense.startsWith("HYLL\x00"), "redis made one sparse and one dense HLL");
  await sameRepliesBothProtocols([
    ["SET", "a", sparse],
    ["SET", "b", dense],
    ["PFCOUNT", "a"],
    ["PFCOUNT", "b"],
    ["PFCOUNT", "a", "b"],
    ["PFADD", "a", "new", "s1"],
    ["PFADD", "b", "new", "d1"],
    ["GET", "a"],
    ["GET", "b"],
    ["PFMERGE", "c", "a"],
    ["GET", "c"],
    ["PFMERGE", "c", "b"],
    ["GET", "c"],
    ["PFCOUNT", "c"],
  ]);
});

/** Random PFADD, PFMERGE and PFCOUNT calls on a few keys, each followed by a GET of the bytes. */
function randomHllScript(random: Random): string[][] {
  const script: string[][] = [];
  const keys = ["h1", "h2", "h3"];
  for (let step = 0; step < 60; step++) {
    const key = random.pick(keys);
    const choice = random.below(10);
    if (choice < 6) {
      const count = random.pick([0, 1, 2, 5, 20, 100, 400]);
      const space = random.pick([50, 1000, 100000]);
      script.push(["PFADD", key, ...Array.from({ length: count }, () => `e${random.below(space)}`)]);
    } else if (choice < 8) {
      script.push(["PFMERGE", key, ...random.shuffle(keys).slice(0, random.between(0, 3))]);
    } else {
      script.push(["PFCOUNT", ...random.shuffle(keys).slice(0, random.between(1, 3))]);
    }
    script.push(["GET", key]);
  }
  return script;
}

test("random PFADD, PFMERGE and PFCOUNT calls leave redis-server 7.0's bytes", async () => {
  const seed = runSeed();
  await withSeed(seed, () => sameReplies(randomHllScript(new Random(seed)), false));
});

test("COMMAND INFO of the bitmap, string and HyperLogLog commands matches redis-server 7.0's arity, flags and keys", async () => {
  const names = ["SETBIT", "GETBIT", "BITCOUNT", "BITPOS", "BITOP", "BITFIELD", "BITFIELD_RO", "LCS", "SUBSTR", "GETRANGE", "SETRANGE", "APPEND", "STRLEN", "PFADD", "PFCOUNT", "PFMERGE"];
  const clients = [redis.port, walnut.respPort].map((port) => new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 0 }));
  try {
    for (const name of names) {
      const [fromRedis, fromWalnut] = await Promise.all(
        clients.map(async (client) => ((await client.call("COMMAND", "INFO", name)) as unknown[][])[0]!.slice(0, 6)),
      );
      assert.deepEqual(fromWalnut, fromRedis, name);
    }
  } finally {
    for (const client of clients) client.disconnect();
  }
});

/** Sends every command in one write (a pipeline) and answers all the bytes of their replies. */
async function pipelined(port: number, commands: string[][]): Promise<string> {
  const client = new RawClient(port);
  await client.connected;
  try {
    await client.write(Buffer.concat(commands.map((command) => encodeCommand(command))));
    await waitUntil(`${commands.length} replies`, () => client.replies().replies.length >= commands.length);
    return client.text();
  } finally {
    client.destroy();
  }
}

test("a pipelined PFADD then PFCOUNT caches the cardinality as redis-server does", async () => {
  const script = [["FLUSHALL"], ["PFADD", "p", "a", "b", "c"], ["PFCOUNT", "p"], ["GET", "p"], ["PFADD", "p", "d"], ["PFCOUNT", "p"], ["PFCOUNT", "p"], ["GET", "p"]];
  const [fromRedis, fromWalnut] = [await pipelined(redis.port, script), await pipelined(walnut.respPort, script)];
  assert.equal(fromWalnut, fromRedis);
});
