import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePrometheusText, parseSampleLine } from "./prometheus_text.js";

test("samples parse with their labels and values, comments give the declared types", () => {
  const parsed = parsePrometheusText(
    [
      "# HELP walnut_commands_total Commands answered.",
      "# TYPE walnut_commands_total counter",
      'walnut_commands_total{command="set",outcome="ok",protocol="resp"} 1027',
      "",
      "# TYPE walnut_wal_fsync_duration_seconds histogram",
      'walnut_wal_fsync_duration_seconds_bucket{le="0.005"} 12',
      'walnut_wal_fsync_duration_seconds_bucket{le="+Inf"} 14',
      "walnut_wal_fsync_duration_seconds_sum 0.0421",
      "walnut_wal_fsync_duration_seconds_count 14",
    ].join("\n"),
  );
  assert.deepEqual(parsed.samples, [
    { name: "walnut_commands_total", labels: { command: "set", outcome: "ok", protocol: "resp" }, value: 1027 },
    { name: "walnut_wal_fsync_duration_seconds_bucket", labels: { le: "0.005" }, value: 12 },
    { name: "walnut_wal_fsync_duration_seconds_bucket", labels: { le: "+Inf" }, value: 14 },
    { name: "walnut_wal_fsync_duration_seconds_sum", labels: {}, value: 0.0421 },
    { name: "walnut_wal_fsync_duration_seconds_count", labels: {}, value: 14 },
  ]);
  assert.deepEqual([...parsed.types], [
    ["walnut_commands_total", "counter"],
    ["walnut_wal_fsync_duration_seconds", "histogram"],
  ]);
});

test("a metric declared without samples has a type and no samples", () => {
  const parsed = parsePrometheusText("# HELP walnut_commands_total Commands.\n# TYPE walnut_commands_total counter\n");
  assert.deepEqual(parsed.samples, []);
  assert.equal(parsed.types.get("walnut_commands_total"), "counter");
});

test("label values unescape backslash, quote and newline, and may hold commas, braces and spaces", () => {
  assert.deepEqual(parseSampleLine('m{path="C:\\\\wal",quote="say \\"hi\\"",text="a\\nb",odd="x, }{ y"} 1')?.labels, {
    path: "C:\\wal",
    quote: 'say "hi"',
    text: "a\nb",
    odd: "x, }{ y",
  });
});

test("special values, exponents and a trailing timestamp parse; the timestamp is ignored", () => {
  assert.equal(parseSampleLine("m +Inf")?.value, Number.POSITIVE_INFINITY);
  assert.equal(parseSampleLine("m -Inf")?.value, Number.NEGATIVE_INFINITY);
  assert.ok(Number.isNaN(parseSampleLine("m NaN")?.value));
  assert.equal(parseSampleLine("m 1.5e-3")?.value, 0.0015);
  assert.equal(parseSampleLine('m{a="b"} 7 1700000000000')?.value, 7);
  assert.equal(parseSampleLine("m{} 3")?.value, 3);
  assert.deepEqual(parseSampleLine('m{a="b",} 3')?.labels, { a: "b" }, "a trailing comma is allowed");
});

test("lines that do not parse are skipped, the others kept", () => {
  const parsed = parsePrometheusText(['good 1', 'm{a="unterminated} 1', "m{a=b} 1", "m", "m one", "m 1 2 3", '1bad 2', 'm{a="\\q"} 1', "also_good 2"].join("\n"));
  assert.deepEqual(
    parsed.samples.map((sample) => sample.name),
    ["good", "also_good"],
  );
});

test("Windows line ends and surrounding spaces are tolerated", () => {
  assert.deepEqual(parsePrometheusText("# TYPE a counter\r\n  a 1  \r\nb 2\r\n").samples, [
    { name: "a", labels: {}, value: 1 },
    { name: "b", labels: {}, value: 2 },
  ]);
});
