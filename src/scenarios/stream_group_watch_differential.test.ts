/**
 * Which stream writes count as a modification of their key, byte for byte against a real
 * redis-server 7.0. Redis calls signalModifiedKey, which both aborts a WATCH of the key and
 * invalidates it for tracking clients, for XADD, for XDEL and XTRIM that removed an entry,
 * and for XGROUP CREATE MKSTREAM that made the key; not for XREADGROUP (with `>` or an ID,
 * NOACK or not, with a new consumer or not), XACK, XCLAIM (JUSTID, FORCE, LASTID),
 * XAUTOCLAIM, XGROUP CREATE / SETID / DESTROY / CREATECONSUMER / DELCONSUMER of an
 * existing stream, or XSETID (walnut: streams.ts storeStreamMetadata).
 *
 * Each case runs on three RESP3 connections of each server: connection 1 resets the keys
 * and builds a stream with a group; connection 0, tracking (default mode, then BCAST for
 * the case's keys),
 * reads the key (XLEN) and WATCHes it; connection 1 runs the case's command with keyspace
 * notifications on; connection 0 runs MULTI / SET result 1 / EXEC (nil when the command
 * counted as a modification, and the invalidation push before it when it invalidated);
 * connection 2, subscribed to every keyspace and keyevent channel, shows the events; and
 * connection 1 reads the groups back (XINFO GROUPS, XPENDING), so the case also shows that
 * the change it did not count was made. Every connection's bytes must be equal.
 *
 * A step is one or more commands followed by a PING whose reply marks the end of the
 * step's bytes (tracking_differential.test.ts does the same): no timing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startRedis } from "../bench/resp_servers.js";
import { startTestNode } from "./harness.js";
import { RawClient, waitUntil } from "./server_fixtures.js";
import { encodeCommand } from "../resp/writer.js";

type Connection = 0 | 1 | 2;

interface Case {
  /** Sent by connection 1 between the WATCH and the EXEC (several: sent together). */
  commands: string[][];
  /** Commands after the common stream is built (connection 1). */
  setup?: string[][];
  /** The key connection 0 reads and watches: "s" unless said. */
  key?: string;
}

const words = (text: string): string[] => text.split(" ");

/** Three entries, group g at 0, consumer c0 holding 1-1 pending: what every case starts from. */
const COMMON_SETUP = ["XADD s 1-1 f v", "XADD s 2-1 f v", "XADD s 3-1 f v", "XGROUP CREATE s g 0", "XREADGROUP GROUP g c0 COUNT 1 STREAMS s >"].map(words);

const one = (text: string, setup: string[] = [], key?: string): Case => ({ commands: [words(text)], setup: setup.map(words), ...(key === undefined ? {} : { key }) });

const CASES: Case[] = [
  // XREADGROUP: new entries to a new and to a known consumer, NOACK, history, nothing new.
  one("XREADGROUP GROUP g c1 COUNT 1 STREAMS s >"),
  one("XREADGROUP GROUP g c0 COUNT 1 STREAMS s >"),
  one("XREADGROUP GROUP g c0 COUNT 5 STREAMS s >"),
  one("XREADGROUP GROUP g c1 COUNT 1 NOACK STREAMS s >"),
  one("XREADGROUP GROUP g c0 STREAMS s 0"),
  one("XREADGROUP GROUP g c9 STREAMS s 0"),
  one("XREADGROUP GROUP g c1 STREAMS s >", ["XREADGROUP GROUP g c0 STREAMS s >"]),
  one("XREADGROUP GROUP nog c1 STREAMS s >"),
  // XACK: pending, not pending, no such group, a bad ID.
  one("XACK s g 1-1"),
  one("XACK s g 1-1 2-1 9-9"),
  one("XACK s g 9-9"),
  one("XACK s nog 1-1"),
  one("XACK s g bad"),
  // XCLAIM: entries, JUSTID, FORCE of an entry nobody holds, a missing entry, LASTID, a deleted pending entry.
  one("XCLAIM s g c1 0 1-1"),
  one("XCLAIM s g c1 0 1-1 JUSTID"),
  one("XCLAIM s g c1 0 3-1 FORCE"),
  one("XCLAIM s g c1 0 3-1 FORCE JUSTID"),
  one("XCLAIM s g c1 0 9-1"),
  one("XCLAIM s g c0 0 1-1 LASTID 3-1"),
  one("XCLAIM s g c1 0 1-1", ["XDEL s 1-1"]),
  one("XCLAIM s g c1 100000000 1-1"),
  // XAUTOCLAIM: entries, JUSTID, a deleted pending entry, nothing idle enough.
  one("XAUTOCLAIM s g c1 0 0"),
  one("XAUTOCLAIM s g c1 0 0 JUSTID"),
  one("XAUTOCLAIM s g c1 0 0 COUNT 1", ["XREADGROUP GROUP g c0 STREAMS s >", "XDEL s 2-1"]),
  one("XAUTOCLAIM s g c1 100000000 0"),
  // XGROUP on an existing stream, and CREATE MKSTREAM of a new key (a modification).
  one("XGROUP CREATE s g2 0"),
  one("XGROUP CREATE s g2 $ MKSTREAM"),
  one("XGROUP CREATE s g 0"),
  one("XGROUP CREATE new g $ MKSTREAM", [], "new"),
  one("XGROUP CREATE new g $", [], "new"),
  one("XGROUP SETID s g 0"),
  one("XGROUP SETID s g $ ENTRIESREAD 3"),
  one("XGROUP SETID s nog 0"),
  one("XGROUP DESTROY s g"),
  one("XGROUP DESTROY s nog"),
  one("XGROUP CREATECONSUMER s g c5"),
  one("XGROUP CREATECONSUMER s g c0"),
  one("XGROUP DELCONSUMER s g c0"),
  one("XGROUP DELCONSUMER s g c5", ["XGROUP CREATECONSUMER s g c5"]),
  one("XGROUP DELCONSUMER s g nobody"),
  // XSETID: a new last ID, the same one, with its counters.
  one("XSETID s 9-9"),
  one("XSETID s 3-1"),
  one("XSETID s 9-9 ENTRIESADDED 10 MAXDELETEDID 5-5"),
  // XDEL and XTRIM modify only when they remove something; XADD always.
  one("XDEL s 1-1"),
  one("XDEL s 8-8 9-9"),
  one("XTRIM s MAXLEN 1"),
  one("XTRIM s MAXLEN 10"),
  one("XTRIM s MINID 0"),
  one("XADD s 4-1 f v"),
  one("XADD s NOMKSTREAM MAXLEN 0 4-1 f v"),
  // Inside another client's MULTI and script.
  { commands: [["MULTI"], words("XACK s g 1-1"), words("XCLAIM s g c1 0 2-1 FORCE"), words("XGROUP CREATECONSUMER s g c7"), ["EXEC"]] },
  { commands: [["MULTI"], words("XACK s g 1-1"), words("XADD s 5-1 f v"), ["EXEC"]] },
  { commands: [["EVAL", "redis.call('XACK', KEYS[1], 'g', '1-1'); return redis.call('XREADGROUP', 'GROUP', 'g', 'c3', 'STREAMS', KEYS[1], '>')", "1", "s"]] },
];

/** Sends every case to the server at `port` and returns each step's bytes, per connection. */
async function run(port: number, tracking: string[]): Promise<string[]> {
  const clients = [new RawClient(port), new RawClient(port), new RawClient(port)] as const;
  await Promise.all(clients.map((client) => client.connected));
  const transcript: string[] = [];
  const marks = [0, 0, 0];
  const markersSent = [0, 0, 0];
  const markersIn = (text: string): number => text.split("marker\r\n").length - 1;
  const send = async (which: Connection, commands: string[][]): Promise<void> => {
    const client = clients[which];
    for (const command of commands) await client.write(encodeCommand(command));
    await client.write(encodeCommand(["PING", "marker"]));
    const expected = ++markersSent[which]!;
    await waitUntil(`the marker after ${commands.map((command) => command.join(" ")).join("; ")}`, () => markersIn(client.text()) >= expected);
    const text = client.text();
    transcript.push(`${which}> ${commands.map((command) => command.join(" ")).join("; ")}\n${text.slice(marks[which])}`);
    marks[which] = text.length;
  };
  try {
    for (const which of [0, 1, 2] as const) await send(which, [["HELLO", "3"]]);
    transcript.length = 0; // HELLO's reply names the server: not compared
    await send(0, [tracking]);
    await send(2, [words("PSUBSCRIBE __key*__:*")]);
    for (const { commands, setup = [], key = "s" } of CASES) {
      // One step per write: Redis sends one BCAST message per event loop iteration.
      for (const command of [words("DEL s new result"), ...COMMON_SETUP, ...setup]) await send(1, [command]);
      await send(0, [["XLEN", key], ["WATCH", key]]);
      // Notifications on for the case's commands alone (each CONFIG SET its own step: walnut
      // answers CONFIG SET without waiting for the connection's writes before it).
      await send(1, [words("CONFIG SET notify-keyspace-events KEA")]);
      await send(1, commands);
      await send(1, [["CONFIG", "SET", "notify-keyspace-events", ""]]);
      await send(0, [["MULTI"], words("SET result 1"), ["EXEC"]]);
      await send(2, []);
      await send(1, [["XINFO", "GROUPS", key], ["XPENDING", key, "g"]]);
    }
  } finally {
    for (const client of clients) client.destroy();
  }
  return transcript;
}

for (const [mode, tracking] of [
  ["default mode", words("CLIENT TRACKING on")],
  // Not `result`, which connection 0 writes itself: Redis sends its message after EXEC's reply, walnut before (docs/client-side-caching.md).
  ["BCAST", words("CLIENT TRACKING on BCAST PREFIX s PREFIX new")],
] as const) {
  test(`stream writes abort a WATCH, invalidate tracking (${mode}) and notify exactly as in redis-server 7.0`, async () => {
    const redis = await startRedis({ appendFsyncAlways: false });
    const node = await startTestNode();
    try {
      const theirs = await run(redis.port, tracking);
      const ours = await run(node.respPort, tracking);
      const differing = theirs.flatMap((expected, index) => (ours[index] === expected ? [] : [`walnut:\n${ours[index]}redis:\n${expected}`]));
      assert.deepEqual(differing, []);
      assert.equal(ours.length, theirs.length);
      // The cases are not all alike: Redis aborted some EXECs and let others run.
      const execs = theirs.filter((step) => step.startsWith("0> MULTI"));
      assert.ok(execs.some((step) => step.endsWith("_\r\n$6\r\nmarker\r\n")), "some EXEC was aborted");
      assert.ok(execs.some((step) => step.endsWith("*1\r\n+OK\r\n$6\r\nmarker\r\n")), "some EXEC ran");
    } finally {
      await redis.stop();
      await node.stop();
    }
  });
}
