/**
 * Metrics whose values live in plain numbers that walnut updates itself, and which a
 * prom-client Registry reads only when scraped. Used where prom-client's own instruments
 * cost too much: its `histogram.labels(...).observe(v)` hashes the label set, validates it
 * and allocates on every call (about 0.9 µs, measured; a RESP GET costs about 3 µs), where
 * `LatencyCells.observe` is a bucket search and three additions (about 15 ns).
 *
 * The Registry reads a metric through `name`, `type`, `get()` (help, type and samples) and
 * `reset()`; prom-client's Counter and Histogram are such objects, and so are these.
 */
import type { Metric, Registry } from "prom-client";

export type LabelSet = Record<string, string>;

/** One exposition line: `metricName{labels} value` (metricName defaults to the metric's name). */
export interface Sample {
  value: number;
  labels: LabelSet;
  metricName?: string;
}

export interface ScrapedMetricSpec {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram";
  /** Called at scrape time. */
  samples(): Sample[];
  /** Called by registry.resetMetrics(). */
  reset(): void;
}

/** Adds a metric read through `spec.samples()` to `registry`. */
export function registerScrapedMetric(registry: Registry, spec: ScrapedMetricSpec): void {
  const metric = {
    name: spec.name,
    type: spec.type,
    get: async () => ({ name: spec.name, help: spec.help, type: spec.type, aggregator: "sum", values: spec.samples() }),
    reset: () => spec.reset(),
  };
  // The Registry's declared parameter is the union of prom-client's own classes; at run
  // time it reads only the members above (lib/registry.js), which this object has.
  registry.registerMetric(metric as unknown as Metric);
}

/**
 * A histogram's cells for one label set: counts per bucket (cumulated only when scraped),
 * their sum and their number. `upperBounds` are the buckets' inclusive upper bounds, in
 * increasing order; a last cell counts values above all of them.
 */
export class LatencyCells {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(readonly upperBounds: readonly number[]) {
    this.counts = new Float64Array(upperBounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.upperBounds;
    let bucket = 0;
    while (bucket < bounds.length && value > (bounds[bucket] as number)) bucket += 1;
    this.counts[bucket] = (this.counts[bucket] as number) + 1;
    this.sum += value;
    this.count += 1;
  }

  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }

  /** The `_bucket` (cumulative, with `le`), `_sum` and `_count` samples of `name`. */
  samples(name: string, labels: LabelSet): Sample[] {
    const samples: Sample[] = [];
    let cumulative = 0;
    this.upperBounds.forEach((bound, bucket) => {
      cumulative += this.counts[bucket] as number;
      samples.push({ metricName: `${name}_bucket`, labels: { ...labels, le: String(bound) }, value: cumulative });
    });
    samples.push({ metricName: `${name}_bucket`, labels: { ...labels, le: "+Inf" }, value: this.count });
    samples.push({ metricName: `${name}_sum`, labels, value: this.sum });
    samples.push({ metricName: `${name}_count`, labels, value: this.count });
    return samples;
  }
}
