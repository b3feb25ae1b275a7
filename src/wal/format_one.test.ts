/**
 * A WAL written by format 1 (walnut before the varint entry frames): its segments still
 * open, replay and verify, and the log continues in them with format-2 frames. The
 * format-1 segment is built byte for byte as that walnut wrote it.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  entryFrameBytes,
  formatOneEntryFrameBytes,
  headerFrameBytes,
  HARD_STATE_FRAME_BYTES,
  writeFormatOneEntryFrame,
  writeHardStateFrame,
  writeHeaderFrame,
  type LogEntry,
  type SegmentHeader,
} from "./record.js";
import { segmentFileName } from "./segment.js";
import { verifyWal } from "./tools.js";
import { entries, entry, openWal, segmentNames, summary, withDataDir } from "./test_support.js";

function writeFormatOneSegment(walDir: string, logged: LogEntry[]): string {
  const header: SegmentHeader = {
    formatVersion: 1,
    clusterId: "test-cluster",
    nodeId: 1,
    segmentSeq: 0,
    firstIndex: 1,
    previousTerm: 0,
    previousSegmentCrc: 0,
  };
  let size = headerFrameBytes(header) + HARD_STATE_FRAME_BYTES;
  for (const item of logged) size += formatOneEntryFrameBytes(item);
  const buffer = Buffer.alloc(size);
  let offset = writeHeaderFrame(buffer, 0, header);
  for (const item of logged) offset = writeFormatOneEntryFrame(buffer, offset, item);
  offset = writeHardStateFrame(buffer, offset, { term: 1, vote: 1, commit: logged.length });
  assert.equal(offset, size);
  fs.mkdirSync(walDir, { recursive: true });
  const name = segmentFileName(0, 1);
  fs.writeFileSync(path.join(walDir, name), buffer);
  return name;
}

test("a format-1 WAL opens and replays, and the log goes on in it with format-2 entry frames", async () => {
  await withDataDir(async ({ walDir }) => {
    const name = writeFormatOneSegment(walDir, entries(1, 5, 1));
    const sizeBefore = fs.statSync(path.join(walDir, name)).size;
    const first = await openWal(walDir);
    assert.deepEqual(summary(first.replayed), summary(entries(1, 5, 1)));
    assert.deepEqual(first.recovery.hardState, { term: 1, vote: 1, commit: 5 });
    await first.wal.append([entry(6, 2)]);
    await first.wal.close();
    assert.deepEqual(segmentNames(walDir), [name]);
    assert.equal(fs.statSync(path.join(walDir, name)).size, sizeBefore + entryFrameBytes(entry(6, 2)));
    assert.equal((await verifyWal(walDir)).ok, true);

    const second = await openWal(walDir);
    assert.deepEqual(summary(second.replayed), [...summary(entries(1, 5, 1)), "6/2/value-6"]);
    assert.equal(second.recovery.lastTerm, 2);
    await second.wal.close();
  });
});

test("a format-2 entry frame of a SET-sized entry is 12 bytes smaller than format 1's", () => {
  const set = { index: 1_000_000, term: 3, data: Buffer.alloc(190) };
  assert.equal(formatOneEntryFrameBytes(set) - entryFrameBytes(set), 12);
});
