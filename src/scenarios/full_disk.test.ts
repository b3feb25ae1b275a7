/**
 * A full disk and a failing disk under a running node: the writes that hit the fault are
 * refused with an error naming it, nothing acknowledged is lost, reads keep working, and
 * writes work again once space comes back.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { CommandExecutor } from "../commands/executor.js";
import { walnutStateMachine } from "../commands/state_machine.js";
import { Node } from "../node/node.js";
import { FaultFileSystem } from "../wal/fault_file_system.js";
import type { FsyncMode } from "../wal/wal.js";
import { open } from "../db.js";
import { isWalnutError } from "../lib/errors.js";

async function startNode(dir: string, fsync: FsyncMode, fileSystem: FaultFileSystem): Promise<CommandExecutor> {
  const node = await Node.open({
    dataDir: dir,
    fsync,
    segmentSizeBytes: 1024 * 1024,
    checkpointIntervalMs: 0,
    checkpointWalBytes: 0,
    archiveWal: false,
    stateMachine: walnutStateMachine,
    walFileSystem: fileSystem,
  });
  return new CommandExecutor(node);
}

const set = (executor: CommandExecutor, key: string, value: string) =>
  executor.write({ collection: "default", argv: ["SET", key, value] });

/** Retries a write refused while the node recovers from a failed write, for up to ten seconds. */
async function setWhenAccepted(executor: CommandExecutor, key: string, value: string) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const reply = await set(executor, key, value);
    if (reply.type !== "error" || Date.now() > deadline) return reply;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

for (const fsync of ["always", "everysec"] as const) {
  test(`a full disk refuses writes with ENOSPC and keeps serving (fsync ${fsync})`, async () => {
    const dir = await mkdtemp(join(tmpdir(), "walnut-full-"));
    try {
      const disk = new FaultFileSystem();
      const executor = await startNode(dir, fsync, disk);
      for (let i = 0; i < 50; i++) assert.deepEqual(await set(executor, `before${i}`, "v"), { type: "status", text: "OK" });
      disk.writeBytesLeft = 10; // the next write stores 10 bytes, then the disk is full
      const refused = await set(executor, "during", "v");
      assert.equal(refused.type, "error");
      assert.match(refused.type === "error" ? refused.text : "", /^IOERR .*ENOSPC/);
      const stillFull = await set(executor, "during2", "v");
      assert.equal(stillFull.type, "error");
      // What the embedded API sees: the node's error with its code, not an error reply.
      await assert.rejects(executor.commit({ collection: "default", argv: ["SET", "during3", "v"] }), (error) => isWalnutError(error, "WAL_IO"));
      const read = executor.execute("default", ["GET", "before49"]);
      assert.deepEqual(read, { type: "bulk", value: "v" }, "reads keep working on a full disk");
      disk.writeBytesLeft = null; // space is back: writes resume once the node has recovered (about a second)
      assert.deepEqual(await setWhenAccepted(executor, "after", "v"), { type: "status", text: "OK" });
      await executor.node.close();
      const db = await open({ dir, checkpointInterval: 0 });
      try {
        for (let i = 0; i < 50; i++) assert.equal(await db.get(`before${i}`), "v");
        assert.equal(await db.get("during"), null, "the refused write is not there");
        assert.equal(await db.get("after"), "v");
      } finally {
        await db.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

test("a failed fsync refuses every later write until restart, and loses nothing acknowledged", async () => {
  const dir = await mkdtemp(join(tmpdir(), "walnut-eio-"));
  try {
    const disk = new FaultFileSystem();
    const executor = await startNode(dir, "always", disk);
    for (let i = 0; i < 20; i++) await set(executor, `k${i}`, "v");
    disk.fdatasyncErrorCode = "EIO";
    const failed = await set(executor, "lost", "v");
    assert.equal(failed.type, "error");
    disk.fdatasyncErrorCode = null;
    const after = await set(executor, "later", "v");
    assert.equal(after.type, "error", "the WAL stays failed: the state of the file is unknown");
    assert.deepEqual(executor.execute("default", ["GET", "k19"]), { type: "bulk", value: "v" });
    await executor.node.close();
    const db = await open({ dir, checkpointInterval: 0 });
    try {
      for (let i = 0; i < 20; i++) assert.equal(await db.get(`k${i}`), "v");
      assert.notEqual(await db.set("fresh", "v"), null, "a restart recovers from what is on disk");
    } finally {
      await db.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("under fsync no, acknowledged writes that hit a full disk are retried, not dropped", async () => {
  const dir = await mkdtemp(join(tmpdir(), "walnut-full-no-"));
  try {
    const disk = new FaultFileSystem();
    const executor = await startNode(dir, "no", disk);
    await set(executor, "before", "v");
    await executor.node.checkpoint().catch(() => undefined); // makes sure "before" is written
    disk.writeBytesLeft = 0;
    assert.deepEqual(await set(executor, "acknowledged", "v"), { type: "status", text: "OK" }, "fsync no acknowledges at once");
    while (executor.node.status().writeError === null) await new Promise((resolve) => setImmediate(resolve));
    const refused = await set(executor, "refused", "v");
    assert.equal(refused.type, "error", "new writes are refused while acknowledged ones wait for the disk");
    disk.writeBytesLeft = null;
    while (executor.node.status().writeError !== null || executor.node.status().pendingWrites > 0) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await executor.node.close();
    const db = await open({ dir, checkpointInterval: 0 });
    try {
      assert.equal(await db.get("acknowledged"), "v", "the acknowledged write reached the disk after the retry");
      assert.equal(await db.get("refused"), null);
    } finally {
      await db.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
