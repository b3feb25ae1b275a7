/**
 * Streams, byte for byte against redis-server 7.0: the same command lists go to a real
 * redis-server and to a walnut node, over RESP2 and again after HELLO 3, and every reply
 * must be the same bytes, errors included. IDs are explicit wherever a reply shows them
 * (an auto ID depends on each server's clock); `*` is used where only the shape or the
 * order shows.
 *
 * Not compared: `~` trimming of streams with more than one Redis node of entries (Redis
 * trims whole nodes of about 100 entries; walnut trims exactly, see commands/streams.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startRedis } from "../bench/resp_servers.js";
import { startTestNode } from "./harness.js";
import { conversation, Random, runSeed } from "./server_fixtures.js";

function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((match) => match[1] ?? match[2]!);
}

const CORE = [
  "XADD s 1-1 a 1",
  "XADD s 1-2 b 2 c 3",
  "XADD s 1-* d 4",
  "XADD s 5 e 5",
  "XADD s 5-* f 6",
  "XADD s 4-* g 7",
  "XADD s 5-1 g 7",
  "XADD s 0-0 a b",
  "XADD s 1-1 a b",
  "XADD s abc a b",
  "XADD s 1-x a b",
  "XADD s - a b",
  "XADD s + a b",
  "XADD s 18446744073709551616-0 a b",
  "XADD s 5-3 a",
  "XADD s 5-3 a b c",
  "XADD s",
  "XADD s 5-3",
  "XADD fresh 0-* a b",
  "XADD fresh2 0-0 a b",
  "XADD nomk NOMKSTREAM 1-1 a b",
  "EXISTS nomk",
  "XADD s NOMKSTREAM 6-0 h 8",
  "XLEN s",
  "XLEN nosuch",
  "TYPE s",
  "OBJECT ENCODING s",
  "XRANGE s - +",
  "XRANGE s - + COUNT 2",
  "XRANGE s - + COUNT 0",
  "XRANGE s - + COUNT -3",
  "XRANGE s - + COUNT x",
  "XRANGE s - + COUNT",
  "XRANGE s - + FOO 1",
  "XRANGE s 1 1",
  "XRANGE s 1-2 5",
  "XRANGE s (1-1 (5-1",
  "XRANGE s (1 +",
  "XRANGE s (0-0 +",
  "XRANGE s - (0-0",
  "XRANGE s (- +",
  "XRANGE s - (+",
  "XRANGE s (18446744073709551615-18446744073709551615 +",
  "XRANGE s 5 1",
  "XRANGE s abc +",
  "XRANGE s - abc",
  "XRANGE s ( +",
  "XRANGE nosuch - +",
  "XRANGE nosuch - + COUNT 0",
  "XREVRANGE s + -",
  "XREVRANGE s + - COUNT 2",
  "XREVRANGE s 5 1-2",
  "XREVRANGE s (5-1 (1-1",
  "XREVRANGE s - +",
  "XREVRANGE s + (18446744073709551615-18446744073709551615",
  "XREVRANGE nosuch + -",
  "XDEL s 1-2 9-9 1-2",
  "XDEL s abc",
  "XDEL nosuch abc",
  "XDEL nosuch 1-1",
  "XDEL s 1",
  "XLEN s",
  "XRANGE s - +",
  "XADD s 1-9 late 1",
  "XADD big 18446744073709551615-18446744073709551615 a b",
  "XADD big * a b",
  "XADD big 18446744073709551615-* a b",
  "XRANGE big - +",
  "COPY s s-copy",
  "XADD s-copy 100-0 only in copy",
  "XRANGE s 99 +",
  "XRANGE s-copy 99 +",
  "XLEN s-copy",
  "RENAME s-copy s-moved",
  "XLEN s-moved",
  "DEL s-moved",
  "XLEN s-moved",
];

const TRIMMING = [
  "XADD t 1-0 a 1",
  "XADD t 2-0 a 2",
  "XADD t 3-0 a 3",
  "XADD t 4-0 a 4",
  "XADD t 5-0 a 5",
  "XADD t MAXLEN 4 6-0 a 6",
  "XRANGE t - +",
  "XADD t MAXLEN = 3 7-0 a 7",
  "XRANGE t - +",
  "XADD t MINID 5 8-0 a 8",
  "XRANGE t - +",
  "XADD t MINID = 6-0 9-0 a 9",
  "XADD t MAXLEN -1 10-0 a b",
  "XADD t MAXLEN x 10-0 a b",
  "XADD t MINID abc 10-0 a b",
  "XADD t MAXLEN 1 MINID 1 10-0 a b",
  "XADD t MINID 1 MAXLEN 1 10-0 a b",
  "XADD t MAXLEN 1 LIMIT 5 10-0 a b",
  "XADD t LIMIT 5 10-0 a b",
  "XADD t MAXLEN ~ 1 LIMIT -1 10-0 a b",
  "XADD t MAXLEN ~ 1 LIMIT x 10-0 a b",
  "XADD t MAXLEN",
  "XADD t MAXLEN 2",
  "XADD t maxlen 2 10-0 a",
  "XTRIM t MAXLEN 2",
  "XRANGE t - +",
  "XTRIM t MAXLEN = 5",
  "XTRIM t MINID 9",
  "XTRIM t MINID = 100",
  "XLEN t",
  "EXISTS t",
  "XRANGE t - +",
  "XTRIM t",
  "XTRIM t MAXLEN",
  "XTRIM t FOO 1",
  "XTRIM t MAXLEN 1 FOO",
  "XTRIM t MAXLEN 1 LIMIT 2",
  "XTRIM t LIMIT 2 MAXLEN 1",
  "XTRIM t NOMKSTREAM MAXLEN 1",
  "XTRIM nosuch MAXLEN 1",
  "XTRIM nosuch MAXLEN x",
  "XADD u 1-0 a 1",
  "XADD u 2-0 a 2",
  "XADD u 3-0 a 3",
  "XTRIM u MAXLEN 0",
  "XLEN u",
  "XADD u 2-5 a b",
  "XADD u 3-1 a b",
  "XDEL u 3-1",
  "XLEN u",
  "TYPE u",
];

const READS = [
  "XADD r 1-0 a 1",
  "XADD r 2-0 b 2",
  "XADD r2 3-0 c 3",
  "XREAD STREAMS r 0",
  "XREAD COUNT 1 STREAMS r 0",
  "XREAD COUNT 0 STREAMS r 0",
  "XREAD COUNT -1 STREAMS r 0",
  "XREAD STREAMS r r2 0 0",
  "XREAD STREAMS r r2 1 2-0",
  "XREAD STREAMS r r2 $ $",
  "XREAD STREAMS r nosuch 2 0",
  "XREAD STREAMS nosuch 0",
  "XREAD STREAMS r 18446744073709551615-18446744073709551615",
  "XREAD STREAMS r",
  "XREAD STREAMS r r2 0",
  "XREAD STREAMS",
  "XREAD r 0",
  "XREAD COUNT x STREAMS r 0",
  "XREAD BLOCK x STREAMS r 0",
  "XREAD BLOCK -1 STREAMS r 0",
  "XREAD BLOCK 10 STREAMS r 0",
  "XREAD GROUP g c STREAMS r 0",
  "XREAD STREAMS r >",
  "XREAD STREAMS r -",
  "XREAD STREAMS r +",
  "XREAD STREAMS r abc",
  "XREAD FOO STREAMS r 0",
  "XREAD COUNT 1 COUNT 2 STREAMS r 0",
];

const WRONG_TYPES = [
  "SET str x",
  "XADD str 1-1 a b",
  "XADD str NOMKSTREAM 1-1 a b",
  "XRANGE str - +",
  "XREVRANGE str + -",
  "XLEN str",
  "XDEL str 1-1",
  "XTRIM str MAXLEN 1",
  "XREAD STREAMS str 0",
  "XADD s 1-1 a b",
  "LPUSH s x",
  "GET s",
  "HSET s a b",
  "XRANGE str abc +",
  "SCAN 0 TYPE stream COUNT 100",
];

const CONSUMER_GROUPS = [
  "XGROUP CREATE g grp $",
  "XGROUP CREATE g grp $ MKSTREAM",
  "XGROUP CREATE g grp $ MKSTREAM",
  "XADD g 1-0 a 1",
  "XADD g 2-0 b 2",
  "XADD g 3-0 c 3",
  "XGROUP CREATE g early 0",
  "XGROUP CREATE g bad abc",
  "XGROUP CREATE g bad 0 FOO",
  "XGROUP CREATE g bad 0 ENTRIESREAD x",
  "XGROUP CREATE g bad 0 ENTRIESREAD -2",
  "XGROUP CREATE g withread 0 ENTRIESREAD 1",
  "XGROUP CREATE g",
  "XGROUP FOO g",
  "XGROUP",
  "XGROUP DESTROY g",
  "XGROUP CREATECONSUMER g grp alice",
  "XGROUP CREATECONSUMER g grp alice",
  "XGROUP CREATECONSUMER g nogroup alice",
  "XGROUP CREATECONSUMER nokey grp alice",
  "XREADGROUP GROUP early alice COUNT 2 STREAMS g >",
  "XREADGROUP GROUP early bob STREAMS g >",
  "XREADGROUP GROUP early bob STREAMS g >",
  "XREADGROUP GROUP early alice STREAMS g 0",
  "XREADGROUP GROUP early alice COUNT 1 STREAMS g 0",
  "XREADGROUP GROUP early alice STREAMS g 1-0",
  "XREADGROUP GROUP early carol STREAMS g 0",
  "XREADGROUP GROUP early alice STREAMS g $",
  "XREADGROUP GROUP early alice STREAMS g abc",
  "XREADGROUP GROUP nogroup alice STREAMS g >",
  "XREADGROUP GROUP early alice STREAMS nokey >",
  "XREADGROUP GROUP early alice STREAMS g",
  "XREADGROUP GROUP early alice STREAMS g g2 0",
  "XREADGROUP GROUP early alice COUNT 1 STREAMS g g2 0",
  "XREADGROUP COUNT 1 STREAMS g >",
  "XREADGROUP GROUP early alice FOO STREAMS g >",
  "XREADGROUP GROUP early alice BLOCK -1 STREAMS g >",
  "XPENDING g early",
  "XPENDING g grp",
  "XPENDING g nogroup",
  "XPENDING nokey early",
  "XPENDING g early - + 10",
  "XPENDING g early - + 10 alice",
  "XPENDING g early - + 10 nobody",
  "XPENDING g early (1-0 + 1",
  "XPENDING g early IDLE 100000000 - + 10",
  "XPENDING g early IDLE 0 - + 10 bob",
  "XPENDING g early - + x",
  "XPENDING g early - + -1",
  "XPENDING g early abc + 1",
  "XPENDING g early - +",
  "XPENDING g early IDLE x - + 1",
  "XPENDING g early IDLE 1 - +",
  "XPENDING \"no\x00key\" \"grp\x00x\"",
  "XINFO CONSUMERS g \"no\x00group\"",
  "XREADGROUP GROUP \"no\x00group\" c STREAMS g >",
  "XDEL g 2-0",
  "XREADGROUP GROUP early alice STREAMS g 0",
  "XACK g early 1-0 2-0 9-0",
  "XACK g early 1-0",
  "XACK g early abc",
  "XACK g nogroup 1-0",
  "XACK nokey early 1-0",
  "XPENDING g early",
  "XADD g 4-0 d 4",
  "XREADGROUP GROUP early alice NOACK STREAMS g >",
  "XPENDING g early",
  "XGROUP SETID g early 0",
  "XGROUP SETID g early abc",
  "XGROUP SETID g nogroup 0",
  "XGROUP SETID g early 0 MKSTREAM",
  "XGROUP create g bad 0 FOO",
  "XREADGROUP GROUP early dave COUNT 10 STREAMS g >",
  "XPENDING g early",
  "XPENDING g early - + 10 dave",
  "XGROUP DELCONSUMER g early dave",
  "XGROUP DELCONSUMER g early dave",
  "XGROUP DELCONSUMER g nogroup dave",
  "XPENDING g early",
  "XGROUP DESTROY g early",
  "XGROUP DESTROY g early",
  "XGROUP CREATE str grp $",
  "SET str x",
  "XGROUP CREATE str grp $ MKSTREAM",
  "XREADGROUP GROUP grp a STREAMS str >",
  "XACK str grp 1-0",
  "XPENDING str grp",
  "XGROUP CREATE nokey2 grp 5-5 MKSTREAM",
  "XADD nokey2 5-5 a b",
  "XADD nokey2 5-6 a b",
  "XREADGROUP GROUP grp a STREAMS nokey2 >",
];

const CLAIMS_AND_SETID = [
  "XADD c 1-0 a 1",
  "XADD c 2-0 b 2",
  "XADD c 3-0 c 3",
  "XGROUP CREATE c g 0",
  "XREADGROUP GROUP g alice STREAMS c >",
  "XCLAIM c g bob 0 1-0",
  "XCLAIM c g bob 0 1-0 JUSTID",
  "XCLAIM c g bob 0 1-0 RETRYCOUNT 7",
  "XPENDING c g - + 10",
  "XCLAIM c g carol 100000000 2-0",
  "XCLAIM c g carol 0 2-0 3-0 IDLE 5 JUSTID",
  "XCLAIM c g carol 0 2-0 TIME 1",
  "XCLAIM c g carol 0 9-0",
  "XCLAIM c g carol 0 9-0 FORCE",
  "XADD c 4-0 d 4",
  "XCLAIM c g dave 0 4-0",
  "XCLAIM c g dave 0 4-0 FORCE",
  "XPENDING c g - + 10",
  "XCLAIM c g dave 0 4-0 FORCE JUSTID LASTID 4-0",
  "XREADGROUP GROUP g alice STREAMS c >",
  "XDEL c 3-0",
  "XCLAIM c g dave 0 3-0",
  "XPENDING c g",
  "XCLAIM c g dave x 1-0",
  "XCLAIM c g dave 0 1-0 IDLE x",
  "XCLAIM c g dave 0 1-0 TIME x",
  "XCLAIM c g dave 0 1-0 RETRYCOUNT x",
  "XCLAIM c g dave 0 1-0 LASTID x",
  "XCLAIM c g dave 0 1-0 FOO",
  "XCLAIM c g dave 0 abc",
  "XCLAIM c nogroup dave 0 1-0",
  "XCLAIM nokey g dave 0 1-0",
  "XCLAIM c g dave -5 1-0 JUSTID",
  "XAUTOCLAIM c g erin 0 0",
  "XAUTOCLAIM c g erin 0 0 COUNT 1",
  "XAUTOCLAIM c g erin 0 2-0 COUNT 1 JUSTID",
  "XAUTOCLAIM c g erin 100000000 0",
  "XAUTOCLAIM c g erin 0 (1-0 JUSTID",
  "XAUTOCLAIM c g erin 0 0 COUNT 0",
  "XAUTOCLAIM c g erin 0 0 COUNT x",
  "XAUTOCLAIM c g erin 0 0 FOO",
  "XAUTOCLAIM c g erin x 0",
  "XAUTOCLAIM c g erin 0 x",
  "XAUTOCLAIM c nogroup erin 0 0",
  "XAUTOCLAIM nokey g erin 0 0",
  "XAUTOCLAIM nokey g erin 0 0 COUNT 0",
  "XAUTOCLAIM nokey g erin 0 x",
  "XAUTOCLAIM c nogroup erin 0 0 EXTRA",
  "XAUTOCLAIM str g erin 0 0 COUNT 0",
  "XPENDING c g - + 10",
  "XADD c 5-0 e 5",
  "XADD c 6-0 f 6",
  "XREADGROUP GROUP g frank STREAMS c >",
  "XDEL c 5-0 1-0",
  "XAUTOCLAIM c g gina 0 0 COUNT 2",
  "XAUTOCLAIM c g gina 0 0",
  "XPENDING c g",
  "XSETID c 10-0",
  "XADD c 9-0 a b",
  "XADD c 10-* a b",
  "XSETID c 5-0",
  "XSETID c 11-0 ENTRIESADDED 1",
  "XSETID c 11-0 ENTRIESADDED -1",
  "XSETID c 11-0 ENTRIESADDED x",
  "XSETID c 11-0 MAXDELETEDID 12-0",
  "XSETID c 11-0 MAXDELETEDID x",
  "XSETID c 11-0 MAXDELETEDID 10-5 ENTRIESADDED 20",
  "XSETID c 10-2",
  "XSETID c 11-0 FOO",
  "XSETID c abc",
  "XSETID nokey 1-0",
  "XSETID nokey abc",
  "SET str x",
  "XSETID str 1-0",
  "XCLAIM str g c 0 1-0",
  "XADD e 5-0 a b",
  "XDEL e 5-0",
  "XSETID e 4-0",
  "XSETID e 5-0",
  "XADD e 5-* a b",
];

const INFO = [
  "XINFO STREAM nokey",
  "XADD i 1-0 a 1",
  "XADD i 2-0 b 2",
  "XADD i 3-0 c 3",
  "XADD i 4-0 d 4",
  "XINFO STREAM i",
  "XGROUP CREATE i g 0",
  "XGROUP CREATE i late $",
  "XGROUP CREATE i set 0 ENTRIESREAD 1",
  "XINFO GROUPS i",
  "XREADGROUP GROUP g alice COUNT 1 STREAMS i >",
  "XINFO GROUPS i",
  "XDEL i 3-0",
  "XREADGROUP GROUP g bob COUNT 1 STREAMS i >",
  "XINFO GROUPS i",
  "XREADGROUP GROUP g bob STREAMS i >",
  "XINFO GROUPS i",
  "XDEL i 1-0",
  "XINFO STREAM i",
  "XGROUP SETID i set 2-0",
  "XINFO GROUPS i",
  "XADD i 5-0 e 5",
  "XINFO GROUPS i",
  "XINFO CONSUMERS i nogroup",
  "XINFO CONSUMERS i g",
  "XINFO CONSUMERS i late",
  "XINFO STREAM i FOO",
  "MULTI",
  "XINFO STREAM",
  "XGROUP DESTROY i",
  "XGROUP NOSUCH i",
  "XINFO GROUPS i",
  "EXEC",
  "MULTI",
  "XGROUP HELP",
  "XINFO HELP",
  "EXEC",
  "XINFO STREAM i FULL COUNT",
  "XINFO STREAM i FULL COUNT x",
  "XINFO STREAM i FULL COUNT 0 EXTRA",
  "XINFO STREAM i FULL COUNT 2",
  "XINFO STREAM i FULL",
  "XINFO GROUPS",
  "XINFO FOO i",
  "XINFO HELP",
  "XINFO help",
  "XINFO HELP extra",
  "XGROUP HELP",
  "XGROUP HELP extra",
  "XINFO CONSUMERS nokey g",
  "XINFO GROUPS nokey",
  "XADD empty 1-0 a b",
  "XDEL empty 1-0",
  "XINFO STREAM empty",
  "XGROUP CREATE empty g $",
  "XINFO GROUPS empty",
  "SET str x",
  "XINFO STREAM str",
  // Regression (random differential, seed 1): `>` with the stream's last ID moved past every
  // entry (XSETID, XDEL) has nothing to deliver and creates no consumer, as in Redis.
  "XADD past 1-0 a 1",
  "XGROUP CREATE past g $",
  "XSETID past 40-0",
  "XREADGROUP GROUP g c1 STREAMS past >",
  "XADD past 41-0 b 2",
  "XDEL past 41-0",
  "XREADGROUP GROUP g c2 STREAMS past >",
  "XINFO GROUPS past",
  "XINFO CONSUMERS past g",
  "XADD past 42-0 c 3",
  "XREADGROUP GROUP g c3 STREAMS past >",
  "XINFO GROUPS past",
];

const GROUPS: Record<string, string[]> = { info: INFO, "claims and setid": CLAIMS_AND_SETID, core: CORE, trimming: TRIMMING, reads: READS, "wrong types": WRONG_TYPES, "consumer groups": CONSUMER_GROUPS };

/**
 * XPENDING's extended rows carry the idle time, and XINFO STREAM FULL delivery and seen
 * times (milliseconds since the epoch), which depend on each server's clock: compared by shape.
 */
function withoutIdleTimes(reply: string): string {
  return reply
    .replace(/:1\d{12}\r\n/g, ":<time>\r\n")
    .replace(/(\$4\r\nidle\r\n):\d+\r\n/g, "$1:<idle>\r\n").replace(/(\*4\r\n\$\d+\r\n[^\r]*\r\n\$\d+\r\n[^\r]*\r\n):\d+\r\n/g, "$1:<idle>\r\n");
}

async function replies(port: number, protocol: 2 | 3): Promise<Array<[string, string]>> {
  const answered: Array<[string, string]> = [];
  for (const [group, lines] of Object.entries(GROUPS)) {
    const commands = [["FLUSHALL"], ...(protocol === 3 ? [["HELLO", "3"]] : []), ...lines.map(words)];
    const got = await conversation(port, commands);
    const skipped = protocol === 3 ? 2 : 1; // FLUSHALL and HELLO answer differently (server name, version)
    lines.forEach((line, index) => answered.push([`${group} (RESP${protocol}): ${line}`, withoutIdleTimes(got[index + skipped]!)]));
  }
  return answered;
}

test("every stream command answers byte for byte as redis-server 7.0 does, in RESP2 and RESP3", async (t) => {
  const redis = await startRedis({ appendFsyncAlways: false });
  const node = await startTestNode();
  try {
    for (const protocol of [2, 3] as const) {
      const expected = await replies(redis.port, protocol);
      const actual = await replies(node.respPort, protocol);
      const differences = actual
        .map(([what, reply], index) => ({ what, walnut: reply, redis: expected[index]![1] }))
        .filter((row) => row.walnut !== row.redis);
      if (differences.length > 0) t.diagnostic(JSON.stringify(differences.slice(0, 40), null, 1));
      assert.equal(differences.length, 0, `${differences.length} replies differ from redis-server's (RESP${protocol}); the first: ${JSON.stringify(differences[0])}`);
    }
  } finally {
    await node.stop();
    await redis.stop();
  }
});

/** A random stream command over a few keys, with explicit IDs (auto IDs depend on the server's clock). */
function randomCommand(random: Random): string[] {
  const key = random.pick(["a", "b", "c"]);
  const id = (): string => random.pick([`${random.between(0, 30)}-${random.between(0, 3)}`, String(random.between(0, 30)), "-", "+", "x", `(${random.between(0, 30)}`]);
  const group = random.pick(["g1", "g2"]);
  const consumer = random.pick(["c1", "c2", "c3"]);
  switch (random.below(18)) {
    case 10:
      return ["XGROUP", random.pick(["CREATE", "SETID"]), key, group, random.pick(["0", "$", `${random.between(0, 30)}-0`]), ...(random.chance(0.3) ? ["MKSTREAM"] : [])];
    case 11:
    case 12:
      return ["XREADGROUP", "GROUP", group, consumer, ...(random.chance(0.5) ? ["COUNT", String(random.between(0, 3))] : []), ...(random.chance(0.2) ? ["NOACK"] : []), "STREAMS", key, random.pick([">", ">", "0", `${random.between(0, 30)}`])];
    case 13:
      return ["XACK", key, group, `${random.between(0, 30)}-${random.between(0, 3)}`, `${random.between(0, 30)}`];
    case 14:
      return ["XPENDING", key, group];
    case 15:
      return ["XCLAIM", key, group, consumer, "0", `${random.between(0, 30)}-0`, `${random.between(0, 30)}-${random.between(0, 3)}`, ...(random.chance(0.5) ? ["JUSTID"] : []), ...(random.chance(0.3) ? ["FORCE"] : [])];
    case 16:
      return ["XAUTOCLAIM", key, group, consumer, "0", random.pick(["0", "5", "(3"]), "COUNT", String(random.between(1, 4)), ...(random.chance(0.5) ? ["JUSTID"] : [])];
    case 17:
      return random.chance(0.5) ? ["XGROUP", random.pick(["DESTROY", "CREATECONSUMER", "DELCONSUMER"]), key, group, ...(random.chance(0.5) ? [consumer] : [])] : ["XSETID", key, `${random.between(0, 40)}-0`];
    case 0:
    case 1:
    case 2: {
      const trim = random.pick([[], ["MAXLEN", String(random.between(-1, 5))], ["MINID", `${random.between(0, 30)}`], ["MAXLEN", "=", "3"], ["NOMKSTREAM"]]);
      const fields = random.chance(0.9) ? ["f", String(random.below(100))] : ["f"];
      return ["XADD", key, ...trim, random.pick([`${random.between(0, 30)}-${random.between(0, 3)}`, `${random.between(0, 30)}-*`, String(random.between(0, 30))]), ...fields];
    }
    case 3:
      return ["XRANGE", key, id(), id(), ...(random.chance(0.5) ? ["COUNT", String(random.between(-1, 4))] : [])];
    case 4:
      return ["XREVRANGE", key, id(), id(), ...(random.chance(0.5) ? ["COUNT", String(random.between(-1, 4))] : [])];
    case 5:
      return ["XDEL", key, id(), id()];
    case 6:
      return ["XTRIM", key, random.pick(["MAXLEN", "MINID"]), random.pick(["=", ""]), String(random.between(-1, 20))].filter((word) => word !== "");
    case 7:
      return ["XREAD", ...(random.chance(0.5) ? ["COUNT", String(random.between(0, 3))] : []), "STREAMS", key, random.pick(["a", "b", "c"]), id(), random.pick(["$", "0", "5-0"])];
    case 8:
      return random.chance(0.8) ? ["XLEN", key] : ["SET", key, "x"];
    default:
      return random.pick([["XRANGE", key, "-", "+"], ["XINFO", "GROUPS", key], ["XINFO", "STREAM", key], ["XINFO", "CONSUMERS", key, group]]);
  }
}

test("800 random stream commands answer exactly as redis-server 7.0 does (seeded; WALNUT_FUZZ_SEED replays)", async () => {
  const seed = runSeed();
  const random = new Random(seed);
  for (const protocol of [2, 3] as const) {
    const commands = [["FLUSHALL"], ["HELLO", String(protocol)], ...Array.from({ length: 800 }, () => randomCommand(random)), ["XRANGE", "a", "-", "+"], ["XRANGE", "b", "-", "+"]];
    const redis = await startRedis({ appendFsyncAlways: false });
    const node = await startTestNode();
    try {
      const expected = await conversation(redis.port, commands);
      const actual = await conversation(node.respPort, commands);
      for (let index = 2; index < commands.length; index++) {
        assert.equal(withoutIdleTimes(actual[index]!), withoutIdleTimes(expected[index]!), `seed ${seed}, RESP${protocol}, command ${index}: ${commands[index]!.join(" ")}`);
      }
    } finally {
      await node.stop();
      await redis.stop();
    }
  }
});
