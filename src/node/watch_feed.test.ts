import { test } from "node:test";
import assert from "node:assert/strict";
import { Engine } from "../engine/engine.js";
import { run } from "../commands/testing.js";
import { WatchFeed, type WatchMessage } from "./watch_feed.js";

/** Lets the history notify (a microtask) and the feed pump (an immediate) run. */
const settle = async (): Promise<void> => {
  for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setImmediate(resolve));
};

function describe(messages: WatchMessage[]): string[] {
  return messages.flatMap((message) =>
    message.type === "changes" ? message.changes.map((change) => `${change.index} ${change.type} ${change.key}`) : [`${message.type} ${message.type === "progress" ? message.index : message.oldestIndex}`],
  );
}

test("a feed delivers the backlog, a progress, then each new entry once, in order; stop() ends it", async () => {
  const engine = new Engine();
  run(engine, "SET a 1");
  run(engine, "SET b 1");
  const messages: WatchMessage[] = [];
  const feed = new WatchFeed(engine, { filter: { prefix: "a" }, from: 1, progressIntervalMs: 0 }, (message) => messages.push(message));
  feed.start();
  assert.deepEqual(describe(messages), ["1 put a", "progress 2"]);
  run(engine, "SET a 2");
  run(engine, "DEL a");
  await settle();
  assert.deepEqual(describe(messages).slice(2), ["3 put a", "4 delete a"]);
  assert.equal(feed.nextIndex, 5);
  feed.progress();
  assert.deepEqual(describe(messages).at(-1), "progress 4");
  feed.stop();
  run(engine, "SET a 3");
  await settle();
  assert.equal(describe(messages).length, 5);
});

test("without from a feed starts after the applied index", async () => {
  const engine = new Engine();
  run(engine, "SET a 1");
  const messages: WatchMessage[] = [];
  const feed = new WatchFeed(engine, { filter: {}, progressIntervalMs: 0 }, (message) => messages.push(message));
  feed.start();
  run(engine, "SET a 2");
  await settle();
  assert.deepEqual(describe(messages), ["progress 1", "2 put a"]);
  feed.stop();
});

test("a node that installs a checkpoint past the feed's position ends the feed with compacted", async () => {
  const engine = new Engine();
  run(engine, "SET a 1");
  const messages: WatchMessage[] = [];
  const feed = new WatchFeed(engine, { filter: {}, progressIntervalMs: 0 }, (message) => messages.push(message));
  feed.start();
  engine.replaceContents([], 50, 2);
  await settle();
  assert.deepEqual(describe(messages), ["progress 1", "compacted 51"]);
  assert.equal(feed.stopped, true);
});

test("a paused feed delivers nothing, not even progress; resumed, it goes on from where it stopped, or answers compacted", async () => {
  const engine = new Engine();
  engine.history.setBounds({ maxChanges: 3, maxBytes: Number.MAX_SAFE_INTEGER, maxValueBytes: 1024 });
  const messages: WatchMessage[] = [];
  const feed = new WatchFeed(engine, { filter: {}, progressIntervalMs: 0 }, (message) => messages.push(message));
  feed.start();
  feed.pause();
  run(engine, "SET a 1");
  run(engine, "SET b 1");
  feed.progress();
  await settle();
  assert.deepEqual(describe(messages), ["progress 0"]);
  feed.resume();
  await settle();
  assert.deepEqual(describe(messages).slice(1), ["1 put a", "2 put b"]);
  feed.pause();
  for (const key of ["c", "d", "e", "f"]) run(engine, `SET ${key} 1`);
  await settle();
  assert.equal(describe(messages).length, 3, "nothing while paused");
  feed.resume();
  await settle();
  assert.deepEqual(describe(messages).slice(3), ["compacted 4"], "the window (3 changes) passed position 3 by");
  assert.equal(feed.stopped, true);
});
