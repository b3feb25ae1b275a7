/**
 * Client-side caching (CLIENT TRACKING) byte for byte against a real redis-server 7.0: the
 * same steps go to both servers over four connections, in RESP2 and after HELLO 3, and every
 * connection must receive the same bytes. Connection 0 tracks, 1 writes, 2 receives the
 * redirected invalidations (subscribed to __redis__:invalidate: RESP2 pub/sub messages, or
 * RESP3 pushes), 3 is a redirect target that goes away. Covered: every CLIENT TRACKING
 * error (options, REDIRECT to a missing client, PREFIX without BCAST, OPTIN with BCAST,
 * OPTIN with OPTOUT, switching modes, overlapping prefixes), CLIENT CACHING's errors and
 * its one-command reach, GETREDIR, TRACKINGINFO in every mode; invalidations of the
 * default mode (read keys remembered once, MGET/EXISTS/HGET keys, a write of the
 * tracking client's own answered before its invalidation, NOLOOP, OPTIN, OPTOUT), of
 * BCAST (prefixes, several keys of one write in one message, NOLOOP) and of FLUSHALL and
 * FLUSHDB (a null message), and a broken redirect.
 *
 * A step is one or more commands sent together, followed by a PING whose reply marks the
 * end of the step's bytes: no timing, and the same treatment for both servers. Client ids
 * differ between the servers, so `{r}` and `{g}` in a step stand for connection 2's and 3's
 * ids, and those ids read back as `<r>` and `<g>` in the transcripts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startRedis } from "../bench/resp_servers.js";
import { startTestNode } from "./harness.js";
import { RawClient, waitUntil } from "./server_fixtures.js";
import { encodeCommand } from "../resp/writer.js";
import { Redis } from "ioredis";

type Connection = 0 | 1 | 2 | 3;
type Step = [Connection, string | string[]];

const STEPS: Step[] = [
  [2, "SUBSCRIBE __redis__:invalidate"],
  // Errors, and the state of a client that does not track.
  [0, "CLIENT TRACKING"],
  [0, "CLIENT TRACKING maybe"],
  [0, "CLIENT TRACKING on FOO"],
  [0, "CLIENT TRACKING on REDIRECT"],
  [0, "CLIENT TRACKING on REDIRECT abc"],
  [0, "CLIENT TRACKING on REDIRECT 999999"],
  [0, "CLIENT TRACKING on REDIRECT {r} REDIRECT {r}"],
  [0, "CLIENT TRACKING on PREFIX a"],
  [0, "CLIENT TRACKING on BCAST OPTIN"],
  [0, "CLIENT TRACKING on BCAST OPTOUT"],
  [0, "CLIENT TRACKING on OPTIN OPTOUT"],
  [0, "CLIENT TRACKING on BCAST PREFIX a PREFIX ab"],
  [0, "CLIENT TRACKING off FOO"],
  [0, "CLIENT CACHING yes"],
  [0, "CLIENT CACHING"],
  [0, "CLIENT GETREDIR"],
  [0, "CLIENT GETREDIR x"],
  [0, "CLIENT TRACKINGINFO"],
  [0, "CLIENT TRACKINGINFO x"],
  [0, "CLIENT TRACKING off"],
  // Default mode, redirected to connection 2.
  [0, "CLIENT TRACKING on REDIRECT {r}"],
  [0, "CLIENT GETREDIR"],
  [0, "CLIENT TRACKINGINFO"],
  [0, "CLIENT CACHING yes"],
  [0, "CLIENT CACHING no"],
  [0, "CLIENT TRACKING on REDIRECT {r} BCAST"],
  [0, "GET a"],
  [0, "MGET b c"],
  [1, "SET a 1"],
  [1, "SET a 2"],
  [1, "MSET b 1 c 2 d 3"],
  [0, "HGET h f"],
  [1, "HSET h f v"],
  [0, "GET e"],
  [1, "DEL e"],
  [1, "SET e 1"],
  [0, "GET e"],
  [0, "SET e 2"],
  [0, "EXISTS a b"],
  [0, "STRLEN c"],
  [1, "DEL a c"],
  [1, "SET b x"],
  [0, "GET g"],
  [1, "FLUSHALL"],
  [1, "SET g 1"],
  [0, "GET g"],
  [0, "FLUSHDB"],
  // NOLOOP: the client's own writes are not announced to it.
  [0, "CLIENT TRACKING on REDIRECT {r} NOLOOP"],
  [0, "CLIENT TRACKINGINFO"],
  [0, "GET n"],
  [0, "SET n 1"],
  [1, "SET n 2"],
  [0, "GET n"],
  [1, "SET n 3"],
  // OPTIN: only the command after CLIENT CACHING YES.
  [0, "CLIENT TRACKING off"],
  [0, "CLIENT TRACKING on REDIRECT {r} OPTIN"],
  [0, "CLIENT TRACKING on REDIRECT {r} OPTOUT"],
  [0, "CLIENT CACHING no"],
  [0, "CLIENT CACHING maybe"],
  [0, "GET o1"],
  [1, "SET o1 1"],
  [0, ["CLIENT CACHING yes", "GET o2"]],
  [0, ["CLIENT CACHING yes", "CLIENT TRACKINGINFO"]],
  [0, "CLIENT TRACKINGINFO"],
  [0, ["CLIENT CACHING yes", "CLIENT GETNAME", "GET o3"]],
  [0, "GET o4"],
  [1, "MSET o1 2 o2 2 o3 2 o4 2"],
  // OPTOUT: every command but the one after CLIENT CACHING NO.
  [0, "CLIENT TRACKING off"],
  [0, "CLIENT TRACKING on REDIRECT {r} OPTOUT"],
  [0, "CLIENT CACHING yes"],
  [0, ["CLIENT CACHING no", "CLIENT TRACKINGINFO"]],
  [0, ["CLIENT CACHING no", "GET p1"]],
  [0, "GET p2"],
  [1, "MSET p1 1 p2 2"],
  // BCAST: every key under the prefixes, read or not.
  [0, "CLIENT TRACKING off"],
  [0, "CLIENT TRACKING on REDIRECT {r} BCAST PREFIX user: PREFIX obj:"],
  [0, "CLIENT TRACKINGINFO"],
  [0, "CLIENT TRACKING on REDIRECT {r} BCAST PREFIX us"],
  [0, "CLIENT TRACKING on REDIRECT {r} BCAST PREFIX users:x"],
  [0, "CLIENT TRACKING on REDIRECT {r} BCAST PREFIX z PREFIX zz"],
  [0, "CLIENT TRACKING on REDIRECT {r} BCAST PREFIX item:"],
  [0, "CLIENT TRACKINGINFO"],
  [0, "CLIENT TRACKING on REDIRECT {r}"],
  [0, "CLIENT CACHING yes"],
  [1, "SET user:1 a"],
  [1, "MSET user:3 b obj:1 c other d user:2 e"],
  [1, "DEL other user:1"],
  [0, "SET user:9 x"],
  [1, "FLUSHALL"],
  [0, "CLIENT TRACKING off"],
  [0, "CLIENT TRACKING on REDIRECT {r} BCAST NOLOOP"],
  [0, "CLIENT TRACKINGINFO"],
  [0, "SET own 1"],
  [1, "SET theirs 1"],
  [0, "MSET own 2 mine 3"],
  [1, "FLUSHDB"],
  // A redirect whose connection is gone.
  [0, "CLIENT TRACKING off"],
  [0, "CLIENT TRACKING on REDIRECT {g}"],
  [0, "GET gone"],
  [1, "CLIENT KILL ID {g}"],
  [1, "SET gone 1"],
  [0, "CLIENT TRACKINGINFO"],
  [0, "CLIENT GETREDIR"],
  [0, "CLIENT TRACKING off"],
  [0, "CLIENT TRACKINGINFO"],
  [0, "CLIENT GETREDIR"],
];

/** The same steps without a redirect: RESP3 clients get the pushes themselves (RESP2 ones get nothing). */
const OWN_STEPS: Step[] = [
  [0, "CLIENT TRACKING on"],
  [0, "CLIENT TRACKINGINFO"],
  [0, "GET a"],
  [0, "SET a 1"],
  [0, "GET a"],
  [1, "SET a 2"],
  [0, "MGET b c"],
  [1, "MSET b 1 c 1"],
  [0, "GET d"],
  [0, "FLUSHALL"],
  [1, "SET d 1"],
  [0, ["MULTI", "GET t1", "SET t2 1", "EXEC"]],
  [1, "MSET t1 1 t2 2"],
  [0, "EVAL return&redis.call('get',KEYS[1]) 1 s1"],
  [1, "SET s1 1"],
  [0, "EVAL_RO return&redis.call('get',KEYS[1]) 1 s2"],
  [1, "SET s2 1"],
  [0, "CLIENT TRACKING on NOLOOP"],
  [0, "GET e"],
  [0, "SET e 1"],
  [0, "GET e"],
  [1, "SET e 2"],
  // A script's write is the client's own too, also by EVALSHA (which walnut logs as EVAL).
  [0, "GET f"],
  [0, "SCRIPT LOAD return&redis.call('set',KEYS[1],'1')"],
  [0, "EVALSHA caeeee01384f6b04384c56d69c27aa65287fb306 1 f"],
  [0, "GET f"],
  [1, "SET f 2"],
  [0, "GET f"],
  [0, ["MULTI", "EVALSHA caeeee01384f6b04384c56d69c27aa65287fb306 1 f", "EXEC"]],
  [0, "GET f"],
  [1, "SET f 3"],
  [0, "MGET t3 t4"],
  [0, ["MULTI", "SET t3 1", "GET t4", "EXEC"]],
  [1, "SET t4 2"],
  [0, "CLIENT TRACKING off"],
  [0, "CLIENT TRACKING on BCAST PREFIX k"],
  [1, "MSET k2 1 k1 1 j 1"],
  [1, "SET k3 1"],
  [0, "CLIENT TRACKING off"],
  [0, "CLIENT TRACKING on BCAST NOLOOP"],
  [0, "SET mine 1"],
  [1, "SET yours 1"],
  [1, "FLUSHDB"],
];

/** Sends every step to the server at `port` and returns each step's bytes, per connection. */
async function run(port: number, protocol: 2 | 3, steps: Step[]): Promise<string[]> {
  const clients = [new RawClient(port), new RawClient(port), new RawClient(port), new RawClient(port)] as const;
  await Promise.all(clients.map((client) => client.connected));
  const transcript: string[] = [];
  const marks = [0, 0, 0, 0];
  const markersSent = [0, 0, 0, 0];
  const markersIn = (text: string): number => text.split("marker\r\n").length - 1;
  const ids: string[] = [];
  const send = async (which: Connection, commands: string[]): Promise<void> => {
    const client = clients[which];
    for (const command of commands) await client.write(encodeCommand(command.replaceAll("{r}", ids[2] ?? "").replaceAll("{g}", ids[3] ?? "").split(" ").map((word) => word.replaceAll("&", " "))));
    await client.write(encodeCommand(["PING", "marker"]));
    const expected = ++markersSent[which]!;
    await waitUntil(`the marker after ${commands.join("; ")}`, () => markersIn(client.text()) >= expected);
    const text = client.text();
    let bytes = text.slice(marks[which]);
    for (const [index, name] of [[2, "<r>"], [3, "<g>"]] as const) bytes = bytes.replace(new RegExp(`(^|\r\n):${ids[index]}\r\n`, "g"), `$1:${name}\r\n`);
    transcript.push(`${which}> ${commands.join("; ")}\n${bytes}`);
    marks[which] = text.length;
  };
  try {
    for (const which of [0, 1, 2, 3] as const) {
      if (protocol === 3) await send(which, ["HELLO 3"]);
      await send(which, ["CLIENT ID"]);
      ids[which] = /:(\d+)\r\n[^]*marker/.exec(transcript[transcript.length - 1] ?? "")?.[1] ?? "";
    }
    transcript.length = 0; // HELLO's reply names the server, CLIENT ID's differ: not compared
    for (const [which, commands] of steps) await send(which, typeof commands === "string" ? [commands] : commands);
    // Whatever the last steps sent the other connections.
    for (const which of [0, 2] as const) if (!clients[which].closed) await send(which, []);
  } finally {
    for (const client of clients) client.destroy();
  }
  return transcript;
}

for (const protocol of [2, 3] as const) {
  for (const [name, steps] of [["redirected to a subscriber", STEPS], ["to the client itself", OWN_STEPS]] as const) {
    test(`CLIENT TRACKING, its errors and its invalidations ${name} answer as redis-server 7.0 in RESP${protocol}`, async () => {
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

/**
 * What a tracking client blocked in XREAD and in BLPOP is told, with ioredis over RESP2 and
 * a redirect: each blocked command's reply, and the keys announced (sorted: they come on
 * another connection, so their order among the replies is not the point).
 */
async function blockedTranscript(port: number): Promise<string[]> {
  const connect = (): Redis => new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 0 });
  const [invalidations, reader, popper, writer] = [connect(), connect(), connect(), connect()];
  try {
    const redirect = String(await invalidations.client("ID"));
    const announced: string[] = [];
    invalidations.on("message", (_channel: string, message: unknown) => announced.push(String(message)));
    await invalidations.subscribe("__redis__:invalidate");
    await writer.xadd("s", "1-1", "f", "v");
    for (const client of [reader, popper]) await client.client("TRACKING", "ON", "REDIRECT", redirect);
    const blocked = [reader.call("XREAD", "BLOCK", "0", "STREAMS", "s", "$"), popper.call("BLPOP", "l", "0")];
    await waitUntil("both clients block", async () => /blocked_clients:2/.test(await writer.info("clients")));
    await writer.xadd("s", "2-1", "f", "w");
    await writer.rpush("l", "x");
    const replies = (await Promise.all(blocked)).map((reply) => JSON.stringify(reply));
    // Written again: a key the served command remembered would be announced a second time.
    await writer.xadd("s", "3-1", "f", "z");
    await writer.rpush("l", "y");
    // A marker read and written last: its announcement comes after any due before it.
    await reader.get("marker");
    await writer.set("marker", "1");
    await waitUntil("the marker's invalidation", () => announced.includes("marker"));
    return [...replies, ...announced.filter((key) => key !== "marker").sort()];
  } finally {
    for (const client of [invalidations, reader, popper, writer]) client.disconnect();
  }
}

test("a tracking client's blocked XREAD remembers its key when it blocks, once, and a blocked BLPOP (a write) nothing, as redis-server 7.0", async () => {
  const redis = await startRedis({ appendFsyncAlways: false });
  const node = await startTestNode();
  try {
    const theirs = await blockedTranscript(redis.port);
    assert.deepEqual(theirs, ['[["s",[["2-1",["f","w"]]]]]', '["l","x"]', "s"], "redis-server's own answer, as recorded");
    assert.deepEqual(await blockedTranscript(node.respPort), theirs);
  } finally {
    await redis.stop();
    await node.stop();
  }
});
