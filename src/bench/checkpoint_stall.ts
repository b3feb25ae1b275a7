/**
 * `npm run bench -- checkpoint`, or `node dist/bench/checkpoint_stall.js [--keys N]
 * [--type hash|ordered] [--slice-keys N] [--level 0-9]`: how long a checkpoint holds the
 * event loop.
 *
 * Builds an engine with N keys (default 1,000,000) of 100-byte values, once in the default
 * hash collection and once in an ordered collection, and takes a checkpoint while a
 * steady load overwrites and inserts keys (50 writes every millisecond, as apply() would:
 * each at the next log index). The longest event-loop stall during the checkpoint comes
 * from perf_hooks.monitorEventLoopDelay at 1 ms resolution, minus that resolution.
 * Goal: under 50 ms with 1M keys.
 *
 * The reference, measured in the same run: the longest stall of the same write load over
 * the same time with no checkpoint (garbage collection of a heap this size, and a busy
 * machine, stall the event loop on their own).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import type { Collection, CollectionType } from "../engine/collection.js";
import { DEFAULT_COLLECTION, Engine } from "../engine/engine.js";
import { Item } from "../engine/values.js";
import { writeCheckpoint } from "../snapshot/writer.js";

const DEFAULT_KEYS = 1_000_000;
const VALUE_BYTES = 100;
/** The write load during the checkpoint: this many writes every WRITE_PERIOD_MS. */
const WRITES_PER_PERIOD = 50;
const WRITE_PERIOD_MS = 1;
const MONITOR_RESOLUTION_MS = 1;
/** Writes run this long before measuring, so that collecting the build's garbage is not counted. */
const SETTLE_MS = 1000;
const VALUE_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";

export interface CheckpointStallOptions {
  keys: number;
  /** Run one collection type only; by default both run and the worse stall is returned. */
  collectionType?: CollectionType;
  sliceKeys?: number;
  compressionLevel?: number;
}

export interface CheckpointStallRun {
  collectionType: CollectionType;
  keys: number;
  durationMs: number;
  sizeBytes: number;
  longestStallMs: number;
  /** The writer's own figure: the longest slice it encoded without yielding. */
  longestSliceMs: number;
  writesDuringCheckpoint: number;
  /** The longest stall of the write load alone, over as long as the checkpoint took. */
  baselineStallMs: number;
}

export interface CheckpointStallResult {
  keys: number;
  durationMs: number;
  sizeBytes: number;
  longestStallMs: number;
  runs: CheckpointStallRun[];
}

/** A source of 100-byte values: deterministic, compressible about as much as real text. */
export function valueMaker(seed: number): () => string {
  let state = seed >>> 0;
  const bytes = Buffer.allocUnsafe(VALUE_BYTES);
  return () => {
    for (let i = 0; i < VALUE_BYTES; i++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      bytes[i] = VALUE_ALPHABET.charCodeAt(state >>> 26);
    }
    return bytes.toString("latin1");
  };
}

export const keyName = (number: number): string => `key:${String(number).padStart(9, "0")}`;

function buildEngine(keys: number, type: CollectionType, nextValue: () => string): { engine: Engine; collection: Collection } {
  const engine = new Engine();
  const name = type === "hash" ? DEFAULT_COLLECTION : "ordered";
  if (type === "ordered") engine.createCollection(name, "ordered");
  const collection = engine.collection(name)!;
  for (let i = 0; i < keys; i++) collection.put(keyName(i), new Item({ kind: "string", value: nextValue() }, i + 1, 0));
  engine.appliedIndex = keys;
  engine.appliedTerm = 1;
  return { engine, collection };
}

/** Overwrites (and now and then inserts) keys at a steady rate until stopped. */
function startWriteLoad(
  engine: Engine,
  collection: Collection,
  nextValue: () => string,
): { writes: () => number; stop: () => void } {
  let writes = 0;
  let state = 12345;
  const timer = setInterval(() => {
    for (let i = 0; i < WRITES_PER_PERIOD; i++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      const index = ++engine.appliedIndex;
      const key = i % 10 === 0 ? `new:${index}` : keyName(state % collection.size);
      collection.put(key, new Item({ kind: "string", value: nextValue() }, index, 0));
      writes += 1;
    }
  }, WRITE_PERIOD_MS);
  return { writes: () => writes, stop: () => clearInterval(timer) };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `work` and returns what it returned with the longest event-loop stall during it. */
async function measureStall<T>(work: () => Promise<T>): Promise<{ result: T; longestStallMs: number }> {
  const delay = monitorEventLoopDelay({ resolution: MONITOR_RESOLUTION_MS });
  delay.enable();
  const result = await work();
  delay.disable();
  return { result, longestStallMs: Math.max(0, delay.max / 1e6 - MONITOR_RESOLUTION_MS) };
}

async function runOnce(options: CheckpointStallOptions & { collectionType: CollectionType }): Promise<CheckpointStallRun> {
  const nextValue = valueMaker(7);
  const { engine, collection } = buildEngine(options.keys, options.collectionType, nextValue);
  const dir = await mkdtemp(join(tmpdir(), "walnut-bench-checkpoint-"));
  const stopWrites = startWriteLoad(engine, collection, nextValue);
  try {
    await sleep(SETTLE_MS);
    const writesBefore = stopWrites.writes();
    const checkpoint = await measureStall(() =>
      writeCheckpoint(engine.openView(), {
        dir,
        ...(options.sliceKeys === undefined ? {} : { sliceKeys: options.sliceKeys }),
        ...(options.compressionLevel === undefined ? {} : { compressionLevel: options.compressionLevel }),
      }),
    );
    const writesDuringCheckpoint = stopWrites.writes() - writesBefore;
    const baseline = await measureStall(() => sleep(checkpoint.result.durationMs));
    return {
      collectionType: options.collectionType,
      keys: options.keys,
      durationMs: checkpoint.result.durationMs,
      sizeBytes: checkpoint.result.sizeBytes,
      longestStallMs: checkpoint.longestStallMs,
      longestSliceMs: checkpoint.result.longestSliceMs,
      writesDuringCheckpoint,
      baselineStallMs: baseline.longestStallMs,
    };
  } finally {
    stopWrites.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs the benchmark; the figures returned are those of the run with the longest stall. */
export async function runCheckpointStallBench(options: CheckpointStallOptions = { keys: DEFAULT_KEYS }): Promise<CheckpointStallResult> {
  const types: CollectionType[] = options.collectionType === undefined ? ["hash", "ordered"] : [options.collectionType];
  const runs: CheckpointStallRun[] = [];
  for (const collectionType of types) runs.push(await runOnce({ ...options, collectionType }));
  const worst = runs.reduce((a, b) => (b.longestStallMs > a.longestStallMs ? b : a));
  return { keys: worst.keys, durationMs: worst.durationMs, sizeBytes: worst.sizeBytes, longestStallMs: worst.longestStallMs, runs };
}

export function describeRun(run: CheckpointStallRun): string {
  return (
    `checkpoint of ${run.keys} keys (${run.collectionType}): ${run.durationMs.toFixed(0)} ms, ` +
    `${(run.sizeBytes / 1024 / 1024).toFixed(1)} MiB, longest stall ${run.longestStallMs.toFixed(1)} ms ` +
    `(longest slice ${run.longestSliceMs.toFixed(1)} ms; without a checkpoint ${run.baselineStallMs.toFixed(1)} ms), ` +
    `${run.writesDuringCheckpoint} writes during it`
  );
}

function flag(name: string): number | undefined {
  const position = process.argv.indexOf(name);
  if (position < 0) return undefined;
  const value = Number(process.argv[position + 1]);
  if (!Number.isInteger(value) || value < 0) throw new Error(`Cannot run the benchmark: ${name} takes a whole number`);
  return value;
}

function collectionTypeFlag(): CollectionType | undefined {
  const position = process.argv.indexOf("--type");
  if (position < 0) return undefined;
  const type = process.argv[position + 1];
  if (type !== "hash" && type !== "ordered") throw new Error("Cannot run the benchmark: --type takes hash or ordered");
  return type;
}

async function main(): Promise<void> {
  const sliceKeys = flag("--slice-keys");
  const compressionLevel = flag("--level");
  const collectionType = collectionTypeFlag();
  const result = await runCheckpointStallBench({
    keys: flag("--keys") ?? DEFAULT_KEYS,
    ...(collectionType === undefined ? {} : { collectionType }),
    ...(sliceKeys === undefined ? {} : { sliceKeys }),
    ...(compressionLevel === undefined ? {} : { compressionLevel }),
  });
  for (const run of result.runs) process.stdout.write(`${describeRun(run)}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
