/**
 * Recovery across modules: a damaged newest checkpoint falls back to the previous one and
 * the WAL still holds every entry after it; archived WAL segments; the offline tools on a
 * damaged data directory.
 */
import { execFile } from "node:child_process";
import { mkdtemp, open as openFile, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { test } from "node:test";
import assert from "node:assert/strict";
import { open } from "../db.js";

const run = promisify(execFile);
const walnut = fileURLToPath(new URL("../../bin/walnut.js", import.meta.url));

async function flipByte(path: string, offset: number): Promise<void> {
  const handle = await openFile(path, "r+");
  try {
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, offset);
    byte[0] = (byte[0] as number) ^ 0x40;
    await handle.write(byte, 0, 1, offset);
  } finally {
    await handle.close();
  }
}

async function withDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "walnut-recovery-"));
  try {
    await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("a corrupt newest checkpoint falls back to the previous one with nothing lost", () =>
  withDir(async (dir) => {
    const messages: string[] = [];
    let db = await open({ dir, checkpointInterval: 0, segmentSize: 4096 });
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 300; i++) await db.set(`r${round}:${i}`, `value-${round}-${i}`);
      await db.checkpoint();
    }
    for (let i = 0; i < 50; i++) await db.set(`tail:${i}`, "t");
    await db.close();
    const checkpoints = (await readdir(join(dir, "checkpoints"))).filter((f) => f.endsWith(".ckpt")).sort();
    assert.equal(checkpoints.length, 2, "two checkpoints are kept");
    const newest = join(dir, "checkpoints", checkpoints[1] as string);
    await flipByte(newest, Math.floor((await stat(newest)).size / 2));
    db = await open({ dir, checkpointInterval: 0, log: (m) => messages.push(m) });
    try {
      assert.ok(messages.some((m) => /checkpoint/i.test(m) && /corrupt|damag|checksum|fall/i.test(m)), messages.join("\n"));
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 300; i += 37) assert.equal(await db.get(`r${round}:${i}`), `value-${round}-${i}`);
      }
      assert.equal(await db.get("tail:49"), "t");
    } finally {
      await db.close();
    }
  }));

test("with archiving on, segments a checkpoint made redundant are gzipped into wal/archive", () =>
  withDir(async (dir) => {
    const db = await open({ dir, checkpointInterval: 0, segmentSize: 4096, archiveWal: true });
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 200; i++) await db.set(`k${round}:${i}`, "x".repeat(50));
      await db.checkpoint();
    }
    await db.close();
    const archived = await readdir(join(dir, "wal", "archive"));
    assert.ok(archived.length > 0 && archived.every((name) => name.endsWith(".gz")), archived.join(", "));
  }));

test("walnut wal verify finds a flipped bit, repair truncates there, and the node opens", () =>
  withDir(async (dir) => {
    let db = await open({ dir, checkpointInterval: 0 });
    for (let i = 0; i < 100; i++) await db.set(`k${i}`, `v${i}`);
    await db.close();
    const segments = (await readdir(join(dir, "wal"))).filter((f) => f.endsWith(".wal")).sort();
    const segment = join(dir, "wal", segments[segments.length - 1] as string);
    const ok = await run(process.execPath, [walnut, "wal", "verify", "--data-dir", dir]);
    assert.match(ok.stdout, /WAL ok/);
    const inspected = await run(process.execPath, [walnut, "wal", "inspect", "--data-dir", dir]);
    assert.ok(inspected.stdout.trim().split("\n").length >= 100);
    await flipByte(segment, Math.floor((await stat(segment)).size / 2));
    await assert.rejects(open({ dir, checkpointInterval: 0 }), /walnut wal repair/);
    await assert.rejects(run(process.execPath, [walnut, "wal", "verify", "--data-dir", dir]), (error: { code: number; stdout: string }) => {
      assert.equal(error.code, 1);
      assert.match(error.stdout, /WAL damaged: .*offset \d+/);
      return true;
    });
    const dry = await run(process.execPath, [walnut, "wal", "repair", "--data-dir", dir, "--dry-run"]);
    assert.match(dry.stdout, /would drop \d+ frame/);
    const repaired = await run(process.execPath, [walnut, "wal", "repair", "--data-dir", dir]);
    assert.match(repaired.stdout, /dropped \d+ frame/);
    db = await open({ dir, checkpointInterval: 0 });
    try {
      assert.equal(await db.get("k0"), "v0", "entries before the damage survive");
    } finally {
      await db.close();
    }
  }));

test("walnut checkpoint writes a checkpoint of a stopped node", () =>
  withDir(async (dir) => {
    const db = await open({ dir, checkpointInterval: 0 });
    for (let i = 0; i < 10; i++) await db.set(`k${i}`, "v");
    await db.close();
    const result = await run(process.execPath, [walnut, "checkpoint", "--data-dir", dir]);
    assert.match(result.stdout, /checkpoint .*index \d+.*10 keys/);
    assert.equal((await readdir(join(dir, "checkpoints"))).filter((f) => f.endsWith(".ckpt")).length, 1);
  }));
