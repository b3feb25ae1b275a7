/**
 * maxmemory as a user meets it: a real `walnut serve` beside a real redis-server 7.0,
 * both told `CONFIG SET maxmemory 1`, answer the same bytes to the same commands
 * (denyoom writes refused with OOM, reads and deletes going on, MULTI/EXEC as Redis
 * treats them); a walnut filled up to a small limit refuses SET over RESP and HTTP until
 * DEL brings it back under; and `walnut serve` refuses a maxmemory its heap cannot hold.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { test } from "node:test";
import assert from "node:assert/strict";
import { commandTable } from "../commands/table.js";
import { heapSizeLimit } from "../lib/heap_usage.js";
import { startRedis } from "../bench/resp_servers.js";
import { encodeCommand } from "../resp/writer.js";
import { conversation, freePort, RawClient, waitUntil } from "./server_fixtures.js";

const run = promisify(execFile);
const walnut = fileURLToPath(new URL("../../bin/walnut.js", import.meta.url));
const OOM = "-OOM command not allowed when used memory > 'maxmemory'.\r\n";

interface Child {
  port: number;
  process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts `command args` and waits until redis-cli gets PONG from `port`. */
async function startChild(command: string, args: string[], port: number, dir: string): Promise<Child> {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr?.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitUntil(`${command} answers PING on ${port}`, async () => {
      if (child.exitCode !== null) throw new Error(`${command} exited: ${output}`);
      const pong = await run("redis-cli", ["-p", String(port), "PING"]).then((out) => out.stdout.trim(), () => "");
      return pong === "PONG";
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, process: child, output: () => output, stop };
}

async function startWalnut(...flags: string[]): Promise<Child & { httpPort: number }> {
  const dir = await mkdtemp(join(tmpdir(), "walnut-maxmemory-"));
  const port = await freePort();
  const httpPort = await freePort();
  const args = [walnut, "serve", "--data-dir", dir, "--port", String(port), "--http-port", String(httpPort), "--fsync", "no", ...flags];
  return { ...(await startChild(process.execPath, args, port, dir)), httpPort };
}

function cli(port: number, ...args: string[]): Promise<string> {
  return run("redis-cli", ["-p", String(port), ...args]).then((out) => out.stdout.trim());
}

test("walnut and redis-server over maxmemory answer the same bytes: OOM for denyoom writes, reads and deletes go on", async () => {
  const redis = await startRedis({ appendFsyncAlways: false });
  const node = await startWalnut();
  try {
    for (const server of [redis, node]) {
      assert.equal(await cli(server.port, "SET", "k", "v"), "OK");
      assert.equal(await cli(server.port, "RPUSH", "list", "a", "b"), "2");
      assert.equal(await cli(server.port, "SET", "counter", "1"), "OK");
    }
    const script: string[][] = [
      ["CONFIG", "SET", "maxmemory", "1"],
      ["SET", "new", "x"],
      ["INCR", "counter"],
      ["APPEND", "k", "more"],
      ["LPUSH", "list", "c"],
      ["MSET", "a", "1", "b", "2"],
      ["PFADD", "hll", "x"],
      ["SET", "k"], // a wrong arity is reported before OOM
      ["GET", "k"],
      ["LPOP", "list"],
      ["EXPIRE", "k", "100"],
      ["PERSIST", "k"],
      ["GETDEL", "counter"],
      ["DEL", "k"],
      ["EXISTS", "k"],
      ["MULTI"], // inside MULTI nothing is queued while over, reads and deletes neither
      ["SET", "t", "1"],
      ["DEL", "list"],
      ["NOSUCHCOMMAND"],
      ["EXEC"],
      ["CONFIG", "GET", "maxmemory"],
      ["CONFIG", "GET", "maxmemory-policy"],
      ["CONFIG", "SET", "maxmemory", "lots"],
      ["FLUSHALL"],
      ["CONFIG", "SET", "maxmemory", "1gb"],
      ["CONFIG", "GET", "maxmemory"],
      ["SET", "back", "1"],
    ];
    const fromRedis = await conversation(redis.port, script);
    const fromWalnut = await conversation(node.port, script);
    script.forEach((command, index) => assert.equal(fromWalnut[index], fromRedis[index], `${command.join(" ")}`));
    assert.equal(fromRedis[1], OOM);
    assert.equal(fromRedis[fromRedis.length - 1], "+OK\r\n");
    // redis-cli shows the same text for both
    for (const server of [redis, node]) await cli(server.port, "CONFIG", "SET", "maxmemory", "1");
    assert.equal(await cli(node.port, "SET", "a", "b"), await cli(redis.port, "SET", "a", "b"));
    assert.equal(await cli(node.port, "SET", "a", "b"), "OOM command not allowed when used memory > 'maxmemory'.");
  } finally {
    await Promise.all([redis.stop(), node.stop()]);
  }
});

test("EXEC of commands queued under maxmemory is refused whole once memory is over, as in Redis", async () => {
  const redis = await startRedis({ appendFsyncAlways: false });
  const node = await startWalnut();
  try {
    for (const server of [redis, node]) {
      const client = new RawClient(server.port);
      await client.connected;
      try {
        await client.write(Buffer.concat([encodeCommand(["MULTI"]), encodeCommand(["SET", "q", "1"]), encodeCommand(["DEL", "z"])]));
        await waitUntil("MULTI and two QUEUED", () => client.replies().replies.length === 3);
        assert.equal(await cli(server.port, "CONFIG", "SET", "maxmemory", "1"), "OK");
        await client.write(Buffer.concat([encodeCommand(["EXEC"]), encodeCommand(["GET", "q"]), encodeCommand(["EXEC"])]));
        await waitUntil("three more replies", () => client.replies().replies.length === 6);
        assert.equal(
          client.text(),
          "+OK\r\n+QUEUED\r\n+QUEUED\r\n" +
            "-EXECABORT Transaction discarded because of: OOM command not allowed when used memory > 'maxmemory'.\r\n" +
            "$-1\r\n-ERR EXEC without MULTI\r\n",
          server === redis ? "redis-server" : "walnut",
        );
        // A transaction of deletes still runs.
        const deletes = await conversation(server.port, [["MULTI"], ["DEL", "z"]]);
        assert.deepEqual(deletes, ["+OK\r\n", "-OOM command not allowed when used memory > 'maxmemory'.\r\n"]);
      } finally {
        client.destroy();
      }
    }
  } finally {
    await Promise.all([redis.stop(), node.stop()]);
  }
});

test("the command table's denyoom flags are Redis 7.0's, as redis-server's COMMAND INFO reports them", async () => {
  const redis = await startRedis({ appendFsyncAlways: false });
  try {
    for (const spec of commandTable.values()) {
      const info = await cli(redis.port, "COMMAND", "INFO", spec.name);
      if (info === "") continue; // walnut's own command (COLLECTION, RANGE, VERSION, EXPIRESWEEP)
      // A container's denyoom is its subcommands' (XGROUP CREATE has it, DESTROY not) and redis-cli prints them
      // nested; walnut's table flags a command whole, so XGROUP is checked by no flag here (docs/commands.md).
      if (spec.hasSubcommands === true) continue;
      const flags = info.split("\n");
      assert.equal(spec.flags.includes("denyoom"), flags.includes("denyoom"), `${spec.name}: denyoom`);
    }
  } finally {
    await redis.stop();
  }
});

test("a walnut filled to --maxmemory refuses SET over RESP and HTTP while GET and DEL go on, and DEL brings it back under", async () => {
  const node = await startWalnut("--maxmemory", "1mb");
  try {
    assert.equal(await cli(node.port, "CONFIG", "GET", "maxmemory"), "maxmemory\n1048576");
    assert.equal(await cli(node.port, "SET", "a", "b"), "OOM command not allowed when used memory > 'maxmemory'.");
    const info = await cli(node.port, "INFO", "memory");
    for (const field of ["used_memory", "used_memory_human", "used_memory_rss", "used_memory_rss_human", "used_memory_peak", "used_memory_peak_human"]) {
      assert.match(info, new RegExp(`^${field}:\\S+\\r?$`, "m"), field);
    }
    assert.match(info, /^maxmemory:1048576\r?$/m);
    assert.match(info, /^maxmemory_human:1\.00M\r?$/m);
    assert.match(info, /^maxmemory_policy:noeviction\r?$/m);

    // Back to the default (half the heap limit), 48 MiB of values, then a limit 24 MiB above
    // what was used before them: over it by about 24 MiB whatever garbage is collected.
    assert.equal(await cli(node.port, "CONFIG", "SET", "maxmemory", "0"), "OK");
    assert.equal(await cli(node.port, "CONFIG", "GET", "maxmemory"), `maxmemory\n${Math.floor(heapSizeLimit() * 0.5)}`);
    const used = Number(/^used_memory:(\d+)/m.exec(await cli(node.port, "INFO", "memory"))?.[1]);
    const value = "v".repeat(1024 * 1024);
    const stored = 48;
    for (let index = 0; index < stored; index++) assert.deepEqual(await conversation(node.port, [["SET", `big:${index}`, value]]), ["+OK\r\n"]);
    const limit = used + 24 * 1024 * 1024;
    assert.equal(await cli(node.port, "CONFIG", "SET", "maxmemory", String(limit)), "OK");
    assert.deepEqual(await conversation(node.port, [["SET", "a", "b"]]), [OOM]);
    assert.deepEqual(await conversation(node.port, [["GET", "big:0"]]), [`$${value.length}\r\n${value}\r\n`]);

    const base = `http://127.0.0.1:${node.httpPort}`;
    const put = await fetch(`${base}/key/h`, { method: "PUT", body: JSON.stringify({ value: "x" }), headers: { "content-type": "application/json" } });
    assert.equal(put.status, 507);
    assert.deepEqual(await put.json(), { detail: "OOM command not allowed when used memory > 'maxmemory'." });
    const putList = await fetch(`${base}/key/l`, { method: "PUT", body: JSON.stringify({ value: ["a"] }), headers: { "content-type": "application/json" } });
    assert.equal(putList.status, 507);
    assert.equal((await fetch(`${base}/key/big:0`)).status, 200);
    assert.equal((await cli(node.port, "STRLEN", "big:0")), String(value.length));

    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /^walnut_used_memory_bytes \d+/m);
    assert.match(metrics, new RegExp(`^walnut_maxmemory_bytes ${limit}$`, "m"));
    assert.match(metrics, /^walnut_oom_refused_writes_total [1-9]\d*$/m);

    const keys = Array.from({ length: stored }, (_, index) => `big:${index}`);
    assert.equal(await cli(node.port, "DEL", ...keys), String(stored));
    const deleted = await fetch(`${base}/key/big:0`, { method: "DELETE" });
    assert.equal(deleted.status, 200);
    // The freed values are garbage until a collection: walnut collects before it keeps refusing.
    await waitUntil("SET is accepted again after DEL", async () => (await cli(node.port, "SET", "again", "1")) === "OK");
    assert.equal((await fetch(`${base}/key/h`, { method: "PUT", body: JSON.stringify({ value: "x" }) })).status, 200);
  } finally {
    await node.stop();
  }
});

test("walnut serve refuses a maxmemory the heap cannot hold with one line naming the flag and NODE_OPTIONS", async () => {
  const tooMuch = String(heapSizeLimit()); // the whole heap: more than it can hold with room to work
  await assert.rejects(run(process.execPath, [walnut, "serve", "--maxmemory", tooMuch, "--port", "0", "--http-port", "0"]), (error: { stderr: string; code: number }) => {
    const lines = error.stderr.trim().split("\n");
    assert.equal(lines.length, 1, error.stderr);
    assert.match(lines[0] ?? "", /^walnut serve: Cannot use --maxmemory .*NODE_OPTIONS=--max-old-space-size=\d+/);
    assert.notEqual(error.code, 0);
    return true;
  });
  await assert.rejects(run(process.execPath, [walnut, "serve", "--maxmemory", "lots"]), /--maxmemory must be a size/);
  const env = { ...process.env, WALNUT_MAXMEMORY: "lots" };
  await assert.rejects(run(process.execPath, [walnut, "serve", "--port", "0"], { env }), /WALNUT_MAXMEMORY must be a size/);
});
