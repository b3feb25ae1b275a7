/**
 * The scan keeps the newest segments' buffers, up to a byte budget, for the replay
 * (recovery.ts): the replay walks kept bytes without reading the file again, reads the
 * others again, and hands over the same entries either way.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { nodeFileSystem } from "./file_system.js";
import { replayEntries, scanWal } from "./recovery.js";
import type { LogEntry } from "./record.js";
import { entry, openWal, segmentNames, summary, withDataDir } from "./test_support.js";

async function writeSegments(walDir: string): Promise<number> {
  const { wal } = await openWal(walDir, { segmentSizeBytes: 128 });
  for (let index = 1; index <= 40; index += 1) await wal.append([entry(index, 1)]);
  await wal.close();
  return segmentNames(walDir).length;
}

async function replayAll(walDir: string, keptBufferBytesMax: number): Promise<{ kept: boolean[]; replayed: LogEntry[] }> {
  const scan = await scanWal({ fileSystem: nodeFileSystem, directory: walDir, keptBufferBytesMax });
  const kept = scan.segments.map((segment) => segment.buffer !== null);
  const replayed: LogEntry[] = [];
  await replayEntries({ fileSystem: nodeFileSystem, directory: walDir, scan, replayAfterIndex: 0, onEntry: (item) => replayed.push({ ...item, data: Buffer.from(item.data) }) });
  assert.ok(scan.segments.every((segment) => segment.buffer === null), "the replay lets every kept buffer go");
  return { kept, replayed };
}

test("the scan keeps only the newest segments that fit the budget, and the replay hands over the same entries as without", async () => {
  await withDataDir(async ({ walDir }) => {
    const segments = await writeSegments(walDir);
    assert.ok(segments >= 4, `${segments} segments`);
    const sizes = segmentNames(walDir).map((name) => fs.statSync(path.join(walDir, name)).size);
    const lastTwo = (sizes.at(-1) as number) + (sizes.at(-2) as number);

    const none = await replayAll(walDir, 0);
    assert.deepEqual(none.kept, sizes.map(() => false));
    const some = await replayAll(walDir, lastTwo);
    assert.deepEqual(some.kept, sizes.map((_, at) => at >= sizes.length - 2));
    const all = await replayAll(walDir, 1 << 20);
    assert.deepEqual(all.kept, sizes.map(() => true));

    const expected = summary(Array.from({ length: 40 }, (_, at) => entry(at + 1, 1)));
    for (const run of [none, some, all]) assert.deepEqual(summary(run.replayed), expected);
  });
});

test("the replay reports its progress as it walks a large segment, between the entries it hands over", async () => {
  await withDataDir(async ({ walDir }) => {
    const { wal } = await openWal(walDir);
    const data = Buffer.alloc(64 * 1024, 7);
    for (let index = 1; index <= 160; index += 16) {
      await wal.append(Array.from({ length: 16 }, (_, at) => ({ index: index + at, term: 1, data })));
    }
    await wal.close();
    const events: string[] = [];
    const reopened = await openWal(walDir, {
      onEntry: (item) => void events.push(`entry ${item.index}`),
      onProgress: ({ bytesRead, bytesTotal }) => void events.push(bytesRead < bytesTotal ? "progress" : "done"),
    });
    await reopened.wal.close();
    const first = events.indexOf("entry 1");
    const last = events.indexOf("entry 160");
    assert.ok(first >= 0 && last > first, events.join(", "));
    const during = events.slice(first, last).filter((event) => event === "progress").length;
    assert.ok(during >= 2, `${during} progress reports among the entries: ${events.filter((event) => !event.startsWith("entry")).join(", ")}`);
    assert.equal(events.at(-1), "done");
  });
});
