/**
 * Keyspace notifications, event for event: a subscriber with PSUBSCRIBE __key*__:* on a
 * real redis-server 7.0 and one on walnut, notify-keyspace-events set alike on both, and
 * the same commands sent to each: the sequences of (pattern, channel, message) must be
 * the same. The script covers every family (strings, keys and expiry, lists, hashes,
 * sets, sorted sets): writes that change a key, writes that change nothing (no event),
 * pops that empty a key (the command's event, then del), stores of an empty result, new
 * keys (n), an expired key met by a write (expired first), and keys that expire untouched
 * (Redis' active expiry, walnut's sweep).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { startRedis } from "../bench/resp_servers.js";
import { startTestNode } from "./harness.js";
import { waitUntil } from "./server_fixtures.js";

const SCRIPT = `
SET s v
SET s v2 EX 100
SETNX s x
SETNX s2 x
GETSET s v3
MSET m1 a m2 b
APPEND s tail
SETRANGE s 0 zz
INCR n
INCRBY n 5
DECR n
DECRBY n 2
INCRBYFLOAT n 1.5
SETEX se 100 v
PSETEX pse 100000 v
GETEX s PERSIST
GETEX s EX 50
SETBIT b 3 1
PFADD h a b
GETDEL m1
DEL m2 nothere s
EXPIRE se 200
PEXPIRE se 300000
EXPIRE pse -1
PERSIST se
RENAME se se2
RENAMENX se2 se3
COPY se3 se4
SET gone v PX 1
SLEEP
SET gone back
RPUSH l a b c
LPUSH l z
LPUSHX l y
RPUSHX l w
LINSERT l BEFORE a q
LSET l 0 first
LREM l 1 q
LTRIM l 0 3
LPOP l
RPOP l
RPOPLPUSH l l2
LMOVE l2 l3 LEFT RIGHT
LMPOP 1 l LEFT COUNT 10
HSET hh f v g w
HSET hh f v
HSETNX hh f x
HSETNX hh n x
HINCRBY hh c 3
HINCRBYFLOAT hh d 1.5
HDEL hh f g c d n
SADD st a b c
SADD st a
SREM st a
SADD sp only
SPOP sp
SMOVE st st2 c
SMOVE st st2 b
SADD o1 x y
SADD o2 y z
SINTERSTORE si o1 o2
SUNIONSTORE su o1 o2
SDIFFSTORE sd o1 o1
ZADD z 1 a 2 b 3 c
ZADD z 1 a
ZADD z INCR 5 a
ZINCRBY z 2 b
ZREM z c
ZPOPMIN z
ZPOPMAX z
ZADD z2 1 a 2 b 3 c 4 d
ZREMRANGEBYSCORE z2 1 1
ZREMRANGEBYRANK z2 0 0
ZREMRANGEBYLEX z2 - +
ZADD z3 1 a 2 b
ZUNIONSTORE zu 1 z3
ZINTERSTORE zi 1 z3
ZRANGESTORE zr z3 0 0
ZDIFFSTORE zd 1 z3
ZMPOP 1 z3 MIN COUNT 5
SETBIT bits 7 1
SETBIT bits 7 1
SETBIT nb 7 0
SETBIT nb 100 0
SETBIT nb 100 0
BITFIELD bf SET u8 0 255
BITOP AND band bits bf
BITOP AND band nothere1 nothere2
PFADD hll a
PFADD hll a
PFMERGE hll2 hll
COPY hll hll3
RPUSH tosort 3 1 2
SORT tosort STORE sorted
SORT nothere STORE sorted
GEOADD geo 13.361389 38.115556 Palermo
GEOSEARCHSTORE geo2 geo FROMLONLAT 15 37 BYRADIUS 200 km
RPUSH bl x
BLPOP bl 1
ZADD bz 1 a
BZPOPMIN bz 1
SET kt v EX 100
SET kt v2 KEEPTTL
SET kt v3 GET
EXPIREAT kt 99999999999
PEXPIREAT kt 1
MSETNX mn1 a mn2 b
MSETNX mn1 a mn3 c
HMSET hm a 1 b 2
ZADD zx XX 5 nothere
ZADD zx NX 1 a
ZADD zx NX 2 a
SADD si2 x
SINTERSTORE si2 o1 nothere
LPUSH lp a
LPOS lp a
RPUSHX nothere a
INCR ctr
SET plain v
GETEX plain
GETEX plain PERSIST
PERSIST plain
EXPIRE plain 100
EXPIRE plain 200 NX
GETEX plain PERSIST
RPUSH rot a b c
LTRIM rot 0 -1
LREM rot 0 zz
LINSERT rot BEFORE zz q
LMOVE rot rot LEFT RIGHT
RPOPLPUSH rot rot
HDEL hh nope
SADD same a
SMOVE same same a
ZREM z nope
INCRBY ctr 0
SPOP nothere
XADD st 1-1 f v
XADD st 2-1 f v
XADD st 1-0 f v
XDEL st 1-1
XDEL st 9-9
XTRIM st MAXLEN 5
XTRIM st MAXLEN 0
XGROUP CREATE st2 g $ MKSTREAM
XGROUP CREATECONSUMER st2 g c
XGROUP DELCONSUMER st2 g c
XGROUP SETID st2 g 0
XSETID st2 5-5
XGROUP DESTROY st2 g
XADD st3 MAXLEN 0 1-0 f v
XADD st3 2-0 f v
XADD st3 3-0 f v
XADD st3 MAXLEN 5 4-0 f v
XADD st3 MAXLEN 2 5-0 f v
XADD st3 MINID 5 6-0 f v
XADD st3 MINID 1 7-0 f v
XADD st3 NOMKSTREAM MAXLEN 1 8-0 f v
XADD st4 NOMKSTREAM MAXLEN 1 8-0 f v
XGROUP CREATE st3 g 0
XREADGROUP GROUP g c1 COUNT 1 STREAMS st3 >
XREADGROUP GROUP g c1 COUNT 1 STREAMS st3 >
XREADGROUP GROUP g c2 STREAMS st3 0
XREADGROUP GROUP g c3 NOACK STREAMS st3 >
XREADGROUP GROUP g c4 STREAMS st3 >
XCLAIM st3 g c5 0 9-0
XCLAIM st3 g c5 100000000 7-0
XCLAIM st3 g c6 0 7-0
XCLAIM st3 g c6 0 8-0
XCLAIM st3 g c7 0 9-0 FORCE
XAUTOCLAIM st3 g c8 100000000 0
XAUTOCLAIM st3 g c9 0 0
XAUTOCLAIM st3 g c9 0 0
XACK st3 g 7-0
XGROUP CREATE st5 g $ MKSTREAM
XGROUP CREATE st3 g2 $
XADD st5 1-0 f v
XADD st6 1-0 f v
XGROUP CREATE st6 g 0
XREADGROUP GROUP g c1 STREAMS st5 st6 > >
EVAL redis.call('set',KEYS[1],'v');redis.call('hset',KEYS[2],'f','1');redis.call('del',KEYS[1]) 2 ek eh
EVAL redis.call('lpush',KEYS[1],'a');redis.call('incr',KEYS[1]) 1 el
EVAL redis.call('zadd',KEYS[1],1,'m');return redis.call('zincrby',KEYS[1],1,'m') 1 ez
`;

/** A notification as "channel message" (the pattern is always __key*__:*). */
type Message = string;

/** Runs the script against the server at `port` and returns every notification, in order. */
async function notifications(port: number, flags: string): Promise<Message[]> {
  const subscriber = new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 0 });
  const client = new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 0 });
  const received: Message[] = [];
  try {
    await client.call("CONFIG", "SET", "notify-keyspace-events", flags);
    subscriber.on("pmessage", (_pattern: string, channel: string, message: string) => received.push(`${channel} ${message}`));
    await subscriber.psubscribe("__key*__:*");
    for (const line of SCRIPT.trim().split("\n")) {
      if (line === "SLEEP") {
        await new Promise((resolve) => setTimeout(resolve, 20));
        continue;
      }
      const [name, ...args] = line.split(" ");
      await client.call(name as string, ...args).catch(() => undefined);
    }
    // A marker after the script, which the pattern matches whatever the flags: once it arrives, every earlier notification has.
    await client.publish("__keyspace@0__:marker", "done");
    await waitUntil("the marker", () => received.includes("__keyspace@0__:marker done"));
  } finally {
    subscriber.disconnect();
    client.disconnect();
  }
  return received;
}

for (const flags of ["KEA", "KEAn", "Kl", "E$gx"]) {
  test(`keyspace notifications under notify-keyspace-events ${flags} are redis-server 7.0's, event for event`, async () => {
    const redis = await startRedis({ appendFsyncAlways: false });
    const node = await startTestNode();
    try {
      const theirs = await notifications(redis.port, flags);
      const ours = await notifications(node.respPort, flags);
      assert.equal(ours.join("\n"), theirs.join("\n"));
    } finally {
      await redis.stop();
      await node.stop();
    }
  });
}

/** The notifications of keys left to expire untouched: Redis' active expiry, walnut's sweep. */
async function expiryNotifications(port: number): Promise<Message[]> {
  const subscriber = new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 0 });
  const client = new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 0 });
  const received: Message[] = [];
  try {
    await client.call("CONFIG", "SET", "notify-keyspace-events", "KEx");
    subscriber.on("pmessage", (_pattern: string, channel: string, message: string) => received.push(`${channel} ${message}`));
    await subscriber.psubscribe("__key*__:*");
    await client.set("short-lived", "v", "PX", 1);
    await client.hset("short-hash", "f", "v");
    await client.pexpire("short-hash", 1);
    await waitUntil("both keys expired and were announced", () => received.length >= 4);
  } finally {
    subscriber.disconnect();
    client.disconnect();
  }
  return received.sort(); // the sweep's order among keys expiring together is not Redis'
}

test("keys that expire untouched are announced as expired, as redis-server 7.0's active expiry announces them", async () => {
  const redis = await startRedis({ appendFsyncAlways: false });
  const node = await startTestNode();
  try {
    const theirs = await expiryNotifications(redis.port);
    const ours = await expiryNotifications(node.respPort);
    assert.deepEqual(ours, theirs);
    assert.deepEqual(theirs, [
      "__keyevent@0__:expired short-hash",
      "__keyevent@0__:expired short-lived",
      "__keyspace@0__:short-hash expired",
      "__keyspace@0__:short-lived expired",
    ]);
  } finally {
    await redis.stop();
    await node.stop();
  }
});

/** CONFIG SET pipelined around a write: the write is notified under the setting in force when it was sent. */
async function pipelinedConfigNotifications(port: number): Promise<Message[]> {
  const subscriber = new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 0 });
  const client = new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 0 });
  const received: Message[] = [];
  try {
    subscriber.on("pmessage", (_pattern: string, channel: string, message: string) => received.push(`${channel} ${message}`));
    await subscriber.psubscribe("__key*__:*");
    await client
      .pipeline()
      .call("CONFIG", "SET", "notify-keyspace-events", "KEA")
      .set("piped", "1")
      .call("CONFIG", "SET", "notify-keyspace-events", "")
      .set("unheard", "1")
      .exec();
    await client.publish("__keyspace@0__:marker", "done");
    await waitUntil("the marker", () => received.includes("__keyspace@0__:marker done"));
  } finally {
    subscriber.disconnect();
    client.disconnect();
  }
  return received;
}

test("a write pipelined between two CONFIG SETs of notify-keyspace-events is notified under the first, as by redis-server 7.0", async () => {
  const redis = await startRedis({ appendFsyncAlways: false });
  const node = await startTestNode();
  try {
    const theirs = await pipelinedConfigNotifications(redis.port);
    const ours = await pipelinedConfigNotifications(node.respPort);
    assert.deepEqual(theirs, ["__keyspace@0__:piped set", "__keyevent@0__:set piped", "__keyspace@0__:marker done"]);
    assert.deepEqual(ours, theirs);
  } finally {
    await redis.stop();
    await node.stop();
  }
});
