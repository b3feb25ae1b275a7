/**
 * How far V8 lets its old generation grow past the data that survived the last full
 * collection before it collects again: `walnut serve --heap-growth-percent`.
 *
 * V8 picks the factor itself (up to 4x while the heap grows fast), so after a bulk load
 * much of walnut's resident memory is garbage that no collection has reclaimed yet, and
 * live objects spread over pages half filled with it. A fixed, lower factor keeps RSS
 * nearer the data at a cost in CPU: more full collections (docs/operations.md, "Memory",
 * has the figures). The flag is V8's --heap-growing-percent; V8 reads it each time it sets
 * the next limit, so setting it once the process runs takes effect (unlike the young
 * generation's size, fixed when the heap is set up).
 */
import v8 from "node:v8";
import { WalnutError } from "./errors.js";

/** V8's own largest growing factor is 4: a percent above 300 would only loosen it. */
export const HEAP_GROWTH_PERCENT_MAX = 300;

/** Sets the growing factor to 1 + percent/100 for this process; 0 leaves V8's own choice. */
export function applyHeapGrowthPercent(percent: number): void {
  if (!Number.isInteger(percent) || percent < 0 || percent > HEAP_GROWTH_PERCENT_MAX) {
    throw new WalnutError("BAD_CONFIG", `Cannot use --heap-growth-percent ${percent}: it must be from 0 (V8's own choice) to ${HEAP_GROWTH_PERCENT_MAX}`);
  }
  if (percent > 0) v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}
