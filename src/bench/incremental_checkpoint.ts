/**
 * `npm run bench -- incremental`, or `node dist/bench/incremental_checkpoint.js [--keys N]
 * [--changed 0.01]`: what an incremental checkpoint saves on a large, mostly idle data set.
 *
 * Builds an engine of N keys (default 10,000,000; WALNUT_BENCH_KEYS for npm run bench) of
 * 100-byte values in the default hash collection, takes a full checkpoint (the base),
 * overwrites a share of the keys (default 1%, spread evenly) and then checkpoints the same
 * state twice: as a full checkpoint, and as a delta on the base. Reports the time and bytes
 * of each, then the time to load each from disk as a restart does (the full checkpoint
 * alone, against the base and the delta, and of that the delta alone; twice each, in both
 * orders, the faster kept), with
 * the live engine dropped first so that one copy of the data is in memory at a time. Both
 * loads are checked to hold the same number of keys.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { collectionsOf } from "../engine/checkpoint_changes.js";
import { DEFAULT_COLLECTION, Engine } from "../engine/engine.js";
import { Item, NO_EXPIRY } from "../engine/values.js";
import { writeDeltaCheckpoint } from "../snapshot/delta_writer.js";
import { readCheckpoint } from "../snapshot/reader.js";
import { applyDelta } from "../snapshot/delta_reader.js";
import { listCheckpointPieces, newestChains, type CheckpointPiece } from "../snapshot/store.js";
import { writeCheckpoint, type CheckpointInfo } from "../snapshot/writer.js";
import { keyName, valueMaker } from "./checkpoint_stall.js";

const DEFAULT_KEYS = 10_000_000;
const DEFAULT_CHANGED = 0.01;

export interface IncrementalBenchResult {
  keys: number;
  changedKeys: number;
  base: { durationMs: number; sizeBytes: number };
  secondFull: { durationMs: number; sizeBytes: number };
  secondDelta: { durationMs: number; sizeBytes: number; entries: number };
  restartFullMs: number;
  restartChainMs: number;
  /** Of restartChainMs, reading and applying the delta. */
  applyDeltaMs: number;
  loadAverage: number[];
}


function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function summary(info: CheckpointInfo): { durationMs: number; sizeBytes: number } {
  return { durationMs: Math.round(info.durationMs), sizeBytes: info.sizeBytes };
}

export async function runIncrementalBench(options: { keys: number; changed: number }): Promise<IncrementalBenchResult> {
  const dir = await mkdtemp(join(tmpdir(), "walnut-bench-incremental-"));
  try {
    const deltaDir = join(dir, "chain");
    const fullDir = join(dir, "full");
    let engine: Engine | null = new Engine();
    const collection = engine.collection(DEFAULT_COLLECTION);
    if (collection === undefined) throw new Error("no default collection");
    const nextValue = valueMaker(7);
    const started = performance.now();
    for (let i = 0; i < options.keys; i++) collection.put(keyName(i), new Item({ kind: "string", value: nextValue() }, i + 1, NO_EXPIRY));
    engine.appliedIndex = options.keys;
    engine.appliedTerm = 1;
    log(`built ${options.keys} keys in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    let view = engine.openView();
    engine.checkpointChanges.begin(collectionsOf(engine), view.index);
    const base = await writeCheckpoint(view, { dir: deltaDir });
    engine.checkpointChanges.finished();
    await writeCheckpoint(engine.openView(), { dir: fullDir }); // the same base, for the full chain's directory
    log(`base: ${base.sizeBytes} bytes in ${base.durationMs.toFixed(0)} ms`);

    const step = Math.max(1, Math.round(1 / options.changed));
    let changedKeys = 0;
    for (let i = 0; i < options.keys; i += step) {
      changedKeys += 1;
      collection.put(keyName(i), new Item({ kind: "string", value: nextValue() }, options.keys + changedKeys, NO_EXPIRY));
    }
    engine.appliedIndex = options.keys + changedKeys;
    log(`overwrote ${changedKeys} keys`);

    const secondFull = await writeCheckpoint(engine.openView(), { dir: fullDir });
    log(`second checkpoint, full: ${secondFull.sizeBytes} bytes in ${secondFull.durationMs.toFixed(0)} ms`);
    view = engine.openView();
    const changes = engine.checkpointChanges.begin(collectionsOf(engine), view.index);
    const secondDelta = await writeDeltaCheckpoint(view, changes, { previousIndex: base.index, previousTerm: base.term }, { dir: deltaDir });
    engine.checkpointChanges.finished();
    log(`second checkpoint, delta: ${secondDelta.sizeBytes} bytes in ${secondDelta.durationMs.toFixed(0)} ms (${secondDelta.keys} entries)`);
    engine = null; // one copy of the data in memory at a time from here

    // Twice each, alternating, keeping the faster: the first load also pays for warming up.
    const [chain] = newestChains(await listCheckpointPieces(deltaDir), 1);
    if (chain === undefined || chain.length !== 2) throw new Error("expected a base and a delta");
    let restartFullMs = Number.POSITIVE_INFINITY;
    let restartChainMs = Number.POSITIVE_INFINITY;
    let applyDeltaMs = Number.POSITIVE_INFINITY;
    const loadFull = async (): Promise<number> => {
      const started = performance.now();
      const keys = (await readCheckpoint(secondFull.path)).keys;
      restartFullMs = Math.min(restartFullMs, performance.now() - started);
      log(`loaded the full checkpoint: ${keys} keys in ${(performance.now() - started).toFixed(0)} ms`);
      return keys;
    };
    const loadBaseAndDelta = async (): Promise<number> => {
      const started = performance.now();
      const base = await readCheckpoint((chain[0] as CheckpointPiece).path);
      const deltaStarted = performance.now();
      const applied = await applyDelta((chain[1] as CheckpointPiece).path, base.collections);
      const deltaMs = performance.now() - deltaStarted;
      restartChainMs = Math.min(restartChainMs, performance.now() - started);
      applyDeltaMs = Math.min(applyDeltaMs, deltaMs);
      const keys = applied.collections.reduce((sum, collection) => sum + collection.size, 0);
      log(`loaded the base and the delta: ${keys} keys in ${(performance.now() - started).toFixed(0)} ms (the delta: ${deltaMs.toFixed(0)} ms)`);
      return keys;
    };
    for (const order of [[loadFull, loadBaseAndDelta], [loadBaseAndDelta, loadFull]]) {
      const [first, second] = [await (order[0] as () => Promise<number>)(), await (order[1] as () => Promise<number>)()];
      if (first !== second) throw new Error(`the chain and the full checkpoint hold ${first} and ${second} keys`);
    }
    return {
      keys: options.keys,
      changedKeys,
      base: summary(base),
      secondFull: summary(secondFull),
      secondDelta: { ...summary(secondDelta), entries: secondDelta.keys },
      restartFullMs: Math.round(restartFullMs),
      restartChainMs: Math.round(restartChainMs),
      applyDeltaMs: Math.round(applyDeltaMs),
      loadAverage: loadavg().map((value) => Number(value.toFixed(1))),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function numberFlag(argv: string[], name: string, fallback: number): number {
  const at = argv.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(argv[at + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} takes a positive number`);
  return value;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const argv = process.argv.slice(2);
  const result = await runIncrementalBench({ keys: numberFlag(argv, "--keys", DEFAULT_KEYS), changed: numberFlag(argv, "--changed", DEFAULT_CHANGED) });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

export { DEFAULT_CHANGED, DEFAULT_KEYS };
