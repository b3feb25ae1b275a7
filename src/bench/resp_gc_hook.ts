/**
 * Preloaded into walnut by the memory benchmarks (`node --expose-gc --import <this file>`):
 * on SIGUSR2, two full garbage collections, then process.memoryUsage() as one JSON object
 * written to the file named by WALNUT_BENCH_GC_REPORT. It lets a benchmark tell walnut's
 * live heap from garbage V8 has not collected yet and pages it has not returned. With
 * WALNUT_BENCH_HEAP_SNAPSHOT set, a heap snapshot is written to that file too, before the
 * report (src/bench/heap_snapshot_summary.ts reads it). walnut itself does not handle SIGUSR2.
 */
import { writeFileSync } from "node:fs";
import { writeHeapSnapshot } from "node:v8";

const reportPath = process.env.WALNUT_BENCH_GC_REPORT;
const snapshotPath = process.env.WALNUT_BENCH_HEAP_SNAPSHOT;
// --expose-gc installs gc() on the global object; TypeScript's lib does not declare it.
const collect = (globalThis as { gc?: () => void }).gc;

if (reportPath !== undefined && collect !== undefined) {
  process.on("SIGUSR2", () => {
    collect();
    collect();
    const usage = process.memoryUsage();
    if (snapshotPath !== undefined && snapshotPath !== "") writeHeapSnapshot(snapshotPath);
    writeFileSync(reportPath, JSON.stringify(usage));
  });
}
