import { test } from "node:test";
import assert from "node:assert/strict";
import type { StatusReading } from "./node_state_metrics.js";
import { parseExposition } from "./exposition_parser.js";
import { NodeMetrics } from "./node_metrics.js";

function status(overrides: Partial<StatusReading>): StatusReading {
  return {
    role: "leader",
    id: 1,
    term: 7,
    commitIndex: 120,
    appliedIndex: 117,
    lastIndex: 125,
    pendingWrites: 4,
    peers: [
      { id: 1, match: 125 },
      { id: 2, match: 120 },
      { id: 3, match: 25 },
    ],
    ...overrides,
  };
}

async function gauges(metrics: NodeMetrics): Promise<Map<string, number>> {
  const values = new Map<string, number>();
  for (const family of parseExposition(await metrics.text()).values()) {
    for (const sample of family.samples) {
      const peer = sample.labels.peer;
      values.set(peer === undefined ? sample.name : `${sample.name}{peer=${peer}}`, sample.value);
    }
  }
  return values;
}

test("state gauges read the node when scraped, and only a leader reports its followers' lag", async () => {
  const metrics = new NodeMetrics();
  let current = status({});
  metrics.state.watch({ status: () => current, segments: () => [1, 2], engine: { size: 9 } });
  const leader = await gauges(metrics);
  assert.equal(leader.get("walnut_raft_term"), 7);
  assert.equal(leader.get("walnut_raft_commit_index"), 120);
  assert.equal(leader.get("walnut_raft_applied_index"), 117);
  assert.equal(leader.get("walnut_raft_apply_lag_entries"), 3);
  assert.equal(leader.get("walnut_raft_is_leader"), 1);
  assert.equal(leader.get("walnut_raft_proposals_pending"), 4);
  assert.equal(leader.get("walnut_wal_segments"), 2);
  assert.equal(leader.get("walnut_keys"), 9);
  assert.equal(leader.get("walnut_raft_follower_lag_entries{peer=2}"), 5);
  assert.equal(leader.get("walnut_raft_follower_lag_entries{peer=3}"), 100);
  assert.equal(leader.has("walnut_raft_follower_lag_entries{peer=1}"), false, "the leader is not its own follower");
  current = status({ role: "follower", term: 8 });
  const follower = await gauges(metrics);
  assert.equal(follower.get("walnut_raft_is_leader"), 0);
  assert.equal(follower.get("walnut_raft_term"), 8);
  assert.equal([...follower.keys()].some((name) => name.startsWith("walnut_raft_follower_lag_entries")), false);
});

test("each node has its own registry, and every node's text ends with the process metrics", async () => {
  const first = new NodeMetrics();
  const second = new NodeMetrics();
  first.raft.electionStarted();
  first.raft.electionStarted();
  second.raft.leaderChanged();
  const [a, b] = [parseExposition(await first.text()), parseExposition(await second.text())];
  assert.equal(a.get("walnut_raft_elections_total")?.samples[0]?.value, 2);
  assert.equal(b.get("walnut_raft_elections_total")?.samples[0]?.value, 0);
  assert.equal(b.get("walnut_raft_leader_changes_total")?.samples[0]?.value, 1);
  for (const families of [a, b]) {
    assert.equal(families.get("walnut_process_resident_memory_bytes")?.type, "gauge");
    assert.ok(families.has("walnut_nodejs_eventloop_lag_seconds"));
  }
});

test("checkpoints report their duration, the last size and both outcomes", async () => {
  const metrics = new NodeMetrics();
  const before = parseExposition(await metrics.text());
  assert.deepEqual(before.get("walnut_checkpoints_total")?.samples.map((s) => [s.labels.outcome, s.value]), [["ok", 0], ["error", 0]]);
  metrics.checkpoints.succeeded(1500, 4096);
  metrics.checkpoints.failed();
  const after = parseExposition(await metrics.text());
  assert.deepEqual(after.get("walnut_checkpoints_total")?.samples.map((s) => [s.labels.outcome, s.value]), [["ok", 1], ["error", 1]]);
  assert.equal(after.get("walnut_checkpoint_size_bytes")?.samples[0]?.value, 4096);
  const duration = after.get("walnut_checkpoint_duration_seconds");
  assert.equal(duration?.samples.find((s) => s.name.endsWith("_count"))?.value, 1, "a failed checkpoint has no duration");
  assert.equal(duration?.samples.find((s) => s.name.endsWith("_sum"))?.value, 1.5);
});
