/**
 * WALNUT.WATCH over RESP (server/resp/watch_command.ts, docs/watch.md), byte for byte:
 * RESP3 push frames while the connection runs other commands, RESP2's watch mode, FROM,
 * progress, UNWATCH's resume index, and the compacted answer.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { encodeCommand } from "../resp/writer.js";
import { RawClient, waitUntil } from "./server_fixtures.js";
import { startTestNode, type TestNode } from "./harness.js";

let walnut: TestNode;

before(async () => {
  walnut = await startTestNode({ db: { fsync: "no", watchHistory: 50 } });
});

after(async () => {
  await walnut?.stop();
});

const bulk = (text: string): string => `$${Buffer.byteLength(text, "latin1")}\r\n${text}\r\n`;
const frame = (kind: ">" | "*", ...items: string[]): string => `${kind}${items.length}\r\n${items.join("")}`;

async function connect(): Promise<RawClient> {
  const client = new RawClient(walnut.respPort);
  await client.connected;
  return client;
}

/** Sends `argv` (null: nothing, look at everything received) and waits until what arrives after it includes `expected`. */
async function expectAfter(client: RawClient, argv: string[] | null, expected: string): Promise<void> {
  const before = argv === null ? 0 : client.text().length;
  if (argv !== null) await client.write(encodeCommand(argv));
  await waitUntil(`${JSON.stringify(expected)} after ${argv?.join(" ") ?? "waiting"}`, () => client.text().slice(before).includes(expected), 10_000);
}

async function write(...argv: string[]): Promise<number> {
  await walnut.db.command(...argv);
  return walnut.db.node.read((engine) => engine.appliedIndex);
}

test("RESP3: WALNUT.WATCH answers, then pushes every change from FROM in order, a progress, and live changes, while other commands run", async () => {
  const first = await write("SET", "a/1", "x");
  await write("SET", "b/1", "skip");
  const second = await write("DEL", "a/1");
  const client = await connect();
  try {
    await client.write(encodeCommand(["HELLO", "3"]));
    await expectAfter(client, ["WALNUT.WATCH", "PREFIX", "a/", "FROM", String(first), "PROGRESS", "0"], frame("*", bulk("watch"), `:${first}\r\n`));
    const expected =
      frame(">", bulk("watch"), bulk("put"), `:${first}\r\n`, bulk("default"), bulk("a/1"), bulk("x")) +
      frame(">", bulk("watch"), bulk("delete"), `:${second}\r\n`, bulk("default"), bulk("a/1")) +
      frame(">", bulk("watch"), bulk("progress"), `:${second}\r\n`);
    await waitUntil("the backlog and a progress", () => client.text().includes(expected));
    await expectAfter(client, ["PING"], "+PONG\r\n");
    const third = await write("RPUSH", "a/list", "e");
    await expectAfter(client, null, frame(">", bulk("watch"), bulk("put"), `:${third}\r\n`, bulk("default"), bulk("a/list"), "_\r\n"));
    await expectAfter(client, ["WALNUT.WATCH", "KEY", "k"], "-ERR this connection already watches: WALNUT.UNWATCH first\r\n");
    await expectAfter(client, ["WALNUT.UNWATCH"], frame("*", bulk("unwatch"), `:${third + 1}\r\n`));
    const quiet = client.text().length;
    await write("SET", "a/after", "v");
    await expectAfter(client, ["PING"], "+PONG\r\n");
    assert.ok(!client.text().slice(quiet).includes("a/after"), "no push after UNWATCH");
  } finally {
    client.destroy();
  }
});

test("RESP2: events are plain arrays and only UNWATCH, PING, QUIT and RESET run while watching", async () => {
  const client = await connect();
  try {
    const from = walnut.db.node.read((engine) => engine.appliedIndex) + 1;
    await expectAfter(client, ["WALNUT.WATCH", "KEY", "k2", "DB", "3"], frame("*", bulk("watch"), `:${from}\r\n`));
    await expectAfter(client, ["GET", "k2"], "-ERR Can't execute 'get': only WALNUT.UNWATCH / PING / QUIT / RESET are allowed while a RESP2 connection watches\r\n");
    await walnut.db.collection("default").command("SET", "k2", "not db 3");
    const index = await (async () => {
      const other = await connect();
      try {
        await expectAfter(other, ["SELECT", "3"], "+OK\r\n");
        await expectAfter(other, ["SET", "k2", "v3"], "+OK\r\n");
      } finally {
        other.destroy();
      }
      return walnut.db.node.read((engine) => engine.appliedIndex);
    })();
    await expectAfter(client, null, frame("*", bulk("watch"), bulk("put"), `:${index}\r\n`, bulk("db3"), bulk("k2"), bulk("v3")));
    assert.ok(!client.text().includes("not db 3"), "DB 3 only");
    await expectAfter(client, ["WALNUT.UNWATCH"], frame("*", bulk("unwatch"), `:${index + 1}\r\n`));
    await expectAfter(client, ["GET", "k2"], bulk("not db 3"));
  } finally {
    client.destroy();
  }
});

test("FROM older than the window: the reply, then a compacted push with the oldest index, and the watch is over", async () => {
  for (let i = 0; i < 60; i++) await write("SET", "churn", String(i));
  const oldest = walnut.db.node.read((engine) => engine.history.oldestIndex);
  assert.ok(oldest > 1);
  const client = await connect();
  try {
    await expectAfter(client, ["WALNUT.WATCH", "PREFIX", "", "FROM", "1"], frame("*", bulk("watch"), ":1\r\n"));
    await expectAfter(client, null, frame("*", bulk("watch"), bulk("compacted"), `:${oldest}\r\n`));
    await expectAfter(client, ["GET", "churn"], bulk("59"));
    await expectAfter(client, ["WALNUT.WATCH", "PREFIX"], "-ERR wrong number of arguments for 'walnut.watch' command\r\n");
    await expectAfter(client, ["WALNUT.WATCH", "KEY", "k", "FROM", "0"], "-ERR FROM must be a log index >= 1\r\n");
  } finally {
    client.destroy();
  }
});
