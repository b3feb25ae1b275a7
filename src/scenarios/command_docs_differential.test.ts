/**
 * COMMAND INFO and COMMAND DOCS, walnut beside redis-server 7.0, over RESP3 (so sets,
 * maps, simple and bulk strings must match too), for every command both servers have and
 * each of its subcommands, field by field. The one documented difference (docs/commands.md,
 * "Introspection"): summaries and complexity texts are walnut's own words, so
 * COMMAND DOCS is compared without `summary` and `complexity`, at every level.
 * Also COMMAND COUNT, LIST (FILTERBY ...) and GETKEYS(ANDFLAGS) of commands whose keys move.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { RespClient } from "../client/resp_client.js";
import type { Reply } from "../engine/reply.js";
import { commandTable } from "../commands/table.js";
import { startTestNode } from "./harness.js";
import { startRedis } from "../bench/resp_servers.js";

/** A reply as plain data, with its RESP3 type kept ({set: [...]}, {map: [[k, v]...]}, "+status"). */
function plain(reply: Reply): unknown {
  switch (reply.type) {
    case "status":
      return `+${reply.text}`;
    case "bulk":
      return reply.value;
    case "integer":
      return Number(reply.value);
    case "array":
      return reply.items.map(plain);
    case "set":
      return { set: reply.items.map(plain) };
    case "map":
      return { map: reply.entries.map(([key, value]) => [plain(key), plain(value)]) };
    default:
      return reply;
  }
}

const byName = (a: unknown, b: unknown): number => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1);

/** A COMMAND INFO reply with each entry's subcommands sorted by name: Redis answers them in its hash table's order, which changes from run to run. */
function infoUnordered(reply: Reply): unknown {
  const entries = plain(reply) as unknown[][];
  return entries.map((entry) => (Array.isArray(entry) && Array.isArray(entry[9]) ? [...entry.slice(0, 9), [...entry[9]].sort(byName)] : entry));
}

/** COMMAND DOCS's answer (a map of name to docs) without summary and complexity, subcommands' too. */
function withoutProse(reply: Reply): unknown {
  if (reply.type !== "map") return plain(reply);
  return { map: reply.entries.map(([name, docs]) => [plain(name), docsWithoutProse(docs)]) };
}

function docsWithoutProse(reply: Reply): unknown {
  if (reply.type !== "map") return plain(reply);
  return {
    map: reply.entries
      .filter(([key]) => key.type !== "bulk" || (key.value !== "summary" && key.value !== "complexity"))
      .map(([key, value]) => [plain(key), key.type === "bulk" && key.value === "subcommands" && value.type === "map" ? { map: value.entries.map(([name, sub]) => [plain(name), docsWithoutProse(sub)]).sort(byName) } : plain(value)]),
  };
}

async function resp3(port: number): Promise<RespClient> {
  const client = await RespClient.connect({ host: "127.0.0.1", port });
  await client.command(["HELLO", "3"]);
  return client;
}

async function withBoth(run: (walnut: RespClient, redis: RespClient) => Promise<void>): Promise<void> {
  const node = await startTestNode();
  const server = await startRedis({ appendFsyncAlways: false });
  const walnut = await resp3(node.respPort);
  const redis = await resp3(server.port);
  try {
    await run(walnut, redis);
  } finally {
    walnut.close();
    redis.close();
    await server.stop();
    await node.stop();
  }
}

/** The lower-case names both servers have, subcommands ("config|get") included. */
async function sharedNames(walnut: RespClient, redis: RespClient): Promise<string[]> {
  const names = async (client: RespClient): Promise<Set<string>> => {
    const reply = await client.command(["COMMAND", "LIST"]);
    assert.equal(reply.type, "array");
    return new Set(reply.type === "array" ? reply.items.map((item) => (item.type === "bulk" ? item.value : "")) : []);
  };
  const theirs = await names(redis);
  return [...(await names(walnut))].filter((name) => theirs.has(name)).sort();
}

test("COMMAND INFO of every command and subcommand both servers have is redis-server's, field by field", async () => {
  await withBoth(async (walnut, redis) => {
    const names = await sharedNames(walnut, redis);
    assert.ok(names.length >= commandTable.size - 10, `compared ${names.length} commands`);
    assert.ok(names.includes("config|get") && names.includes("client|list"), "subcommands are compared");
    const differing: string[] = [];
    for (const name of names) {
      const ours = infoUnordered(await walnut.command(["COMMAND", "INFO", name]));
      const theirs = infoUnordered(await redis.command(["COMMAND", "INFO", name]));
      if (JSON.stringify(ours) !== JSON.stringify(theirs)) differing.push(`${name}: ${JSON.stringify(ours)} vs ${JSON.stringify(theirs)}`);
    }
    assert.deepEqual(differing, [], "COMMAND INFO differs");
  });
});

test("COMMAND DOCS of every command and subcommand both servers have is redis-server's but for summary and complexity", async () => {
  await withBoth(async (walnut, redis) => {
    const names = await sharedNames(walnut, redis);
    const differing: string[] = [];
    for (const name of names) {
      const ours = withoutProse(await walnut.command(["COMMAND", "DOCS", name]));
      const theirs = withoutProse(await redis.command(["COMMAND", "DOCS", name]));
      if (JSON.stringify(ours) !== JSON.stringify(theirs)) differing.push(`${name}: ${JSON.stringify(ours)} vs ${JSON.stringify(theirs)}`);
    }
    assert.deepEqual(differing, [], "COMMAND DOCS differs");
    // walnut writes its own summary for every command of its table.
    const set = await walnut.command(["COMMAND", "DOCS", "set"]);
    assert.ok(set.type === "map" && set.entries[0]?.[1].type === "map" && set.entries[0][1].entries[0]?.[1].type === "bulk");
  });
});

test("COMMAND COUNT, LIST FILTERBY and GETKEYS(ANDFLAGS) answer as redis-server's for the commands both have", async () => {
  await withBoth(async (walnut, redis) => {
    const ask = async (argv: string[]): Promise<[unknown, unknown]> => [plain(await walnut.command(argv)), plain(await redis.command(argv))];
    const sorted = (value: unknown): unknown => (Array.isArray(value) ? [...(value as string[])].sort() : value);
    const shared = new Set(await sharedNames(walnut, redis));
    for (const filter of [["ACLCAT", "hash"], ["ACLCAT", "admin"], ["ACLCAT", "nosuch"], ["PATTERN", "conf*"], ["PATTERN", "z*store"], ["MODULE", "x"]]) {
      const [ours, theirs] = await ask(["COMMAND", "LIST", "FILTERBY", ...(filter as [string, string])]);
      assert.deepEqual(sorted(ours), sorted((theirs as string[]).filter((name) => shared.has(name))), `COMMAND LIST FILTERBY ${filter.join(" ")}`);
    }
    for (const argv of [["COMMAND", "LIST", "FILTERBY"], ["COMMAND", "LIST", "x"], ["COMMAND", "LIST", "FILTERBY", "foo", "bar"]]) {
      const [ours, theirs] = await ask(argv);
      assert.deepEqual(ours, theirs, argv.join(" "));
    }
    const lines = [
      ["SET", "k", "v"],
      ["DEL", "a", "b", "c"],
      ["MSET", "a", "1", "b", "2"],
      ["ZUNIONSTORE", "dest", "2", "a", "b", "WEIGHTS", "1", "2"],
      ["ZUNIONSTORE", "dest", "3", "a", "b"],
      ["ZINTERCARD", "2", "a", "b", "LIMIT", "1"],
      ["LMPOP", "2", "a", "b", "LEFT"],
      ["BLMPOP", "0", "2", "a", "b", "LEFT"],
      ["BZMPOP", "0", "1", "z", "MIN"],
      ["GEORADIUS", "g", "0", "0", "1", "km", "STORE", "s"],
      ["GEORADIUS", "g", "0", "0", "1", "km", "STOREDIST", "s"],
      ["GEOSEARCHSTORE", "d", "s", "FROMMEMBER", "m", "BYRADIUS", "1", "km"],
      ["LMOVE", "a", "b", "LEFT", "RIGHT"],
      ["SINTERCARD", "2", "a", "b"],
      ["BLPOP", "a", "b", "0"],
      ["COPY", "a", "b"],
      ["RENAME", "a", "b"],
      ["SORT_RO", "k"],
      ["EVAL", "return 1", "2", "a", "b", "c"],
      ["XREAD", "COUNT", "1", "STREAMS", "a", "b", "0", "0"],
      ["XGROUP", "CREATE", "s", "g", "$"],
      ["MIGRATE", "h", "1", "k", "0", "0"],
      ["PING"],
      ["NOSUCH", "a"],
      ["GET"],
      ["GET", "a", "b"],
      ["LMPOP", "x", "a", "LEFT"],
      ["ZUNIONSTORE", "d", "5", "a"],
      ["CONFIG", "GET", "x"],
    ];
    for (const line of lines) {
      for (const sub of ["GETKEYS", "GETKEYSANDFLAGS"]) {
        if (!commandTable.has(line[0] as string) && line[0] !== "NOSUCH") continue;
        const [ours, theirs] = await ask(["COMMAND", sub, ...line]);
        assert.deepEqual(ours, theirs, `COMMAND ${sub} ${line.join(" ")}`);
      }
    }
    const [oursCount] = await ask(["COMMAND", "COUNT"]);
    assert.equal(oursCount, commandTable.size);
  });
});

test("ioredis (RESP2) reads walnut's COMMAND INFO and DOCS as it reads redis-server's, and still runs commands", async () => {
  const node = await startTestNode();
  const server = await startRedis({ appendFsyncAlways: false });
  const walnut = new Redis({ port: node.respPort, host: "127.0.0.1", maxRetriesPerRequest: 0 });
  const redis = new Redis({ port: server.port, host: "127.0.0.1", maxRetriesPerRequest: 0 });
  try {
    for (const name of ["zadd", "sort", "config", "client|list", "object"]) {
      const sorted = (info: unknown): unknown =>
        (info as unknown[][]).map((entry) => [...entry.slice(0, 9), [...(entry[9] as unknown[])].sort(byName)]);
      assert.deepEqual(sorted(await walnut.call("COMMAND", "INFO", name)), sorted(await redis.call("COMMAND", "INFO", name)), name);
    }
    const docs = (await walnut.call("COMMAND", "DOCS", "zadd")) as unknown[];
    const theirs = (await redis.call("COMMAND", "DOCS", "zadd")) as unknown[];
    const fields = (reply: unknown[]): unknown[] => {
      const map = reply[1] as unknown[];
      const kept: unknown[] = [];
      for (let index = 0; index < map.length; index += 2) if (map[index] !== "summary" && map[index] !== "complexity") kept.push(map[index], map[index + 1]);
      return kept;
    };
    assert.deepEqual(fields(docs), fields(theirs));
    assert.equal(await walnut.zadd("z", 1, "a"), 1);
    assert.deepEqual(await walnut.zrange("z", 0, -1), ["a"]);
  } finally {
    walnut.disconnect();
    redis.disconnect();
    await server.stop();
    await node.stop();
  }
});
