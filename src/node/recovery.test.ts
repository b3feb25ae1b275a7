/**
 * Recovery must not start from an older checkpoint the WAL does not continue. Found by the
 * fault campaign (FAULTS.md, "Bugs found"): a follower installs a checkpoint from its
 * leader (which replaces its log), the checkpoint is then damaged, and the follower fell
 * back to its own older checkpoint with nothing after it: it came up short of what it had
 * acknowledged, and its leader never resent the difference. Here the same data directory
 * is built on one node: two checkpoints, the WAL cut back to the first (as after an
 * install, the entries in between are nowhere in the log), the newest checkpoint damaged.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, open as openFile, readdir, readFile, rm, stat, truncate } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { open } from "../db.js";
import { isWalnutError } from "../lib/errors.js";
import { isFrameDamage, readFrameAt } from "../wal/record.js";

/** Byte offset of the first entry frame past `index` in a WAL segment. */
function offsetOfFirstEntryAfter(segment: Buffer, index: number): number {
  for (let offset = 0; offset < segment.length; ) {
    const frame = readFrameAt(segment, offset, segment.length);
    assert.ok(!isFrameDamage(frame), `a frame at ${offset}`);
    if (frame.record.type === "entry" && frame.record.entry.index > index) return offset;
    offset += frame.frameBytes;
  }
  return segment.length;
}

async function damageMiddle(path: string): Promise<void> {
  const handle = await openFile(path, "r+");
  try {
    await handle.write(Buffer.alloc(8, 0xab), 0, 8, Math.floor((await stat(path)).size / 2));
  } finally {
    await handle.close();
  }
}

test("a corrupt newest checkpoint whose entries the WAL does not hold refuses to start instead of coming up short", async () => {
  const dir = await mkdtemp(join(tmpdir(), "walnut-recovery-gap-"));
  try {
    const db = await open({ dir, checkpointInterval: 0, checkpointWalBytes: 0 });
    for (let key = 0; key < 20; key++) await db.set(`early:${key}`, "v");
    const older = await db.checkpoint();
    for (let key = 0; key < 20; key++) await db.set(`late:${key}`, "v");
    const newest = await db.checkpoint();
    await db.close();

    const walDir = join(dir, "wal");
    const [segmentName] = (await readdir(walDir)).filter((name) => name.endsWith(".wal"));
    const segment = join(walDir, segmentName as string);
    await truncate(segment, offsetOfFirstEntryAfter(await readFile(segment), older.index));
    await damageMiddle(newest.path);

    await assert.rejects(open({ dir }), (error: unknown) => {
      assert.ok(isWalnutError(error, "CHECKPOINT_CORRUPT"), String(error));
      assert.match(error.message, new RegExp(`entries ${older.index + 1}\\.\\.${newest.index} are lost`));
      return true;
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
