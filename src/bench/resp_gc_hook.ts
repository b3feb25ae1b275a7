/**
 * Preloaded into walnut by the RESP benchmark's memory run (`node --expose-gc --import
 * <this file>`): on SIGUSR2, two full garbage collections, then process.memoryUsage() as
 * one JSON object written to the file named by WALNUT_BENCH_GC_REPORT. It lets the
 * benchmark tell walnut's live heap from garbage V8 has not collected yet and pages it
 * has not returned. walnut itself does not handle SIGUSR2.
 */
import { writeFileSync } from "node:fs";

const reportPath = process.env.WALNUT_BENCH_GC_REPORT;
// --expose-gc installs gc() on the global object; TypeScript's lib does not declare it.
const collect = (globalThis as { gc?: () => void }).gc;

if (reportPath !== undefined && collect !== undefined) {
  process.on("SIGUSR2", () => {
    collect();
    collect();
    writeFileSync(reportPath, JSON.stringify(process.memoryUsage()));
  });
}
