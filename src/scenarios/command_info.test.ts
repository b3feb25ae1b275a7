/**
 * COMMAND INFO of walnut's connection commands is Redis 7.0's: a real redis-server and a
 * walnut answer `COMMAND INFO <name>` for every connection command of walnut's table, and
 * the name, arity, flags and first/last/step key positions must be the same. Also proves
 * that COMMAND COUNT, LIST and INFO come from the one table, connection commands included.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { commandTable } from "../commands/table.js";
import { startTestNode } from "./harness.js";
import { freePort, RawClient, waitUntil } from "./server_fixtures.js";

/** Connection commands that are walnut's own: redis-server has no entry to compare with. */
const WALNUT_ONLY = new Set(["USE", "RAFT"]);

/** The first six fields of a COMMAND INFO entry: name, arity, flags, first key, last key, step. */
type Described = [string, number, string[], number, number, number];

async function describeCommand(client: Redis, name: string): Promise<Described | null> {
  const [entry] = (await client.call("COMMAND", "INFO", name)) as Array<unknown[] | null>;
  if (entry === null || entry === undefined) return null;
  return entry.slice(0, 6) as Described;
}

async function withRedisServer(run: (client: Redis, port: number) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "walnut-command-info-redis-"));
  const port = await freePort();
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], {
    stdio: "ignore",
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const client = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await waitUntil(`redis-server answers on ${port}`, async () => {
      if (child.exitCode !== null) throw new Error("redis-server exited");
      return client.connect().then(
        () => true,
        () => false,
      );
    });
    await run(client, port);
  } finally {
    client.disconnect();
    child.kill("SIGTERM");
    await exited;
    await rm(dir, { recursive: true, force: true });
  }
}

test("COMMAND INFO of every connection command matches redis-server 7.0's arity, flags and key positions", async () => {
  const node = await startTestNode();
  const walnut = new Redis({ port: node.respPort, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0 });
  await walnut.connect();
  try {
    await withRedisServer(async (redis) => {
      const connectionCommands = [...commandTable.values()].filter((spec) => spec.scope === "connection");
      assert.ok(connectionCommands.length >= 20, "the table holds the connection commands");
      for (const spec of connectionCommands) {
        const ours = await describeCommand(walnut, spec.name.toLowerCase());
        const theirs = await describeCommand(redis, spec.name.toLowerCase());
        assert.notEqual(ours, null, `walnut describes ${spec.name}`);
        if (WALNUT_ONLY.has(spec.name)) {
          assert.equal(theirs, null, `${spec.name} is walnut's own`);
          continue;
        }
        assert.deepEqual(ours, theirs, `COMMAND INFO ${spec.name.toLowerCase()}`);
      }
    });
  } finally {
    walnut.disconnect();
    await node.stop();
  }
});

test("COMMAND COUNT, LIST and INFO answer from the one table, connection and data commands alike", async () => {
  const node = await startTestNode();
  const walnut = new Redis({ port: node.respPort, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0 });
  await walnut.connect();
  try {
    assert.equal(await walnut.call("COMMAND", "COUNT"), commandTable.size);
    const listed = (await walnut.call("COMMAND", "LIST")) as string[];
    assert.deepEqual([...listed].sort(), [...commandTable.keys()].map((name) => name.toLowerCase()).sort());
    const everything = (await walnut.call("COMMAND")) as unknown[][];
    assert.equal(everything.length, commandTable.size);
    // ACL once answered nil: it was handled by the connection but missing from COMMAND's own list.
    assert.deepEqual(await describeCommand(walnut, "acl"), ["acl", -2, [], 0, 0, 0]);
    assert.deepEqual(await describeCommand(walnut, "GET"), ["get", 2, ["readonly", "fast"], 1, 1, 1]);
    assert.deepEqual(await walnut.call("COMMAND", "INFO", "nosuch"), [null]);
  } finally {
    walnut.disconnect();
    await node.stop();
  }
});

/** Sends each command on one connection, one at a time, and returns every reply's bytes. */
async function conversation(port: number, commands: readonly string[][]): Promise<string[]> {
  const client = new RawClient(port);
  await client.connected;
  const replies: string[] = [];
  try {
    for (const command of commands) {
      const before = client.text().length;
      await client.write(`*${command.length}\r\n${command.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join("")}`);
      await waitUntil(`a reply to ${command.join(" ")}`, () => client.replies().replies.length > replies.length);
      replies.push(client.text().slice(before));
    }
  } finally {
    client.destroy();
  }
  return replies;
}

test("the table's arity and no_multi decide what the connection answers, and AUTH without a password, with redis-server's bytes", async () => {
  const node = await startTestNode();
  try {
    await withRedisServer(async (_redis, redisPort) => {
      const conversations: string[][][] = [
        [["ECHO"], ["SELECT"], ["CLIENT"], ["CONFIG"], ["ACL"], ["AUTH"], ["WATCH"], ["RESET", "now"], ["MULTI", "again"], ["TIME", "x"]],
        [["MULTI"], ["SAVE"], ["EXEC"]],
        [["MULTI"], ["SHUTDOWN"], ["DISCARD"]],
        // No password configured: one-argument AUTH is refused, the two-argument forms sign in.
        [["AUTH", "x"], ["AUTH", "default", "x"], ["AUTH", "nobody", "x"], ["PING"]],
      ];
      for (const commands of conversations) {
        assert.deepEqual(await conversation(node.respPort, commands), await conversation(redisPort, commands), JSON.stringify(commands));
      }
    });
  } finally {
    await node.stop();
  }
});
