/**
 * Durability of the real server under kill -9: `walnut serve --fsync always` runs as a
 * child process; ioredis clients write to it with many commands in flight (SETs of
 * unique keys, INCRs of one counter); at a random moment (after a random number of
 * acknowledgements) the child is killed with SIGKILL and restarted on the same data
 * directory. Every acknowledged SET must be there, and the counter must be at least the
 * highest INCR reply acknowledged. Readiness is PING answered, never a fixed sleep.
 *
 * 10 rounds by default, WALNUT_DEEP=1 runs 50. The seed is printed on failure;
 * WALNUT_FUZZ_SEED replays the same kill points.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { DEEP, Random, RawClient, freePort, runSeed, waitUntil } from "./server_fixtures.js";

const ROUNDS = DEEP ? 50 : 10;
const CLIENTS = 4;
/** Commands each client keeps in flight. */
const LANES_PER_CLIENT = 16;
/** The kill comes after between 1 and this many acknowledged writes in a round. */
const ACKNOWLEDGEMENTS_BEFORE_KILL_MAX = 2000;
/** Keys checked per MGET when verifying. */
const VERIFY_BATCH = 500;
const walnutBin = fileURLToPath(new URL("../../bin/walnut.js", import.meta.url));

interface Acknowledged {
  sets: Map<string, string>;
  highestCount: number;
}

interface ServerProcess {
  child: ChildProcess;
  port: number;
  stderr(): string;
  exited: Promise<NodeJS.Signals | number | null>;
}

function spawnServer(dataDir: string, port: number): ServerProcess {
  const args = [walnutBin, "serve", "--data-dir", dataDir, "--port", String(port), "--http-port", "0", "--fsync", "always",
    "--segment-size", "256KiB", "--checkpoint-wal-bytes", "512KiB", "--checkpoint-interval", "0"];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once("exit", (code, signal) => resolve(signal ?? code)));
  return { child, port, stderr: () => stderr, exited };
}

/** True once the server at `port` answers PING. */
async function answersPing(port: number): Promise<boolean> {
  const client = new RawClient(port);
  try {
    await Promise.race([client.connected, client.closedPromise]);
    if (client.closed) return false;
    await client.write("PING\r\n");
    await client.receivedAtLeast(7);
    return client.text() === "+PONG\r\n";
  } finally {
    client.destroy();
  }
}

/** Starts `walnut serve` on a free port and waits until it answers PING; retries if the port was taken. */
async function startServer(dataDir: string): Promise<ServerProcess> {
  for (let attempt = 1; ; attempt++) {
    const server = spawnServer(dataDir, await freePort());
    let exitedEarly = false;
    void server.exited.then(() => (exitedEarly = true));
    await waitUntil(`walnut serve answers PING on port ${server.port}`, async () => exitedEarly || (await answersPing(server.port)));
    if (!exitedEarly) return server;
    if (attempt === 3) throw new Error(`walnut serve exited before answering PING: ${server.stderr()}`);
  }
}

function connectClient(port: number): Redis {
  return new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null, lazyConnect: true });
}

/** Writes until the connection fails, recording each acknowledgement; returns why it stopped. */
async function writeLane(redis: Redis, name: string, acknowledged: Acknowledged, onAck: () => void): Promise<unknown> {
  try {
    for (let sequence = 0; ; sequence++) {
      if (sequence % 5 === 4) {
        const count = await redis.incr("counter");
        acknowledged.highestCount = Math.max(acknowledged.highestCount, count);
      } else {
        const key = `${name}:${sequence}`;
        const value = `value-${name}-${sequence}-${"x".repeat(sequence % 100)}`;
        await redis.set(key, value);
        acknowledged.sets.set(key, value);
      }
      onAck();
    }
  } catch (error) {
    // Once the server is killed, the failed command's outcome is unknown: not recorded.
    return error;
  }
}

/** Runs writers against `server` and kills it with SIGKILL after `ackTarget` acknowledgements. */
async function writeAndKill(server: ServerProcess, round: number, ackTarget: number, acknowledged: Acknowledged): Promise<void> {
  const clients = Array.from({ length: CLIENTS }, () => connectClient(server.port));
  for (const client of clients) client.on("error", () => undefined);
  await Promise.all(clients.map((client) => client.connect()));
  let acks = 0;
  let killed = false;
  const onAck = (): void => {
    acks += 1;
    if (acks === ackTarget) killed = server.child.kill("SIGKILL");
  };
  const lanes = clients.flatMap((client, clientIndex) =>
    Array.from({ length: LANES_PER_CLIENT }, (_, lane) => writeLane(client, `r${round}:c${clientIndex}:l${lane}`, acknowledged, onAck)),
  );
  const stopped = Promise.all(lanes);
  await Promise.race([server.exited, stopped]);
  const failedBeforeKill = killed ? null : await stopped;
  if (!killed) server.child.kill("SIGKILL");
  const signal = await server.exited;
  await stopped;
  for (const client of clients) client.disconnect();
  assert.equal(failedBeforeKill, null, `round ${round}: the writers failed before the kill: ${String(failedBeforeKill?.[0])}`);
  assert.equal(signal, "SIGKILL", `round ${round}: the server died of the kill, not on its own: ${server.stderr()}`);
}

async function verify(port: number, acknowledged: Acknowledged, context: string): Promise<void> {
  const redis = connectClient(port);
  await redis.connect();
  try {
    const keys = [...acknowledged.sets.keys()];
    for (let start = 0; start < keys.length; start += VERIFY_BATCH) {
      const batch = keys.slice(start, start + VERIFY_BATCH);
      const values = await redis.mget(...batch);
      batch.forEach((key, index) => {
        assert.equal(values[index], acknowledged.sets.get(key), `${context}: acknowledged SET ${key} lost`);
      });
    }
    const counter = Number((await redis.get("counter")) ?? 0);
    assert.ok(counter >= acknowledged.highestCount, `${context}: counter ${counter} < acknowledged INCR ${acknowledged.highestCount}`);
  } finally {
    redis.disconnect();
  }
}

test(`every write walnut serve acknowledged survives kill -9 and restart (${ROUNDS} rounds)`, { timeout: DEEP ? 3_600_000 : 600_000 }, async () => {
  const seed = runSeed();
  const random = new Random(seed);
  const dataDir = await mkdtemp(join(tmpdir(), "walnut-server-crash-"));
  const acknowledged: Acknowledged = { sets: new Map(), highestCount: 0 };
  let server: ServerProcess | null = null;
  try {
    server = await startServer(dataDir);
    for (let round = 0; round < ROUNDS; round++) {
      const ackTarget = 1 + random.below(ACKNOWLEDGEMENTS_BEFORE_KILL_MAX);
      await writeAndKill(server, round, ackTarget, acknowledged);
      server = await startServer(dataDir);
      await verify(server.port, acknowledged, `round ${round} (kill after ${ackTarget} acks, WALNUT_FUZZ_SEED=${seed})`);
    }
    assert.ok(acknowledged.sets.size >= ROUNDS, "the clients had writes acknowledged");
  } catch (error) {
    console.error(`server_crash: failed; replay with WALNUT_FUZZ_SEED=${seed}\n${server?.stderr() ?? ""}`);
    throw error;
  } finally {
    if (server !== null && server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill("SIGKILL");
      await server.exited;
    }
    await rm(dataDir, { recursive: true, force: true });
  }
});

test(
  "a SETRANGE past the longest string V8 can hold is refused, and neither crashes the server nor its WAL replay",
  { timeout: 120_000 },
  async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "walnut-server-poison-"));
    let server: ServerProcess | null = null;
    try {
      server = await startServer(dataDir);
      const answer = await exchangeOnce(server.port, "SETRANGE k 536870900 x\r\nPING\r\n");
      assert.match(answer, /^-ERR .*\r\n\+PONG\r\n$/, `the server answered ${JSON.stringify(answer)}: ${server.stderr()}`);
      server.child.kill("SIGKILL");
      await server.exited;
      server = await startServer(dataDir);
    } finally {
      if (server !== null && server.child.exitCode === null && server.child.signalCode === null) {
        server.child.kill("SIGKILL");
        await server.exited;
      }
      await rm(dataDir, { recursive: true, force: true });
    }
  },
);

/** Sends `bytes` and returns what arrived once the server closed or sent two replies' worth. */
async function exchangeOnce(port: number, bytes: string): Promise<string> {
  const client = new RawClient(port);
  try {
    await client.connected;
    await client.write(bytes);
    await waitUntil("two replies or a close", () => client.closed || client.replies().replies.length >= 2);
    return client.text();
  } finally {
    client.destroy();
  }
}
