/**
 * `node dist/bench/write_path.js [sets]` (or `npm run bench -- write_path`): the CPU one
 * write costs on the embedded path, and one read beside it as the reference.
 *
 * N sequential `await db.set()` with fsync "no" (each waits for the previous one, as the
 * WAL seed experiment's loop does), measured in CPU time (process.cpuUsage: user + system)
 * rather than wall time, because the machine is shared and wall time moves with the load.
 * The median of several rounds is reported, as µs of CPU per set and per get, with the
 * ratio between them, and the least CPU a round of sets took (the round other processes
 * disturbed least: the steadiest figure to compare two builds by).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { open, type Db } from "../db.js";
import { cpuMicros, median } from "./measure.js";

const SETS_DEFAULT = 20_000;
const ROUNDS = 7;
const KEYS = 1000;

export interface WritePathResult {
  setCpuMicros: number;
  setCpuMicrosMin: number;
  setWallMicros: number;
  getCpuMicros: number;
  operations: number;
}

async function setRound(db: Db, operations: number): Promise<{ cpu: number; wall: number }> {
  const startedCpu = cpuMicros();
  const startedMs = performance.now();
  for (let i = 0; i < operations; i++) await db.set(`key${i % KEYS}`, `value${i}`);
  return { cpu: (cpuMicros() - startedCpu) / operations, wall: ((performance.now() - startedMs) * 1000) / operations };
}

async function getRound(db: Db, operations: number): Promise<number> {
  const startedCpu = cpuMicros();
  for (let i = 0; i < operations; i++) {
    if ((await db.get(`key${i % KEYS}`)) === null) throw new Error(`key${i % KEYS} is missing`);
  }
  return (cpuMicros() - startedCpu) / operations;
}

export async function measureWritePath(operations: number): Promise<WritePathResult> {
  const dir = await mkdtemp(join(tmpdir(), "walnut-write-path-"));
  const db = await open({ dir, fsync: "no", checkpointInterval: 0, checkpointWalBytes: 0 });
  try {
    await setRound(db, operations); // warm up (and fill the keys the gets read)
    const sets: { cpu: number; wall: number }[] = [];
    const gets: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      sets.push(await setRound(db, operations));
      gets.push(await getRound(db, operations));
    }
    return {
      setCpuMicros: median(sets.map((s) => s.cpu)),
      setCpuMicrosMin: Math.min(...sets.map((s) => s.cpu)),
      setWallMicros: median(sets.map((s) => s.wall)),
      getCpuMicros: median(gets),
      operations,
    };
  } finally {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export async function runWritePathBench(): Promise<void> {
  const operations = Number(process.argv[2] ?? process.env.WALNUT_BENCH_SETS ?? SETS_DEFAULT);
  const result = await measureWritePath(Number.isInteger(operations) && operations > 0 ? operations : SETS_DEFAULT);
  const ratio = result.setCpuMicros / result.getCpuMicros;
  process.stdout.write(
    `write path (fsync no, ${result.operations} sequential sets, median of ${ROUNDS} rounds): ` +
      `set ${result.setCpuMicros.toFixed(2)} µs CPU (least ${result.setCpuMicrosMin.toFixed(2)}; ${result.setWallMicros.toFixed(2)} µs wall), ` +
      `get ${result.getCpuMicros.toFixed(2)} µs CPU, set/get ${ratio.toFixed(1)}x\n`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) await runWritePathBench();
