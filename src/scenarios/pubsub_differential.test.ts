/**
 * Pub/sub over RESP, byte for byte against a real redis-server 7.0: the same steps go to
 * both servers over two connections (a subscriber and a publisher), in RESP2 and after
 * HELLO 3, and every connection must receive the same bytes. Covered: every PUBSUB
 * subcommand (and its errors), SUBSCRIBE/PSUBSCRIBE/SSUBSCRIBE and their UNSUBSCRIBEs
 * (with and without names, counts after each), messages, pattern messages and shard
 * messages with PUBLISH's receiver counts, RESP2 subscriber mode (the refusal of other
 * commands, PING's ["pong", message], RESET leaving it), and RESP3's pushes among replies.
 *
 * Each step is followed by a PING on the same connection, whose reply marks the end of
 * that step's bytes: no timing, and the same treatment for both servers.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startRedis } from "../bench/resp_servers.js";
import { startTestNode } from "./harness.js";
import { RawClient, waitUntil } from "./server_fixtures.js";
import { encodeCommand } from "../resp/writer.js";

/** [connection, command]: connection 0 subscribes, 1 publishes and looks. */
type Step = [0 | 1, string];

const STEPS: Step[] = [
  [1, "PUBSUB HELP"],
  [1, "PUBSUB"],
  [1, "PUBSUB FOO"],
  [1, "PUBSUB HELP x"],
  [1, "PUBSUB NUMPAT x"],
  [1, "PUBSUB CHANNELS a b"],
  [1, "PUBSUB SHARDCHANNELS a b"],
  [1, "PUBSUB NUMSUB"],
  [1, "PUBSUB NUMSUB a b"],
  [1, "PUBSUB SHARDNUMSUB a"],
  [1, "PUBSUB CHANNELS"],
  [1, "PUBSUB NUMPAT"],
  [1, "PUBLISH a nobody"],
  [1, "PUBLISH a"],
  [0, "SUBSCRIBE"],
  [0, "SUBSCRIBE news"],
  [0, "SUBSCRIBE news sport"],
  [0, "GET x"],
  [0, "PUBSUB NUMSUB news"],
  [0, "ECHO hi"],
  [0, "PING hello"],
  [0, "PING a b"],
  [0, "NOSUCHCOMMAND"],
  [1, "PUBSUB NUMSUB news sport weather"],
  [1, "PUBSUB CHANNELS news"],
  [1, "PUBSUB CHANNELS w*"],
  [1, "PUBLISH news headline"],
  [0, "PSUBSCRIBE n*s w?ather"],
  [1, "PUBSUB NUMPAT"],
  [1, "PUBLISH news second"],
  [1, "PUBLISH weather rain"],
  [1, "PUBLISH nothing x"],
  [0, "PUBLISH sport own"],
  [0, "SET k v"],
  [0, "SSUBSCRIBE shard1"],
  [1, "PUBSUB SHARDCHANNELS"],
  [1, "PUBSUB SHARDNUMSUB shard1 shard2"],
  [1, "SPUBLISH shard1 piece"],
  [1, "PUBLISH shard1 notshard"],
  [0, "SUNSUBSCRIBE shard1"],
  [0, "SUNSUBSCRIBE"],
  [0, "UNSUBSCRIBE news"],
  [0, "UNSUBSCRIBE nothere"],
  [0, "PUNSUBSCRIBE w?ather"],
  [1, "PUBLISH news third"],
  [0, "PUNSUBSCRIBE"],
  [0, "UNSUBSCRIBE"],
  [0, "UNSUBSCRIBE"],
  [0, "GET x"],
  [0, "SUBSCRIBE again"],
  [0, "RESET"],
  [0, "GET x"],
  [1, "PUBSUB NUMSUB again"],
];

/** Sends every step to the server at `port` and returns each step's bytes, per connection. */
async function run(port: number, protocol: 2 | 3): Promise<string[]> {
  const clients = [new RawClient(port), new RawClient(port)] as const;
  await Promise.all(clients.map((client) => client.connected));
  const transcript: string[] = [];
  const marks = [0, 0];
  const markersSent = [0, 0];
  const markersIn = (text: string): number => text.split("marker\r\n").length - 1;
  const send = async (which: 0 | 1, command: string): Promise<void> => {
    const client = clients[which];
    await client.write(encodeCommand(command.split(" ")));
    await client.write(encodeCommand(["PING", "marker"]));
    const expected = ++markersSent[which]!;
    await waitUntil(`the marker after ${command}`, () => markersIn(client.text()) >= expected);
    const text = client.text();
    transcript.push(`${which}> ${command}\n${text.slice(marks[which])}`);
    marks[which] = text.length;
  };
  try {
    if (protocol === 3) for (const which of [0, 1] as const) await send(which, "HELLO 3");
    transcript.length = 0; // HELLO's reply names the server: not compared
    for (const [which, command] of STEPS) await send(which, command);
  } finally {
    for (const client of clients) client.destroy();
  }
  return transcript;
}

for (const protocol of [2, 3] as const) {
  test(`pub/sub commands, messages and subscriber mode answer as redis-server 7.0 in RESP${protocol}`, async () => {
    const redis = await startRedis({ appendFsyncAlways: false });
    const node = await startTestNode();
    try {
      const theirs = await run(redis.port, protocol);
      const ours = await run(node.respPort, protocol);
      for (let index = 0; index < theirs.length; index++) assert.equal(ours[index], theirs[index]);
    } finally {
      await redis.stop();
      await node.stop();
    }
  });
}
