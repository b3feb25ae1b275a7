/**
 * How much memory V8 accounts for in this process, read cheaply enough to consult on every
 * write: the heap in use (`used_heap_size`) plus V8's external memory (`external_memory`).
 *
 * walnut keeps its data on the V8 heap, so the heap is what a write can exhaust. External
 * memory counts too because data lives there as well: Node keeps a string made from more
 * than about 1 MB of bytes (a large value as the parser reads it) outside the heap, and
 * Buffers (socket, WAL and reply buffers) are memory the process holds all the same.
 * Reading v8.getHeapStatistics() costs a few microseconds; rather than pay that per write,
 * one process-wide timer samples it every SAMPLE_INTERVAL_MS while anyone watches, and
 * callers read the cached number.
 *
 * Both numbers count garbage not yet collected too. A caller about to refuse a write
 * because the figure is over its limit calls `collect()`, and the timer calls
 * `collectIfOver(limit)` for it: a full collection, at most one per FORCED_GC_SPACING_MS
 * and never sooner than FORCED_GC_DUTY_FACTOR times the last one's pause (so forced
 * collections take at most 5% of the time), then a fresh sample, so that writes are
 * refused because of live data, not because V8 had not collected yet.
 *
 * The collector is reached through V8's `gc` function: the one `node --expose-gc` puts
 * on globalThis, or else the one a fresh context gets once the flag is set at run time.
 */
import v8 from "node:v8";
import vm from "node:vm";

/** How often the shared timer samples the heap. */
export const SAMPLE_INTERVAL_MS = 100;
/** Least time between two collections forced because the heap looked over a limit. */
export const FORCED_GC_SPACING_MS = 1000;
/** A forced collection waits at least this many times the last one's pause after it. */
const FORCED_GC_DUTY_FACTOR = 20;

type GarbageCollector = () => void;

let collector: GarbageCollector | null | undefined;

/** V8's gc(), exposed once at first use; null when V8 refuses. */
function garbageCollector(): GarbageCollector | null {
  if (collector !== undefined) return collector;
  const global = (globalThis as { gc?: unknown }).gc;
  if (typeof global === "function") {
    collector = global as GarbageCollector;
    return collector;
  }
  try {
    v8.setFlagsFromString("--expose-gc");
    const exposed: unknown = vm.runInNewContext("gc");
    collector = typeof exposed === "function" ? (exposed as GarbageCollector) : null;
  } catch {
    collector = null;
  }
  return collector;
}

/** The heap's hard limit: V8 dies of "heap out of memory" beyond it (--max-old-space-size plus the young generation). */
export function heapSizeLimit(): number {
  return v8.getHeapStatistics().heap_size_limit;
}

/** The heap in use plus V8's external memory, garbage included. */
function accountedBytes(): number {
  const statistics = v8.getHeapStatistics();
  return statistics.used_heap_size + statistics.external_memory;
}

export type SampleListener = () => void;

class HeapUsage {
  /** used_heap_size + external_memory at the last sample. */
  usedBytes = accountedBytes();
  /** The highest sample since the process started. */
  peakBytes = this.usedBytes;
  /** Full collections forced so far, and when the last one ended (performance.now()). */
  forcedCollections = 0;
  private lastForcedEndMs = Number.NEGATIVE_INFINITY;
  private lastForcedPauseMs = 0;
  private readonly listeners = new Set<SampleListener>();
  private timer: NodeJS.Timeout | null = null;

  /** Calls `listener` after each timed sample until it is removed; the timer runs while anyone listens. */
  watch(listener: SampleListener): () => void {
    this.listeners.add(listener);
    if (this.timer === null) {
      this.timer = setInterval(() => this.tick(), SAMPLE_INTERVAL_MS);
      this.timer.unref(); // sampling never keeps a process alive
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.timer !== null) {
        clearInterval(this.timer);
        this.timer = null;
      }
    };
  }

  /** Reads the heap now. */
  sample(): void {
    const used = accountedBytes();
    this.usedBytes = used;
    if (used > this.peakBytes) this.peakBytes = used;
  }

  private tick(): void {
    this.sample();
    for (const listener of this.listeners) listener();
  }

  /**
   * When the last sample is over `limitBytes`: collects garbage (if the spacing allows)
   * and samples again. True when it collected.
   */
  collectIfOver(limitBytes: number): boolean {
    return this.usedBytes > limitBytes && this.collect();
  }

  /** Collects garbage and samples again, unless one was forced too recently. True when it collected. */
  collect(): boolean {
    const nowMs = performance.now();
    const waitMs = Math.max(FORCED_GC_SPACING_MS, FORCED_GC_DUTY_FACTOR * this.lastForcedPauseMs);
    if (nowMs - this.lastForcedEndMs < waitMs) return false;
    const gc = garbageCollector();
    if (gc === null) return false;
    gc();
    this.lastForcedEndMs = performance.now();
    this.lastForcedPauseMs = this.lastForcedEndMs - nowMs;
    this.forcedCollections += 1;
    this.sample();
    return true;
  }
}

/** The one sampler of this process: every db in it shares the one heap. */
export const heapUsage = new HeapUsage();
