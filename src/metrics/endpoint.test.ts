/**
 * GET /metrics on a running node: what SET and GET over RESP and HTTP do to it, read back
 * through a strict Prometheus text parser.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { startTestNode } from "../scenarios/harness.js";
import { parseExposition, type ExpositionFamily } from "./exposition_parser.js";

const HISTOGRAMS = ["walnut_command_duration_seconds", "walnut_wal_fsync_duration_seconds", "walnut_wal_batch_entries", "walnut_checkpoint_duration_seconds"];

function valueOf(family: ExpositionFamily | undefined, labels: Record<string, string> = {}, name = family?.name): number | undefined {
  return family?.samples.find((s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value))?.value;
}

/** Every series of a histogram: buckets up to +Inf that cumulate, _count equal to +Inf, a _sum; and one series moved. */
function checkHistogram(family: ExpositionFamily | undefined, name: string): void {
  assert.equal(family?.type, "histogram", name);
  const series = new Map<string, number[]>();
  for (const sample of family?.samples ?? []) {
    if (sample.name !== `${name}_bucket`) continue;
    const { le, ...labels } = sample.labels;
    const key = JSON.stringify(labels);
    series.set(key, [...(series.get(key) ?? []), sample.value]);
    if (le === "+Inf") assert.equal(valueOf(family, labels, `${name}_count`), sample.value, `${name}${key} _count is the +Inf bucket`);
  }
  assert.ok(series.size > 0, `${name} has series`);
  for (const [key, buckets] of series) {
    assert.ok(buckets.every((value, i) => i === 0 || value >= (buckets[i - 1] as number)), `${name}${key} buckets cumulate`);
    assert.notEqual(valueOf(family, JSON.parse(key) as Record<string, string>, `${name}_sum`), undefined, `${name}${key} has a _sum`);
  }
  assert.ok([...series.values()].some((buckets) => (buckets.at(-1) ?? 0) > 0), `${name} moved`);
}

test("GET /metrics after SET and GET parses as Prometheus text, with full histograms and counters that moved", async () => {
  const node = await startTestNode();
  const client = new Redis({ port: node.respPort, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0 });
  const base = `http://127.0.0.1:${node.httpPort}`;
  try {
    await client.connect();
    for (let i = 0; i < 5; i++) await client.set(`k${i}`, "v");
    for (let i = 0; i < 3; i++) await client.get(`k${i}`);
    await client.call("NOSUCHCOMMAND").catch(() => undefined);
    await fetch(`${base}/key/h`, { method: "PUT", body: JSON.stringify({ value: "x" }), headers: { "content-type": "application/json" } });
    await fetch(`${base}/key/h`);
    await fetch(`${base}/key/missing`);
    await node.db.checkpoint();

    const response = await fetch(`${base}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    const families = parseExposition(await response.text());

    const commands = families.get("walnut_commands_total");
    assert.equal(commands?.type, "counter");
    assert.equal(valueOf(commands, { command: "set", outcome: "ok", protocol: "resp" }), 5);
    assert.equal(valueOf(commands, { command: "get", outcome: "ok", protocol: "resp" }), 3);
    assert.equal(valueOf(commands, { command: "unknown", outcome: "error", protocol: "resp" }), 1);
    assert.equal(valueOf(commands, { command: "set", outcome: "ok", protocol: "http" }), 1);
    assert.equal(valueOf(commands, { command: "get", outcome: "ok", protocol: "http" }), 2, "a missing key is an answer, not an error");

    for (const name of HISTOGRAMS) checkHistogram(families.get(name), name);
    assert.equal(valueOf(families.get("walnut_command_duration_seconds"), { command: "set" }, "walnut_command_duration_seconds_count"), 6);

    assert.ok((valueOf(families.get("walnut_wal_bytes_written_total")) ?? 0) > 0);
    assert.equal(valueOf(families.get("walnut_checkpoints_total"), { outcome: "ok" }), 1);
    assert.ok((valueOf(families.get("walnut_checkpoint_size_bytes")) ?? 0) > 0);
    assert.equal(valueOf(families.get("walnut_raft_is_leader")), 1);
    assert.equal(valueOf(families.get("walnut_raft_elections_total")), 1, "a node alone elects itself once");
    assert.equal(valueOf(families.get("walnut_raft_leader_changes_total")), 1);
    assert.equal(valueOf(families.get("walnut_raft_apply_lag_entries")), 0);
    assert.ok((valueOf(families.get("walnut_raft_commit_index")) ?? 0) >= 6);
    assert.equal(valueOf(families.get("walnut_keys")), 6);
    assert.equal(valueOf(families.get("walnut_wal_segments")), 1);
    assert.equal(valueOf(families.get("walnut_connected_clients"), { protocol: "resp" }), 1);
    assert.equal(valueOf(families.get("walnut_http_requests_total"), { route: "/key/:key", status: "404" }), 1);
    assert.ok(families.has("walnut_process_resident_memory_bytes"));
  } finally {
    client.disconnect();
    await node.stop();
  }
});
