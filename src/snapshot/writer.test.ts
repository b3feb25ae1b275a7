import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdir, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { test } from "node:test";
import type { Collection } from "../engine/collection.js";
import { Engine, DEFAULT_COLLECTION } from "../engine/engine.js";
import { Item } from "../engine/values.js";
import { ListDeque } from "../engine/list_deque.js";
import { isWalnutError } from "../lib/errors.js";
import { readCheckpoint } from "./reader.js";
import {
  fillWithEveryKind,
  pictureOf,
  pictureOfEngine,
  seededRandom,
  temporaryDirectory,
  valuesOfEveryKind,
  type CollectionPicture,
} from "./test_fixtures.js";
import { writeCheckpoint } from "./writer.js";

function engineWithEveryKind(): Engine {
  const engine = new Engine();
  engine.appliedIndex = 100;
  engine.appliedTerm = 3;
  engine.createCollection("sorted", "ordered");
  engine.createCollection("empty", "hash");
  fillWithEveryKind(engine.collection(DEFAULT_COLLECTION)!, { version: 100 });
  fillWithEveryKind(engine.collection("sorted")!, { version: 90 });
  return engine;
}

test("a checkpoint of every value kind loads back equal, in hash and ordered collections", async (t) => {
  const dir = await temporaryDirectory(t);
  const engine = engineWithEveryKind();
  const expected = pictureOfEngine(engine);
  const info = await writeCheckpoint(engine.openView(), { dir, metadata: { clusterId: "c1", nodeId: 2 } });
  assert.equal(basename(info.path), "00000000000000000100-00000000000000000003.ckpt");
  assert.deepEqual([info.index, info.term, info.keys], [100, 3, 2 * valuesOfEveryKind().length]);

  const loaded = await readCheckpoint(info.path);
  assert.deepEqual([loaded.index, loaded.term, loaded.keys], [100, 3, info.keys]);
  assert.deepEqual(loaded.metadata, { clusterId: "c1", nodeId: 2 });
  assert.deepEqual(loaded.collections.map(pictureOf), expected);
  const expiring = loaded.collections[0]!.volatileKeys;
  assert.ok(expiring.has("key:string") && !expiring.has("key:string-empty"), "expiry is tracked after loading");
  assert.deepEqual(await readdir(dir), [basename(info.path)]);
});

test("writing a checkpoint closes the view, so the next one can open", async (t) => {
  const dir = await temporaryDirectory(t);
  const engine = engineWithEveryKind();
  await writeCheckpoint(engine.openView(), { dir });
  engine.appliedIndex += 1;
  const second = await writeCheckpoint(engine.openView(), { dir, sliceKeys: 1 });
  assert.equal(second.index, 101);
  assert.equal((await readdir(dir)).length, 2);
});

/** One random write, the way apply() makes them: each at the next log index. */
function mutate(engine: Engine, random: () => number, step: number): void {
  const index = ++engine.appliedIndex;
  const names = engine.collectionNames();
  const collection = engine.collection(names[Math.floor(random() * names.length)]!)!;
  const key = `key:${Math.floor(random() * 600)}`;
  const action = random();
  if (action < 0.4) collection.put(key, new Item({ kind: "string", value: `v${index}` }, index, 0));
  else if (action < 0.7) collection.delete(key);
  else if (action < 0.9) appendToList(collection, key, index);
  else if (action < 0.93) collection.put(`new:${step}`, new Item({ kind: "integer", value: BigInt(step) }, index, index));
  else if (action < 0.95) engine.dropCollection(DEFAULT_COLLECTION); // FLUSHDB: clears in place
  else if (action < 0.97 && collection.name !== DEFAULT_COLLECTION) engine.dropCollection(collection.name);
  else if (action < 0.99) engine.createCollection(`made:${step}`, random() < 0.5 ? "hash" : "ordered");
}

/** RPUSH-like: mutates a list in place through itemForUpdate, as list commands do. */
function appendToList(collection: Collection, key: string, index: number): void {
  const item = collection.itemForUpdate(key);
  if (item === undefined || item.kind !== "list") {
    collection.put(key, new Item({ kind: "list", value: ListDeque.from([`first${index}`]) }, index, 0));
    return;
  }
  (item.value as ListDeque).pushTail(`pushed${index}`);
  item.version = index;
  collection.put(key, item);
}

function seedEngine(random: () => number): Engine {
  const engine = new Engine();
  engine.createCollection("sorted", "ordered");
  engine.createCollection("other", "hash");
  for (let i = 0; i < 3000; i++) mutate(engine, random, i);
  return engine;
}

test("a checkpoint taken while writes continue between slices equals the state as of its index", async (t) => {
  const dir = await temporaryDirectory(t);
  for (const seed of [1, 2, 3, 4, 5]) {
    const random = seededRandom(seed);
    const engine = seedEngine(random);
    const view = engine.openView();
    const expected: CollectionPicture[] = pictureOfEngine(engine);
    let writing = true;
    let writes = 0;
    const writeBetweenSlices = (): void => {
      if (!writing) return;
      for (let i = 0; i < 3; i++) mutate(engine, random, 10_000 + writes++);
      setImmediate(writeBetweenSlices);
    };
    setImmediate(writeBetweenSlices);
    const info = await writeCheckpoint(view, { dir, sliceKeys: 7 });
    writing = false;
    assert.ok(writes > 100, `writes interleaved with the checkpoint (seed ${seed}: ${writes})`);
    assert.ok(engine.appliedIndex > info.index);
    const loaded = await readCheckpoint(info.path);
    assert.equal(loaded.index, view.index);
    assert.deepEqual(loaded.collections.map(pictureOf), expected, `seed ${seed}`);
  }
});

test("a directory that cannot be created fails with CHECKPOINT_IO and closes the view", async (t) => {
  const dir = await temporaryDirectory(t);
  const notADirectory = join(dir, "file");
  await writeFile(notADirectory, "x");
  const engine = engineWithEveryKind();
  await assert.rejects(writeCheckpoint(engine.openView(), { dir: join(notADirectory, "checkpoints") }), (error: unknown) => {
    assert.ok(isWalnutError(error, "CHECKPOINT_IO"));
    assert.match(error.message, /^Cannot write checkpoint .*file\/checkpoints\/0+100-0+3\.ckpt: ENOTDIR/);
    return true;
  });
  engine.openView().close(); // throws if the failed checkpoint left its view open
});

test("metadata that is not JSON is refused, the view closed and no file left", async (t) => {
  const dir = await temporaryDirectory(t);
  const engine = engineWithEveryKind();
  await assert.rejects(writeCheckpoint(engine.openView(), { dir, metadata: { big: 1n } }), (error: unknown) =>
    isWalnutError(error, "BAD_ARGUMENT"),
  );
  engine.openView().close();
  assert.deepEqual(await readdir(dir), []);
});

const moduleUrl = (name: string): string => new URL(name, import.meta.url).href;

/** A child process under a 64 KiB file size limit writes a checkpoint bigger than that. */
const OVERSIZED_CHECKPOINT_SCRIPT = `
import { readdir } from "node:fs/promises";
import { Engine } from ${JSON.stringify(moduleUrl("../engine/engine.js"))};
import { Item } from ${JSON.stringify(moduleUrl("../engine/values.js"))};
import { writeCheckpoint } from ${JSON.stringify(moduleUrl("./writer.js"))};
const dir = process.argv[2];
const engine = new Engine();
engine.appliedIndex = 1;
let state = 1;
const noise = () => { state = (state * 1103515245 + 12345) % 2147483648; return state; };
for (let i = 0; i < 4000; i++) {
  let value = "";
  while (value.length < 100) value += noise().toString(36);
  engine.collection("default").put("key" + i, new Item({ kind: "string", value }, 1, 0));
}
let outcome;
try {
  await writeCheckpoint(engine.openView(), { dir, sliceKeys: 256 });
  outcome = { code: "none" };
} catch (error) {
  outcome = { code: error.code, message: error.message };
}
outcome.files = await readdir(dir);
outcome.viewClosed = (() => { try { engine.openView().close(); return true; } catch { return false; } })();
console.log(JSON.stringify(outcome));
`;

test("a write failing midway (file too large) fails with CHECKPOINT_IO and leaves no temporary file", async (t) => {
  const dir = await temporaryDirectory(t);
  const script = join(dir, "oversized.mjs");
  await writeFile(script, OVERSIZED_CHECKPOINT_SCRIPT);
  const checkpoints = join(dir, "checkpoints");
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn("/bin/sh", ["-c", `ulimit -f 64 && exec "${process.execPath}" "$0" "$1"`, script, checkpoints]);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (status) => (status === 0 ? resolve(stdout) : reject(new Error(`child exited ${status}: ${stderr}`))));
  });
  const outcome = JSON.parse(output) as { code: string; message: string; files: string[]; viewClosed: boolean };
  assert.equal(outcome.code, "CHECKPOINT_IO");
  assert.match(outcome.message, /^Cannot write checkpoint .*\.ckpt: EFBIG/);
  assert.deepEqual(outcome.files, []);
  assert.equal(outcome.viewClosed, true);
});
