/**
 * Compatibility with Redis' own tools from Debian's redis-tools (installed by .ci/run):
 * redis-cli one-shot commands, --bigkeys and --memkeys, and redis-benchmark against a live walnut.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { test } from "node:test";
import assert from "node:assert/strict";
import { startTestNode } from "./harness.js";

const run = promisify(execFile);

test("redis-cli and redis-benchmark work against walnut", async () => {
  const node = await startTestNode();
  try {
    const cli = (...args: string[]): Promise<string> =>
      run("redis-cli", ["-p", String(node.respPort), ...args]).then((out) => out.stdout.trim());
    assert.equal(await cli("PING"), "PONG");
    assert.equal(await cli("SET", "greeting", "hello world"), "OK");
    assert.equal(await cli("GET", "greeting"), "hello world");
    assert.equal(await cli("INCRBY", "n", "5"), "5");
    assert.equal(await cli("PFADD", "visitors", "a", "b", "c"), "1");
    assert.equal(await cli("PFCOUNT", "visitors"), "3");
    assert.match(await cli("INFO", "server"), /redis_version/);
    const bench = await run("redis-benchmark", ["-p", String(node.respPort), "-t", "set,get,incr,lpush", "-n", "2000", "-c", "10", "-q"]);
    for (const name of ["SET", "GET", "INCR", "LPUSH"]) assert.match(bench.stdout, new RegExp(`${name}: [\\d.]+ requests per second`));
    assert.equal(await cli("GET", "greeting"), "hello world");
  } finally {
    await node.stop();
  }
});

test("redis-cli --bigkeys and --memkeys see walnut's typed values as Redis' types", async () => {
  const node = await startTestNode();
  try {
    const cli = (...args: string[]): Promise<string> =>
      run("redis-cli", ["-p", String(node.respPort), ...args]).then((out) => out.stdout.trim());
    await cli("SET", "text", "hello");
    await cli("INCRBY", "counter", "5"); // walnut's integer kind
    await cli("INCRBYFLOAT", "ratio", "1.5"); // walnut's float kind
    await cli("RPUSH", "queue", "a", "b", "c");
    const bigkeys = await cli("--bigkeys");
    assert.match(bigkeys, /^3 strings with /m, "integers and floats are strings, as TYPE answers");
    assert.match(bigkeys, /Biggest\s+list found '"queue"' has 3 items/);
    const memkeys = await cli("--memkeys");
    assert.match(memkeys, /^3 strings with [1-9][0-9]* bytes/m, "MEMORY USAGE answers for every key");
    assert.match(memkeys, /^1 lists with [1-9][0-9]* bytes/m);
  } finally {
    await node.stop();
  }
});
