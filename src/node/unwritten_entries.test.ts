import { test } from "node:test";
import assert from "node:assert/strict";
import { UnwrittenEntries } from "./unwritten_entries.js";

function deferred(): { promise: Promise<void>; resolve(): void; reject(error: Error): void } {
  let resolve = (): void => {};
  let reject = (_error: Error): void => {};
  const promise = new Promise<void>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

test("appends are counted until their WAL batch is written, appends of one batch together", async () => {
  const unwritten = new UnwrittenEntries(() => assert.fail("no write failed"));
  const batch = deferred();
  const first = unwritten.add(batch.promise, 2, 20);
  const second = unwritten.add(batch.promise, 3, 30);
  assert.equal(first, second, "one batch, one handler");
  assert.deepEqual([unwritten.entries, unwritten.bytes], [5, 50]);
  batch.resolve();
  await first;
  assert.deepEqual([unwritten.entries, unwritten.bytes], [0, 0]);
});

test("a failed batch stops being counted and is reported", async () => {
  const failures: unknown[] = [];
  const unwritten = new UnwrittenEntries((cause) => failures.push(cause));
  const batch = deferred();
  const settled = unwritten.add(batch.promise, 1, 10);
  batch.reject(new Error("ENOSPC"));
  await settled;
  assert.equal(unwritten.entries, 0);
  assert.match(String(failures[0]), /ENOSPC/);
});

test("the Ready loop is told to wait past 256 queued entries", () => {
  const unwritten = new UnwrittenEntries(() => {});
  unwritten.add(new Promise<void>(() => {}), 256, 256);
  assert.equal(unwritten.overLimit, false);
  unwritten.add(new Promise<void>(() => {}), 1, 1);
  assert.equal(unwritten.overLimit, true);
});
