/**
 * `node --expose-gc dist/bench/memory.js [keys]`: walnut's live memory per key, embedded,
 * after loading N keys (16-byte values) and after a checkpoint has compacted the Raft log,
 * each read after full garbage collections. Compare with redis's `used_memory` growth per
 * key from `npm run bench -- resp` (about 110 B for the same keys).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { open } from "../db.js";

const IN_FLIGHT = 1000;

function liveHeapBytes(): number {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect === undefined) throw new Error("run with node --expose-gc to measure live memory");
  collect();
  collect();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

export async function runMemoryBench(keys: number): Promise<{ afterLoadBytesPerKey: number; afterCheckpointBytesPerKey: number }> {
  const dir = await mkdtemp(join(tmpdir(), "walnut-memory-"));
  const db = await open({ dir, fsync: "no", checkpointInterval: 0, checkpointWalBytes: 0 });
  try {
    const base = liveHeapBytes();
    const pending: Array<Promise<unknown>> = [];
    for (let i = 0; i < keys; i++) {
      pending.push(db.set(`key:${i}`, "v".repeat(16)));
      if (pending.length >= IN_FLIGHT) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
    const loaded = liveHeapBytes();
    await db.checkpoint();
    const compacted = liveHeapBytes();
    return { afterLoadBytesPerKey: (loaded - base) / keys, afterCheckpointBytesPerKey: (compacted - base) / keys };
  } finally {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const keys = Number(process.argv[2] ?? 300_000);
  const result = await runMemoryBench(keys);
  process.stdout.write(
    `${keys} keys, 16-byte values: live ${result.afterLoadBytesPerKey.toFixed(0)} B/key after loading ` +
      `(the Raft log holds every entry until a checkpoint), ${result.afterCheckpointBytesPerKey.toFixed(0)} B/key after a checkpoint\n`,
  );
}
