import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { isWalnutError } from "../lib/errors.js";
import { FaultFileSystem } from "./fault_file_system.js";
import { entries, entry, openWal, segmentNames, summary, withDataDir } from "./test_support.js";
import type { Wal } from "./wal.js";

/** Lets the event loop turn until `condition` holds (bounded, so a bug fails instead of hanging). */
async function eventually(condition: () => boolean, what: string): Promise<void> {
  for (let turn = 0; turn < 10_000 && !condition(); turn += 1) {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  assert.ok(condition(), `never happened: ${what}`);
}

function appendNext(wal: Wal, term = 1): Promise<void> {
  return wal.append([entry(wal.lastIndex + 1, term)]);
}

function settledFlags(promises: Array<Promise<void>>): { settled: boolean[] } {
  const state = { settled: promises.map(() => false) };
  promises.forEach((promise, position) => promise.then(() => (state.settled[position] = true), () => (state.settled[position] = true)));
  return state;
}

test("appends that arrive during an fsync go out together in the next write and fsync", async () => {
  await withDataDir(async ({ walDir }) => {
    const fileSystem = new FaultFileSystem();
    const { wal } = await openWal(walDir, { fileSystem });
    const before = { ...fileSystem.calls };
    fileSystem.hold("fdatasync");
    const first = appendNext(wal);
    await eventually(() => fileSystem.heldCount("fdatasync") === 1, "the first batch reaches fdatasync");
    const later: Array<Promise<void>> = [];
    for (let client = 0; client < 63; client += 1) {
      later.push(appendNext(wal));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const progress = settledFlags([first, ...later]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual(progress.settled, progress.settled.map(() => false), "nothing resolves before its fsync");
    assert.equal(fileSystem.calls.write - before.write, 1);
    fileSystem.release("fdatasync");
    await Promise.all([first, ...later]);
    assert.equal(fileSystem.calls.write - before.write, 2, "one write per batch");
    assert.equal(fileSystem.calls.fdatasync - before.fdatasync, 2, "one fsync per batch");
    assert.equal(wal.stats().batchesMeanSize, 32);
    await wal.close();

    const reopened = await openWal(walDir);
    assert.deepEqual(summary(reopened.replayed), summary(entries(1, 64, 1)));
    await reopened.wal.close();
  });
});

test("a batch larger than its starting buffer grows and is written intact", async () => {
  await withDataDir(async ({ walDir }) => {
    const { wal } = await openWal(walDir);
    const big = { index: 1, term: 1, data: Buffer.alloc(200 * 1024, 7) };
    const writes = [wal.append([big])];
    for (let index = 2; index <= 3000; index += 1) writes.push(wal.append([entry(index, 1)]));
    await Promise.all(writes);
    assert.equal(wal.stats().batchesMeanSize, 3000, "one batch");
    await wal.close();
    const reopened = await openWal(walDir);
    assert.deepEqual(reopened.replayed[0]!.data, big.data);
    assert.deepEqual(summary(reopened.replayed.slice(1)), summary(entries(2, 3000, 1)));
    await reopened.wal.close();
  });
});

test("many concurrent appenders resolve with fewer fsyncs than appends and keep their order", async () => {
  await withDataDir(async ({ walDir }) => {
    const { wal } = await openWal(walDir);
    const clients = Array.from({ length: 32 }, async () => {
      for (let round = 0; round < 10; round += 1) await appendNext(wal);
    });
    await Promise.all(clients);
    const stats = wal.stats();
    assert.equal(stats.appends, 320);
    assert.equal(stats.entries, 320);
    assert.ok(stats.fsyncs < stats.appends, `${stats.fsyncs} fsyncs for ${stats.appends} appends`);
    assert.ok(stats.batchesMeanSize > 1);
    await wal.close();
    const reopened = await openWal(walDir);
    assert.deepEqual(summary(reopened.replayed), summary(entries(1, 320, 1)));
    await reopened.wal.close();
  });
});

test("a full disk rejects the batch with WAL_IO, keeps what was acknowledged, and appends work once space returns", async () => {
  await withDataDir(async ({ walDir }) => {
    const fileSystem = new FaultFileSystem();
    const { wal } = await openWal(walDir, { fileSystem });
    await wal.append(entries(1, 3, 1), { term: 1, vote: 1, commit: 2 });
    const [segmentName] = segmentNames(walDir);
    const sizeBefore = fs.statSync(`${walDir}/${segmentName}`).size;
    fileSystem.writeBytesLeft = 40; // part of the first frame gets written, then ENOSPC
    await assert.rejects(wal.append(entries(4, 6, 1)), (error) => {
      assert.ok(isWalnutError(error, "WAL_IO"));
      assert.match(error.message, /^Cannot append to WAL: ENOSPC: no space left on device, write \(wal\/0000000000000000-0000000000000001\.wal\)$/);
      return true;
    });
    assert.equal(fs.statSync(`${walDir}/${segmentName}`).size, sizeBefore, "truncated back to the last good offset");
    assert.equal(wal.lastIndex, 3);
    await assert.rejects(wal.append(entries(4, 4, 1)), (error) => isWalnutError(error, "WAL_IO"));
    fileSystem.writeBytesLeft = null;
    await wal.append(entries(4, 5, 1));
    await wal.close();

    const reopened = await openWal(walDir);
    assert.deepEqual(summary(reopened.replayed), summary(entries(1, 5, 1)));
    assert.equal(reopened.recovery.truncatedTail, null);
    assert.deepEqual(reopened.recovery.hardState, { term: 1, vote: 1, commit: 2 });
    await reopened.wal.close();
  });
});

test("a failed write also rejects the appends queued behind it", async () => {
  await withDataDir(async ({ walDir }) => {
    const fileSystem = new FaultFileSystem();
    const { wal } = await openWal(walDir, { fileSystem });
    await wal.append([entry(1, 1)]);
    fileSystem.hold("write");
    fileSystem.writeBytesLeft = 0;
    const failing = wal.append([entry(2, 1)]);
    await eventually(() => fileSystem.heldCount("write") === 1, "the batch reaches write");
    const queued = wal.append([entry(3, 1)]);
    fileSystem.release("write");
    await assert.rejects(failing, (error) => isWalnutError(error, "WAL_IO"));
    await assert.rejects(queued, (error) => isWalnutError(error, "WAL_IO"));
    assert.equal(wal.lastIndex, 1);
    fileSystem.writeBytesLeft = null;
    await wal.append(entries(2, 3, 2));
    await wal.close();
    const reopened = await openWal(walDir);
    assert.deepEqual(summary(reopened.replayed), ["1/1/value-1", "2/2/value-2", "3/2/value-3"]);
    await reopened.wal.close();
  });
});

test("a full disk while rolling to a new segment rejects the batch and a later roll succeeds", async () => {
  await withDataDir(async ({ walDir }) => {
    const fileSystem = new FaultFileSystem();
    const { wal } = await openWal(walDir, { fileSystem, segmentSizeBytes: 100 });
    await wal.append(entries(1, 3, 1));
    fileSystem.writeBytesLeft = 0;
    await assert.rejects(wal.append([entry(4, 1)]), (error) => isWalnutError(error, "WAL_IO"));
    assert.deepEqual(fs.readdirSync(walDir), ["0000000000000000-0000000000000001.wal"], "no segment or temporary file left");
    fileSystem.writeBytesLeft = null;
    await wal.append([entry(4, 1)]);
    assert.equal(wal.segments().length, 2);
    await wal.close();
    const reopened = await openWal(walDir, { segmentSizeBytes: 100 });
    assert.deepEqual(summary(reopened.replayed), summary(entries(1, 4, 1)));
    await reopened.wal.close();
  });
});

test("a failed fsync puts the WAL in a failed state that asks for a restart", async () => {
  await withDataDir(async ({ walDir }) => {
    const fileSystem = new FaultFileSystem();
    const { wal } = await openWal(walDir, { fileSystem });
    await wal.append(entries(1, 2, 1));
    fileSystem.fdatasyncErrorCode = "EIO";
    await assert.rejects(wal.append([entry(3, 1)]), (error) => {
      assert.ok(isWalnutError(error, "WAL_IO"));
      assert.match(error.message, /an fsync of wal\/0000000000000000-0000000000000001\.wal failed \(EIO: i\/o error, fdatasync\)/);
      assert.match(error.message, /restart walnut/);
      return true;
    });
    fileSystem.fdatasyncErrorCode = null;
    await assert.rejects(wal.append([entry(3, 1)]), (error) => isWalnutError(error, "WAL_IO") && /restart walnut/.test(error.message));
    await assert.rejects(wal.sync(), (error) => isWalnutError(error, "WAL_IO"));
    await wal.close();

    const reopened = await openWal(walDir);
    assert.deepEqual(summary(reopened.replayed).slice(0, 2), summary(entries(1, 2, 1)));
    await reopened.wal.close();
  });
});

test("a failed truncation after a failed write puts the WAL in the failed state", async () => {
  await withDataDir(async ({ walDir }) => {
    const fileSystem = new FaultFileSystem();
    const { wal } = await openWal(walDir, { fileSystem });
    fileSystem.writeBytesLeft = 5;
    fileSystem.ftruncateErrorCode = "EIO";
    await assert.rejects(wal.append([entry(1, 1)]), (error) => isWalnutError(error, "WAL_IO") && /truncation/.test(error.message));
    fileSystem.writeBytesLeft = null;
    fileSystem.ftruncateErrorCode = null;
    await assert.rejects(wal.append([entry(1, 1)]), (error) => isWalnutError(error, "WAL_IO") && /restart walnut/.test(error.message));
    await wal.close();
  });
});

test("under everysec an append resolves once written, before any fsync, and sync() forces one", async () => {
  await withDataDir(async ({ walDir }) => {
    const fileSystem = new FaultFileSystem();
    const { wal } = await openWal(walDir, { fileSystem, fsync: "everysec" });
    fileSystem.hold("fdatasync");
    await wal.append(entries(1, 2, 1));
    assert.equal(wal.stats().fsyncs, 0);
    const synced = wal.sync();
    await eventually(() => fileSystem.heldCount("fdatasync") === 1, "sync reaches fdatasync");
    fileSystem.release("fdatasync");
    await synced;
    assert.equal(wal.stats().fsyncs, 1);
    await wal.close();
  });
});

test("under fsync no an append resolves once written and close fsyncs what is pending", async () => {
  await withDataDir(async ({ walDir }) => {
    const fileSystem = new FaultFileSystem();
    const { wal } = await openWal(walDir, { fileSystem, fsync: "no" });
    const before = fileSystem.calls.fdatasync;
    await wal.append(entries(1, 2, 1));
    assert.equal(fileSystem.calls.fdatasync, before);
    await wal.close();
    assert.equal(fileSystem.calls.fdatasync, before + 1);
    const reopened = await openWal(walDir);
    assert.equal(reopened.recovery.lastIndex, 2);
    await reopened.wal.close();
  });
});

test("close waits for appends still in flight", async () => {
  await withDataDir(async ({ walDir }) => {
    const { wal } = await openWal(walDir);
    const appended = wal.append(entries(1, 3, 1));
    await wal.close();
    await appended;
    const reopened = await openWal(walDir);
    assert.equal(reopened.recovery.lastIndex, 3);
    await reopened.wal.close();
  });
});
