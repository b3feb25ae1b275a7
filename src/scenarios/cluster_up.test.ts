/**
 * `walnut cluster up`: three real processes on loopback that elect a leader, take a write
 * on one node and serve it from another, and all stop cleanly when stopped. A supervisor
 * (systemd, `timeout`) signals the whole process group, so each node hears SIGTERM twice:
 * from the supervisor and from `cluster up`. The second must not cut its close short.
 *
 * Run again on the same directory, it restarts the same cluster (its secret is kept in
 * cluster.toml), and the line it prints restarts one killed node by hand. It checks every
 * port before starting anything, and a node that cannot start makes it exit non-zero.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { freePort, waitUntil } from "./server_fixtures.js";

const walnut = fileURLToPath(new URL("../../bin/walnut.js", import.meta.url));

/** Three consecutive free ports (node i uses base + i - 1). */
async function portBase(): Promise<number> {
  for (;;) {
    const base = await freePort();
    if (base > 65000) continue;
    const free = await Promise.all([1, 2].map(async (offset) => {
      const { createServer } = await import("node:net");
      return new Promise<boolean>((resolve) => {
        const server = createServer();
        server.once("error", () => resolve(false));
        server.listen(base + offset, "127.0.0.1", () => server.close(() => resolve(true)));
      });
    }));
    if (free.every(Boolean)) return base;
  }
}

test("walnut cluster up runs a three-node cluster that any node serves, and stops cleanly", { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), "walnut-cluster-up-"));
  const [resp, http, peer] = [await portBase(), await portBase(), await portBase()];
  const child = spawn(process.execPath, [walnut, "cluster", "up", "--nodes", "3", "--data-dir", dir,
    "--port", String(resp), "--http-port", String(http), "--peer-port", String(peer)], { stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const clients = [0, 1, 2].map((i) => new Redis({ port: resp + i, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => 100 }));
  try {
    await waitUntil("every node to report a leader", async () => {
      const statuses = await Promise.all([0, 1, 2].map((i) => fetch(`http://127.0.0.1:${http + i}/status`).then((r) => r.json() as Promise<{ leader: number }>).catch(() => null)));
      return statuses.every((s) => s !== null && s.leader !== 0);
    });
    assert.match(output, /node 1: RESP 127\.0\.0\.1:\d+/);
    await clients[1]?.connect();
    await clients[2]?.connect();
    assert.equal(await clients[1]?.set("hello", "world"), "OK");
    assert.equal(await clients[2]?.get("hello"), "world");
  } finally {
    for (const client of clients) client.disconnect();
    process.kill(-(child.pid as number), "SIGTERM"); // the whole group, as systemd does
    await exited;
    await rm(dir, { recursive: true, force: true });
  }
  assert.equal(output.match(/closed cleanly/g)?.length, 3, output);
});

/** One `walnut cluster up` (or any walnut command) child with its output and exit. */
class WalnutRun {
  output = "";
  exitCode: number | null | undefined = undefined;
  readonly exited: Promise<number | null>;
  readonly child: ChildProcess;

  constructor(args: string[], env: NodeJS.ProcessEnv = process.env) {
    this.child = spawn(process.execPath, [walnut, ...args], { stdio: ["ignore", "pipe", "pipe"], detached: true, env });
    this.child.stdout?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.stderr?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.on("exit", (code) => resolve((this.exitCode = code))));
  }

  /** Stops the whole process group as systemd does, and waits for the exit code. */
  async stop(): Promise<number | null> {
    if (this.exitCode === undefined) process.kill(-(this.child.pid as number), "SIGTERM");
    return this.exited;
  }
}

/**
 * Runs `command` on a fresh connection to `port`, retrying while the node is not up yet or
 * the cluster elects a leader (right after a start or a kill).
 */
async function at<T>(port: number, command: (client: Redis) => Promise<T>): Promise<T> {
  let result: T | undefined;
  await waitUntil(`a command on port ${port} to succeed once a leader is known`, async () => {
    const client = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on("error", () => undefined);
    try {
      await client.connect();
      result = await command(client);
      return true;
    } catch (error) {
      if (/no leader|not the leader|retry|Connection is closed|ECONNREFUSED/i.test(String(error))) return false;
      throw error;
    } finally {
      client.disconnect();
    }
  });
  return result as T;
}

test("cluster up run again restarts the same cluster on its data, and its printed line restarts one killed node", { timeout: 180_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), "walnut-cluster-restart-"));
  const [resp, http, peer] = [await portBase(), await portBase(), await portBase()];
  const args = ["cluster", "up", "--data-dir", dir, "--port", String(resp), "--http-port", String(http), "--peer-port", String(peer)];
  let run = new WalnutRun(args);
  let manual: WalnutRun | null = null;
  try {
    await waitUntil("the cluster reports itself started", () => /walnut cluster of 3 started/.test(run.output) || run.exitCode !== undefined);
    assert.match(run.output, /walnut cluster of 3 started/, run.output);
    const record = await readFile(join(dir, "cluster.toml"), "utf8");
    const secret = /cluster-secret = "([0-9a-f]+)"/.exec(record)?.[1];
    assert.ok(secret !== undefined, record);
    assert.equal((await stat(join(dir, "cluster.toml"))).mode & 0o777, 0o600, "the file holding the secret is the owner's only");
    assert.ok(run.output.includes(`cluster secret (${secret}) are kept in ${join(dir, "cluster.toml")}`), run.output);
    assert.ok(run.output.includes(`--data-dir ${join(dir, "node-4")} --cluster-secret ${secret}`), "the join line names a data dir and the secret");

    assert.equal(await at(resp + 1, (node2) => node2.set("hello", "world")), "OK");
    // Kill node 2 (its pid from INFO, as an operator reads it) and restart it with the printed line.
    const pid = Number(/process_id:(\d+)/.exec(await at(resp + 1, (node2) => node2.info("server")))?.[1]);
    process.kill(pid, "SIGKILL");
    await waitUntil("cluster up reports node 2 exited", () => /\[node 2\] exited \(SIGKILL\)/.test(run.output));
    const restartLine = /restart one node: +walnut serve --config (\S+)node-1\.toml/.exec(run.output);
    assert.ok(restartLine !== null, run.output);
    manual = new WalnutRun(["serve", "--config", `${restartLine[1]}node-2.toml`]);
    assert.equal(await at(resp + 1, (again) => again.get("hello")), "world", manual.output);
    assert.equal(await manual.stop(), 0, manual.output);
    assert.equal(await run.stop(), 0, run.output);

    // The same command again: the same cluster, on the same data. A WALNUT_* setting in the
    // environment (which serve ranks above its config file) must not reach the nodes.
    run = new WalnutRun(args, { ...process.env, WALNUT_ID: "7", WALNUT_PORT: String(resp) });
    await waitUntil("the cluster reports itself restarted", () => /walnut cluster of 3 restarted on its data/.test(run.output) || run.exitCode !== undefined);
    assert.doesNotMatch(run.output, /belongs to cluster/);
    assert.match(run.output, /walnut cluster of 3 restarted on its data/, run.output);
    assert.equal(await at(resp + 2, (node3) => node3.get("hello")), "world");
  } finally {
    await manual?.stop();
    assert.equal(await run.stop(), 0, run.output);
    await rm(dir, { recursive: true, force: true });
  }
});

test("cluster up checks every port before starting a node: overlapping ranges and a taken port are refused by port and flag", { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), "walnut-cluster-ports-"));
  const [resp, peer] = [await portBase(), await portBase()];
  const holder = createServer();
  try {
    const overlapping = new WalnutRun(["cluster", "up", "--data-dir", dir, "--port", String(resp), "--http-port", String(resp + 1), "--peer-port", String(peer)]);
    assert.equal(await overlapping.exited, 2, overlapping.output);
    assert.match(overlapping.output, new RegExp(`Cannot start the cluster: port ${resp + 1} would be both RESP of node 2 \\(--port\\) and HTTP of node 1 \\(--http-port\\)`));
    assert.doesNotMatch(overlapping.output, /node 1: RESP/, "no node started");

    const http = await portBase();
    await new Promise<void>((resolve) => holder.listen(resp, "127.0.0.1", resolve)); // another program on node 1's RESP port
    const taken = new WalnutRun(["cluster", "up", "--data-dir", dir, "--port", String(resp), "--http-port", String(http), "--peer-port", String(peer)]);
    assert.equal(await taken.exited, 2, taken.output);
    assert.match(taken.output, new RegExp(`Cannot start the cluster: port ${resp} \\(RESP of node 1, set by --port\\) is already in use by another process; stop what listens there or choose another --port`));
    assert.doesNotMatch(taken.output, /node 1: RESP/, "no node started");
    await assert.rejects(stat(join(dir, "cluster.toml")), "nothing was written");
  } finally {
    holder.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test("cluster up exits non-zero, naming the node and its error, when a node cannot start", { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), "walnut-cluster-fails-"));
  const [resp, http, peer] = [await portBase(), await portBase(), await portBase()];
  try {
    await writeFile(join(dir, "node-2"), "not a directory"); // node 2 cannot make its data directory
    const run = new WalnutRun(["cluster", "up", "--data-dir", dir, "--port", String(resp), "--http-port", String(http), "--peer-port", String(peer)]);
    assert.equal(await run.exited, 1, run.output);
    assert.match(run.output, /walnut cluster up: Cannot start the cluster: node 2 exited \(\d+\) before it was ready: walnut serve: Cannot create data directory/);
    assert.doesNotMatch(run.output, /try +walnut cli/, "no claim of success");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
