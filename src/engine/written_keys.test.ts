import { test } from "node:test";
import assert from "node:assert/strict";
import { WrittenKeys } from "./written_keys.js";

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test("watchers hear of their keys once per delivery, after the writes, in the order they started watching", async () => {
  const keys = new WrittenKeys();
  const heard: string[] = [];
  const stopFirst = keys.watch("c", ["k", "other"], (collection, key) => heard.push(`first ${collection}/${key}`));
  keys.watch("c", ["k"], (collection, key) => heard.push(`second ${collection}/${key}`));
  keys.note("c", "k");
  keys.note("c", "k");
  keys.note("c", "unwatched");
  keys.note("d", "k");
  assert.deepEqual(heard, [], "nothing is delivered from inside the write");
  await settle();
  assert.deepEqual(heard, ["first c/k", "second c/k"]);
  stopFirst();
  heard.length = 0;
  keys.note("c", "k");
  keys.note("c", "other");
  await settle();
  assert.deepEqual(heard, ["second c/k"]);
  assert.equal(keys.watchedKeys, 1);
});

test("noteEverything tells every watcher once, with a null key", async () => {
  const keys = new WrittenKeys();
  const heard: Array<string | null> = [];
  keys.watch("c", ["a", "b"], (_collection, key) => heard.push(key));
  keys.noteEverything();
  await settle();
  assert.deepEqual(heard, [null]);
});

test("with nobody watching, notes cost nothing and deliver nothing", async () => {
  const keys = new WrittenKeys();
  const stop = keys.watch("c", ["a"], () => assert.fail("stopped watchers hear nothing"));
  stop();
  assert.equal(keys.watchedKeys, 0);
  keys.note("c", "a");
  keys.noteEverything();
  await settle();
});
