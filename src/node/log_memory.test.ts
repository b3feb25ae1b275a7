/**
 * The memory the Raft log holds stays bounded however many writes a node takes between
 * checkpoints, and a follower that falls behind what its leader still holds in memory
 * catches up from a checkpoint taken for it. Embedded nodes (three of them over loopback
 * TCP for the cluster), checked through Node.logMemory(), never through timing.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { CommandExecutor } from "../commands/executor.js";
import { walnutStateMachine } from "../commands/state_machine.js";
import { DEFAULT_COLLECTION } from "../engine/engine.js";
import type { FsyncMode } from "../wal/wal.js";
import { freePort, waitUntil } from "../scenarios/server_fixtures.js";
import { Node, type NodeOptions } from "./node.js";

const IN_FLIGHT = 200;
const ROUNDS = 50;
/** node.ts: the log lets go once it holds this many, and fsync "no" queues at most so many unwritten. */
const RELEASE_BATCH_ENTRIES = 64;
const RELEASE_BATCH_BYTES = 1024 * 1024;
const UNWRITTEN_ENTRIES_MAX = 256;

function nodeOptions(dataDir: string, fsync: FsyncMode): NodeOptions {
  return { dataDir, fsync, segmentSizeBytes: 1024 * 1024, checkpointIntervalMs: 0, checkpointWalBytes: 0, archiveWal: false, stateMachine: walnutStateMachine };
}

async function set(executor: CommandExecutor, key: string, value: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const reply = await executor.execute(DEFAULT_COLLECTION, ["SET", key, value]);
    if (reply.type !== "error") return;
    if (attempt > 100 || !/leader|unknown/i.test(reply.text)) throw new Error(`SET ${key}: ${reply.text}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function get(executor: CommandExecutor, key: string): Promise<unknown> {
  return executor.execute(DEFAULT_COLLECTION, ["GET", key]);
}

test("a node alone lets go of a few large entries too, before 64 have gathered", async () => {
  const dir = await mkdtemp(join(tmpdir(), "walnut-log-memory-"));
  const node = await Node.open(nodeOptions(dir, "always"));
  const executor = new CommandExecutor(node);
  const value = "v".repeat(512 * 1024);
  try {
    let mostBytes = 0;
    for (let n = 0; n < 20; n++) {
      await set(executor, `big:${n}`, value);
      mostBytes = Math.max(mostBytes, node.logMemory().bytes);
    }
    // node.ts lets go once 1 MiB is held: at most that and the entry that crossed it.
    assert.ok(mostBytes <= RELEASE_BATCH_BYTES + 2 * value.length, `held ${mostBytes} bytes of ${20 * value.length}`);
  } finally {
    await node.close();
    await rm(dir, { recursive: true, force: true });
  }
});

for (const fsync of ["always", "everysec", "no"] as const) {
  test(`a node alone keeps no entry both applied and written in memory (fsync ${fsync})`, async () => {
    const dir = await mkdtemp(join(tmpdir(), "walnut-log-memory-"));
    const node = await Node.open(nodeOptions(dir, fsync));
    const executor = new CommandExecutor(node);
    let mostHeld = 0;
    try {
      for (let round = 0; round < ROUNDS; round++) {
        await Promise.all(Array.from({ length: IN_FLIGHT }, (_, n) => set(executor, `key:${round}:${n}`, "v".repeat(16))));
        mostHeld = Math.max(mostHeld, node.logMemory().entries);
      }
      // Acknowledged means applied, and written too except under "no", whose WAL may
      // still queue a bounded number of entries (the log keeps them for a failed write).
      const unwritten = fsync === "no" ? UNWRITTEN_ENTRIES_MAX : 0;
      assert.ok(mostHeld <= RELEASE_BATCH_ENTRIES + unwritten, `held ${mostHeld} of ${ROUNDS * IN_FLIGHT} entries`);
    } finally {
      await node.close();
    }
    const reopened = await Node.open(nodeOptions(dir, fsync));
    try {
      assert.deepEqual(await get(new CommandExecutor(reopened), `key:${ROUNDS - 1}:${IN_FLIGHT - 1}`), { type: "bulk", value: "v".repeat(16) });
      assert.equal(reopened.engine.size, ROUNDS * IN_FLIGHT);
    } finally {
      await reopened.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
}

test("a follower behind what its leader holds in memory catches up from a checkpoint taken for it", { timeout: 60_000 }, async () => {
  const windowBytes = 16 * 1024;
  const peers = new Map<number, { host: string; port: number }>();
  const dirs = new Map<number, string>();
  for (let id = 1; id <= 3; id++) {
    peers.set(id, { host: "127.0.0.1", port: await freePort() });
    dirs.set(id, await mkdtemp(join(tmpdir(), `walnut-log-memory-${id}-`)));
  }
  const nodes = new Map<number, Node>();
  const start = async (id: number): Promise<Node> => {
    const node = await Node.open({
      ...nodeOptions(dirs.get(id) as string, "everysec"),
      nodeId: id,
      cluster: { listen: peers.get(id) as { host: string; port: number }, peers, secret: "test-secret" },
      logMemoryBytes: windowBytes,
    });
    nodes.set(id, node);
    return node;
  };
  try {
    for (let id = 1; id <= 3; id++) await start(id);
    let leaderId = 0;
    await waitUntil("a leader", () => {
      leaderId = [...nodes.values()].find((node) => node.status().role === "leader")?.id ?? 0;
      return leaderId !== 0;
    });
    const leader = nodes.get(leaderId) as Node;
    const behind = [1, 2, 3].find((id) => id !== leaderId) as number;
    await nodes.get(behind)?.close();
    nodes.delete(behind);
    const executor = new CommandExecutor(leader);
    let mostHeldBytes = 0;
    for (let round = 0; round < 10; round++) {
      await Promise.all(Array.from({ length: IN_FLIGHT }, (_, n) => set(executor, `key:${round}:${n}`, "v".repeat(16))));
      mostHeldBytes = Math.max(mostHeldBytes, leader.logMemory().bytes);
    }
    assert.ok(mostHeldBytes <= windowBytes, `the leader held ${mostHeldBytes} bytes of log`);
    assert.equal(leader.status().lastCheckpoint.index, 0, "no checkpoint yet: the follower's entries are only in the WAL");

    const follower = await start(behind);
    await waitUntil("the follower to catch up", () => follower.status().appliedIndex >= leader.status().commitIndex);
    assert.ok(leader.status().lastCheckpoint.index > 0, "the leader took a checkpoint for the follower");
    assert.deepEqual(await get(new CommandExecutor(follower), "key:9:199"), { type: "bulk", value: "v".repeat(16) });
    await set(new CommandExecutor(follower), "after", "catch-up");
    assert.deepEqual(await get(executor, "after"), { type: "bulk", value: "catch-up" });
  } finally {
    await Promise.all([...nodes.values()].map((node) => node.close()));
    await Promise.all([...dirs.values()].map((dir) => rm(dir, { recursive: true, force: true })));
  }
});
