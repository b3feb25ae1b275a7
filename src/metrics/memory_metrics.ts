/**
 * maxmemory's metrics (commands/memory_limit.ts), read at scrape:
 *
 *   walnut_used_memory_bytes            gauge    used memory as maxmemory counts it (V8 heap in use + external memory)
 *   walnut_maxmemory_bytes              gauge    the limit: denyoom writes are refused above it
 *   walnut_oom_refused_writes_total     counter  writes refused with OOM since the node started
 *
 * Until `watch` hands them the limit, the gauges read 0.
 */
import { Counter, Gauge, type Registry } from "prom-client";

/** What the gauges read; a MemoryLimit is one. */
export interface MemoryReading {
  readonly usedBytes: number;
  readonly maxmemory: number;
}

export class MemoryMetrics {
  private source: MemoryReading | null = null;
  private readonly refused: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    const sourceOf = (): MemoryReading | null => this.source;
    new Gauge({
      name: "walnut_used_memory_bytes",
      help: "Used memory as maxmemory counts it: the V8 heap in use plus external memory (sampled every 100 ms), plus writes admitted since.",
      registers,
      collect() {
        this.set(sourceOf()?.usedBytes ?? 0);
      },
    });
    new Gauge({
      name: "walnut_maxmemory_bytes",
      help: "maxmemory: writes that add data are refused with OOM while used memory is above it.",
      registers,
      collect() {
        this.set(sourceOf()?.maxmemory ?? 0);
      },
    });
    this.refused = new Counter({
      name: "walnut_oom_refused_writes_total",
      help: "Writes refused with OOM because used memory was over maxmemory.",
      registers,
    });
  }

  /** Reads `source` from now on. */
  watch(source: MemoryReading): void {
    this.source = source;
  }

  /** One write refused with OOM. */
  writeRefused(): void {
    this.refused.inc();
  }
}
