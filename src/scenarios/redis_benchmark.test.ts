/**
 * redis-benchmark with its default test list (no -t) runs against walnut without a single
 * error: every command it sends must exist and answer as Redis does. While walnut still
 * lacks a command of that list (asked with COMMAND INFO), the test is skipped and says
 * which; once they all exist, any error fails it.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { test } from "node:test";
import assert from "node:assert/strict";
import { isInstalled } from "../bench/resp_servers.js";
import { startTestNode } from "./harness.js";
import { RespConnection } from "./differential/connection.js";

const run = promisify(execFile);

/** The commands redis-benchmark 7.0 sends with its default test list (and -q, no -t). */
const DEFAULT_LIST_COMMANDS = ["PING", "SET", "GET", "INCR", "LPUSH", "RPUSH", "LPOP", "RPOP", "SADD", "HSET", "SPOP", "ZADD", "ZPOPMIN", "LRANGE", "MSET"];

/** The default list's tests, as redis-benchmark 7.0 names them in its -q output. */
const DEFAULT_TESTS = [
  "PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "LPUSH", "RPUSH", "LPOP", "RPOP", "SADD", "HSET", "SPOP", "ZADD", "ZPOPMIN",
  "LPUSH (needed to benchmark LRANGE)", "LRANGE_100 (first 100 elements)", "LRANGE_300 (first 300 elements)",
  "LRANGE_500 (first 500 elements)", "LRANGE_600 (first 600 elements)", "MSET (10 keys)",
];

/** How long redis-benchmark may run on a busy 2-core machine before the test calls it a hang. */
const BENCHMARK_GUARD_MS = 600_000;

/** The commands of `names` that the server on `port` does not have (COMMAND INFO answers nil for them). */
async function missingCommands(port: number, names: readonly string[]): Promise<string[]> {
  const connection = await RespConnection.open(port);
  try {
    const { reply } = await connection.send(["COMMAND", "INFO", ...names]);
    assert.equal(reply.type, "array", "COMMAND INFO answers an array");
    if (reply.type !== "array") return [...names];
    return names.filter((_, index) => reply.items[index]?.type === "nil");
  } finally {
    connection.close();
  }
}

test("redis-benchmark's default test list runs against walnut with no error", { skip: !isInstalled("redis-benchmark") && "redis-benchmark is not installed" }, async (t) => {
  const node = await startTestNode();
  try {
    const missing = await missingCommands(node.respPort, DEFAULT_LIST_COMMANDS);
    if (missing.length > 0) {
      const reason = `walnut lacks ${missing.join(", ")} of redis-benchmark's default test list`;
      console.log(`redis_benchmark.test: skipped: ${reason}`);
      t.skip(reason);
      return;
    }
    // redis-benchmark stops at the first error reply and exits 1; with -q, progress lines end in \r.
    const outcome = await run("redis-benchmark", ["-p", String(node.respPort), "-n", "2000", "-q"], { timeout: BENCHMARK_GUARD_MS })
      .then(({ stdout, stderr }) => ({ code: 0, stdout, stderr }))
      .catch((failure: { code?: number; stdout?: string; stderr?: string }) => ({ code: failure.code ?? -1, stdout: failure.stdout ?? "", stderr: failure.stderr ?? "" }));
    const lines = `${outcome.stdout}\n${outcome.stderr}`.split(/[\r\n]+/).map((line) => line.trim()).filter((line) => line !== "");
    const errors = lines.filter((line) => /error|unknown command/i.test(line) || /^-?(ERR|WRONGTYPE) /.test(line));
    assert.deepEqual(errors, [], "redis-benchmark printed no error");
    assert.equal(outcome.code, 0, `redis-benchmark exited 0; its output:\n${lines.join("\n")}`);
    for (const name of DEFAULT_TESTS) {
      const done = lines.some((line) => line.startsWith(`${name}: `) && line.includes("requests per second"));
      assert.ok(done, `redis-benchmark ran its ${name} test`);
    }
  } finally {
    await node.stop();
  }
});
