import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { isWalnutError } from "../lib/errors.js";
import { verifyWal } from "./tools.js";
import { entries, entry, openWal, segmentNames, summary, withDataDir } from "./test_support.js";

test("a missing wal dir opens as a fresh, empty log with one segment", async () => {
  await withDataDir(async ({ walDir }) => {
    const { wal, recovery } = await openWal(walDir);
    assert.deepEqual(recovery, {
      hardState: null,
      firstIndex: 1,
      lastIndex: 0,
      lastTerm: 0,
      entriesReplayed: 0,
      truncatedTail: null,
      checkpointMarker: null,
    });
    assert.deepEqual(segmentNames(walDir), ["0000000000000000-0000000000000001.wal"]);
    assert.equal(wal.lastIndex, 0);
    await wal.close();
  });
});

test("entries, hard state and checkpoint marker survive a reopen", async () => {
  await withDataDir(async ({ walDir }) => {
    const first = await openWal(walDir);
    await first.wal.append(entries(1, 3, 1), { term: 1, vote: 2, commit: 1 });
    await first.wal.markCheckpoint(2, 1);
    await first.wal.append([entry(4, 2, "")], { term: 2, vote: 0, commit: 3 });
    await first.wal.close();

    const second = await openWal(walDir);
    assert.deepEqual(summary(second.replayed), ["1/1/value-1", "2/1/value-2", "3/1/value-3", "4/2/"]);
    assert.deepEqual(second.recovery.hardState, { term: 2, vote: 0, commit: 3 });
    assert.deepEqual(second.recovery.checkpointMarker, { index: 2, term: 1 });
    assert.equal(second.recovery.lastIndex, 4);
    assert.equal(second.recovery.lastTerm, 2);
    assert.equal(second.recovery.entriesReplayed, 4);
    assert.equal(second.wal.lastIndex, 4);
    await second.wal.close();
  });
});

test("recovery replays only entries after replayAfterIndex, in order", async () => {
  await withDataDir(async ({ walDir }) => {
    const first = await openWal(walDir, { segmentSizeBytes: 200 });
    for (let index = 1; index <= 40; index += 1) await first.wal.append([entry(index, 1)]);
    await first.wal.close();

    const second = await openWal(walDir, { segmentSizeBytes: 200, replayAfterIndex: 25 });
    assert.deepEqual(second.replayed.map((item) => item.index), entries(26, 40, 1).map((item) => item.index));
    assert.equal(second.recovery.entriesReplayed, 15);
    assert.equal(second.recovery.firstIndex, 1);
    await second.wal.close();
  });
});

test("segments roll at the size limit, chain their headers and replay across the boundaries", async () => {
  await withDataDir(async ({ walDir }) => {
    const first = await openWal(walDir, { segmentSizeBytes: 128 });
    for (let index = 1; index <= 30; index += 1) await first.wal.append([entry(index, 1 + (index >> 3))]);
    const segments = first.wal.segments();
    assert.ok(segments.length >= 5, `expected several segments, got ${segments.length}`);
    assert.deepEqual(segments.map((segment) => segment.active), [...segments.slice(1).map(() => false), true]);
    for (const [position, segment] of segments.entries()) {
      assert.equal(segment.sizeBytes, fs.statSync(segment.path).size);
      const next = segments[position + 1];
      if (next) assert.equal(next.firstIndex, segment.lastIndex + 1);
    }
    await first.wal.close();
    assert.equal((await verifyWal(walDir)).ok, true);

    const second = await openWal(walDir, { segmentSizeBytes: 128 });
    assert.deepEqual(summary(second.replayed), summary(entries(1, 30, 1).map((item) => ({ ...item, term: 1 + (item.index >> 3) }))));
    assert.equal(second.recovery.lastTerm, 1 + (30 >> 3));
    await second.wal.close();
  });
});

test("a new segment repeats the latest hard state and checkpoint marker", async () => {
  await withDataDir(async ({ walDir }) => {
    // Header 65 B, five 18-byte entries, hard state 33 B, marker 25 B: 213 B; entry 6 makes 231 B.
    const first = await openWal(walDir, { segmentSizeBytes: 220 });
    await first.wal.append(entries(1, 5, 1), { term: 1, vote: 1, commit: 4 });
    await first.wal.markCheckpoint(3, 1);
    await first.wal.append([entry(6, 1)]);
    assert.equal(first.wal.segments().length, 1, "the first segment is full only after entry 6");
    await first.wal.append([entry(7, 1)]);
    assert.equal(first.wal.segments().length, 2);
    const { deleted } = await first.wal.compact(6);
    assert.equal(deleted.length, 1);
    await first.wal.close();

    const second = await openWal(walDir, { segmentSizeBytes: 220 });
    assert.deepEqual(second.recovery.hardState, { term: 1, vote: 1, commit: 4 });
    assert.deepEqual(second.recovery.checkpointMarker, { index: 3, term: 1 });
    assert.deepEqual(summary(second.replayed), ["7/1/value-7"]);
    assert.equal(second.recovery.firstIndex, 7);
    assert.equal(second.recovery.lastTerm, 1);
    await second.wal.close();
  });
});

test("a Raft overwrite of a suffix supersedes the old entries and survives a reopen", async () => {
  await withDataDir(async ({ walDir }) => {
    const first = await openWal(walDir, { segmentSizeBytes: 150 });
    for (let index = 1; index <= 12; index += 1) await first.wal.append([entry(index, 1)]);
    const segmentsBefore = first.wal.segments().length;
    assert.ok(segmentsBefore >= 3);
    await first.wal.append([entry(4, 2, "new-4"), entry(5, 2, "new-5")]);
    assert.equal(first.wal.lastIndex, 5);
    assert.equal(first.wal.lastTerm, 2);
    await first.wal.append([entry(6, 2, "new-6")]);
    await first.wal.close();

    const second = await openWal(walDir, { segmentSizeBytes: 150 });
    const expected = [...summary(entries(1, 3, 1)), "4/2/new-4", "5/2/new-5", "6/2/new-6"];
    assert.deepEqual(summary(second.replayed), expected);
    assert.equal(second.recovery.lastIndex, 6);
    const lastIndexes = second.wal.segments().map((segment) => segment.lastIndex);
    assert.deepEqual(lastIndexes, [...lastIndexes].sort((a, b) => a - b));
    assert.equal(lastIndexes[lastIndexes.length - 1], 6);
    await second.wal.close();

    const third = await openWal(walDir, { segmentSizeBytes: 150, replayAfterIndex: 4 });
    assert.deepEqual(summary(third.replayed), ["5/2/new-5", "6/2/new-6"]);
    await third.wal.close();
  });
});

test("an overwrite inside one batch keeps only the newest entries", async () => {
  await withDataDir(async ({ walDir }) => {
    const first = await openWal(walDir);
    const writes = [first.wal.append(entries(1, 5, 1)), first.wal.append([entry(3, 2, "b")]), first.wal.append([entry(4, 2, "c")])];
    await Promise.all(writes);
    await first.wal.close();
    const second = await openWal(walDir);
    assert.deepEqual(summary(second.replayed), ["1/1/value-1", "2/1/value-2", "3/2/b", "4/2/c"]);
    await second.wal.close();
  });
});

test("an append of nothing resolves", async () => {
  await withDataDir(async ({ walDir }) => {
    const { wal } = await openWal(walDir);
    await wal.append([]);
    await wal.append([], { term: 1, vote: 0, commit: 0 });
    assert.equal(wal.lastIndex, 0);
    await wal.close();
  });
});

test("appending entries that skip ahead is an invariant violation", async () => {
  await withDataDir(async ({ walDir }) => {
    const { wal } = await openWal(walDir);
    await wal.append(entries(1, 2, 1));
    assert.throws(() => void wal.append([entry(4, 1)]), /invariant/);
    assert.throws(() => void wal.append([entry(3, 1), entry(5, 1)]), /invariant/);
    await wal.close();
  });
});

test("a checkpoint marker past the log's end restarts the log after it", async () => {
  await withDataDir(async ({ walDir }) => {
    const first = await openWal(walDir);
    await first.wal.append(entries(1, 3, 1));
    await first.wal.markCheckpoint(100, 7);
    assert.equal(first.wal.lastIndex, 100);
    await first.wal.append([entry(101, 8)]);
    await first.wal.close();

    const second = await openWal(walDir);
    assert.deepEqual(summary(second.replayed), ["101/8/value-101"]);
    assert.equal(second.recovery.firstIndex, 101);
    assert.equal(second.recovery.lastIndex, 101);
    await second.wal.close();
  });
});

test("compact deletes only segments wholly covered, never the active one", async () => {
  await withDataDir(async ({ walDir }) => {
    const { wal } = await openWal(walDir, { segmentSizeBytes: 200 });
    for (let index = 1; index <= 20; index += 1) await wal.append([entry(index, 1)]);
    const before = wal.segments();
    const covered = before.filter((segment) => !segment.active && segment.lastIndex <= 10);
    const result = await wal.compact(10);
    assert.deepEqual(result, { deleted: covered.map((segment) => segment.path), archived: [] });
    assert.ok(covered.length >= 1 && covered.length < before.length - 1);
    for (const segment of covered) assert.equal(fs.existsSync(segment.path), false);
    assert.deepEqual(wal.segments(), before.slice(covered.length));
    assert.deepEqual(await wal.compact(1_000_000), {
      deleted: before.slice(covered.length, -1).map((segment) => segment.path),
      archived: [],
    });
    assert.equal(wal.segments().length, 1);
    await wal.append([entry(21, 2)]);
    await wal.close();

    const reopened = await openWal(walDir, { segmentSizeBytes: 200 });
    assert.equal(reopened.recovery.lastIndex, 21);
    assert.equal(reopened.recovery.lastTerm, 2);
    await reopened.wal.close();
  });
});

test("compact archives gzipped copies of the segments it removes", async () => {
  await withDataDir(async ({ dataDir, walDir }) => {
    const { wal } = await openWal(walDir, { segmentSizeBytes: 200 });
    for (let index = 1; index <= 10; index += 1) await wal.append([entry(index, 1)]);
    const oldest = wal.segments()[0]!;
    const original = fs.readFileSync(oldest.path);
    const archiveDir = path.join(dataDir, "archive");
    const result = await wal.compact(oldest.lastIndex, { archiveDir });
    assert.deepEqual(result.deleted, [oldest.path]);
    assert.deepEqual(result.archived, [path.join(archiveDir, `${path.basename(oldest.path)}.gz`)]);
    assert.deepEqual(zlib.gunzipSync(fs.readFileSync(result.archived[0]!)), original);
    await wal.close();
  });
});

test("compact uses the effective last index after an overwrite", async () => {
  await withDataDir(async ({ walDir }) => {
    const { wal } = await openWal(walDir, { segmentSizeBytes: 150 });
    for (let index = 1; index <= 10; index += 1) await wal.append([entry(index, 1)]);
    await wal.append([entry(3, 2)]);
    await wal.append([entry(4, 2)]);
    // Every older segment now holds at most entries 1 and 2.
    const { deleted } = await wal.compact(2);
    assert.equal(wal.segments()[0]!.active, true);
    assert.ok(deleted.length >= 2);
    await wal.close();
    const reopened = await openWal(walDir, { segmentSizeBytes: 150 });
    assert.deepEqual(summary(reopened.replayed), ["3/2/value-3", "4/2/value-4"]);
    await reopened.wal.close();
  });
});

test("a WAL written by another node is refused as the wrong data dir", async () => {
  await withDataDir(async ({ walDir }) => {
    const { wal } = await openWal(walDir);
    await wal.close();
    await assert.rejects(openWal(walDir, { nodeId: 2 }), (error) => isWalnutError(error, "DATA_DIR") && /node 1, not cluster/.test(error.message));
  });
});

test("bad options are refused with BAD_ARGUMENT", async () => {
  await withDataDir(async ({ walDir }) => {
    await assert.rejects(openWal(walDir, { segmentSizeBytes: 0 }), (error) => isWalnutError(error, "BAD_ARGUMENT"));
    await assert.rejects(openWal(walDir, { fsync: "sometimes" as never }), (error) => isWalnutError(error, "BAD_ARGUMENT"));
  });
});

test("calls after close reject with NOT_OPEN", async () => {
  await withDataDir(async ({ walDir }) => {
    const { wal } = await openWal(walDir);
    await wal.close();
    await assert.rejects(wal.append([entry(1, 1)]), (error) => isWalnutError(error, "NOT_OPEN"));
    await assert.rejects(wal.sync(), (error) => isWalnutError(error, "NOT_OPEN"));
    await assert.rejects(wal.markCheckpoint(1, 1), (error) => isWalnutError(error, "NOT_OPEN"));
    await assert.rejects(wal.compact(1), (error) => isWalnutError(error, "NOT_OPEN"));
    await wal.close();
  });
});

test("recovery reports progress up to the total", async () => {
  await withDataDir(async ({ walDir }) => {
    const first = await openWal(walDir, { segmentSizeBytes: 200 });
    for (let index = 1; index <= 20; index += 1) await first.wal.append([entry(index, 1)]);
    await first.wal.close();
    const reports: Array<{ bytesRead: number; bytesTotal: number }> = [];
    const second = await openWal(walDir, { segmentSizeBytes: 200, onProgress: (progress) => reports.push(progress) });
    assert.ok(reports.length > 1);
    const last = reports[reports.length - 1]!;
    assert.equal(last.bytesRead, last.bytesTotal);
    for (const [position, report] of reports.entries()) {
      assert.ok(report.bytesRead <= report.bytesTotal);
      if (position > 0) assert.ok(report.bytesRead >= reports[position - 1]!.bytesRead);
    }
    await second.wal.close();
  });
});
