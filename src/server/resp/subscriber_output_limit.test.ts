import { test } from "node:test";
import assert from "node:assert/strict";
import {
  PUBSUB_OUTPUT_HARD_LIMIT_BYTES,
  PUBSUB_OUTPUT_SOFT_LIMIT_BYTES,
  PUBSUB_OUTPUT_SOFT_LIMIT_MS,
  SubscriberOutputLimit,
} from "./subscriber_output_limit.js";

test("a subscriber past the hard limit is disconnected at once", () => {
  const limit = new SubscriberOutputLimit();
  assert.equal(limit.exceeded(PUBSUB_OUTPUT_HARD_LIMIT_BYTES, 0), false);
  assert.equal(limit.exceeded(PUBSUB_OUTPUT_HARD_LIMIT_BYTES + 1, 0), true);
});

test("a subscriber above the soft limit is disconnected once it has stayed there for the soft period", () => {
  const limit = new SubscriberOutputLimit();
  const over = PUBSUB_OUTPUT_SOFT_LIMIT_BYTES + 1;
  assert.equal(limit.exceeded(over, 1_000), false);
  assert.equal(limit.exceeded(over, 1_000 + PUBSUB_OUTPUT_SOFT_LIMIT_MS - 1), false);
  assert.equal(limit.exceeded(over, 1_000 + PUBSUB_OUTPUT_SOFT_LIMIT_MS), true);
});

test("dropping under the soft limit starts the soft period again", () => {
  const limit = new SubscriberOutputLimit();
  const over = PUBSUB_OUTPUT_SOFT_LIMIT_BYTES + 1;
  assert.equal(limit.exceeded(over, 0), false);
  assert.equal(limit.exceeded(PUBSUB_OUTPUT_SOFT_LIMIT_BYTES, PUBSUB_OUTPUT_SOFT_LIMIT_MS / 2), false);
  assert.equal(limit.exceeded(over, PUBSUB_OUTPUT_SOFT_LIMIT_MS), false, "the period counts from the second crossing");
  assert.equal(limit.exceeded(over, PUBSUB_OUTPUT_SOFT_LIMIT_MS * 2), true);
});
