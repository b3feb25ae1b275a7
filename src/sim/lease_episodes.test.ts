/**
 * Lease episodes (lease_episode.ts): random short runs that cut off, restart around, or
 * transfer away from a leader serving lease reads, with clocks drifting as far as the
 * cores assume. Every episode must keep every safety property and a linearizable history;
 * beyond the assumed drift they must not (the simulator has teeth). WALNUT_DEEP=1 runs
 * many more (so does `npm run sim -- --episodes --seeds N`).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { runLeaseEpisode, TRIGGERS, type Trigger } from "./lease_episode.js";

const EPISODES = process.env["WALNUT_DEEP"] === "1" ? 5000 : 300;

test(`${EPISODES} lease episodes keep every safety property and linearizability`, () => {
  const oldLeaderReads = new Map<Trigger, number>();
  for (let seed = 1; seed <= EPISODES; seed++) {
    const report = runLeaseEpisode({ seed });
    if (report.failure !== null) {
      assert.fail(`episode ${seed} (${report.trigger}) broke ${report.failure.kind} at time ${report.failure.at}: ${report.failure.message}\n  replay: ${report.replay}`);
    }
    oldLeaderReads.set(report.trigger, (oldLeaderReads.get(report.trigger) ?? 0) + report.oldLeaderReads);
  }
  for (const trigger of TRIGGERS.filter((each) => each !== "transfer")) {
    assert.ok((oldLeaderReads.get(trigger) ?? 0) > 0, `the old leader served lease reads after the ${trigger} trigger`);
  }
  assert.equal(oldLeaderReads.get("transfer") ?? 0, 0, "a transfer ends the lease");
});

test("lease episodes on clocks drifting past the assumed bound serve stale reads, and the checker catches them", () => {
  let first: string | undefined;
  for (let seed = 1; seed <= 50 && first === undefined; seed++) {
    const report = runLeaseEpisode({ seed, clockDrift: 4 });
    if (report.failure !== null) first = report.failure.kind;
  }
  assert.equal(first, "linearizability");
});
