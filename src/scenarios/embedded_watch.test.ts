/**
 * db.watch(): the embedded face of the watch (docs/watch.md). Events in log-index order
 * with the versions the writes resolved to, resuming from a version, prefix and key
 * filters, "from now", progress, and the compacted answer past the window.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { open, WatchCompactedError, type Db, type OpenOptions, type WatchEvent, type WatchStream } from "../db.js";

async function withDb(run: (db: Db) => Promise<void>, options: Partial<OpenOptions> = {}): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "walnut-watch-"));
  const db = await open({ dir, checkpointInterval: 0, fsync: "no", ...options });
  try {
    await run(db);
  } finally {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The next `count` events that are not progress. */
async function take(stream: WatchStream, count: number): Promise<WatchEvent[]> {
  const events: WatchEvent[] = [];
  while (events.length < count) {
    const next = await stream.next();
    assert.equal(next.done, false);
    if (next.value.type !== "progress") events.push(next.value);
  }
  return events;
}

test("a watch from a version sees every change from it in order, with the versions writes resolved to", () =>
  withDb(async (db) => {
    const first = await db.set("user:1", "ann");
    const second = await db.set("other", "x");
    const third = await db.set("user:2", "bob");
    await db.delete("user:1");
    const stream = db.watch({ prefix: "user:", fromVersion: first, progressIntervalMs: 0 });
    const events = await take(stream, 3);
    assert.deepEqual(
      events.map((event) => [event.type, event.index, "key" in event ? event.key : null]),
      [
        ["put", first, "user:1"],
        ["put", third, "user:2"],
        ["delete", third + 1, "user:1"],
      ],
    );
    assert.ok(second > first && third > second);
    // Then it follows new writes as they are applied.
    const fourth = await db.set("user:3", "cy");
    const [live] = await take(stream, 1);
    assert.deepEqual(live, { type: "put", index: fourth, collection: "default", key: "user:3", kind: "string", value: "cy" });
    assert.equal(stream.nextIndex, fourth + 1);
    stream.close();
    assert.deepEqual(await stream.next(), { value: undefined, done: true });
  }));

test("a watch resumed from the last index seen + 1 neither repeats nor misses a change", () =>
  withDb(async (db) => {
    const versions: number[] = [];
    for (let i = 0; i < 20; i++) versions.push(await db.set("k", String(i)));
    const firstStream = db.watch({ key: "k", fromVersion: versions[0], progressIntervalMs: 0 });
    const seen = (await take(firstStream, 7)).map((event) => event.index);
    firstStream.close();
    const resumed = db.watch({ key: "k", fromVersion: (seen.at(-1) as number) + 1, progressIntervalMs: 0 });
    seen.push(...(await take(resumed, 13)).map((event) => event.index));
    resumed.close();
    assert.deepEqual(seen, versions);
  }));

test("without fromVersion a watch starts now, and its first progress event says how current it is", () =>
  withDb(async (db) => {
    await db.set("k", "old");
    const applied = db.node.read((engine) => engine.appliedIndex);
    const stream = db.watch({ key: "k" });
    assert.deepEqual((await stream.next()).value, { type: "progress", index: applied });
    const version = await db.set("k", "new");
    const [event] = await take(stream, 1);
    assert.equal(event?.index, version);
    assert.equal(event?.type === "put" ? event.value : null, "new");
    stream.close();
  }));

test("a watch from before the window rejects with COMPACTED and the oldest index available", () =>
  withDb(
    async (db) => {
      const first = await db.set("a", "1");
      for (let i = 0; i < 10; i++) await db.set("a", String(i));
      const stream = db.watch({ fromVersion: first, progressIntervalMs: 0 });
      await assert.rejects(stream.next(), (error: unknown) => {
        assert.ok(error instanceof WatchCompactedError);
        assert.equal(error.code, "COMPACTED");
        assert.equal(error.oldestIndex, db.node.read((engine) => engine.history.oldestIndex));
        assert.ok(error.oldestIndex > first);
        return true;
      });
      // From the oldest index it names, the watch works.
      const oldest = db.node.read((engine) => engine.history.oldestIndex);
      const resumed = db.watch({ fromVersion: oldest, progressIntervalMs: 0 });
      const [event] = await take(resumed, 1);
      assert.ok(event !== undefined && event.index >= oldest);
      resumed.close();
    },
    { watchHistory: 4 },
  ));

test("collection filters, key filters and flushes", () =>
  withDb(async (db) => {
    const users = await db.createCollection("users", "ordered");
    const start = db.node.read((engine) => engine.appliedIndex) + 1;
    await db.set("u:1", "default's");
    await users.set("u:1", "ann");
    await users.set("u:2", "bob");
    await db.command("FLUSHALL");
    const stream = db.watch({ collection: "users", key: "u:1", fromVersion: start, progressIntervalMs: 0 });
    const events = await take(stream, 2);
    assert.deepEqual(
      events.map((event) => `${event.type} ${"collection" in event ? event.collection : ""} ${"key" in event ? event.key : ""}`),
      ["put users u:1", "flush users "],
    );
    stream.close();
  }));

/** Lets the feed's pumps (setImmediate) run until the stream stops filling. */
async function settle(stream: WatchStream): Promise<void> {
  for (let before = -1; before !== stream.bufferedEvents; ) {
    before = stream.bufferedEvents;
    for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
  }
}

test("a consumer that takes nothing holds a bounded buffer; when it reads, every event still comes, in order", () =>
  withDb(async (db) => {
    const stream = db.watch({ prefix: "s:", maxBufferedEvents: 8, progressIntervalMs: 0 });
    const writes = 3000;
    const versions: number[] = [];
    for (let i = 0; i < writes; i++) versions.push(await db.set(`s:${i}`, String(i)));
    await settle(stream);
    // Paused once it held 8: at most one more batch of the feed (1000 changes) past that, never all 3000.
    assert.ok(stream.bufferedEvents >= 8 && stream.bufferedEvents < 8 + 1000, `${stream.bufferedEvents} events buffered`);
    const events = await take(stream, writes);
    assert.deepEqual(events.map((event) => event.index), versions);
    assert.deepEqual(events.map((event) => (event.type === "put" ? event.value : null)), versions.map((_, i) => String(i)));
    stream.close();
  }));

test("a consumer that falls behind the window gets what it buffered, then COMPACTED past it, never a gap", () =>
  withDb(
    async (db) => {
      const stream = db.watch({ prefix: "s:", maxBufferedEvents: 10, progressIntervalMs: 0 });
      const versions: number[] = [];
      for (let i = 0; i < 500; i++) {
        versions.push(await db.set(`s:${i}`, String(i)));
        await new Promise((resolve) => setImmediate(resolve)); // the feed delivers as writes come
      }
      await settle(stream);
      assert.ok(stream.bufferedEvents < 500, `${stream.bufferedEvents} buffered`);
      const seen: number[] = [];
      const error = await (async () => {
        try {
          for (;;) {
            const next = await stream.next();
            if (next.done === true) return null;
            if (next.value.type !== "progress") seen.push(next.value.index);
          }
        } catch (failure) {
          return failure;
        }
      })();
      assert.ok(error instanceof WatchCompactedError, `compacted, not ${String(error)}`);
      assert.ok(seen.length > 0 && seen.length < 10, `${seen.length} events before compacted: the buffer of 10 held the start's progress and changes`);
      assert.deepEqual(seen, versions.slice(0, seen.length), "what came is the first changes, in order");
      assert.ok(error.oldestIndex > (seen[seen.length - 1] as number) + 1, "the window had passed the position by");
      assert.equal(error.oldestIndex, db.node.read((engine) => engine.history.oldestIndex));
    },
    { watchHistory: 100 },
  ));
