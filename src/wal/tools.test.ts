import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { formatFrameReport, inspectWal, repairWal, verifyWal, type FrameReport } from "./tools.js";
import { entries, openWal, segmentNames, withDataDir } from "./test_support.js";

async function collect(walDir: string): Promise<FrameReport[]> {
  const reports: FrameReport[] = [];
  for await (const report of inspectWal(walDir)) reports.push(report);
  return reports;
}

async function writeSmallLog(walDir: string): Promise<string> {
  const { wal } = await openWal(walDir);
  await wal.append(entries(1, 2, 1), { term: 1, vote: 1, commit: 1 });
  await wal.markCheckpoint(1, 1);
  await wal.close();
  return segmentNames(walDir)[0]!;
}

test("inspect reports one record per frame with its type, indexes and size", async () => {
  await withDataDir(async ({ walDir }) => {
    const name = await writeSmallLog(walDir);
    const reports = await collect(walDir);
    assert.deepEqual(
      reports.map((report) => [report.type, report.index, report.term, report.crcOk]),
      [
        ["header", 1, 0, true],
        ["entry", 1, 1, true],
        ["entry", 2, 1, true],
        ["hard-state", undefined, 1, true],
        ["checkpoint", 1, 1, true],
      ],
    );
    assert.equal(reports[1]!.segment, `wal/${name}`);
    assert.equal(reports[2]!.offset, reports[1]!.offset + reports[1]!.sizeBytes);
    assert.deepEqual([reports[3]!.vote, reports[3]!.commit], [1, 1]);
    const total = reports.reduce((sum, report) => sum + report.sizeBytes, 0);
    assert.equal(total, fs.statSync(path.join(walDir, name)).size);
  });
});

test("a frame report formats as one line", async () => {
  await withDataDir(async ({ walDir }) => {
    const name = await writeSmallLog(walDir);
    const lines = (await collect(walDir)).map(formatFrameReport);
    assert.equal(lines[1], `wal/${name}  offset 65  entry  index=1 term=1  18 B  crc ok`);
    assert.equal(lines[3], `wal/${name}  offset 101  hard-state  term=1 vote=1 commit=1  33 B  crc ok`);
    for (const line of lines) assert.doesNotMatch(line, /\n/);
  });
});

test("inspect reports a bad stretch and resumes at the next valid frame", async () => {
  await withDataDir(async ({ walDir }) => {
    const name = await writeSmallLog(walDir);
    const file = path.join(walDir, name);
    const before = await collect(walDir);
    const bytes = fs.readFileSync(file);
    bytes[before[1]!.offset + 15]! ^= 0xff;
    fs.writeFileSync(file, bytes);
    const reports = await collect(walDir);
    assert.deepEqual(reports.map((report) => report.type), ["header", "bad", "entry", "hard-state", "checkpoint"]);
    assert.deepEqual([reports[1]!.reason, reports[1]!.crcOk, reports[1]!.sizeBytes], ["bad checksum", false, before[1]!.sizeBytes]);
    assert.match(formatFrameReport(reports[1]!), /bad  bad checksum .* crc BAD$/);
  });
});

test("verify passes a sound log and names the first damage of a broken one", async () => {
  await withDataDir(async ({ walDir }) => {
    const name = await writeSmallLog(walDir);
    assert.deepEqual(await verifyWal(walDir), { ok: true, frames: 5, firstDamage: null });
    const file = path.join(walDir, name);
    fs.truncateSync(file, fs.statSync(file).size - 3);
    const torn = await verifyWal(walDir);
    assert.equal(torn.ok, false);
    assert.equal(torn.frames, 4);
    assert.equal(torn.firstDamage?.tornTail, true);
    assert.match(torn.firstDamage?.reason ?? "", /^length past end of file .*\(a torn tail: opening the WAL truncates it\)$/);
  });
});

test("verify and repair of a missing wal dir find nothing to do", async () => {
  await withDataDir(async ({ walDir }) => {
    assert.deepEqual(await verifyWal(walDir), { ok: true, frames: 0, firstDamage: null });
    assert.equal(await repairWal(walDir, { dryRun: false }), null);
  });
});

test("repair truncates a torn tail the same way opening would", async () => {
  await withDataDir(async ({ walDir }) => {
    const name = await writeSmallLog(walDir);
    const file = path.join(walDir, name);
    const size = fs.statSync(file).size;
    fs.truncateSync(file, size - 3);
    const dryRun = await repairWal(walDir, { dryRun: true });
    assert.equal(fs.statSync(file).size, size - 3);
    assert.deepEqual(dryRun, {
      path: `wal/${name}`,
      offset: size - 25,
      reason: dryRun!.reason,
      droppedFrames: 0,
      droppedBytes: 22,
      removedSegments: [],
    });
    await repairWal(walDir, { dryRun: false });
    assert.equal(fs.statSync(file).size, size - 25);
    assert.equal((await verifyWal(walDir)).ok, true);
  });
});
