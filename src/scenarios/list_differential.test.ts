/**
 * The list family, byte for byte: the same commands go to a real redis-server 7.0 and to
 * a walnut server, once in RESP2 and once after HELLO 3, and every reply must be the same
 * bytes. The script covers every list command (LMOVE, RPOPLPUSH, LMPOP and the blocking
 * forms included), wrong types, bad arguments in every position, edge indexes, the
 * blocking commands' timeouts (short ones: they answer a null array) and their
 * non-blocking forms inside MULTI. COMMAND INFO of every list command must match too.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startRedis } from "../bench/resp_servers.js";
import { startTestNode } from "./harness.js";
import { conversation } from "./server_fixtures.js";

const LIST_COMMANDS = [
  "LPUSH", "RPUSH", "LPUSHX", "RPUSHX", "LPOP", "RPOP", "LRANGE", "LLEN", "LINDEX", "LSET", "LREM", "LTRIM",
  "LINSERT", "LPOS", "LMOVE", "RPOPLPUSH", "LMPOP", "BLPOP", "BRPOP", "BLMOVE", "BRPOPLPUSH", "BLMPOP",
];

const words = (line: string): string[] => line.split(" ");

/** The script: one command per line, words split on single spaces ("" cannot be written; see EMPTY_ARGUMENTS). */
const SCRIPT = `
FLUSHDB
SET s x
RPUSH l a b c d e
LPUSH l z
LPUSHX missing a
RPUSHX missing a
LPUSHX l y
RPUSHX l f
LPUSH s a
RPUSH
LPUSH l
LLEN l
LLEN missing
LLEN s
LRANGE l 0 -1
LRANGE l -100 100
LRANGE l 5 2
LRANGE l -1 -1
LRANGE l 100 200
LRANGE l x 1
LRANGE missing 0 -1
LRANGE s 0 -1
LINDEX l 0
LINDEX l -1
LINDEX l 100
LINDEX l -100
LINDEX l x
LINDEX missing 0
LINDEX s 0
LSET l 0 A
LSET l -1 F
LSET l 100 x
LSET l x x
LSET missing 0 x
LSET s 0 x
LPOP l
RPOP l
LPOP l 2
RPOP l 0
RPOP l 1
LPOP l -1
LPOP l x
LPOP l 1 2
LPOP missing
LPOP missing 2
RPOP missing 0
LPOP s
LPOP s 2
RPUSH r a b a c a
LREM r 2 a
LREM r -1 a
LREM r 0 zz
LREM r x a
LREM missing 0 a
LREM s 0 a
RPUSH t 1 2 3 4 5 6
LTRIM t 1 -2
LRANGE t 0 -1
LTRIM t 100 200
EXISTS t
LTRIM missing 0 1
LTRIM s 0 1
LTRIM l x 1
RPUSH i a b c
LINSERT i BEFORE b x
LINSERT i after c y
LINSERT i BEFORE zz x
LINSERT i MIDDLE b x
LINSERT missing BEFORE a x
LINSERT s BEFORE a x
LRANGE i 0 -1
RPUSH p a b c 1 2 3 c c
LPOS p c
LPOS p c RANK 2
LPOS p c RANK -1
LPOS p c COUNT 0
LPOS p c RANK -1 COUNT 2
LPOS p c COUNT 0 MAXLEN 3
LPOS p c RANK 0
LPOS p c COUNT -1
LPOS p c MAXLEN -1
LPOS p c RANK
LPOS p c FIRST 1
LPOS p zz
LPOS missing c
LPOS missing c COUNT 1
LPOS s c
LPOS p c RANK -9223372036854775808
LPOS p c RANK 9223372036854775807
LPOS p c MAXLEN 0
LPOS p c RANK 5 COUNT 0
LPOS p c rank 2 count 1 maxlen 4
LPOS p c COUNT 1 COUNT 2
LRANGE p 0 9223372036854775807
LRANGE p -9223372036854775808 0
LRANGE p 0 9223372036854775808
LINDEX p -9223372036854775808
LREM p -9223372036854775808 c
LREM p 9223372036854775807 b
LSET p -9223372036854775808 x
LTRIM p -9223372036854775808 9223372036854775807
RPOP p 9223372036854775808
LPOP p 9223372036854775807
RPUSHX p 1 2 3
RPUSH p 1
LPUSHX p 1 2 3
LRANGE p 0 -1
RPUSH m a b c
LMOVE m n LEFT RIGHT
LMOVE m n right left
LMOVE m m LEFT RIGHT
LMOVE m n UP LEFT
LMOVE m n LEFT UP
LMOVE missing n LEFT LEFT
LMOVE s n LEFT LEFT
LMOVE m s LEFT LEFT
LMOVE missing s LEFT LEFT
LMOVE m n LEFT
LRANGE m 0 -1
LRANGE n 0 -1
RPOPLPUSH m n
RPOPLPUSH missing n
RPOPLPUSH s n
RPOPLPUSH n s
RPOPLPUSH n
RPUSH one x
RPOPLPUSH one one
LRANGE one 0 -1
RPUSH mp 1 2 3 4
LMPOP 2 missing mp LEFT
LMPOP 2 missing mp RIGHT COUNT 2
LMPOP 1 mp left count 10
LMPOP 1 mp LEFT
LMPOP 0 mp LEFT
LMPOP -1 mp LEFT
LMPOP x mp LEFT
LMPOP 3 a b LEFT
LMPOP 1 a MIDDLE
LMPOP 1 a LEFT COUNT 0
LMPOP 1 a LEFT COUNT -1
LMPOP 1 a LEFT COUNT x
LMPOP 1 a LEFT COUNT 1 COUNT 2
LMPOP 1 a LEFT COUNT
LMPOP 1 a LEFT extra
LMPOP 2 missing s LEFT
LMPOP 1 a
RPUSH bl a b c
BLPOP bl 0
BRPOP bl 1.5
BLPOP missing bl 0
BLPOP missing 0.01
BRPOP missing other 0.01
BLPOP missing -1
BLPOP missing x
BLPOP missing inf
BLPOP missing nan
BLPOP missing 1e100
BLPOP s 0
BLPOP missing s 0.01
BLPOP bl
BLPOP missing 0x
BLPOP missing .
BLPOP missing 1e
BLPOP missing +0.01
BLPOP missing 0x1p-20
BLPOP missing -inf
BLPOP missing INFINITY
LMPOP 9223372036854775807 missing LEFT
LMPOP 1 missing LEFT COUNT 9223372036854775808
RPUSH bl a b
BLPOP bl s 0
BLPOP s bl 0
BLMOVE bl dst LEFT RIGHT 0
BLMOVE missing dst LEFT RIGHT 0.01
BLMOVE missing dst LEFT RIGHT -1
BLMOVE missing dst UP RIGHT -1
BLMOVE missing dst LEFT RIGHT x
BLMOVE s dst LEFT RIGHT 0
BLMOVE missing s LEFT RIGHT 0.01
RPUSH bm a
BLMOVE bm s LEFT RIGHT 0
BLMOVE bm dst LEFT RIGHT
BRPOPLPUSH bm dst 0
BRPOPLPUSH missing dst 0.01
BRPOPLPUSH missing dst -1
BRPOPLPUSH s dst 0
RPUSH bm b
BRPOPLPUSH bm s 0
BRPOPLPUSH bm
RPUSH bmp 1 2 3
BLMPOP 0 2 missing bmp LEFT
BLMPOP 0 1 bmp RIGHT COUNT 5
BLMPOP 0.01 1 bmp LEFT
BLMPOP -1 1 bmp LEFT
BLMPOP -1 0 bmp LEFT
BLMPOP x 1 bmp LEFT
BLMPOP 0 1 bmp MIDDLE
BLMPOP 0 1 bmp LEFT COUNT 0
BLMPOP 0 2 bmp LEFT
BLMPOP 0.01 1 s LEFT
BLMPOP 0 1 bmp
RPUSH mu a b
MULTI
BLPOP missing 0
BLPOP mu 0
BRPOP missing 0
BLMOVE missing mu LEFT RIGHT 0
BRPOPLPUSH missing mu 0
BLMPOP 0 1 missing LEFT
BLMPOP 0 1 mu LEFT COUNT 3
LPOP missing 2
LMOVE missing mu LEFT LEFT
LMPOP 1 missing LEFT
EXEC
TYPE l
TYPE n
`.trim().split("\n").map(words);

/** Lines of the script the differential runs again after HELLO 3 (HELLO's own reply names the server: not compared). */
async function replies(port: number, protocol: 2 | 3): Promise<string[]> {
  const prelude = protocol === 3 ? [["HELLO", "3"]] : [];
  const answered = await conversation(port, [...prelude, ...SCRIPT]);
  return answered.slice(prelude.length);
}

test("every list command answers redis-server 7.0's bytes, in RESP2 and in RESP3", async () => {
  const redis = await startRedis({ appendFsyncAlways: false });
  const node = await startTestNode();
  try {
    for (const protocol of [2, 3] as const) {
      const theirs = await replies(redis.port, protocol);
      const ours = await replies(node.respPort, protocol);
      for (let line = 0; line < SCRIPT.length; line++) {
        assert.equal(JSON.stringify(ours[line]), JSON.stringify(theirs[line]), `RESP${protocol}: ${SCRIPT[line]!.join(" ")}`);
      }
    }
  } finally {
    await node.stop();
    await redis.stop();
  }
});

test("COMMAND INFO of every list command matches redis-server 7.0's arity, flags and key positions", async () => {
  const redis = await startRedis({ appendFsyncAlways: false });
  const node = await startTestNode();
  try {
    const commands = LIST_COMMANDS.map((name) => ["COMMAND", "INFO", name]);
    const theirs = await conversation(redis.port, commands);
    const ours = await conversation(node.respPort, commands);
    for (let at = 0; at < LIST_COMMANDS.length; at++) {
      // Redis 7.0 appends ACL categories, tips, key specs and subcommands; walnut answers the first six fields.
      const fieldsOf = (reply: string): string[] => {
        const lines = reply.split("\r\n");
        // *1, *N (entry), then name ($n, text), arity (:n), flags (*k + k statuses), first, last, step.
        const flagCount = Number(lines[5]!.slice(1));
        return lines.slice(2, 6 + flagCount + 3).filter((_, index) => index !== 0);
      };
      assert.deepEqual(fieldsOf(ours[at]!), fieldsOf(theirs[at]!), LIST_COMMANDS[at]);
    }
  } finally {
    await node.stop();
    await redis.stop();
  }
});
