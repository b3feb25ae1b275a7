/**
 * CLIENT TRACKING and blocking pops, byte for byte against a real redis-server 7.0: a pop is
 * the popping connection's own write, whether it is served at once (the list holds an
 * element) or later, when another connection pushes (BLPOP, BLMOVE, BZPOPMIN, BRPOP). So a
 * NOLOOP client hears of the other connection's push, and not of its own pop: not of
 * BLMOVE's destination, which only its pop wrote. Redis 7.0 does exactly that; walnut does
 * because a blocked command's writes go under the connection's write session and are noted
 * as its own (connection_commands.ts, blocked_clients.ts). Without NOLOOP the pops are
 * announced too, after their replies, and a BLMOVE's destination before its source.
 *
 * Connections: 0 tracks and blocks, 1 writes, 2 receives redirected invalidations (a RESP2
 * subscriber to __redis__:invalidate, or a RESP3 client's pushes), and a side connection,
 * whose bytes are not compared, waits until connection 0 is blocked (INFO clients) before
 * connection 1 pushes. A step's commands are followed by a PING whose reply marks the end of
 * its bytes; a step that blocks is recorded once it is served. No timing: the same
 * treatment for both servers.
 *
 * Where the order of a served pop's reply and an invalidation on the same connection differs
 * (BCAST, RESP3, no redirect: Redis sends BCAST messages after the replies of its event loop
 * iteration; walnut in log order), the case is run redirected: docs/client-side-caching.md
 * lists the difference.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startRedis } from "../bench/resp_servers.js";
import { startTestNode } from "./harness.js";
import { RawClient, waitUntil } from "./server_fixtures.js";
import { encodeCommand } from "../resp/writer.js";

type Connection = 0 | 1 | 2;
/** Commands for one connection; "blocks": connection 0 waits in them until a later step serves it. */
type Step = [Connection, string | string[]] | [0, string, "blocks"];

/**
 * The pops: at once (an own write), then blocked and served by connection 1's push.
 * `servedSortedSet`: also a BZPOPMIN served by a ZADD, which BCAST cannot take (see SCENARIOS).
 */
function pops(readsFirst: boolean, servedSortedSet: boolean): Step[] {
  const read = (keys: string): Step[] => (readsFirst ? [[0, keys.split(" ").map((key) => `LRANGE ${key} 0 -1`)]] : []);
  return [
    [1, "RPUSH q 1"],
    ...read("q"),
    [0, "BLPOP q 0"],
    ...read("q"),
    [0, "BLPOP q 0", "blocks"],
    [1, "RPUSH q 3"],
    ...read("q dst"),
    [0, "BLMOVE q dst LEFT RIGHT 0", "blocks"],
    [1, "RPUSH q 4 5"],
    [1, "RPUSH dst 6"],
    ...read("q dst"),
    [0, "BLMOVE q dst LEFT RIGHT 0"],
    [1, "DEL dst"],
    [1, "ZADD z 1 a"],
    [0, "BZPOPMIN z 0"],
    ...(servedSortedSet ? ([...read("z"), [0, "BZPOPMIN z 0", "blocks"], [1, "ZADD z 2 b"]] satisfies Step[]) : []),
    [1, "RPUSH q 7"],
    [0, "BRPOP q 0"],
  ];
}

/**
 * BCAST leaves out the BZPOPMIN served by another connection's ZADD: Redis 7.0 credits a BCAST
 * key to the last client that changed it in the event loop iteration, and a served sorted-set
 * pop (unlike a served list pop) signals its key as the popping client's change, so the
 * NOLOOP client hears nothing of the ZADD. walnut announces the ZADD, an entry of its own
 * (docs/client-side-caching.md lists the difference).
 */
/**
 * XREADGROUP ... BLOCK, served at once and by another connection's XADD: its write (the
 * group's last ID, the PEL) is the client's own too, and announces nothing with or without
 * NOLOOP, as Redis 7.0 counts no change of a stream's groups as a modification of the key
 * (stream_group_watch_differential.test.ts tries every group command).
 */
function groupReads(readsFirst: boolean): Step[] {
  const read: Step[] = readsFirst ? [[0, "XRANGE s - +"]] : [];
  return [
    [1, "XGROUP CREATE s g $ MKSTREAM"],
    [1, "XADD s 1-1 f v"],
    ...read,
    [0, "XREADGROUP GROUP g c STREAMS s >"],
    ...read,
    [0, "XREADGROUP GROUP g c BLOCK 0 STREAMS s >", "blocks"],
    [1, "XADD s 2-1 f w"],
  ];
}

const SCENARIOS: Array<{ name: string; protocols: Array<2 | 3>; steps: Step[] }> = [
  {
    name: "BCAST NOLOOP, redirected",
    protocols: [2, 3],
    steps: [[0, "CLIENT TRACKING on REDIRECT {r} BCAST NOLOOP"], ...pops(false, false), ...groupReads(false)],
  },
  {
    name: "default mode NOLOOP, redirected",
    protocols: [2, 3],
    steps: [[0, "CLIENT TRACKING on REDIRECT {r} NOLOOP"], ...pops(true, true), ...groupReads(true)],
  },
  {
    name: "default mode NOLOOP, to the client itself",
    protocols: [3],
    steps: [[0, "CLIENT TRACKING on NOLOOP"], ...pops(true, true), ...groupReads(true)],
  },
  // Without NOLOOP the pops announce themselves too: after their replies, as Redis 7.0 sends them.
  {
    name: "default mode, redirected",
    protocols: [2, 3],
    steps: [[0, "CLIENT TRACKING on REDIRECT {r}"], ...pops(true, true), ...groupReads(true)],
  },
  {
    name: "default mode, to the client itself",
    protocols: [3],
    steps: [[0, "CLIENT TRACKING on"], ...pops(true, true), ...groupReads(true)],
  },
];

/** Runs `steps` against the server at `port`; each recorded chunk of bytes, per connection. */
async function run(port: number, protocol: 2 | 3, steps: Step[]): Promise<string[]> {
  const clients = [new RawClient(port), new RawClient(port), new RawClient(port)] as const;
  const side = new RawClient(port);
  await Promise.all([...clients, side].map((client) => client.connected));
  const transcript: string[] = [];
  const marks = [0, 0, 0];
  const markersSent = [0, 0, 0];
  const markersIn = (text: string): number => text.split("marker\r\n").length - 1;
  let redirect = "";
  const write = async (which: Connection, commands: string[]): Promise<void> => {
    for (const command of commands) await clients[which].write(encodeCommand(command.replace("{r}", redirect).split(" ")));
    await clients[which].write(encodeCommand(["PING", "marker"]));
    markersSent[which] += 1;
  };
  /** Waits for every marker sent to `which` and records the bytes since its last record. */
  const record = async (which: Connection, label: string): Promise<void> => {
    const client = clients[which];
    await waitUntil(`connection ${which}'s replies to ${label}`, () => markersIn(client.text()) >= (markersSent[which] as number));
    const text = client.text();
    transcript.push(`${which}> ${label}\n${text.slice(marks[which])}`);
    marks[which] = text.length;
  };
  let infoAnswers = 0;
  /** Polls INFO clients on the side connection until connection 0 is blocked. */
  const waitBlocked = async (): Promise<void> => {
    for (let polls = 0; ; polls++) {
      await side.write(encodeCommand(["INFO", "clients"]));
      infoAnswers += 1;
      await waitUntil("INFO clients answers", () => side.replies().replies.length >= infoAnswers);
      const info = side.replies().replies[infoAnswers - 1];
      if (info?.type === "bulk" && /blocked_clients:1\r\n/.test(info.value)) return;
      assert.ok(polls < 1000, "connection 0 blocks");
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  try {
    if (protocol === 3) for (const which of [0, 1, 2] as const) await write(which, ["HELLO 3"]);
    await write(2, ["CLIENT ID"]);
    for (const which of [0, 1, 2] as const) await record(which, "setup");
    redirect = /:(\d+)\r\n\$6\r\nmarker\r\n$/.exec(transcript[2] ?? "")?.[1] ?? "";
    assert.notEqual(redirect, "", "connection 2's id");
    transcript.length = 0; // HELLO names the server and CLIENT ID differs: not compared
    await write(2, ["SUBSCRIBE __redis__:invalidate"]);
    await record(2, "SUBSCRIBE __redis__:invalidate");
    let blocked: string | null = null;
    for (const step of steps) {
      const [which, commands] = step;
      const list = typeof commands === "string" ? [commands] : commands;
      await write(which, list);
      if (step.length === 3) {
        blocked = list.join("; ");
        await waitBlocked();
        continue;
      }
      await record(which, list.join("; "));
      if (blocked !== null) {
        await record(0, `${blocked} (served)`);
        blocked = null;
      }
      await write(2, []);
      await record(2, `after ${list.join("; ")}`);
    }
  } finally {
    for (const client of [...clients, side]) client.destroy();
  }
  return transcript;
}

for (const { name, protocols, steps } of SCENARIOS) {
  for (const protocol of protocols) {
    test(`a tracking client's blocking pops, served at once or later, are announced as redis-server 7.0 announces them (${name}, RESP${protocol})`, async () => {
      const redis = await startRedis({ appendFsyncAlways: false });
      const node = await startTestNode();
      try {
        const theirs = await run(redis.port, protocol, steps);
        const ours = await run(node.respPort, protocol, steps);
        const differing = theirs.flatMap((expected, index) => (ours[index] === expected ? [] : [`walnut:\n${ours[index]}redis:\n${expected}`]));
        assert.deepEqual(differing, []);
        assert.equal(ours.length, theirs.length);
      } finally {
        await redis.stop();
        await node.stop();
      }
    });
  }
}
