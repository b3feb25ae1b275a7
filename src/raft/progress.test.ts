import { test } from "node:test";
import * as assert from "node:assert/strict";
import { InflightAppends, Progress } from "./progress.js";

function progress(next = 5): Progress {
  return new Progress({ next, isLearner: false, maxInflightAppends: 2 });
}

test("a probing peer is paused after one append until it answers", () => {
  const peer = progress();
  assert.equal(peer.isPaused(), false);
  peer.probeSent = true;
  assert.equal(peer.isPaused(), true);
  assert.equal(peer.maybeUpdate(4), true);
  assert.equal(peer.isPaused(), false);
});

test("a replicating peer is paused when its inflight window is full, and freed by acknowledgements", () => {
  const peer = progress();
  peer.maybeUpdate(4);
  peer.becomeReplicate();
  peer.sentOptimistically(6);
  peer.sentOptimistically(8);
  assert.equal(peer.isPaused(), true);
  assert.equal(peer.next, 9);
  peer.inflight.freeThrough(6);
  assert.equal(peer.isPaused(), false);
});

test("a rejection moves next back to the hint in probe state and ignores stale rejections", () => {
  const peer = progress(10);
  assert.equal(peer.maybeDecreaseTo(7, 3), false, "not the append we sent last");
  assert.equal(peer.maybeDecreaseTo(9, 3), true);
  assert.equal(peer.next, 4);
});

test("a rejection in replicate state falls back to match + 1", () => {
  const peer = progress();
  peer.maybeUpdate(4);
  peer.becomeReplicate();
  peer.sentOptimistically(8);
  assert.equal(peer.maybeDecreaseTo(3, 0), false, "at or below match: stale");
  assert.equal(peer.maybeDecreaseTo(6, 0), true);
  assert.equal(peer.next, 5);
});

test("after a snapshot a peer resumes probing right after it", () => {
  const peer = progress();
  peer.becomeSnapshot(20);
  assert.equal(peer.isPaused(), true);
  peer.becomeProbe();
  assert.equal(peer.next, 21);
});

test("the inflight window refuses to overflow", () => {
  const window = new InflightAppends(1);
  window.add(3);
  assert.throws(() => window.add(4), /full inflight window/);
  window.freeOldest();
  assert.equal(window.count, 0);
});

test("a rejection at the index the peer already confirmed is ignored, not probed again", () => {
  const peer = progress();
  peer.maybeUpdate(4);
  assert.equal(peer.next, 5);
  assert.equal(peer.maybeDecreaseTo(4, 0), false);
  assert.equal(peer.next, 5);
});
