/**
 * COMMAND INFO of walnut's connection commands is Redis 7.0's: a real redis-server and a
 * walnut answer `COMMAND INFO <name>` for every connection command of walnut's table, and
 * the name, arity, flags and first/last/step key positions must be the same. Also proves
 * that COMMAND COUNT, LIST and INFO come from the one table, connection commands included.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { commandTable } from "../commands/table.js";
import { startTestNode } from "./harness.js";
import { startRedis } from "../bench/resp_servers.js";
import { conversation } from "./server_fixtures.js";

/** Connection commands that are walnut's own: redis-server has no entry to compare with. */
const WALNUT_ONLY = new Set(["USE", "RAFT", "WALNUT.WATCH", "WALNUT.UNWATCH"]);

/** The first six fields of a COMMAND INFO entry: name, arity, flags, first key, last key, step. */
type Described = [string, number, string[], number, number, number];

async function describeCommand(client: Redis, name: string): Promise<Described | null> {
  const [entry] = (await client.call("COMMAND", "INFO", name)) as Array<unknown[] | null>;
  if (entry === null || entry === undefined) return null;
  return entry.slice(0, 6) as Described;
}

/** Runs `run` against a fresh redis-server (no persistence), through an ioredis client. */
async function withRedisServer(run: (client: Redis, port: number) => Promise<void>): Promise<void> {
  const server = await startRedis({ appendFsyncAlways: false });
  const client = new Redis({ port: server.port, host: "127.0.0.1", maxRetriesPerRequest: 0 });
  try {
    await run(client, server.port);
  } finally {
    client.disconnect();
    await server.stop();
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
    // As in Redis, LIST also names the subcommands ("config|get"), after their command.
    assert.deepEqual(listed.filter((name) => !name.includes("|")).sort(), [...commandTable.keys()].map((name) => name.toLowerCase()).sort());
    assert.ok(listed.includes("config|get") && listed.includes("client|list"));
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
