/**
 * The simulated disk the real node runs on: unsynced bytes are lost in a crash (a torn
 * prefix of appended bytes may survive), synced ones never are, a full disk cuts a write
 * short and then refuses, a failing fsync makes nothing durable, and I/O a crashed life
 * had in flight never completes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Random } from "../lib/seeded_random.js";
import { SimDisk, type SimDiskView } from "./sim_disk.js";
import { Process, Scheduler } from "./virtual_time.js";

async function drive<T>(scheduler: Scheduler, promise: Promise<T>): Promise<T> {
  let settled = false;
  void promise.finally(() => (settled = true)).catch(() => undefined);
  for (let turn = 0; turn < 1000 && !settled; turn++) {
    const next = scheduler.nextTime();
    if (next !== undefined && next > scheduler.now) scheduler.advanceTo(next);
    scheduler.runNextDue();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return promise;
}

async function writeFile(scheduler: Scheduler, view: SimDiskView, path: string, text: string, sync: boolean): Promise<void> {
  const handle = await drive(scheduler, view.open(path, "w"));
  await drive(scheduler, handle.write(Buffer.from(text), 0, text.length, 0));
  if (sync) await drive(scheduler, handle.sync());
  await drive(scheduler, handle.close());
}

function setup(seed = 1): { scheduler: Scheduler; disk: SimDisk; view: SimDiskView; life: Process } {
  const scheduler = new Scheduler();
  const disk = new SimDisk(new Random(seed));
  const life = new Process("life 1");
  const view = disk.view(scheduler, life);
  disk.makeDirectory("/data");
  return { scheduler, disk, view, life };
}

test("a crash keeps synced bytes and loses (all or a prefix of) unsynced ones", async () => {
  for (let seed = 1; seed <= 20; seed++) {
    const { scheduler, disk, view } = setup(seed);
    await writeFile(scheduler, view, "/data/synced", "durable", true);
    await writeFile(scheduler, view, "/data/unsynced", "volatile", false);
    disk.crash();
    const after = disk.view(scheduler, new Process("life 2"));
    assert.equal(await drive(scheduler, after.readFile("/data/synced", "utf8")), "durable");
    const survived = await drive(scheduler, after.readFile("/data/unsynced", "utf8"));
    assert.ok("volatile".startsWith(survived), `seed ${seed}: "${survived}" is not a prefix of what was written`);
  }
});

test("a full disk cuts a write short, then fails it with ENOSPC", async () => {
  const { scheduler, disk, view } = setup();
  disk.faults.capacityBytes = 5;
  const handle = await drive(scheduler, view.open("/data/file", "w"));
  const first = await drive(scheduler, handle.write(Buffer.from("abcdefgh"), 0, 8, 0));
  assert.equal(first.bytesWritten, 5);
  await assert.rejects(drive(scheduler, handle.write(Buffer.from("fgh"), 0, 3, 5)), { code: "ENOSPC" });
});

test("a failing fsync makes nothing durable", async () => {
  const { scheduler, disk, view } = setup();
  disk.faults.fsyncFailureProbability = 1;
  const handle = await drive(scheduler, view.open("/data/file", "w"));
  await drive(scheduler, handle.write(Buffer.from("abc"), 0, 3, 0));
  await assert.rejects(drive(scheduler, handle.sync()), { code: "EIO" });
  assert.equal(disk.stats.failedFsyncs, 1);
});

test("I/O in flight when its life crashes never completes", async () => {
  const { scheduler, view, life } = setup();
  let completed = false;
  view.mkdirp("/data/more", () => (completed = true));
  life.alive = false;
  while (scheduler.runNextDue()) await new Promise((resolve) => setImmediate(resolve));
  assert.equal(completed, false);
});
