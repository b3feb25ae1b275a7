/**
 * XREADGROUP ... BLOCK (and CLIENT UNBLOCK, XREAD BLOCK's too), byte for byte against
 * redis-server 7.0: the same scripted conversations of several connections go to a real
 * redis-server and to a walnut node, and every reply each connection receives, in order,
 * must be the same bytes, with the keyspace events a subscriber received along the way.
 *
 * A script never guesses at timing: before another connection acts on a blocked client it
 * waits until INFO says the client blocks (blocked_clients). Timeouts are short and only
 * their reply is compared.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startRedis } from "../bench/resp_servers.js";
import { encodeCommand } from "../resp/writer.js";
import { startTestNode } from "./harness.js";
import { RawClient, waitUntil } from "./server_fixtures.js";

/** One connection of a script, with at most one command in flight. */
class Peer {
  answered = 0;
  pendingFrom = 0;
  pending = "";

  constructor(readonly raw: RawClient) {}
}

/** Drives the connections of one script against one server and writes down what they receive. */
class Driver {
  readonly transcript: string[] = [];
  private readonly peers = new Map<string, Peer>();
  /** Client ids by the name written down instead (ids differ between servers). */
  private readonly ids = new Map<string, string>();

  constructor(private readonly port: number) {}

  private async peer(name: string): Promise<Peer> {
    let peer = this.peers.get(name);
    if (peer === undefined) {
      peer = new Peer(new RawClient(this.port));
      this.peers.set(name, peer);
      await peer.raw.connected;
    }
    return peer;
  }

  /** Sends a command and does not wait for its reply (a client about to block). */
  async start(name: string, ...argv: string[]): Promise<void> {
    const peer = await this.peer(name);
    assert.equal(peer.pending, "", `${name} has a command in flight already`);
    peer.pendingFrom = peer.raw.text().length;
    peer.pending = argv.map((arg) => this.ids.get(arg) ?? arg).join(" ");
    await peer.raw.write(encodeCommand(argv));
  }

  /** Waits for the reply to the command in flight on `name`, writes it down and returns it. */
  async reply(name: string, record = true): Promise<string> {
    const peer = await this.peer(name);
    await waitUntil(`a reply to ${name}'s ${peer.pending}`, () => peer.raw.replies().replies.length > peer.answered);
    peer.answered += 1;
    const text = peer.raw.text().slice(peer.pendingFrom);
    // XINFO CONSUMERS' idle times depend on each server's clock: compared by shape.
    if (record) this.transcript.push(`${name}: ${peer.pending} => ${JSON.stringify(text.replace(/(idle\r\n):\d+/g, "$1:<ms>"))}`);
    peer.pending = "";
    return text;
  }

  async call(name: string, ...argv: string[]): Promise<string> {
    await this.start(name, ...argv);
    return this.reply(name);
  }

  /** The same, not written down (an answer that differs between servers, such as a client id). */
  async quietly(name: string, ...argv: string[]): Promise<string> {
    await this.start(name, ...argv);
    return this.reply(name, false);
  }

  /** Waits until INFO counts `count` blocked clients (asked on a connection of its own). */
  async blocked(count: number): Promise<void> {
    await waitUntil(`${count} clients block`, async () => (await this.quietly("info", "INFO", "clients")).includes(`blocked_clients:${count}\r\n`));
  }

  async clientId(name: string): Promise<string> {
    const reply = await this.quietly(name, "CLIENT", "ID");
    const id = /^:(\d+)/.exec(reply)![1]!;
    this.ids.set(id, `<id of ${name}>`);
    return id;
  }

  /** Once `name` has received `marker`, writes down everything it received (the subscriber's messages). */
  async everythingUntil(name: string, marker: string): Promise<void> {
    const peer = await this.peer(name);
    await waitUntil(`${name} receives ${marker}`, () => peer.raw.text().includes(marker));
    this.transcript.push(`${name} received: ${JSON.stringify(peer.raw.text())}`);
  }

  close(): void {
    for (const peer of this.peers.values()) peer.raw.destroy();
  }
}

type Script = (d: Driver) => Promise<void>;

/** Subscribes "events" to every keyevent of db 0; a marker PUBLISH later shows every earlier event arrived. */
async function subscribeEvents(d: Driver): Promise<void> {
  await d.quietly("writer", "CONFIG", "SET", "notify-keyspace-events", "KEA");
  await d.start("events", "PSUBSCRIBE", "__keyevent@0__:*");
  await d.reply("events", false);
}

async function eventsSoFar(d: Driver): Promise<void> {
  await d.quietly("writer", "PUBLISH", "__keyevent@0__:marker", "done");
  await d.everythingUntil("events", "marker");
}

const SCRIPTS: Record<string, Script> = {
  "a timeout answers a null array and creates no consumer; history and bad arguments answer at once": async (d) => {
    await d.call("writer", "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM");
    await d.call("reader", "XREADGROUP", "GROUP", "g", "c", "BLOCK", "30", "STREAMS", "s", ">");
    await d.quietly("reader", "HELLO", "3");
    await d.call("reader", "XREADGROUP", "GROUP", "g", "c", "BLOCK", "30", "STREAMS", "s", ">");
    await d.quietly("reader", "HELLO", "2");
    await d.call("writer", "XINFO", "GROUPS", "s");
    await d.call("reader", "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", "0");
    await d.call("reader", "XREADGROUP", "GROUP", "g", "c2", "BLOCK", "0", "STREAMS", "s", "s", ">", "0");
    await d.call("reader", "XREADGROUP", "GROUP", "g", "c", "BLOCK", "-1", "STREAMS", "s", ">");
    await d.call("reader", "XREADGROUP", "GROUP", "g", "c", "BLOCK", "x", "STREAMS", "s", ">");
    await d.call("reader", "XREADGROUP", "GROUP", "nogroup", "c", "BLOCK", "0", "STREAMS", "s", ">");
    await d.call("reader", "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "nokey", ">");
    await d.call("reader", "MULTI");
    await d.call("reader", "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">");
    await d.call("reader", "EXEC");
    await d.call("writer", "XINFO", "CONSUMERS", "s", "g");
  },

  "an XADD from another connection wakes the reader, which gets the entry into its PEL": async (d) => {
    await subscribeEvents(d);
    await d.call("writer", "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM");
    await d.start("reader", "XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">");
    await d.blocked(1);
    await d.call("writer", "XADD", "s", "1-0", "f", "v");
    await d.reply("reader");
    await d.blocked(0);
    await d.call("writer", "XPENDING", "s", "g");
    await d.call("writer", "XINFO", "GROUPS", "s");
    await eventsSoFar(d);
  },

  "COUNT and NOACK hold for the entries that wake the reader": async (d) => {
    await d.call("writer", "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM");
    await d.start("reader", "XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "NOACK", "BLOCK", "0", "STREAMS", "s", ">");
    await d.blocked(1);
    await d.call("writer", "MULTI");
    await d.call("writer", "XADD", "s", "1-0", "a", "1");
    await d.call("writer", "XADD", "s", "2-0", "b", "2");
    await d.call("writer", "EXEC");
    await d.reply("reader");
    await d.call("writer", "XPENDING", "s", "g");
    await d.call("reader", "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">");
  },

  "a reader on several streams gets the one written": async (d) => {
    await d.call("writer", "XGROUP", "CREATE", "s1", "g", "$", "MKSTREAM");
    await d.call("writer", "XGROUP", "CREATE", "s2", "g", "$", "MKSTREAM");
    await d.start("reader", "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s1", "s2", ">", ">");
    await d.blocked(1);
    await d.call("writer", "XADD", "s2", "5-0", "f", "v");
    await d.reply("reader");
    await d.call("writer", "XINFO", "GROUPS", "s1");
  },

  "consumers of one group share an entry, first come first served; another group gets it too": async (d) => {
    await d.call("writer", "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM");
    await d.call("writer", "XGROUP", "CREATE", "s", "other", "$");
    await d.start("first", "XREADGROUP", "GROUP", "g", "c1", "BLOCK", "0", "STREAMS", "s", ">");
    await d.blocked(1);
    await d.start("second", "XREADGROUP", "GROUP", "g", "c2", "BLOCK", "0", "STREAMS", "s", ">");
    await d.blocked(2);
    await d.start("third", "XREADGROUP", "GROUP", "other", "c3", "BLOCK", "0", "STREAMS", "s", ">");
    await d.blocked(3);
    await d.call("writer", "XADD", "s", "1-0", "f", "1");
    await d.reply("first");
    await d.reply("third");
    await d.blocked(1);
    await d.call("writer", "XADD", "s", "2-0", "f", "2");
    await d.reply("second");
    await d.call("writer", "XPENDING", "s", "g");
    await d.call("writer", "XPENDING", "s", "other");
  },

  "the group destroyed, the key deleted, overwritten, renamed or flushed end the wait with Redis' errors": async (d) => {
    const block = async (): Promise<void> => {
      await d.call("writer", "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM");
      await d.start("reader", "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">");
      await d.blocked(1);
    };
    await block();
    await d.call("writer", "XGROUP", "DESTROY", "s", "g");
    await d.reply("reader");
    await d.call("writer", "DEL", "s");
    await block();
    await d.call("writer", "DEL", "s");
    await d.reply("reader");
    await block();
    await d.call("writer", "SET", "s", "x");
    await d.reply("reader");
    await d.call("writer", "DEL", "s");
    await block();
    await d.call("writer", "RENAME", "s", "elsewhere");
    await d.reply("reader");
    await block();
    await d.call("writer", "FLUSHALL");
    await d.reply("reader");
    // A write that leaves the group in place keeps the reader waiting.
    await block();
    await d.call("writer", "XGROUP", "CREATE", "s", "other", "$");
    await d.call("writer", "XGROUP", "SETID", "s", "other", "0");
    await d.call("writer", "XADD", "s", "1-0", "f", "v");
    await d.reply("reader");
  },

  "CLIENT UNBLOCK answers a blocked XREADGROUP or XREAD as a timeout or with UNBLOCKED": async (d) => {
    await d.call("writer", "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM");
    const reader = await d.clientId("reader");
    const writer = await d.clientId("writer");
    await d.start("reader", "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">");
    await d.blocked(1);
    await d.call("writer", "CLIENT", "UNBLOCK", reader, "ERROR");
    await d.reply("reader");
    await d.start("reader", "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">");
    await d.blocked(1);
    await d.call("writer", "CLIENT", "UNBLOCK", reader, "TIMEOUT");
    await d.reply("reader");
    await d.start("reader", "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">");
    await d.blocked(1);
    await d.call("writer", "CLIENT", "UNBLOCK", reader);
    await d.reply("reader");
    await d.start("reader", "XREAD", "BLOCK", "0", "STREAMS", "s", "$");
    await d.blocked(1);
    await d.call("writer", "CLIENT", "UNBLOCK", reader, "error");
    await d.reply("reader");
    await d.start("reader", "BLPOP", "list", "0");
    await d.blocked(1);
    await d.call("writer", "CLIENT", "UNBLOCK", reader, "ERROR");
    await d.reply("reader");
    await d.call("writer", "CLIENT", "UNBLOCK", reader);
    await d.call("writer", "CLIENT", "UNBLOCK", writer);
    await d.call("writer", "CLIENT", "UNBLOCK", "99999");
    await d.call("writer", "CLIENT", "UNBLOCK", "x");
    await d.call("writer", "CLIENT", "UNBLOCK", reader, "FOO");
    await d.call("writer", "CLIENT", "UNBLOCK", reader, "TIMEOUT", "extra");
    await d.call("writer", "CLIENT", "UNBLOCK");
    await d.call("writer", "XINFO", "CONSUMERS", "s", "g");
  },
};

async function transcript(port: number, script: Script): Promise<string[]> {
  const driver = new Driver(port);
  try {
    await driver.quietly("writer", "FLUSHALL");
    await script(driver);
    return driver.transcript;
  } finally {
    driver.close();
  }
}

test("XREADGROUP BLOCK, its wake-ups and ends, and CLIENT UNBLOCK answer as redis-server 7.0 does, connection by connection", async (t) => {
  const redis = await startRedis({ appendFsyncAlways: false });
  const node = await startTestNode();
  try {
    for (const [name, script] of Object.entries(SCRIPTS)) {
      await t.test(name, async () => {
        const theirs = await transcript(redis.port, script);
        const ours = await transcript(node.respPort, script);
        assert.equal(ours.join("\n"), theirs.join("\n"));
      });
    }
  } finally {
    await node.stop();
    await redis.stop();
  }
});
