/**
 * From two scrapes of GET /metrics to one point of the status page's charts: operations
 * per second from a counter's increase, and latency quantiles from a histogram's bucket
 * increases, the way Prometheus's rate() and histogram_quantile() work. Runs in the
 * browser and in Node (its tests); it imports only the parser's types.
 *
 * The metrics (as GET /metrics names them):
 *   walnut_commands_total{command,outcome,protocol}   counter: every series summed
 *   walnut_command_duration_seconds{command}          histogram: buckets summed over commands
 *   walnut_wal_fsync_duration_seconds                 histogram
 *
 * Increases are taken per series and then summed. A series that went down was reset (the
 * node restarted): its increase is its new value, as rate() assumes. A series absent
 * from the earlier scrape counts from zero; a metric declared without series has not
 * moved. A metric the later scrape does not export gives null ("no data"), as does a
 * histogram with no observation between the two scrapes.
 *
 * Quantiles, worked example: cumulative buckets le=0.001: 60, le=0.01: 90, le=+Inf: 100;
 * p50 is rank 50 of 100, inside the first bucket: 0 + 0.001 × 50/60 = 0.000833 s; p99 is
 * rank 99, past the last finite bound: the answer is that bound, 0.01 s.
 */
import type { Exposition, Sample } from "./prometheus_text.js";

export const COMMANDS_METRIC = "walnut_commands_total";
export const COMMAND_DURATION_METRIC = "walnut_command_duration_seconds";
export const FSYNC_DURATION_METRIC = "walnut_wal_fsync_duration_seconds";

export interface Scrape {
  timeMs: number;
  metrics: Exposition;
}

/** A histogram bucket: how many observations were at most `upperBound` (cumulative). */
export interface Bucket {
  upperBound: number;
  count: number;
}

export interface ChartPoint {
  timeMs: number;
  operationsPerSecond: number | null;
  commandP50Seconds: number | null;
  commandP99Seconds: number | null;
  fsyncP50Seconds: number | null;
  fsyncP99Seconds: number | null;
}

export function pointBetween(before: Scrape, after: Scrape): ChartPoint {
  const elapsedSeconds = (after.timeMs - before.timeMs) / 1000;
  const commands = elapsedSeconds > 0 ? counterIncrease(before.metrics, after.metrics, COMMANDS_METRIC) : null;
  const commandBuckets = histogramIncrease(before.metrics, after.metrics, COMMAND_DURATION_METRIC);
  const fsyncBuckets = histogramIncrease(before.metrics, after.metrics, FSYNC_DURATION_METRIC);
  return {
    timeMs: after.timeMs,
    operationsPerSecond: commands === null ? null : commands / elapsedSeconds,
    commandP50Seconds: commandBuckets === null ? null : histogramQuantile(0.5, commandBuckets),
    commandP99Seconds: commandBuckets === null ? null : histogramQuantile(0.99, commandBuckets),
    fsyncP50Seconds: fsyncBuckets === null ? null : histogramQuantile(0.5, fsyncBuckets),
    fsyncP99Seconds: fsyncBuckets === null ? null : histogramQuantile(0.99, fsyncBuckets),
  };
}

/** Whether a scrape exports metric `name` (declares it, or has samples of it). */
export function exportsMetric(metrics: Exposition, name: string): boolean {
  return metrics.types.has(name) || metrics.samples.some((sample) => sample.name === name || sample.name === `${name}_bucket`);
}

/** How much every series of counter `name` grew in total, or null when `after` does not export it. */
export function counterIncrease(before: Exposition, after: Exposition, name: string): number | null {
  if (!exportsMetric(after, name)) return null;
  return seriesIncreases(before.samples, after.samples, name).reduce((total, each) => total + each.increase, 0);
}

/** The increase of histogram `name`'s buckets, summed over its series by `le`; null when `after` does not export it. */
export function histogramIncrease(before: Exposition, after: Exposition, name: string): Bucket[] | null {
  if (!exportsMetric(after, name)) return null;
  const increases = seriesIncreases(before.samples, after.samples, `${name}_bucket`);
  const byBound = new Map<number, number>();
  for (const { labels, increase } of increases) {
    const upperBound = labels.le === "+Inf" ? Number.POSITIVE_INFINITY : Number(labels.le);
    if (labels.le === undefined || Number.isNaN(upperBound)) continue;
    byBound.set(upperBound, (byBound.get(upperBound) ?? 0) + increase);
  }
  return [...byBound].map(([upperBound, count]) => ({ upperBound, count })).sort((a, b) => a.upperBound - b.upperBound);
}

function seriesIncreases(before: readonly Sample[], after: readonly Sample[], name: string): Array<{ labels: Sample["labels"]; increase: number }> {
  const earlier = new Map(before.filter((sample) => sample.name === name).map((sample) => [seriesKey(sample), sample.value]));
  const later = after.filter((sample) => sample.name === name && Number.isFinite(sample.value));
  return later.map((sample) => {
    const previous = earlier.get(seriesKey(sample));
    const increase = previous === undefined || sample.value < previous ? sample.value : sample.value - previous;
    return { labels: sample.labels, increase };
  });
}

function seriesKey(sample: Sample): string {
  return JSON.stringify(Object.entries(sample.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * The q-quantile (0 ≤ q ≤ 1) of the observations counted by cumulative `buckets`, linear
 * within the bucket it falls in (Prometheus's histogram_quantile); null without a +Inf
 * bucket, with fewer than two buckets, or with no observations.
 */
export function histogramQuantile(q: number, buckets: readonly Bucket[]): number | null {
  if (!(q >= 0 && q <= 1)) return null;
  const sorted = [...buckets].sort((a, b) => a.upperBound - b.upperBound);
  if (sorted.length < 2 || sorted[sorted.length - 1]?.upperBound !== Number.POSITIVE_INFINITY) return null;
  // Counts must not decrease along the bounds; deltas of separately scraped series can.
  let highest = 0;
  const monotonic = sorted.map(({ upperBound, count }) => ({ upperBound, count: (highest = Math.max(highest, count)) }));
  const observations = highest;
  if (observations <= 0) return null;
  const rank = q * observations;
  const index = monotonic.findIndex((bucket) => bucket.count >= rank);
  const bucket = monotonic[index] as Bucket;
  if (index === monotonic.length - 1) return (monotonic[index - 1] as Bucket).upperBound;
  if (index === 0 && bucket.upperBound <= 0) return bucket.upperBound;
  const below = index === 0 ? { upperBound: 0, count: 0 } : (monotonic[index - 1] as Bucket);
  const inBucket = bucket.count - below.count;
  if (inBucket === 0) return below.upperBound;
  return below.upperBound + (bucket.upperBound - below.upperBound) * ((rank - below.count) / inBucket);
}
