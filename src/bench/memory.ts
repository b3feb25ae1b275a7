/**
 * `node --expose-gc dist/bench/memory.js [keys]`: walnut's live memory per key, embedded,
 * while loading N keys (16-byte values) with the default checkpoint settings turned off,
 * read at each third of the load, then after a checkpoint. Each reading is heap used +
 * external after full garbage collections. `npm run bench -- memory` (memory_resp.ts)
 * measures the same over RESP beside redis-server's `used_memory` (about 105 B for 16-byte values).
 *
 * The readings during the load show what the Raft log holds between checkpoints: before
 * the log released applied entries, every entry stayed in memory until a checkpoint.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { open } from "../db.js";

const IN_FLIGHT = 1000;
const READINGS_DURING_LOAD = 3;

export interface MemoryReading {
  keys: number;
  bytesPerKey: number;
}

export interface MemoryBenchResult {
  /** Live memory per key at each third of the load (no checkpoint has run). */
  duringLoad: MemoryReading[];
  afterCheckpointBytesPerKey: number;
}

function liveHeapBytes(): number {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect === undefined) throw new Error("run with node --expose-gc to measure live memory");
  collect();
  collect();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

export async function runMemoryBench(keys: number): Promise<MemoryBenchResult> {
  const dir = await mkdtemp(join(tmpdir(), "walnut-memory-"));
  const db = await open({ dir, fsync: "no", checkpointInterval: 0, checkpointWalBytes: 0 });
  try {
    const base = liveHeapBytes();
    const readAt = new Set(Array.from({ length: READINGS_DURING_LOAD }, (_, n) => Math.round((keys * (n + 1)) / READINGS_DURING_LOAD)));
    const duringLoad: MemoryReading[] = [];
    const pending: Array<Promise<unknown>> = [];
    for (let i = 1; i <= keys; i++) {
      pending.push(db.set(`key:${i - 1}`, "v".repeat(16)));
      if (pending.length >= IN_FLIGHT || readAt.has(i)) await Promise.all(pending.splice(0));
      if (readAt.has(i)) duringLoad.push({ keys: i, bytesPerKey: (liveHeapBytes() - base) / i });
    }
    await db.checkpoint();
    const compacted = liveHeapBytes();
    return { duringLoad, afterCheckpointBytesPerKey: (compacted - base) / keys };
  } finally {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const keys = Number(process.argv[2] ?? 300_000);
  const result = await runMemoryBench(keys);
  const readings = result.duringLoad.map((reading) => `${reading.bytesPerKey.toFixed(0)} B/key at ${reading.keys} keys`).join(", ");
  process.stdout.write(
    `${keys} keys, 16-byte values, live memory: ${readings} (no checkpoint); ` +
      `${result.afterCheckpointBytesPerKey.toFixed(0)} B/key after a checkpoint\n`,
  );
}
