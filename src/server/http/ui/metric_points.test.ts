import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePrometheusText } from "./prometheus_text.js";
import { counterIncrease, histogramIncrease, histogramQuantile, pointBetween, type Bucket, type Scrape } from "./metric_points.js";

const INF = Number.POSITIVE_INFINITY;

function scrape(timeMs: number, lines: string[]): Scrape {
  return { timeMs, metrics: parsePrometheusText(lines.join("\n")) };
}

function close(actual: number | null, expected: number, what: string): void {
  assert.ok(actual !== null && Math.abs(actual - expected) < 1e-12, `${what}: ${actual} is not ${expected}`);
}

test("a quantile inside a bucket is linear between its bounds (the file's worked example)", () => {
  const buckets: Bucket[] = [
    { upperBound: 0.001, count: 60 },
    { upperBound: 0.01, count: 90 },
    { upperBound: INF, count: 100 },
  ];
  close(histogramQuantile(0.5, buckets), (0.001 * 50) / 60, "p50 in the first bucket, from 0");
  close(histogramQuantile(0.75, buckets), 0.001 + (0.01 - 0.001) * (15 / 30), "p75 in the second bucket");
  close(histogramQuantile(0.9, buckets), 0.01, "p90 at the second bucket's top");
  close(histogramQuantile(0.99, buckets), 0.01, "p99 in the +Inf bucket is the highest finite bound");
  close(histogramQuantile(0, buckets), 0, "p0");
});

test("a quantile is null without observations, without a +Inf bucket, with one bucket, or for q outside 0..1", () => {
  assert.equal(histogramQuantile(0.5, [{ upperBound: 1, count: 0 }, { upperBound: INF, count: 0 }]), null);
  assert.equal(histogramQuantile(0.5, [{ upperBound: 1, count: 3 }, { upperBound: 2, count: 4 }]), null);
  assert.equal(histogramQuantile(0.5, [{ upperBound: INF, count: 4 }]), null);
  assert.equal(histogramQuantile(1.5, [{ upperBound: 1, count: 3 }, { upperBound: INF, count: 4 }]), null);
  assert.equal(histogramQuantile(Number.NaN, [{ upperBound: 1, count: 3 }, { upperBound: INF, count: 4 }]), null);
});

test("buckets out of order are sorted, and counts that dip are made monotonic as Prometheus does", () => {
  const shuffled: Bucket[] = [
    { upperBound: INF, count: 10 },
    { upperBound: 0.2, count: 10 },
    { upperBound: 0.1, count: 5 },
  ];
  close(histogramQuantile(0.5, shuffled), 0.1, "p50 at the first bucket's top");
  const dipping: Bucket[] = [
    { upperBound: 0.1, count: 8 },
    { upperBound: 0.2, count: 6 },
    { upperBound: INF, count: 8 },
  ];
  close(histogramQuantile(0.5, dipping), 0.05, "the dip is lifted to 8, so p50 is inside the first bucket");
});

test("a bucket with a non-positive upper bound answers that bound", () => {
  assert.equal(histogramQuantile(0.1, [{ upperBound: -1, count: 5 }, { upperBound: 1, count: 8 }, { upperBound: INF, count: 10 }]), -1);
});

test("a counter's increase sums its series; a reset series counts from zero; a new series counts in full", () => {
  const before = parsePrometheusText(['c{command="set"} 100', 'c{command="get"} 50', 'c{command="del"} 9'].join("\n"));
  const after = parsePrometheusText(['c{command="set"} 130', 'c{command="get"} 4', 'c{command="incr"} 2', 'c{command="del"} 9'].join("\n"));
  assert.equal(counterIncrease(before, after, "c"), 30 + 4 + 2 + 0);
});

test("series match by their labels whatever their order", () => {
  const before = parsePrometheusText('c{a="1",b="2"} 10');
  const after = parsePrometheusText('c{b="2",a="1"} 15');
  assert.equal(counterIncrease(before, after, "c"), 5);
});

test("a counter declared without series has not moved; an absent one is no data", () => {
  const empty = parsePrometheusText("");
  assert.equal(counterIncrease(empty, parsePrometheusText("# TYPE c counter"), "c"), 0);
  assert.equal(counterIncrease(empty, parsePrometheusText("other 1"), "c"), null);
});

test("histogram buckets are summed over series by le, as increases", () => {
  const before = parsePrometheusText(['h_bucket{command="set",le="0.1"} 10', 'h_bucket{command="set",le="+Inf"} 10', 'h_bucket{command="get",le="0.1"} 5', 'h_bucket{command="get",le="+Inf"} 6'].join("\n"));
  const after = parsePrometheusText(['h_bucket{command="set",le="0.1"} 12', 'h_bucket{command="set",le="+Inf"} 14', 'h_bucket{command="get",le="0.1"} 9', 'h_bucket{command="get",le="+Inf"} 10'].join("\n"));
  assert.deepEqual(histogramIncrease(before, after, "h"), [
    { upperBound: 0.1, count: 2 + 4 },
    { upperBound: INF, count: 4 + 4 },
  ]);
  assert.equal(histogramIncrease(before, parsePrometheusText("# TYPE h histogram"), "h")?.length, 0, "declared, no series: no observations");
  assert.equal(histogramIncrease(before, parsePrometheusText(""), "h"), null, "absent: no data");
});

test("a chart point holds ops per second and command and fsync quantiles between two scrapes", () => {
  const before = scrape(10_000, [
    'walnut_commands_total{command="set",outcome="ok",protocol="resp"} 1000',
    'walnut_command_duration_seconds_bucket{command="set",le="0.001"} 900',
    'walnut_command_duration_seconds_bucket{command="set",le="0.01"} 1000',
    'walnut_command_duration_seconds_bucket{command="set",le="+Inf"} 1000',
    'walnut_wal_fsync_duration_seconds_bucket{le="0.002"} 50',
    'walnut_wal_fsync_duration_seconds_bucket{le="+Inf"} 50',
  ]);
  const after = scrape(12_000, [
    'walnut_commands_total{command="set",outcome="ok",protocol="resp"} 1400',
    'walnut_command_duration_seconds_bucket{command="set",le="0.001"} 1100',
    'walnut_command_duration_seconds_bucket{command="set",le="0.01"} 1400',
    'walnut_command_duration_seconds_bucket{command="set",le="+Inf"} 1400',
    'walnut_wal_fsync_duration_seconds_bucket{le="0.002"} 50',
    'walnut_wal_fsync_duration_seconds_bucket{le="+Inf"} 50',
  ]);
  const point = pointBetween(before, after);
  assert.equal(point.timeMs, 12_000);
  assert.equal(point.operationsPerSecond, 200, "400 commands in 2 s");
  close(point.commandP50Seconds, 0.001, "200 of 400 in the first bucket: p50 at its top");
  close(point.commandP99Seconds, 0.001 + 0.009 * ((396 - 200) / 200), "p99 inside the second bucket");
  assert.equal(point.fsyncP50Seconds, null, "no fsync between the scrapes");
  assert.equal(point.fsyncP99Seconds, null);
});

test("a chart point has no data for metrics the node does not export, nor a rate over no time", () => {
  const point = pointBetween(scrape(1000, ["walnut_keys 3"]), scrape(2000, ["walnut_keys 4"]));
  assert.deepEqual(point, { timeMs: 2000, operationsPerSecond: null, commandP50Seconds: null, commandP99Seconds: null, fsyncP50Seconds: null, fsyncP99Seconds: null });
  const same = scrape(1000, ['walnut_commands_total{command="set"} 5']);
  assert.equal(pointBetween(same, same).operationsPerSecond, null);
});
