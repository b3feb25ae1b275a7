/**
 * `node --expose-gc dist/bench/aggregate_memory.js [keys] [elements]`: memory per element of
 * hashes, sets, sorted sets and lists, walnut beside redis-server 7.0 for the same data.
 *
 * Each type gets `keys` keys of `elements` elements (8-byte members or fields, 8-byte values,
 * integer-like scores). walnut (embedded, fsync no, after a checkpoint so the Raft log holds
 * nothing) is read as live heap + external after full garbage collections; redis-server as
 * INFO memory's used_memory. Every type is first loaded once (WARM_UP_KEYS keys) and
 * flushed before anything is measured, so that the code and feedback V8 makes for a
 * command's first runs are not counted against whichever type runs first. Both are the growth over the empty store, divided by the
 * elements loaded. With `elements` at most 128, Redis holds them in its compact listpack
 * (intset for integer sets); beyond, in hash tables and skip lists.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { open, type Db } from "../db.js";
import { startRedis } from "./resp_servers.js";

type AggregateType = "hash" | "set" | "zset" | "list";
const TYPES: readonly AggregateType[] = ["hash", "set", "zset", "list"];
const KEYS_PER_BATCH = 100;
const WARM_UP_KEYS = 200;

/** The command that fills key `key` with `elements` elements of `type`. */
function fillCommand(type: AggregateType, key: number, elements: number): string[] {
  const args: string[] = [];
  for (let index = 0; index < elements; index++) {
    const member = `m${String(index).padStart(7, "0")}`;
    if (type === "hash") args.push(member, `v${String(key).padStart(7, "0")}`);
    else if (type === "zset") args.push(String(index), member);
    else args.push(member);
  }
  const name = { hash: "HSET", set: "SADD", zset: "ZADD", list: "RPUSH" }[type];
  return [name, `${type}:${key}`, ...args];
}

function liveHeapBytes(): number {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect === undefined) throw new Error("run with node --expose-gc to measure live memory");
  collect();
  collect();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

async function redisUsedMemory(redis: Redis): Promise<number> {
  const info = await redis.info("memory");
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? NaN);
}

async function loadInto(run: (argv: string[]) => Promise<unknown>, type: AggregateType, keys: number, elements: number): Promise<void> {
  for (let first = 0; first < keys; first += KEYS_PER_BATCH) {
    const batch: Array<Promise<unknown>> = [];
    for (let key = first; key < Math.min(keys, first + KEYS_PER_BATCH); key++) batch.push(run(fillCommand(type, key, elements)));
    await Promise.all(batch);
  }
}

async function walnutBytesPerElement(db: Db, type: AggregateType, keys: number, elements: number): Promise<number> {
  await db.command("FLUSHALL");
  await db.checkpoint();
  const before = liveHeapBytes();
  await loadInto((argv) => db.command(...argv), type, keys, elements);
  await db.checkpoint();
  return (liveHeapBytes() - before) / (keys * elements);
}

async function redisBytesPerElement(redis: Redis, type: AggregateType, keys: number, elements: number): Promise<number> {
  await redis.flushall();
  const before = await redisUsedMemory(redis);
  await loadInto((argv) => redis.call(argv[0]!, ...argv.slice(1)), type, keys, elements);
  return ((await redisUsedMemory(redis)) - before) / (keys * elements);
}

export interface AggregateMemoryRow {
  type: AggregateType;
  walnutBytes: number;
  redisBytes: number;
}

export async function runAggregateMemoryBench(keys: number, elements: number): Promise<AggregateMemoryRow[]> {
  const dir = await mkdtemp(join(tmpdir(), "walnut-aggregate-memory-"));
  const db = await open({ dir, fsync: "no", checkpointInterval: 0, checkpointWalBytes: 0 });
  const server = await startRedis({ appendFsyncAlways: false });
  const redis = new Redis({ port: server.port, host: "127.0.0.1" });
  try {
    for (const type of TYPES) await loadInto((argv) => db.command(...argv), type, WARM_UP_KEYS, elements);
    const rows: AggregateMemoryRow[] = [];
    for (const type of TYPES) {
      rows.push({ type, walnutBytes: await walnutBytesPerElement(db, type, keys, elements), redisBytes: await redisBytesPerElement(redis, type, keys, elements) });
    }
    return rows;
  } finally {
    redis.disconnect();
    await server.stop();
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const keys = Number(process.argv[2] ?? 2_000);
  const elements = Number(process.argv[3] ?? 100);
  for (const row of await runAggregateMemoryBench(keys, elements)) {
    process.stdout.write(
      `${row.type}: ${keys} keys × ${elements} elements: walnut ${row.walnutBytes.toFixed(1)} B/element, ` +
        `redis ${row.redisBytes.toFixed(1)} B/element (${(row.walnutBytes / row.redisBytes).toFixed(2)}×)\n`,
    );
  }
}
