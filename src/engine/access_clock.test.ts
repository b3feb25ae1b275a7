import { test } from "node:test";
import assert from "node:assert/strict";
import { ACCESS_CLOCK_MAX, accessClockAt, accessClockIdleFor, idleSecondsSince } from "./access_clock.js";

/** 2^24 seconds: the clock's period. */
const PERIOD_MS = (ACCESS_CLOCK_MAX + 1) * 1000;

test("the access clock is whole seconds since the epoch modulo 2^24, as Redis' LRU clock", () => {
  assert.equal(accessClockAt(0), 0);
  assert.equal(accessClockAt(1999), 1);
  assert.equal(accessClockAt(1_765_000_000_123), 1_765_000_000 % 2 ** 24);
  assert.equal(accessClockAt(PERIOD_MS + 5000), 5);
});

test("idle seconds are read across the clock's wrap the way Redis' estimateObjectIdleTime reads them", () => {
  const nowMs = PERIOD_MS * 100 + 7_000; // the clock reads 7
  assert.equal(idleSecondsSince(2, nowMs), 5);
  assert.equal(idleSecondsSince(7, nowMs), 0);
  // Accessed 10 s before the wrap: Redis counts (now + (LRU_CLOCK_MAX - accessed)), one short of the true 17.
  assert.equal(idleSecondsSince(ACCESS_CLOCK_MAX - 9, nowMs), 16);
});

test("RESTORE's idle time sets the clock back, or half-way round it when it would go below zero, as Redis' objectSetLRUOrLFU", () => {
  const nowMs = PERIOD_MS * 100 + 1000_000; // the clock reads 1000
  assert.equal(accessClockIdleFor(100, nowMs), 900);
  assert.equal(accessClockIdleFor(1000, nowMs), 0);
  assert.equal(accessClockIdleFor(1001, nowMs), (1000 + Math.floor(ACCESS_CLOCK_MAX / 2)) % ACCESS_CLOCK_MAX);
  assert.equal(idleSecondsSince(accessClockIdleFor(100, nowMs), nowMs), 100);
});
