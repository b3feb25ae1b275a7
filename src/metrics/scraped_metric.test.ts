import { test } from "node:test";
import assert from "node:assert/strict";
import { Registry } from "prom-client";
import { parseExposition } from "./exposition_parser.js";
import { LatencyCells, registerScrapedMetric } from "./scraped_metric.js";

test("a latency histogram counts a value equal to a bound in that bound's bucket, and cumulates when scraped", () => {
  const cells = new LatencyCells([0.001, 0.01, 0.1]);
  for (const value of [0.0005, 0.001, 0.005, 0.05, 7]) cells.observe(value);
  const samples = cells.samples("latency", { command: "get" });
  const buckets = samples.filter((s) => s.metricName === "latency_bucket").map((s) => [s.labels.le, s.value]);
  assert.deepEqual(buckets, [["0.001", 2], ["0.01", 3], ["0.1", 4], ["+Inf", 5]]);
  assert.equal(samples.find((s) => s.metricName === "latency_count")?.value, 5);
  assert.ok(Math.abs((samples.find((s) => s.metricName === "latency_sum")?.value ?? 0) - 7.0565) < 1e-9);
  assert.ok(samples.every((s) => s.labels.command === "get"));
});

test("a scraped metric is read when the registry is scraped, with its help and type", async () => {
  const registry = new Registry();
  let value = 1;
  registerScrapedMetric(registry, {
    name: "walnut_test_total",
    help: "A test counter.",
    type: "counter",
    samples: () => [{ labels: { kind: "a" }, value }],
    reset: () => (value = 0),
  });
  value = 42;
  const family = parseExposition(await registry.metrics()).get("walnut_test_total");
  assert.equal(family?.type, "counter");
  assert.equal(family?.help, "A test counter.");
  assert.deepEqual(family?.samples, [{ name: "walnut_test_total", labels: { kind: "a" }, value: 42 }]);
  registry.resetMetrics();
  assert.equal(parseExposition(await registry.metrics()).get("walnut_test_total")?.samples[0]?.value, 0);
});
