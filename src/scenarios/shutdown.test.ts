/**
 * SHUTDOWN over RESP, as in Redis 7.0: redis-cli's SHUTDOWN stops `walnut serve` (the
 * process exits 0 after closing cleanly), SHUTDOWN SAVE takes a checkpoint first, bad
 * arguments get Redis' errors, and an embedded server lets its owner observe the request.
 */
import { execFile, spawn } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { test } from "node:test";
import assert from "node:assert/strict";
import { open } from "../db.js";
import { startTestNode } from "./harness.js";
import { exchange, freePort, waitUntil } from "./server_fixtures.js";

const run = promisify(execFile);
const walnut = fileURLToPath(new URL("../../bin/walnut.js", import.meta.url));

function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });
}

test("SHUTDOWN's argument errors are Redis 7.0's, and nothing shuts down", async () => {
  const node = await startTestNode();
  try {
    const cases: Array<[string, string]> = [
      ["SHUTDOWN foo", "-ERR syntax error\r\n"],
      ["SHUTDOWN SAVE NOSAVE", "-ERR syntax error\r\n"],
      ["SHUTDOWN nosave foo", "-ERR syntax error\r\n"],
      ["SHUTDOWN ABORT NOW", "-ERR syntax error\r\n"],
      ["SHUTDOWN ABORT", "-ERR No shutdown in progress.\r\n"],
    ];
    for (const [command, expected] of cases) {
      const client = await exchange(node.respPort, `${command}\r\n`, expected);
      assert.equal(client.text(), expected, command);
      client.destroy();
    }
    const multi = "+OK\r\n-ERR Command not allowed inside a transaction\r\n-EXECABORT Transaction discarded because of previous errors.\r\n";
    const client = await exchange(node.respPort, "MULTI\r\nSHUTDOWN\r\nEXEC\r\n", multi);
    assert.equal(client.text(), multi);
    client.destroy();
    const ping = await exchange(node.respPort, "PING\r\n", "+PONG\r\n");
    ping.destroy();
  } finally {
    await node.stop();
  }
});

test("an embedded server's owner observes SHUTDOWN SAVE: checkpoint taken, servers closed", async () => {
  const node = await startTestNode();
  try {
    await node.db.set("kept", "yes");
    const before = (await readdir(join(node.dir, "checkpoints"))).length;
    const { stdout } = await run("redis-cli", ["-p", String(node.respPort), "SHUTDOWN", "SAVE"]);
    assert.equal(stdout.trim(), "", "no reply, as from redis-server");
    const request = await node.servers.shutdownRequested;
    assert.equal(request.saved, true);
    assert.match(request.client, /^127\.0\.0\.1:\d+$/);
    assert.equal((await readdir(join(node.dir, "checkpoints"))).length, before + 1, "SAVE took a checkpoint");
    assert.equal(await refusesConnections(node.respPort), true, "the RESP server is closed");
    assert.equal(await node.db.get("kept"), "yes", "the owner still holds the db");
  } finally {
    await node.stop();
  }
});

test("redis-cli SHUTDOWN stops walnut serve, which closes cleanly and exits 0", async () => {
  const dir = await mkdtemp(join(tmpdir(), "walnut-shutdown-"));
  try {
    const port = await freePort();
    const child = spawn(process.execPath, [walnut, "serve", "--data-dir", dir, "--port", String(port), "--http-port", "0", "--log-format", "json"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    await waitUntil("walnut serve is ready", () => /ready/.test(output));
    await run("redis-cli", ["-p", String(port), "SET", "k", "v"]);
    const { stdout } = await run("redis-cli", ["-p", String(port), "SHUTDOWN"]);
    assert.equal(stdout.trim(), "");
    assert.equal(await exited, 0, output);
    assert.match(output, /SHUTDOWN from 127\.0\.0\.1:\d+: closing/);
    assert.match(output, /closed cleanly/);
    const reopened = await open({ dir, checkpointInterval: 0 });
    assert.equal(await reopened.get("k"), "v");
    await reopened.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
