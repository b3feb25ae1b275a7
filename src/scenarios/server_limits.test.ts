/**
 * The RESP server's limits, each against a live node: --max-request-bytes refuses an
 * oversized request and closes the connection, --maxclients refuses the extra client,
 * --timeout closes an idle one, a client that pipelines large replies and never reads
 * them is held to bounded memory (the server stops reading from it, or disconnects it at
 * --output-buffer-limit) while other clients are served, CLIENT KILL and QUIT close.
 * HTTP bodies over --max-request-bytes get a 413. WALNUT_DEEP=1 also sends one command
 * whose arguments add up past the largest log entry (over 512 MiB).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { encodeCommand } from "../resp/writer.js";
import { startTestNode, type TestNode } from "./harness.js";
import { DEEP, RawClient, exchange, exchangeUntilClosed, waitUntil } from "./server_fixtures.js";
import type { ServersOptions } from "../server/servers.js";

/** Bytes the server may hold for one misbehaving client before we call it unbounded. */
const BOUNDED_MEMORY_BYTES = 200 * 1024 * 1024;
/** GETs a non-reading client may send at most: 4 TiB of replies, so a server that never stops reading fails. */
const GETS_MAX = 16 * 1024 * 1024;
/** How much the non-reading client queues on its side before it waits for the server. */
const UNSENT_REQUESTS_MAX_BYTES = 8 * 1024 * 1024;

async function withNode(servers: Partial<ServersOptions>, run: (node: TestNode) => Promise<void>): Promise<void> {
  const node = await startTestNode({ servers });
  try {
    await run(node);
  } finally {
    await node.stop();
  }
}

function redisClient(node: TestNode): Redis {
  return new Redis({ port: node.respPort, host: "127.0.0.1", maxRetriesPerRequest: 0, retryStrategy: () => null });
}

/** Memory the test process uses outside the code: heap plus Buffers. */
function memoryInUseBytes(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

test("a bulk string larger than --max-request-bytes is refused with an error and the connection closed", () =>
  withNode({ maxRequestBytes: 1024 }, async (node) => {
    const fits = await exchange(node.respPort, encodeCommand(["SET", "k", "x".repeat(1024)]), "+OK\r\n");
    assert.equal(fits.text(), "+OK\r\n");
    assert.equal(fits.closed, false);
    fits.destroy();
    const header = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1025\r\n";
    const refused = await exchangeUntilClosed(node.respPort, header + "y".repeat(1025) + "\r\n");
    assert.equal(refused.text(), "-ERR Protocol error: invalid bulk length\r\n");
    const redis = redisClient(node);
    try {
      assert.equal(await redis.get("k"), "x".repeat(1024), "the refused SET changed nothing");
    } finally {
      redis.disconnect();
    }
  }));

test(
  "a command whose arguments add up past the largest log entry is refused and the connection closed",
  { skip: DEEP ? false : "sends over 512 MiB; WALNUT_DEEP=1 runs it", timeout: 600_000 },
  () =>
    withNode({ maxRequestBytes: 1024 * 1024 }, async (node) => {
      const argument = Buffer.from(`$${1024 * 1024}\r\n${"a".repeat(1024 * 1024)}\r\n`, "latin1");
      const client = new RawClient(node.respPort);
      await client.connected;
      await client.write(`*${1024 * 1024}\r\n`);
      while (!client.closed && client.receivedBytes === 0) {
        if (client.socket.writableLength > UNSENT_REQUESTS_MAX_BYTES) await new Promise((resolve) => setTimeout(resolve, 5));
        else client.socket.write(argument);
      }
      await waitUntil("the server closes the connection", () => client.closed);
      assert.match(client.text(), /^-ERR Protocol error: request larger than \d+ bytes\r\n$/);
    }),
);

test("an HTTP body larger than --max-request-bytes gets a 413 and the connection is closed", () =>
  withNode({ maxRequestBytes: 1024 }, async (node) => {
    const body = JSON.stringify({ value: "x".repeat(64 * 1024) });
    const framings = [
      `Content-Length: ${body.length}\r\n\r\n${body}`,
      `Transfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`,
    ];
    for (const framing of framings) {
      const refused = await exchangeUntilClosed(node.httpPort, `PUT /key/k HTTP/1.1\r\nHost: walnut\r\n${framing}`);
      assert.match(refused.text(), /^HTTP\/1\.1 413 [^]*"detail":"Request body (of \d+ bytes )?exceeds 1024/, framing.slice(0, 30));
    }
    const redis = redisClient(node);
    try {
      assert.equal(await redis.exists("k"), 0, "the refused PUTs changed nothing");
    } finally {
      redis.disconnect();
    }
  }));

test("an inline request longer than 64 KiB is refused and the connection closed", () =>
  withNode({}, async (node) => {
    const refused = await exchangeUntilClosed(node.respPort, `SET k ${"z".repeat(70 * 1024)}`);
    assert.equal(refused.text(), "-ERR Protocol error: too big inline request\r\n");
    await waitUntil("the refused client is forgotten", () => node.servers.context.clients.size === 0);
  }));

test("--maxclients refuses the extra connection with Redis' error and accepts again once one leaves", () =>
  withNode({ maxClients: 2 }, async (node) => {
    const first = await exchange(node.respPort, "PING\r\n", "+PONG\r\n");
    const second = await exchange(node.respPort, "PING\r\n", "+PONG\r\n");
    const extra = await exchangeUntilClosed(node.respPort, "PING\r\n");
    assert.equal(extra.text(), "-ERR max number of clients reached\r\n");
    assert.equal(node.servers.context.stats.connectionsRejected, 1);
    first.destroy();
    await waitUntil("the first client is forgotten", () => node.servers.context.clients.size === 1);
    const again = await exchange(node.respPort, "PING\r\n", "+PONG\r\n");
    assert.equal(again.text(), "+PONG\r\n");
    second.destroy();
    again.destroy();
  }));

test("--timeout closes idle clients, silent ones and ones that were answered", () =>
  withNode({ idleTimeoutMs: 200 }, async (node) => {
    const silent = new RawClient(node.respPort);
    const answered = new RawClient(node.respPort);
    await Promise.all([silent.connected, answered.connected]);
    await answered.write("PING\r\n");
    await waitUntil("both idle clients are closed", () => silent.closed && answered.closed);
    assert.equal(silent.text(), "");
    assert.ok(answered.text() === "+PONG\r\n" || answered.text() === "", "a reply, if any, is whole");
    await waitUntil("the idle clients are forgotten", () => node.servers.context.clients.size === 0);
  }));

/**
 * Pipelines `GET big` on a client that never reads until `stop()` says so, writing a batch
 * whenever its socket has room, and returns how many GETs were sent.
 */
async function pipelineUnreadGets(client: RawClient, stop: () => boolean, maxGets: number): Promise<number> {
  const batch = Buffer.from("GET big\r\n".repeat(1024), "latin1");
  let sent = 0;
  while (!stop() && sent < maxGets) {
    if (client.socket.writableLength > UNSENT_REQUESTS_MAX_BYTES) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      continue;
    }
    client.socket.write(batch);
    sent += 1024;
    await new Promise((resolve) => setImmediate(resolve));
  }
  return sent;
}

test("a client that never reads its large replies is disconnected at the output buffer limit", () =>
  withNode({ outputBufferLimitBytes: 1024 * 1024 }, async (node) => {
    const redis = redisClient(node);
    try {
      await redis.set("big", "v".repeat(256 * 1024));
      const before = memoryInUseBytes();
      const hog = new RawClient(node.respPort, { read: false });
      await hog.connected;
      const sent = await pipelineUnreadGets(hog, () => hog.closed, GETS_MAX);
      await waitUntil("the server disconnects the client that does not read", () => hog.closed);
      assert.ok(sent < GETS_MAX, "the server closed the client before every GET was sent");
      assert.ok(memoryInUseBytes() - before < BOUNDED_MEMORY_BYTES, "the server's memory stayed bounded");
      assert.equal(await redis.ping(), "PONG");
      assert.equal((await redis.get("big"))?.length, 256 * 1024);
      await waitUntil("only the healthy client is left", () => node.servers.context.clients.size === 1);
    } finally {
      redis.disconnect();
    }
  }));

test("one reply larger than the output buffer limit disconnects the client instead of being built", () =>
  withNode({ outputBufferLimitBytes: 1024 * 1024 }, async (node) => {
    const redis = redisClient(node);
    try {
      await redis.set("big", "v".repeat(256 * 1024));
      const fits = await exchange(node.respPort, encodeCommand(["MGET", "big", "big"]), "*2\r\n");
      await fits.receivedAtLeast(2 * 256 * 1024);
      assert.equal(fits.replies().replies.length, 1, "an MGET under the limit is answered");
      fits.destroy();
      const tooBig = await exchangeUntilClosed(node.respPort, encodeCommand(["MGET", ...Array<string>(8).fill("big")]));
      assert.equal(tooBig.text(), "", "an MGET over the limit is not answered");
      assert.equal(await redis.ping(), "PONG");
    } finally {
      redis.disconnect();
    }
  }));

test("a client that never reads is paused, not buffered without bound, and others are still served", () =>
  withNode({}, async (node) => {
    const redis = redisClient(node);
    try {
      await redis.set("big", "v".repeat(256 * 1024));
      const before = memoryInUseBytes();
      const hog = new RawClient(node.respPort, { read: false });
      await hog.connected;
      // The server stops reading from the hog: its own unsent requests pile up here.
      const backlogBytes = 4 * 1024 * 1024;
      const sent = await pipelineUnreadGets(hog, () => hog.socket.writableLength >= backlogBytes, GETS_MAX);
      assert.ok(sent < GETS_MAX, "the server stopped reading before every GET was sent");
      assert.equal(hog.closed, false, "under the default limit the client stays connected");
      assert.ok(memoryInUseBytes() - before < BOUNDED_MEMORY_BYTES, "the server's memory stayed bounded");
      for (let round = 0; round < 20; round++) {
        assert.equal(await redis.set(`k${round}`, String(round)), "OK");
        assert.equal(await redis.get(`k${round}`), String(round));
      }
      hog.destroy();
      await waitUntil("only the healthy client is left", () => node.servers.context.clients.size === 1);
    } finally {
      redis.disconnect();
    }
  }));

test("CLIENT KILL closes another client, also one that is not reading its replies", () =>
  withNode({}, async (node) => {
    const redis = redisClient(node);
    try {
      assert.equal(await redis.ping(), "PONG");
      const victim = await exchange(node.respPort, "CLIENT ID\r\n", ":2\r\n");
      const victimId = /^:(\d+)\r\n$/.exec(victim.text())?.[1];
      assert.ok(victimId !== undefined, `CLIENT ID answered ${JSON.stringify(victim.text())}`);
      assert.equal(await redis.client("KILL", "ID", victimId), 1);
      await waitUntil("the killed client is closed", () => victim.closed);
      await redis.set("big", "v".repeat(256 * 1024));
      const hog = new RawClient(node.respPort, { read: false });
      await hog.connected;
      await pipelineUnreadGets(hog, () => hog.socket.writableLength >= 4 * 1024 * 1024, GETS_MAX);
      const hogEntry = [...node.servers.context.clients.values()].find((client) => client.lastCommand === "get"); // as CLIENT LIST names it
      assert.ok(hogEntry !== undefined, "the hog is registered");
      assert.equal(await redis.client("KILL", "ADDR", hogEntry.address), 1);
      await waitUntil("the killed hog is closed", () => hog.closed);
      await waitUntil("only the killer is left", () => node.servers.context.clients.size === 1);
      assert.equal(await redis.client("KILL", "ID", "999"), 0, "a filter that matches nobody kills nobody");
    } finally {
      redis.disconnect();
    }
  }));

test("QUIT answers OK and closes, ignoring what follows it", () =>
  withNode({}, async (node) => {
    const client = await exchangeUntilClosed(node.respPort, "PING\r\nQUIT\r\nPING\r\n");
    assert.equal(client.text(), "+PONG\r\n+OK\r\n");
  }));

test("QUIT after pipelined writes sends their replies first, then closes", () =>
  withNode({}, async (node) => {
    const client = await exchangeUntilClosed(node.respPort, "SET a 1\r\nINCR n\r\nGET a\r\nQUIT\r\nINCR n\r\n");
    assert.equal(client.text(), "+OK\r\n:1\r\n$1\r\n1\r\n+OK\r\n");
    const check = await exchange(node.respPort, "GET n\r\n", "$1\r\n1\r\n");
    assert.equal(check.text(), "$1\r\n1\r\n", "nothing after QUIT ran");
    check.destroy();
  }));

test("the server keeps serving after a client vanishes with writes in flight", () =>
  withNode({}, async (node) => {
    const writer = new RawClient(node.respPort);
    await writer.connected;
    const pipeline = Array.from({ length: 500 }, () => encodeCommand(["INCR", "counter"]));
    await writer.write(Buffer.concat(pipeline));
    writer.destroy();
    const redis = redisClient(node);
    try {
      await waitUntil("the vanished client is forgotten", () => node.servers.context.clients.size <= 1);
      const counter = Number(await redis.get("counter"));
      assert.ok(counter >= 0 && counter <= 500);
      assert.equal(await redis.incr("counter2"), 1);
    } finally {
      redis.disconnect();
    }
  }));
