/**
 * The server's and connection's own commands, byte for byte against a real redis-server
 * 7.0: one conversation per test goes to both, and every reply must be the same bytes.
 * Only what must differ is normalized (times, ids, ports, addresses, memory figures),
 * each by a named function. Also drives ioredis the way applications do: a MULTI with
 * PING, and a client with `db: 1` whose keys stay apart from db 0's.
 */
import { after, before, test } from "node:test";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { startRedis, startWalnut, type BenchServer } from "../bench/resp_servers.js";
import { conversation } from "./server_fixtures.js";
import { startTestNode, type TestNode } from "./harness.js";
import { commandTable } from "../commands/table.js";

let walnut: TestNode;
let redis: BenchServer;

before(async () => {
  walnut = await startTestNode({ servers: { maxClients: 10000 } }); // Redis' default, which CONFIG GET shows
  // AOF on, as walnut's WAL always is: INFO persistence then shows the same aof_ fields.
  redis = await startRedis({ appendFsyncAlways: true });
});

after(async () => {
  await walnut?.stop();
  await redis?.stop();
});

type Normalize = (reply: string, command: readonly string[]) => string;
const asIs: Normalize = (reply) => reply;

/**
 * Runs `commands` on one connection to each server (after emptying both) and asserts
 * that every reply, once normalized, is the same bytes.
 */
async function sameReplies(commands: string[][], normalize: Normalize = asIs): Promise<string[]> {
  const flush = [["FLUSHALL"], ...commands];
  const [theirs, ours] = await Promise.all([conversation(redis.port, flush), conversation(walnut.respPort, flush)]);
  for (let index = 0; index < flush.length; index++) {
    const command = flush[index]!;
    assert.equal(normalize(ours[index]!, command), normalize(theirs[index]!, command), `reply to ${command.join(" ")}`);
  }
  return ours.slice(1);
}

/** TIME's two numbers (seconds, microseconds) differ between any two servers. */
function withoutTimes(reply: string): string {
  return reply.replace(/\$10\r\n\d{10}\r\n\$\d\r\n\d{1,6}\r\n/g, "$10\r\n<seconds>\r\n$?\r\n<micros>\r\n");
}

test("connection commands queue inside MULTI and answer in order in EXEC's reply", async () => {
  await sameReplies(
    [
      ["MULTI"], ["PING"], ["PING", "hello"], ["ECHO", "hi"], ["SET", "k", "v"], ["TIME"], ["GET", "k"], ["EXEC"],
      ["MULTI"], ["PING", "a", "b"], ["EXEC"],
      ["MULTI"], ["ECHO"], ["PING"], ["EXEC"],
      ["MULTI"], ["CLIENT", "SETNAME", "tx"], ["CLIENT", "GETNAME"], ["CONFIG", "SET", "maxmemory", "100mb"], ["CONFIG", "GET", "maxmemory"], ["EXEC"],
      ["CONFIG", "SET", "maxmemory", "0"],
      ["MULTI"], ["FLUSHALL"], ["DBSIZE"], ["EXEC"],
      ["MULTI"], ["SAVE"], ["EXEC"],
    ],
    withoutTimes,
  );
});

test("SELECT inside MULTI switches the database of the commands queued after it", async () => {
  await sameReplies([
    ["SET", "k", "zero"],
    ["MULTI"], ["SELECT", "1"], ["SET", "k", "one"], ["GET", "k"], ["SELECT", "99"], ["GET", "k"], ["SELECT", "0"], ["GET", "k"], ["EXEC"],
    ["GET", "k"], ["SELECT", "1"], ["GET", "k"],
    ["MULTI"], ["SELECT", "2"], ["EXEC"], ["DBSIZE"], ["SELECT", "1"],
    ["MULTI"], ["MOVE", "k", "16"], ["MOVE", "k", "3"], ["EXEC"], ["DBSIZE"], ["SELECT", "3"], ["GET", "k"],
  ]);
});

test("FLUSHALL, BGSAVE, SET and SCAN answer their arguments as Redis 7.0 does", async () => {
  await sameReplies([
    ["SET", "k", "v"],
    ["FLUSHALL", "foo"], ["FLUSHALL", "ASYNC", "SYNC"], ["DBSIZE"], ["FLUSHALL", "sync"], ["DBSIZE"],
    ["BGSAVE", "foo"], ["BGSAVE", "SCHEDULE", "now"],
    ["SET", "k", "v", "EX", "10", "EX", "20"], ["TTL", "k"], ["SET", "k", "v", "EX", "10", "PX", "20"], ["SET", "k", "v", "PX", "1", "PX", "20000"], ["TTL", "k"],
    ["SET", "k", "v", "EX", "ten", "EX", "30"], ["SET", "k", "v", "EX", "30", "EX", "ten"], ["GETEX", "k", "EX", "5", "EX", "50"], ["TTL", "k"],
    ["GETEX", "k", "PERSIST", "PERSIST"], ["GETEX", "k", "EX", "5", "PERSIST"],
    ["DEL", "k"], ["SCAN", "-1"], ["SCAN", ""], ["SCAN", "+0"], ["SCAN", "-18446744073709551616"], ["SCAN", " 1"], ["SCAN", "1x"],
  ]);
});

test("numbered databases: SELECT, FLUSHDB, FLUSHALL, SWAPDB and MOVE as in Redis 7.0", async () => {
  await sameReplies([
    ["SELECT", "15"], ["SELECT", "16"], ["SELECT", "-1"], ["SELECT", "x"], ["SELECT", "01"], ["SELECT"],
    ["SELECT", "0"], ["SET", "a", "0"], ["SET", "shared", "zero"],
    ["SELECT", "1"], ["DBSIZE"], ["GET", "a"], ["SET", "b", "1"], ["SET", "shared", "one"], ["PEXPIRE", "b", "100000"],
    ["MOVE", "b", "0"], ["MOVE", "b", "0"], ["MOVE", "shared", "0"], ["MOVE", "nokey", "2"], ["MOVE", "shared", "1"],
    ["MOVE", "shared", "x"], ["MOVE", "shared", "16"], ["MOVE", "shared", "-1"], ["MOVE", "shared", "99999999999"], ["SELECT", "2147483648"], ["SWAPDB", "2147483648", "0"],
    ["SELECT", "0"], ["TTL", "b"], ["DBSIZE"], ["GET", "shared"],
    ["SWAPDB", "0", "1"], ["DBSIZE"], ["GET", "shared"], ["SELECT", "1"], ["DBSIZE"], ["GET", "b"],
    ["SWAPDB", "1", "1"], ["SWAPDB", "x", "1"], ["SWAPDB", "1", "x"], ["SWAPDB", "0", "16"], ["SWAPDB", "5", "6"],
    ["FLUSHDB"], ["DBSIZE"], ["SELECT", "0"], ["DBSIZE"],
    ["SELECT", "7"], ["SET", "seven", "7"], ["FLUSHALL"], ["DBSIZE"], ["SELECT", "0"], ["DBSIZE"],
  ]);
});

test("ioredis: multi().ping().exec() answers PONG in its place", async () => {
  const client = new Redis({ port: walnut.respPort, host: "127.0.0.1", maxRetriesPerRequest: 0 });
  try {
    const results = await client.multi().ping().set("tx", "1").echo("e").get("tx").exec();
    assert.deepEqual(results, [[null, "PONG"], [null, "OK"], [null, "e"], [null, "1"]]);
  } finally {
    client.disconnect();
  }
});

test("ioredis: a client with db: 1 keeps its keys apart from db 0's", async () => {
  const zero = new Redis({ port: walnut.respPort, host: "127.0.0.1", maxRetriesPerRequest: 0 });
  const one = new Redis({ port: walnut.respPort, host: "127.0.0.1", db: 1, maxRetriesPerRequest: 0 });
  try {
    await zero.flushall();
    await zero.set("k", "in zero");
    await one.set("k", "in one");
    await one.set("only-one", "x");
    assert.equal(await zero.get("k"), "in zero");
    assert.equal(await one.get("k"), "in one");
    assert.equal(await zero.exists("only-one"), 0);
    assert.equal(await one.dbsize(), 2);
    assert.equal(await zero.dbsize(), 1);
    assert.deepEqual((await one.keys("*")).sort(), ["k", "only-one"]);
    await one.flushdb();
    assert.equal(await zero.get("k"), "in zero", "FLUSHDB in db 1 leaves db 0");
  } finally {
    zero.disconnect();
    one.disconnect();
  }
});

/** INFO's text as [section, field names] pairs. */
function infoShape(text: string): Array<[string, string[]]> {
  const sections: Array<[string, string[]]> = [];
  for (const line of text.split("\r\n")) {
    if (line.startsWith("# ")) sections.push([line.slice(2), []]);
    else if (line.includes(":")) sections[sections.length - 1]?.[1].push(line.slice(0, line.indexOf(":")));
  }
  return sections;
}

/** The bulk string's text of a RESP reply. */
function bulkText(reply: string): string {
  return reply.slice(reply.indexOf("\r\n") + 2, -2);
}

/** Sections whose lines depend on what ran (compared by value in their own test) and Redis' latency percentiles, which walnut has not. */
const VARYING_SECTIONS = new Set(["Commandstats", "Errorstats", "Keyspace", "Latencystats"]);
/** walnut's own sections, after Redis' */
const WALNUT_SECTIONS = ["Raft", "WAL", "Collections", "Walnut"];

test("INFO has Redis 7.0's sections, in its order, with its field names", async () => {
  for (const selection of [[], ["default"], ["everything"], ["server", "clients"], ["CPU"], ["nosuch"]]) {
    const [theirs, ours] = await Promise.all([conversation(redis.port, [["INFO", ...selection]]), conversation(walnut.respPort, [["INFO", ...selection]])]);
    const redisShape = infoShape(bulkText(theirs[0]!)).filter(([name]) => name !== "Latencystats");
    const walnutShape = infoShape(bulkText(ours[0]!)).filter(([name]) => !WALNUT_SECTIONS.includes(name));
    const fixed = (shape: Array<[string, string[]]>): Array<[string, string[]]> =>
      shape.map(([name, fields]) => [name, VARYING_SECTIONS.has(name) ? [] : fields]);
    assert.deepEqual(fixed(walnutShape), fixed(redisShape), `INFO ${selection.join(" ")}`);
  }
  const [server] = await conversation(walnut.respPort, [["INFO", "server"]]);
  assert.match(server!, new RegExp(`\r\ntcp_port:${walnut.respPort}\r\n`));
  assert.match(server!, new RegExp(`\r\nprocess_id:${process.pid}\r\n`), "the test runs walnut in its own process");
});

/** Lines of INFO sections, sorted (commandstats' order is Redis' hash table's), times and TTL estimates hidden. */
function statisticsLines(reply: string): string {
  return bulkText(reply)
    .split("\r\n")
    .map((line) => line.replace(/usec=\d+,usec_per_call=[\d.]+/, "usec=?,usec_per_call=?").replace(/avg_ttl=\d+/, "avg_ttl=?"))
    .sort()
    .join("\n");
}

test("INFO commandstats, errorstats, keyspace and keyspace hits count as Redis 7.0 counts", async () => {
  const stats = (reply: string, command: readonly string[]): string => {
    if (command[0] !== "INFO") return reply;
    if (command[1] !== "stats") return statisticsLines(reply);
    return (bulkText(reply).match(/^(keyspace_hits|keyspace_misses|total_error_replies):\d+/gm) ?? []).join("\n");
  };
  await sameReplies(
    [
      ["CONFIG", "RESETSTAT"],
      ["GET", "a"], ["SET", "a", "1"], ["GET", "a"], ["GET", "nokey"], ["EXISTS", "a", "nokey"], ["MGET", "a", "b", "c"],
      ["INCR", "a"], ["TTL", "a"], ["STRLEN", "zz"], ["LPUSH", "l", "x"], ["LRANGE", "l", "0", "-1"], ["LLEN", "zz"],
      ["GET"], ["NOSUCHCOMMAND"], ["CONFIG", "FOO"], ["CONFIG", "GET"], ["INCR", "l"],
      ["MULTI"], ["PING"], ["SET", "t", "1"], ["EXEC"], ["MULTI"], ["GET"], ["EXEC"], ["MULTI"], ["SET", "k", "v"], ["PING", "a", "b"], ["EXEC"],
      ["SELECT", "1"], ["SET", "e", "1", "EX", "100"], ["SET", "f", "1"], ["PEXPIRE", "f", "50000"], ["SET", "g", "1"], ["MOVE", "e", "16"], ["SELECT", "x"],
      ["SELECT", "5"], ["SET", "five", "5"],
      ["INFO", "commandstats"], ["INFO", "errorstats"], ["INFO", "keyspace"], ["INFO", "stats"],
    ],
    stats,
  );
});

/** A port in a CONFIG GET reply: each server has its own. */
function withoutPort(reply: string, command: readonly string[]): string {
  return command[2]?.toLowerCase() === "port" ? reply.replace(/\$\d+\r\n\d+\r\n$/, "$?\r\n<port>\r\n") : reply;
}

test("CONFIG GET and SET answer as Redis 7.0 does, CONFIG HELP and COMMAND HELP say what Redis says", async () => {
  await sameReplies(
    [
      ["CONFIG", "GET", "maxmemory-policy"], ["CONFIG", "GET", "notify-keyspace-events"], ["CONFIG", "GET", "port"], ["CONFIG", "GET", "Port"],
      ["CONFIG", "GET", "databases"], ["CONFIG", "GET", "save"], ["CONFIG", "GET", "appendonly"], ["CONFIG", "GET", "maxclients"],
      ["CONFIG", "GET", "timeout"], ["CONFIG", "GET", "nosuch"], ["CONFIG", "GET", "nosuch*"], ["CONFIG", "GET"],
      ["CONFIG", "SET", "maxmemory", "100mb"], ["CONFIG", "GET", "maxmemory"], ["CONFIG", "SET", "maxmemory", "0"],
      ["CONFIG", "SET", "nosuch", "1"], ["CONFIG", "SET", "NOSUCH", "1"], ["CONFIG", "SET", "databases", "4"], ["CONFIG", "SET", "MAXCLIENTS", "0"],
      ["CONFIG", "SET", "timeout", "-1"], ["CONFIG", "SET", "timeout", "x"], ["CONFIG", "SET", "maxmemory", "lots"],
      ["CONFIG", "SET", "maxmemory-policy", "bogus"], ["CONFIG", "SET", "maxmemory-policy", "noeviction"],
      ["CONFIG", "SET", "notify-keyspace-events", ""], ["CONFIG", "SET", "maxclients", "10000", "maxclients", "10000"], ["CONFIG", "SET", "timeout"],
      ["CONFIG", "HELP"], ["CONFIG", "HELP", "x"], ["CONFIG", "NOSUCH"],
      ["COMMAND", "HELP"], ["COMMAND", "HELP", "x"], ["COMMAND", "COUNT", "x"], ["COMMAND", "NOSUCH"],
    ],
    withoutPort,
  );
  const walnutPatterns = await conversation(walnut.respPort, [["CONFIG", "GET", "max*"], ["CONFIG", "GET", "*"]]);
  assert.match(walnutPatterns[0]!, /\$16\r\nmaxmemory-policy\r\n\$10\r\nnoeviction\r\n/);
  assert.match(walnutPatterns[1]!, /\$9\r\ndatabases\r\n\$2\r\n16\r\n/);
});

test("COMMAND GETKEYS and GETKEYSANDFLAGS find keys from the table's key positions, with Redis 7.0's errors", async () => {
  await sameReplies([
    ["COMMAND", "GETKEYS", "SET", "a", "b"], ["COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2"], ["COMMAND", "GETKEYS", "MGET", "a", "b", "c"],
    ["COMMAND", "GETKEYS", "RENAME", "a", "b"], ["COMMAND", "GETKEYS", "MOVE", "a", "1"], ["COMMAND", "GETKEYS", "get"],
    ["COMMAND", "GETKEYS", "PING", "x"], ["COMMAND", "GETKEYS", "NOSUCH", "a"], ["COMMAND", "GETKEYS", "GET", "a", "b"],
    ["COMMAND", "GETKEYS", "MSET", "a"], ["COMMAND", "GETKEYS"],
    ["COMMAND", "GETKEYSANDFLAGS", "GET", "a"], ["COMMAND", "GETKEYSANDFLAGS", "MGET", "a", "b"], ["COMMAND", "GETKEYSANDFLAGS", "PING", "x"],
  ]);
});

/** CLIENT LIST's field names, and the values a fresh client of either server has in common. */
function clientFields(line: string): string {
  const varying = new Set(["id", "addr", "laddr", "fd", "age", "idle", "qbuf", "qbuf-free", "argv-mem", "rbs", "rbp", "tot-mem", "omem", "oll", "obl", "multi-mem"]);
  return line
    .trim()
    .split(" ")
    .map((field) => {
      const name = field.slice(0, field.indexOf("="));
      return varying.has(name) ? `${name}=?` : field;
    })
    .join(" ");
}

test("CLIENT LIST and CLIENT INFO have Redis 7.0's fields; CLIENT's errors and HELP's shape are Redis'", async () => {
  const commands = [
    ["CLIENT", "SETNAME", "differential"], ["SELECT", "3"], ["CLIENT", "INFO"], ["MULTI"], ["PING"], ["CLIENT", "INFO"], ["EXEC"], ["CLIENT", "LIST", "ID", "0"],
    ["CLIENT", "LIST", "TYPE", "master"], ["CLIENT", "LIST", "TYPE", "foo"], ["CLIENT", "LIST", "ID", "abc"], ["CLIENT", "LIST", "foo"],
    ["CLIENT", "INFO", "x"], ["CLIENT", "ID", "x"], ["CLIENT", "GETNAME", "x"], ["CLIENT", "NOSUCH"],
  ];
  const normalize = (reply: string): string =>
    reply.replace(/\$\d+\r\n(id=[^\n]*)\n\r\n/g, (_whole, line: string) => `$?\r\n${clientFields(line)}\n\r\n`);
  await sameReplies(commands, normalize);
  const [theirs, ours] = await Promise.all([conversation(redis.port, [["CLIENT", "HELP"]]), conversation(walnut.respPort, [["CLIENT", "HELP"]])]);
  const firstLine = (reply: string): string => reply.split("\r\n")[1] ?? "";
  assert.equal(firstLine(ours[0]!), firstLine(theirs[0]!));
  for (const subcommand of ["GETNAME", "ID", "INFO", "KILL <ip:port>", "LIST [options ...]", "SETNAME <name>", "HELP"]) {
    assert.ok(ours[0]!.includes(`\r\n+${subcommand}\r\n`), `CLIENT HELP names ${subcommand}`);
    assert.ok(theirs[0]!.includes(`\r\n+${subcommand}\r\n`), `redis-server's CLIENT HELP names ${subcommand}`);
  }
});

test("COMMAND INFO gives Redis 7.0's ten fields: ACL categories from each family and the flags, key specs from the key positions", async () => {
  const names = [...commandTable.values()].map((spec) => spec.name.toLowerCase());
  const redisClient = new Redis({ port: redis.port, host: "127.0.0.1", maxRetriesPerRequest: 0 });
  const walnutClient = new Redis({ port: walnut.respPort, host: "127.0.0.1", maxRetriesPerRequest: 0 });
  try {
    const redisInfo = (await redisClient.call("COMMAND", "INFO", ...names)) as Array<unknown[] | null>;
    const walnutInfo = (await walnutClient.call("COMMAND", "INFO", ...names)) as Array<unknown[] | null>;
    let compared = 0;
    names.forEach((name, index) => {
      const redisEntry = redisInfo[index];
      const walnutEntry = walnutInfo[index];
      assert.equal(walnutEntry?.length, 10, `COMMAND INFO ${name} has ten fields`);
      if (redisEntry === null || redisEntry === undefined) return; // walnut's own command
      compared += 1;
      const subcommands = redisEntry[9];
      if (Array.isArray(subcommands) && subcommands.length > 0 && walnutEntry?.[2] !== undefined && (walnutEntry[2] as string[]).includes("readonly")) {
        // OBJECT and MEMORY: Redis' container entries carry no flags; walnut's table needs
        // readonly or write on every data command (docs/commands.md says so): compare the rest.
        assert.deepEqual([walnutEntry[0], walnutEntry[1], ...walnutEntry.slice(3, 6)], [redisEntry[0], redisEntry[1], ...redisEntry.slice(3, 6)], `COMMAND INFO ${name}`);
        return;
      }
      assert.deepEqual(walnutEntry?.slice(0, 7), redisEntry.slice(0, 7), `COMMAND INFO ${name}: name, arity, flags, key positions, ACL categories`);
    });
    assert.ok(compared > 60, `compared ${compared} commands`);
    // Key specs derived from first/last/step are Redis' own where Redis' key flags are the command's access.
    for (const name of ["get", "mget", "move", "incr", "lrange", "ttl", "getrange", "lindex"]) {
      const [redisEntry] = (await redisClient.call("COMMAND", "INFO", name)) as unknown[][];
      const [walnutEntry] = (await walnutClient.call("COMMAND", "INFO", name)) as unknown[][];
      assert.deepEqual(walnutEntry?.[8], redisEntry?.[8], `key specs of ${name}`);
    }
  } finally {
    redisClient.disconnect();
    walnutClient.disconnect();
  }
});

test("walnut serve --databases 4 has databases 0 to 3, as redis-server --databases 4 has", async () => {
  const server = await startWalnut({ fsync: "no", extraArgs: ["--databases", "4"] });
  try {
    const replies = await conversation(server.port, [["SELECT", "3"], ["SET", "k", "v"], ["SELECT", "4"], ["MOVE", "k", "4"], ["SWAPDB", "0", "4"], ["CONFIG", "GET", "databases"], ["INFO", "keyspace"]]);
    assert.deepEqual(replies.slice(0, 6), [
      "+OK\r\n", "+OK\r\n", "-ERR DB index is out of range\r\n", "-ERR DB index is out of range\r\n", "-ERR DB index is out of range\r\n",
      "*2\r\n$9\r\ndatabases\r\n$1\r\n4\r\n",
    ]);
    assert.match(replies[6]!, /\r\ndb3:keys=1,expires=0,avg_ttl=0\r\n/);
  } finally {
    await server.stop();
  }
});

test("walnut serve refuses --databases outside 1 to 1024 before touching the data directory", () => {
  const cli = fileURLToPath(new URL("../../bin/walnut.js", import.meta.url));
  for (const count of ["0", "1025"]) {
    const run = spawnSync(process.execPath, [cli, "serve", "--data-dir", "/nonexistent/walnut-databases", "--port", "0", "--http-port", "0", "--databases", count], { encoding: "utf8" });
    assert.equal(run.status, 2);
    assert.match(run.stderr, new RegExp(`Cannot use --databases ${count}: it must be from 1 to 1024`));
  }
});
