import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { isWalnutError } from "../lib/errors.js";
import { inspectWal, repairWal } from "./tools.js";
import { entries, entry, openWal, segmentNames, summary, withDataDir } from "./test_support.js";

/** Writes entries 1..count, one append each, and returns the segment names. */
async function writeLog(walDir: string, count: number, segmentSizeBytes = 64 * 1024 * 1024): Promise<string[]> {
  const { wal } = await openWal(walDir, { segmentSizeBytes });
  for (let index = 1; index <= count; index += 1) await wal.append([entry(index, 1)]);
  await wal.close();
  return segmentNames(walDir);
}

/** The offsets at which each frame of a segment starts, and its length. */
async function frameOffsets(walDir: string, name: string): Promise<number[]> {
  const offsets: number[] = [];
  for await (const report of inspectWal(walDir)) {
    if (report.segment.endsWith(name)) offsets.push(report.offset);
  }
  return offsets;
}

function flipBit(file: string, offset: number): void {
  const bytes = fs.readFileSync(file);
  bytes[offset]! ^= 0x10;
  fs.writeFileSync(file, bytes);
}

test("recovery truncates a torn tail cut at every byte of the last two frames", async () => {
  await withDataDir(async ({ dataDir, walDir }) => {
    const [name] = await writeLog(walDir, 6);
    const file = path.join(walDir, name!);
    const original = fs.readFileSync(file);
    const offsets = await frameOffsets(walDir, name!);
    const lastTwoStart = offsets[offsets.length - 2]!;
    const lastStart = offsets[offsets.length - 1]!;
    const copyDir = path.join(dataDir, "copy", "wal");
    for (let cut = lastTwoStart; cut < original.length; cut += 1) {
      fs.rmSync(path.dirname(copyDir), { recursive: true, force: true });
      fs.mkdirSync(copyDir, { recursive: true });
      fs.writeFileSync(path.join(copyDir, name!), original.subarray(0, cut));
      const { wal, recovery, replayed, messages } = await openWal(copyDir);
      const survivors = cut >= lastStart ? 5 : 4;
      const boundary = cut === lastTwoStart || cut === lastStart;
      assert.deepEqual(summary(replayed), summary(entries(1, survivors, 1)), `cut at ${cut}`);
      if (boundary) {
        assert.equal(recovery.truncatedTail, null, `cut at ${cut}`);
      } else {
        const frameStart = cut >= lastStart ? lastStart : lastTwoStart;
        assert.deepEqual(recovery.truncatedTail, { path: `wal/${name}`, offset: frameStart, droppedBytes: cut - frameStart }, `cut at ${cut}`);
        assert.match(messages.join("\n"), new RegExp(`truncated torn tail of wal/${name} at offset ${frameStart}`));
        assert.equal(fs.statSync(path.join(copyDir, name!)).size, frameStart);
      }
      await wal.append([entry(survivors + 1, 2)]);
      await wal.close();
      const reopened = await openWal(copyDir);
      assert.equal(reopened.recovery.lastIndex, survivors + 1);
      assert.equal(reopened.recovery.truncatedTail, null);
      await reopened.wal.close();
    }
  });
});

test("a corrupt last frame is truncated like a torn one", async () => {
  await withDataDir(async ({ walDir }) => {
    const [name] = await writeLog(walDir, 4);
    const offsets = await frameOffsets(walDir, name!);
    flipBit(path.join(walDir, name!), offsets[offsets.length - 1]! + 12);
    const { wal, recovery, replayed } = await openWal(walDir);
    assert.deepEqual(summary(replayed), summary(entries(1, 3, 1)));
    assert.equal(recovery.truncatedTail?.offset, offsets[offsets.length - 1]);
    await wal.close();
  });
});

test("a flipped bit in the middle of the last segment followed by good frames is corruption that repair fixes", async () => {
  await withDataDir(async ({ dataDir, walDir }) => {
    const [name] = await writeLog(walDir, 8);
    const offsets = await frameOffsets(walDir, name!);
    const damaged = offsets[4]!; // the frame of entry 4
    flipBit(path.join(walDir, name!), damaged + 12); // inside the entry's data
    await assert.rejects(openWal(walDir), (error) => {
      assert.ok(isWalnutError(error, "WAL_CORRUPT"));
      assert.equal(
        error.message,
        `Cannot open WAL: bad checksum in wal/${name} at offset ${damaged}, and valid data follows it; ` +
          `run \`walnut wal repair --data-dir ${dataDir}\` to truncate at the damage`,
      );
      return true;
    });
    const sizeBefore = fs.statSync(path.join(walDir, name!)).size;
    const repaired = await repairWal(walDir, { dryRun: false });
    assert.deepEqual(repaired, {
      path: `wal/${name}`,
      offset: damaged,
      reason: "bad checksum",
      droppedFrames: 4,
      droppedBytes: sizeBefore - damaged,
      removedSegments: [],
    });
    const { wal, replayed } = await openWal(walDir);
    assert.deepEqual(summary(replayed), summary(entries(1, 3, 1)));
    await wal.close();
  });
});

test("a flipped bit in an old segment is corruption naming the file and offset, and repair drops what follows", async () => {
  await withDataDir(async ({ walDir }) => {
    const names = await writeLog(walDir, 30, 200);
    assert.ok(names.length >= 4);
    const oldest = names[0]!;
    const offsets = await frameOffsets(walDir, oldest);
    flipBit(path.join(walDir, oldest), offsets[offsets.length - 1]! + 10);
    await assert.rejects(openWal(walDir, { segmentSizeBytes: 200 }), (error) => {
      assert.ok(isWalnutError(error, "WAL_CORRUPT"));
      assert.match(error.message, new RegExp(`bad checksum in wal/${oldest} at offset ${offsets[offsets.length - 1]}`));
      assert.match(error.message, /walnut wal repair --data-dir/);
      return true;
    });
    const preview = await repairWal(walDir, { dryRun: true });
    assert.deepEqual(preview?.removedSegments, names.slice(1).map((name) => `wal/${name}`));
    assert.deepEqual(segmentNames(walDir), names, "a dry run changes nothing");
    await repairWal(walDir, { dryRun: false });
    assert.deepEqual(segmentNames(walDir), [oldest]);
    const { wal, replayed } = await openWal(walDir, { segmentSizeBytes: 200 });
    assert.ok(replayed.length >= 1);
    assert.deepEqual(summary(replayed), summary(entries(1, replayed.length, 1)));
    assert.equal(await repairWal(walDir, { dryRun: true }), null);
    await wal.close();
  });
});

test("damage in the header of a non-last segment is corruption", async () => {
  await withDataDir(async ({ walDir }) => {
    const names = await writeLog(walDir, 20, 200);
    flipBit(path.join(walDir, names[1]!), 12);
    await assert.rejects(openWal(walDir, { segmentSizeBytes: 200 }), (error) => {
      return isWalnutError(error, "WAL_CORRUPT") && error.message.includes(`wal/${names[1]} at offset 0`);
    });
  });
});

test("a missing segment in the middle is corruption", async () => {
  await withDataDir(async ({ walDir }) => {
    const names = await writeLog(walDir, 20, 200);
    fs.rmSync(path.join(walDir, names[1]!));
    await assert.rejects(openWal(walDir, { segmentSizeBytes: 200 }), (error) => {
      return isWalnutError(error, "WAL_CORRUPT") && /segment seq 1 is missing/.test(error.message);
    });
  });
});

test("a segment swapped for one from another log breaks the header chain", async () => {
  await withDataDir(async ({ dataDir, walDir }) => {
    const names = await writeLog(walDir, 20, 200);
    const otherDir = path.join(dataDir, "other", "wal");
    const { wal } = await openWal(otherDir, { segmentSizeBytes: 200 });
    for (let index = 1; index <= 20; index += 1) await wal.append([entry(index, 1, `other-${index}`)]);
    await wal.close();
    assert.deepEqual(segmentNames(otherDir), names);
    fs.copyFileSync(path.join(otherDir, names[1]!), path.join(walDir, names[1]!));
    await assert.rejects(openWal(walDir, { segmentSizeBytes: 200 }), (error) => {
      return isWalnutError(error, "WAL_CORRUPT") && /previous-segment checksum/.test(error.message);
    });
  });
});

test("a last segment whose header is torn is removed and the log continues in the one before", async () => {
  await withDataDir(async ({ walDir }) => {
    const names = await writeLog(walDir, 20, 200);
    const last = path.join(walDir, names[names.length - 1]!);
    fs.truncateSync(last, 10);
    const { wal, recovery } = await openWal(walDir, { segmentSizeBytes: 200 });
    assert.deepEqual(recovery.truncatedTail, { path: `wal/${names[names.length - 1]}`, offset: 0, droppedBytes: 10 });
    assert.deepEqual(segmentNames(walDir), names.slice(0, -1));
    await wal.append([entry(recovery.lastIndex + 1, 2)]);
    await wal.close();
  });
});

test("a temporary segment left by a crash while rolling is removed", async () => {
  await withDataDir(async ({ walDir }) => {
    const names = await writeLog(walDir, 3);
    fs.writeFileSync(path.join(walDir, "0000000000000001-0000000000000004.wal.tmp"), "partial");
    const { wal, messages } = await openWal(walDir);
    assert.deepEqual(fs.readdirSync(walDir).sort(), names);
    assert.match(messages.join("\n"), /removed unfinished segment/);
    await wal.close();
  });
});
