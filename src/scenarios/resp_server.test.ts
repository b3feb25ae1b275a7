/**
 * The RESP server with a real client library (ioredis): commands, pipelining, errors,
 * transactions with WATCH races, authentication, RESP3, collections, and bad input that
 * closes only the offending connection.
 */
import { connect } from "node:net";
import { test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { startTestNode, type TestNode } from "./harness.js";

async function withServer(run: (node: TestNode, client: Redis) => Promise<void>, requirePass: string | null = null): Promise<void> {
  const node = await startTestNode({ servers: { requirePass } });
  const client = new Redis({ port: node.respPort, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0, ...(requirePass ? { password: requirePass } : {}) });
  await client.connect();
  try {
    await run(node, client);
  } finally {
    client.disconnect();
    await node.stop();
  }
}

/** Sends raw bytes and collects what the server answers until it closes or goes quiet. */
function rawExchange(port: number, bytes: string | Buffer, quietMs = 200): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let text = "";
    let closed = false;
    let timer: NodeJS.Timeout;
    const finish = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, closed });
    };
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(finish, quietMs);
    };
    socket.on("data", (chunk) => {
      text += chunk.toString("latin1");
      arm();
    });
    socket.on("close", () => {
      closed = true;
      finish();
    });
    socket.on("error", () => undefined);
    socket.on("connect", () => {
      socket.write(bytes);
      arm();
    });
  });
}

test("strings, integers and keys work through ioredis", () =>
  withServer(async (_node, redis) => {
    assert.equal(await redis.set("k", "v"), "OK");
    assert.equal(await redis.get("k"), "v");
    assert.equal(await redis.incr("n"), 1);
    assert.equal(await redis.incrby("n", 10), 11);
    assert.equal(await redis.exists("k", "n", "missing"), 2);
    assert.equal(await redis.del("k"), 1);
    assert.equal(await redis.get("k"), null);
    assert.equal(await redis.set("t", "x", "EX", 100), "OK");
    const ttl = await redis.ttl("t");
    assert.ok(ttl > 90 && ttl <= 100);
    assert.deepEqual(await redis.mget("n", "t", "none"), ["11", "x", null]);
    assert.equal(await redis.dbsize(), 2);
  }));

test("a pipeline answers in order and reads see the pipeline's own writes", () =>
  withServer(async (_node, redis) => {
    const pipeline = redis.pipeline();
    for (let i = 0; i < 200; i++) pipeline.set(`p${i}`, String(i)).get(`p${i}`).incr("count");
    const results = await pipeline.exec();
    assert.ok(results !== null);
    for (let i = 0; i < 200; i++) {
      assert.deepEqual(results[i * 3], [null, "OK"]);
      assert.deepEqual(results[i * 3 + 1], [null, String(i)]);
      assert.deepEqual(results[i * 3 + 2], [null, i + 1]);
    }
  }));

test("errors use Redis wording", () =>
  withServer(async (_node, redis) => {
    await assert.rejects(redis.call("NOSUCHCOMMAND", "a"), /ERR unknown command 'NOSUCHCOMMAND'/);
    await assert.rejects(redis.call("GET"), /ERR wrong number of arguments for 'get' command/);
    await redis.rpush("list", "a");
    await assert.rejects(redis.get("list"), /WRONGTYPE/);
    await redis.set("s", "abc");
    await assert.rejects(redis.incr("s"), /ERR value is not an integer or out of range/);
  }));

test("MULTI/EXEC applies atomically and WATCH aborts on a concurrent change", () =>
  withServer(async (node, redis) => {
    const results = await redis.multi().set("a", "1").incr("b").exec();
    assert.deepEqual(results, [[null, "OK"], [null, 1]]);
    const other = new Redis({ port: node.respPort, host: "127.0.0.1" });
    try {
      await redis.watch("a");
      await other.set("a", "changed");
      const aborted = await redis.multi().set("a", "mine").exec();
      assert.equal(aborted, null, "EXEC answers nil when a watched key changed");
      assert.equal(await redis.get("a"), "changed");
      await redis.watch("a");
      const applied = await redis.multi().set("a", "mine").exec();
      assert.deepEqual(applied, [[null, "OK"]]);
    } finally {
      other.disconnect();
    }
  }));

test("EXEC after a queuing error discards the transaction", async () => {
  const node = await startTestNode();
  try {
    const reply = await rawExchange(node.respPort, "MULTI\r\nSET a 1\r\nNOSUCH\r\nEXEC\r\nGET a\r\n");
    assert.match(reply.text, /^\+OK\r\n\+QUEUED\r\n-ERR unknown command 'NOSUCH'.*\r\n-EXECABORT Transaction discarded because of previous errors\.\r\n\$-1\r\n$/s);
  } finally {
    await node.stop();
  }
});

test("EXECABORT names the failing command by its place among everything queued, connection commands included", async () => {
  const node = await startTestNode();
  try {
    const reply = await rawExchange(node.respPort, "MULTI\r\nPING\r\nSET s abc\r\nSELECT 0\r\nINCR s\r\nEXEC\r\nGET s\r\n");
    assert.match(reply.text, /-EXECABORT Transaction discarded: command 4 \(INCR\) failed: ERR value is not an integer or out of range\r\n\$-1\r\n$/);
  } finally {
    await node.stop();
  }
});

test("AUTH is required when a password is set", async () => {
  const node = await startTestNode({ servers: { requirePass: "s3cret" } });
  try {
    const denied = await rawExchange(node.respPort, "GET a\r\nAUTH wrong\r\nAUTH s3cret\r\nSET a 1\r\nGET a\r\n");
    assert.equal(
      denied.text,
      "-NOAUTH Authentication required.\r\n-WRONGPASS invalid username-password pair or user is disabled.\r\n+OK\r\n+OK\r\n$1\r\n1\r\n",
    );
  } finally {
    await node.stop();
  }
});

test("HELLO 3 switches to RESP3 replies", async () => {
  const node = await startTestNode();
  try {
    const reply = await rawExchange(node.respPort, "HELLO 3\r\nGET missing\r\nSET f 1.5\r\nINCRBYFLOAT f 1\r\n");
    assert.match(reply.text, /^%7\r\n/);
    assert.match(reply.text, /_\r\n\+OK\r\n\$3\r\n2\.5\r\n$/);
  } finally {
    await node.stop();
  }
});

test("a protocol error closes only that connection", () =>
  withServer(async (node, redis) => {
    const bad = await rawExchange(node.respPort, "*1\r\n$-5\r\n");
    assert.equal(bad.text, "-ERR Protocol error: invalid bulk length\r\n");
    assert.equal(bad.closed, true);
    const huge = await rawExchange(node.respPort, "*1\r\n$999999999999\r\n");
    assert.match(huge.text, /^-ERR Protocol error: invalid bulk length/);
    assert.equal(await redis.ping(), "PONG");
  }));

test("collections: create, use, range", () =>
  withServer(async (_node, redis) => {
    assert.equal(await redis.call("COLLECTION", "CREATE", "users", "ordered"), "OK");
    assert.equal(await redis.call("USE", "users"), "OK");
    await redis.set("u:b", "2");
    await redis.set("u:a", "1");
    await redis.set("u:c", "3");
    assert.deepEqual(await redis.call("RANGE", "u:a", "u:b"), ["u:a", "1", "u:b", "2"]);
    assert.equal(await redis.call("USE", "default"), "OK");
    assert.equal(await redis.get("u:a"), null);
    await assert.rejects(redis.call("USE", "nope"), /no such collection/);
  }));

test("INFO, COMMAND COUNT, CONFIG GET, CLIENT and SAVE answer", () =>
  withServer(async (_node, redis) => {
    const info = (await redis.info()) as string;
    assert.match(info, /# Server/);
    assert.match(info, /connected_clients:1/);
    assert.ok(Number(await redis.call("COMMAND", "COUNT")) > 50);
    assert.deepEqual(await redis.config("GET", "appendonly"), ["appendonly", "yes"]);
    assert.equal(await redis.client("SETNAME", "tester"), "OK");
    assert.equal(await redis.client("GETNAME"), "tester");
    assert.equal(await redis.call("SAVE"), "OK");
    assert.ok(Number(await redis.call("LASTSAVE")) > 0);
  }));

test("a read in a pipeline sees the writes before it and none after it", async () => {
  const node = await startTestNode();
  try {
    const overwrite = await rawExchange(node.respPort, "SET k v1\r\nGET k\r\nSET k v2\r\nGET k\r\n");
    assert.equal(overwrite.text, "+OK\r\n$2\r\nv1\r\n+OK\r\n$2\r\nv2\r\n");
    const deleted = await rawExchange(node.respPort, "SET d v1\r\nGET d\r\nDEL d\r\nGET d\r\n");
    assert.equal(deleted.text, "+OK\r\n$2\r\nv1\r\n:1\r\n$-1\r\n");
  } finally {
    await node.stop();
  }
});
