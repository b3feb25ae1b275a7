/**
 * `npm run bench -- wal`: what durability costs, measured against the physical limit.
 *
 * (a) The seed experiment (an OCaml store whose WAL was 480x slower than its hash table):
 *     1000 sequential sets + gets, walnut with fsync "no" against a bare Map. Goal <= 20x.
 * (b) fsync "always" with one writer, as a fraction of the disk's raw rate of fsync'd
 *     appends from one writer (write + fdatasync in a tight synchronous loop). Goal >= 0.9.
 * (c) fsync "always" with 64 concurrent writers, as a multiple of (b), with the mean
 *     group-commit batch size. Goal >= 20x.
 */
import { closeSync, fdatasyncSync, openSync, writeSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { open, type Db } from "../db.js";
import { median } from "./measure.js";

const SEED_OPERATIONS = 1000;
const RATE_SECONDS = Number(process.env.WALNUT_BENCH_SECONDS ?? 3);

async function withDb<T>(fsync: "always" | "no", run: (db: Db) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "walnut-bench-"));
  const db = await open({ dir, fsync, checkpointInterval: 0, checkpointWalBytes: 0 });
  try {
    return await run(db);
  } finally {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

// Both sides work on a table of the same 1000 keys, as the seed's benchmark did: the Map
// is created afresh each run, walnut overwrites the keys of the previous run.
function mapRunMs(): number {
  const table = new Map<string, string>();
  const started = performance.now();
  for (let i = 0; i < SEED_OPERATIONS; i++) {
    const key = `key${i}`;
    table.set(key, String(i));
    if (table.get(key) === undefined) throw new Error("lost");
  }
  return performance.now() - started;
}

async function walnutRunMs(db: Db): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < SEED_OPERATIONS; i++) {
    const key = `key${i}`;
    await db.set(key, String(i));
    if ((await db.get(key)) === null) throw new Error("lost");
  }
  return performance.now() - started;
}

export async function seedExperiment(): Promise<{ mapMs: number; walnutMs: number; ratio: number }> {
  const rounds = 30;
  const mapTimes: number[] = [];
  for (let round = 0; round < rounds; round++) mapTimes.push(mapRunMs());
  const walnutTimes = await withDb("no", async (db) => {
    const times: number[] = [];
    for (let round = 0; round < rounds; round++) times.push(await walnutRunMs(db));
    return times;
  });
  const mapMs = median(mapTimes.slice(5));
  const walnutMs = median(walnutTimes.slice(5));
  return { mapMs, walnutMs, ratio: walnutMs / mapMs };
}

/** The disk's raw rate: append a 64-byte record and fdatasync, as fast as one thread can. */
export async function rawFsyncRate(): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), "walnut-raw-"));
  const fd = openSync(join(dir, "raw.log"), "a");
  const record = Buffer.alloc(64, 7);
  let count = 0;
  const deadline = performance.now() + RATE_SECONDS * 1000;
  while (performance.now() < deadline) {
    writeSync(fd, record);
    fdatasyncSync(fd);
    count++;
  }
  const rate = count / RATE_SECONDS;
  closeSync(fd);
  await rm(dir, { recursive: true, force: true });
  return rate;
}

async function durableRate(writers: number): Promise<{ rate: number; meanBatch: number }> {
  return withDb("always", async (db) => {
    let count = 0;
    const deadline = performance.now() + RATE_SECONDS * 1000;
    const value = "v".repeat(40);
    const before = db.node.walStats();
    await Promise.all(
      Array.from({ length: writers }, async (_, lane) => {
        for (let i = 0; performance.now() < deadline; i++) {
          await db.set(`w${lane}:${i}`, value);
          count++;
        }
      }),
    );
    const after = db.node.walStats();
    const fsyncs = after.fsyncs - before.fsyncs;
    return { rate: count / RATE_SECONDS, meanBatch: fsyncs > 0 ? count / fsyncs : 0 };
  });
}

export async function runWalBench(): Promise<void> {
  const line = (text: string): void => void process.stdout.write(`${text}\n`);
  line("walnut WAL benchmark (npm run bench -- wal)");
  const seed = await seedExperiment();
  line(
    `(a) seed experiment, ${SEED_OPERATIONS} sets + gets: Map ${seed.mapMs.toFixed(3)} ms, ` +
      `walnut fsync=no ${seed.walnutMs.toFixed(3)} ms -> ${seed.ratio.toFixed(1)}x a bare Map (goal <= 20x; the seed was 480x)`,
  );
  const raw = await rawFsyncRate();
  line(`    raw fsync'd appends, one writer: ${raw.toFixed(0)}/s`);
  const one = await durableRate(1);
  line(`(b) walnut fsync=always, 1 writer: ${one.rate.toFixed(0)} writes/s = ${(one.rate / raw).toFixed(2)} of raw (goal >= 0.9)`);
  const many = await durableRate(64);
  line(
    `(c) walnut fsync=always, 64 writers: ${many.rate.toFixed(0)} writes/s = ${(many.rate / one.rate).toFixed(1)}x (b) ` +
      `(goal >= 20x), mean group-commit batch ${many.meanBatch.toFixed(1)} writes/fsync`,
  );
}
