import { test } from "node:test";
import * as assert from "node:assert/strict";
import type { HardState, LogEntry } from "./wal.js";
import { openWal, summary, withDataDir, type OpenedWal } from "./test_support.js";
import { mulberry32 } from "../lib/seeded_random.js";

/** A small seeded PRNG (mulberry32): a failing seed replays exactly. */
function random(seed: number): (below: number) => number {
  const next = mulberry32(seed);
  return (below) => next() % below;
}

/** What the log should hold: entries by index, and how far compaction may have gone. */
class ModelLog {
  entries: LogEntry[] = [];
  compactedThrough = 0;
  hardState: HardState | null = null;

  get lastIndex(): number {
    return this.entries.length;
  }

  append(list: LogEntry[]): void {
    this.entries.length = list[0]!.index - 1;
    this.entries.push(...list);
  }
}

function makeEntries(first: number, count: number, term: number, step: number): LogEntry[] {
  return Array.from({ length: count }, (_, offset) => ({
    index: first + offset,
    term,
    data: Buffer.from(`e${first + offset}-t${term}-s${step}`),
  }));
}

async function runHistory(seed: number, walDir: string): Promise<void> {
  const next = random(seed);
  const model = new ModelLog();
  const segmentSizeBytes = 300 + next(700);
  const reopen = async (): Promise<OpenedWal> => {
    const opened = await openWal(walDir, { segmentSizeBytes, replayAfterIndex: model.compactedThrough });
    const expected = model.entries.slice(model.compactedThrough);
    assert.deepEqual(summary(opened.replayed), summary(expected), `seed ${seed}`);
    assert.equal(opened.recovery.lastIndex, model.lastIndex, `seed ${seed}`);
    assert.deepEqual(opened.recovery.hardState, model.hardState, `seed ${seed}`);
    return opened;
  };
  let { wal } = await reopen();
  let term = 1;
  for (let step = 0; step < 200; step += 1) {
    const choice = next(20);
    if (choice < 14) {
      const writes: Array<Promise<void>> = [];
      for (let append = 0, appends = 1 + next(4); append < appends; append += 1) {
        const lowest = Math.max(model.compactedThrough + 1, model.lastIndex - 4);
        const overwrite = next(6) === 0 && model.lastIndex >= lowest;
        const first = overwrite ? lowest + next(model.lastIndex - lowest + 1) : model.lastIndex + 1;
        if (overwrite) term += 1;
        const list = makeEntries(first, 1 + next(5), term, step);
        const hardState = next(3) === 0 ? { term, vote: next(3), commit: model.compactedThrough } : undefined;
        model.append(list);
        if (hardState) model.hardState = hardState;
        writes.push(wal.append(list, hardState));
      }
      await Promise.all(writes);
    } else if (choice < 17) {
      const through = model.compactedThrough + next(Math.max(1, model.lastIndex - model.compactedThrough));
      model.compactedThrough = Math.min(through, model.lastIndex);
      await wal.compact(model.compactedThrough);
    } else {
      await wal.close();
      ({ wal } = await reopen());
    }
  }
  await wal.close();
  await reopen().then((opened) => opened.wal.close());
}

test("random histories of appends, overwrites, compactions and reopens replay exactly as a model log", async () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    await withDataDir(({ walDir }) => runHistory(seed, walDir));
  }
});
