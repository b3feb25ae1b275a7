import { test } from "node:test";
import assert from "node:assert/strict";
import { Registry } from "prom-client";
import { commandName } from "../commands/table.js";
import { CommandMeter, commandLabel } from "./command_meter.js";
import { parseExposition, type ExpositionSample } from "./exposition_parser.js";

async function scrape(registry: Registry): Promise<{ counts: ExpositionSample[]; durations: ExpositionSample[] }> {
  const families = parseExposition(await registry.metrics());
  return {
    counts: families.get("walnut_commands_total")?.samples ?? [],
    durations: families.get("walnut_command_duration_seconds")?.samples ?? [],
  };
}

const countOf = (samples: ExpositionSample[], labels: Record<string, string>): number | undefined =>
  samples.find((s) => Object.entries(labels).every(([name, value]) => s.labels[name] === value))?.value;

test("commands count under their lower-case name whatever the client's spelling", async () => {
  const registry = new Registry();
  const meter = new CommandMeter(registry);
  for (const spelling of ["GET", "get", "Get"]) meter.instruments("resp", spelling, commandName).record(0.2, false);
  assert.equal(meter.instruments("resp", "GET", commandName), meter.instruments("resp", "GET", commandName), "bound once, then cached");
  const { counts } = await scrape(registry);
  assert.equal(countOf(counts, { command: "get", outcome: "ok", protocol: "resp" }), 3);
  assert.equal(countOf(counts, { command: "get", outcome: "error", protocol: "resp" }), 0, "both outcomes are always reported");
});

test("connection commands keep their names and anything else counts as unknown", () => {
  assert.equal(commandLabel("SET", commandName), "set");
  assert.equal(commandLabel("multi", commandName), "multi");
  assert.equal(commandLabel("Hello", commandName), "hello");
  assert.equal(commandLabel("NOSUCHCOMMAND", commandName), "unknown");
  assert.equal(commandLabel("\x00\xff", commandName), "unknown");
  assert.equal(commandLabel("GET".repeat(100_000), commandName), "unknown");
});

test("errors count apart, per protocol, and durations share the command's histogram", async () => {
  const registry = new Registry();
  const meter = new CommandMeter(registry);
  meter.instruments("resp", "SET", commandName).record(0.04, false); // 40 µs
  meter.instruments("resp", "SET", commandName).record(3, true); // 3 ms
  meter.instruments("http", "set", commandName).record(20_000, false); // 20 s: past the last bucket
  const { counts, durations } = await scrape(registry);
  assert.equal(countOf(counts, { command: "set", outcome: "ok", protocol: "resp" }), 1);
  assert.equal(countOf(counts, { command: "set", outcome: "error", protocol: "resp" }), 1);
  assert.equal(countOf(counts, { command: "set", outcome: "ok", protocol: "http" }), 1);
  const bucket = (le: string): number | undefined => countOf(durations, { command: "set", le });
  assert.equal(bucket("0.00005"), 1);
  assert.equal(bucket("0.0025"), 1);
  assert.equal(bucket("0.005"), 2);
  assert.equal(bucket("5"), 2);
  assert.equal(bucket("+Inf"), 3);
  assert.equal(durations.find((s) => s.name === "walnut_command_duration_seconds_count")?.value, 3);
});

test("a flood of made-up command names adds one label, not one per name", async () => {
  const registry = new Registry();
  const meter = new CommandMeter(registry);
  for (let i = 0; i < 5000; i++) meter.instruments("resp", `made-up-${i}`, commandName).record(0.1, true);
  const { counts } = await scrape(registry);
  assert.deepEqual(new Set(counts.map((s) => s.labels.command)), new Set(["unknown"]));
  assert.equal(countOf(counts, { command: "unknown", outcome: "error" }), 5000);
});
