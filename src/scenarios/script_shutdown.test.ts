/**
 * SHUTDOWN while a long write script runs, against a real `walnut serve` process. As in
 * Redis 7.0, SHUTDOWN, SHUTDOWN SAVE and SHUTDOWN NOW answer BUSY while the script is past
 * busy-reply-threshold, and SHUTDOWN NOSAVE stops the server without waiting for the
 * script: the process closes (it says it did not wait for a paused script) and exits 0,
 * the script's caller gets no reply. The script's log entry is durable, so the restarted
 * server applies it whole, exactly once: both of its INCRs (one before its long loop, one
 * after) count 1, and the server takes writes after it. Closing an embedded node during a
 * long script does the same (it gives the paused script up, read-only or logged), and a
 * node opened again on its directory applies the logged one once.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import assert from "node:assert/strict";
import { RespConnection } from "./differential/connection.js";
import { startTestNode } from "./harness.js";
import { existingScriptHost } from "../commands/scripting/script_host.js";
import { freePort, waitUntil } from "./server_fixtures.js";

const walnut = fileURLToPath(new URL("../../bin/walnut.js", import.meta.url));
/** 300 million Lua instructions: seconds here, under walnut's budget of 500 million. */
const LONG_WRITE = "redis.call('incr', 'before')\nfor i = 1, 300000000 do end\nredis.call('incr', 'after')\nreturn redis.call('get', 'after')";
const BUSY = "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n";
/** PINGs sent at most while waiting for the script to pass the threshold (BUSY comes within a few). */
const PINGS_MAX = 100_000;

interface Served {
  child: ChildProcess;
  exited: Promise<number | null>;
  output: () => string;
}

async function serve(dir: string, port: number): Promise<Served> {
  const child = spawn(process.execPath, [walnut, "serve", "--data-dir", dir, "--port", String(port), "--http-port", "0", "--log-format", "json"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  await waitUntil("walnut serve is ready", () => /ready/.test(output));
  return { child, exited, output: () => output };
}

test("SHUTDOWN NOSAVE during a long write script stops at once; after a restart the script is applied whole, once", { timeout: 300_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), "walnut-script-shutdown-"));
  const port = await freePort();
  const running: Served[] = [];
  const connections: RespConnection[] = [];
  try {
    const first = await serve(dir, port);
    running.push(first);
    const caller = await RespConnection.open(port);
    const other = await RespConnection.open(port);
    connections.push(caller, other);
    assert.equal((await other.send(["config", "set", "busy-reply-threshold", "0"])).raw, "+OK\r\n");
    const script = caller.send(["eval", LONG_WRITE, "0"]).then(
      (answer) => `replied ${JSON.stringify(answer.raw)}`,
      (error: Error) => `no reply: ${error.message}`,
    );
    let busy = false;
    for (let attempt = 0; attempt < PINGS_MAX && !busy; attempt++) busy = (await other.send(["ping"])).raw === BUSY;
    assert.ok(busy, "another client was told BUSY while the script ran");
    for (const refused of [["shutdown"], ["shutdown", "save"], ["shutdown", "now"], ["shutdown", "force"]]) {
      assert.equal((await other.send(refused)).raw, BUSY, refused.join(" "));
    }
    assert.equal((await other.send(["shutdown", "abort"])).raw, "-ERR No shutdown in progress.\r\n");
    const shutdown = await other.send(["shutdown", "nosave"]).then(
      (answer) => `replied ${JSON.stringify(answer.raw)}`,
      (error: Error) => `no reply: ${error.message}`,
    );
    assert.match(shutdown, /^no reply: .*the server closed the connection$/);
    assert.equal(await first.exited, 0, first.output());
    assert.match(first.output(), /closing without waiting for a paused script/);
    assert.match(first.output(), /closed cleanly/);
    assert.match(await script, /^no reply: .*the server closed the connection$/, "the script never finished in the first process");

    const second = await serve(dir, port);
    running.push(second);
    const client = await RespConnection.open(port);
    connections.push(client);
    // The restarted node applies the logged script (seconds): a read waits for it, or comes before it.
    await waitUntil("the restarted node applied the script", async () => (await client.send(["get", "after"])).raw === "$1\r\n1\r\n", 240_000);
    assert.equal((await client.send(["get", "before"])).raw, "$1\r\n1\r\n", "the script ran once, whole");
    assert.equal((await client.send(["incr", "after"])).raw, ":2\r\n");
    assert.equal((await client.send(["dbsize"])).raw, ":2\r\n");
  } finally {
    for (const connection of connections) connection.close();
    for (const served of running) {
      if (served.child.exitCode === null && served.child.signalCode === null) {
        served.child.kill("SIGTERM");
        await served.exited;
      }
    }
    await rm(dir, { recursive: true, force: true });
  }
});

/** Sends `body` as EVAL (or EVAL_RO) and waits until another client is told BUSY (its caller never gets a reply: the node closes first). */
async function untilBusy(port: number, command: string, body: string, connections: RespConnection[]): Promise<void> {
  const caller = await RespConnection.open(port);
  const other = await RespConnection.open(port);
  connections.push(caller, other);
  await other.send(["config", "set", "busy-reply-threshold", "0"]);
  caller.send([command, body, "0"]).catch(() => undefined);
  let busy = false;
  for (let attempt = 0; attempt < PINGS_MAX && !busy; attempt++) busy = (await other.send(["ping"])).raw === BUSY;
  assert.ok(busy, "another client was told BUSY while the script ran");
}

test("closing an embedded node gives up a paused read-only script, and a paused write script that a reopened node applies once", { timeout: 300_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), "walnut-script-close-"));
  const connections: RespConnection[] = [];
  try {
    const reading = await startTestNode({ dir });
    await untilBusy(reading.respPort, "eval_ro", "while true do end", connections);
    await reading.stop(); // returns although the script never ends
    assert.equal(existingScriptHost(reading.db.node.engine)?.vm.hasPausedRun, false, "the endless script was given up");
    const writing = await startTestNode({ dir });
    await untilBusy(writing.respPort, "eval", LONG_WRITE, connections);
    const appliedBefore = writing.db.node.engine.appliedIndex;
    await writing.stop();
    assert.equal(writing.db.node.engine.appliedIndex, appliedBefore, "the closing node did not finish the script's entry");
    const reopened = await startTestNode({ dir });
    try {
      await waitUntil("the reopened node applied the script", async () => String(await reopened.db.get("after")) === "1", 240_000);
      assert.equal(String(await reopened.db.get("before")), "1", "the script ran once, whole");
    } finally {
      await reopened.stop();
    }
  } finally {
    for (const connection of connections) connection.close();
    await rm(dir, { recursive: true, force: true });
  }
});
