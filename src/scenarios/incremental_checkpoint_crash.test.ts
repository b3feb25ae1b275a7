/**
 * Crash safety of incremental checkpoints: a sequence of checkpoints (full, deltas, a full
 * one that merges them, pruning after each, as the checkpointer does) is cut by a crash
 * after every one of its file operations in turn, the power going with it (bytes written
 * since a file's last fsync are lost). Every time, the directory must load, to exactly the
 * state of the checkpoint it loads, and never to one older than the last checkpoint that
 * had finished before the crash.
 */
import assert from "node:assert/strict";
import { truncate } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { collectionsOf } from "../engine/checkpoint_changes.js";
import type { Collection } from "../engine/collection.js";
import { Engine } from "../engine/engine.js";
import { run } from "../commands/testing.js";
import type { FileHandleLike, Files } from "../lib/files.js";
import { writeDeltaCheckpoint } from "../snapshot/delta_writer.js";
import { realCheckpointIo, type CheckpointIo } from "../snapshot/io.js";
import { loadNewestCheckpoint, pruneCheckpointPieces } from "../snapshot/store.js";
import { pictureOfEngine, temporaryDirectory, type CollectionPicture } from "../snapshot/test_fixtures.js";
import { writeCheckpoint, type CheckpointInfo } from "../snapshot/writer.js";

class Crash extends Error {}

/**
 * Real files that crash at the `crashAt`-th operation that changes the disk (a write, an
 * fsync, a rename, a removal): it and every later call throw. `powerLoss()` then cuts each
 * file back to what its last fsync made durable.
 */
class CrashingFiles implements Files {
  operations = 0;
  /** Bytes durable per path (as of the last fsync through a handle), for files written since. */
  private readonly durableBytes = new Map<string, number>();

  constructor(private readonly crashAt: number) {}

  private step(): void {
    this.operations += 1;
    if (this.operations >= this.crashAt) throw new Crash(`crash at operation ${this.crashAt}`);
  }

  async open(path: string, flags: string, mode?: number): Promise<FileHandleLike> {
    if (flags === "r") return realCheckpointIo.files.open(path, flags, mode);
    this.step();
    const handle = await realCheckpointIo.files.open(path, flags, mode);
    this.durableBytes.set(path, 0);
    const files = this;
    return {
      read: (buffer, offset, length, position) => handle.read(buffer, offset, length, position),
      async write(buffer, offset, length, position) {
        files.step();
        return handle.write(buffer, offset, length, position);
      },
      async writev(buffers, position) {
        files.step();
        return handle.writev(buffers, position);
      },
      async writeFile(data) {
        files.step();
        return handle.writeFile(data);
      },
      stat: () => handle.stat(),
      async sync() {
        files.step();
        await handle.sync();
        files.durableBytes.set(path, (await handle.stat()).size);
      },
      close: () => handle.close(),
    };
  }

  readFile(path: string, encoding: "utf8"): Promise<string> {
    return realCheckpointIo.files.readFile(path, encoding);
  }

  readdir(path: string): Promise<string[]> {
    return realCheckpointIo.files.readdir(path);
  }

  async rename(from: string, to: string): Promise<void> {
    this.step();
    await realCheckpointIo.files.rename(from, to);
    const durable = this.durableBytes.get(from);
    this.durableBytes.delete(from);
    if (durable !== undefined) this.durableBytes.set(to, durable);
  }

  async rm(path: string, options: { force: boolean }): Promise<void> {
    this.step();
    await realCheckpointIo.files.rm(path, options);
    this.durableBytes.delete(path);
  }

  mkdir(path: string, options: { recursive: true }): Promise<unknown> {
    return realCheckpointIo.files.mkdir(path, options);
  }

  /** The power goes: every file written through this disk keeps only its durable bytes. */
  async powerLoss(): Promise<void> {
    for (const [path, bytes] of this.durableBytes) await truncate(path, bytes).catch(() => undefined);
  }
}

/** The checkpoints the sequence takes: full, two deltas, a full one (the merge), a delta. */
const KINDS = ["full", "delta", "delta", "full", "delta"] as const;

/**
 * Runs the sequence on `io`: between checkpoints some keys change; after each checkpoint
 * the directory is pruned to two states, as the checkpointer does. Records each state's
 * picture by index, and the index of the last checkpoint finished (pruned included).
 */
async function checkpointSequence(dir: string, io: CheckpointIo, pictures: Map<number, CollectionPicture[]>, finished: { index: number }): Promise<void> {
  const engine = new Engine();
  for (let i = 0; i < 40; i++) run(engine, `SET key:${i} v${i}`);
  let previous: CheckpointInfo | null = null;
  for (const [round, kind] of KINDS.entries()) {
    run(engine, `SET key:${round} round${round}`);
    run(engine, `DEL key:${20 + round}`);
    run(engine, `RPUSH list:${round % 2} r${round}`);
    if (round === 2) run(engine, "FLUSHDB", { collection: "db1" });
    run(engine, `SET d:${round} x`, { collection: "db1" });
    const view = engine.openView();
    const changes = engine.checkpointChanges.begin(collectionsOf(engine), view.index);
    pictures.set(view.index, pictureOfEngine(engine));
    try {
      previous =
        kind === "full" || previous === null
          ? await writeCheckpoint(view, { dir, io, sliceKeys: 8 })
          : await writeDeltaCheckpoint(view, changes, { previousIndex: previous.index, previousTerm: previous.term }, { dir, io, sliceKeys: 8 });
    } catch (error) {
      engine.checkpointChanges.failed();
      throw error;
    }
    engine.checkpointChanges.finished();
    await pruneCheckpointPieces(dir, 2, io);
    finished.index = previous.index;
  }
}

/** The same engine a loaded state's collections make, for comparing pictures. */
function pictureOfLoaded(collections: readonly Collection[]): CollectionPicture[] {
  const engine = new Engine();
  for (const collection of collections) engine.installCollection(collection);
  return pictureOfEngine(engine);
}

test("a crash at any file operation of full, delta, merge and pruning steps leaves a directory that loads exactly", async (t) => {
  const root = await temporaryDirectory(t);
  const pictures = new Map<number, CollectionPicture[]>();
  const counting = new CrashingFiles(Number.POSITIVE_INFINITY);
  const reference = { index: -1 };
  await checkpointSequence(join(root, "reference"), { ...realCheckpointIo, files: counting }, pictures, reference);
  const total = counting.operations;
  assert.ok(total > 30, `the sequence makes ${total} file operations`);

  for (let crashAt = 1; crashAt <= total; crashAt++) {
    const dir = join(root, `crash-${crashAt}`);
    const files = new CrashingFiles(crashAt);
    const finished = { index: -1 };
    await assert.rejects(checkpointSequence(dir, { ...realCheckpointIo, files }, new Map(), finished), (error: unknown) =>
      // Pruning reports a failed removal as CHECKPOINT_IO, with the crash as its cause.
      error instanceof Crash || (error instanceof Error && error.cause instanceof Crash),
    );
    await files.powerLoss();
    const loaded = await loadNewestCheckpoint(dir, (message) => assert.fail(`crash at ${crashAt}: ${message}`));
    if (finished.index < 0 && loaded === null) continue; // crashed before the first checkpoint was down
    assert.ok(loaded !== null, `crash at ${crashAt}: nothing loads after checkpoint ${finished.index} finished`);
    assert.ok(loaded.index >= finished.index, `crash at ${crashAt}: loaded ${loaded.index}, older than ${finished.index}`);
    assert.deepEqual(pictureOfLoaded(loaded.collections), pictures.get(loaded.index), `crash at ${crashAt}: the state at ${loaded.index}`);
  }
});
