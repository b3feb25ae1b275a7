import { test } from "node:test";
import assert from "node:assert/strict";
import { unansweredOutcome, writeErrorOutcome } from "./outcome.js";

test("a write refused before it was proposed failed", () => {
  assert.equal(writeErrorOutcome("ERR Cannot write: no leader is known yet; retry shortly"), "failed");
  assert.equal(writeErrorOutcome("400 ERR Cannot write: transfer-in-progress; retry shortly"), "failed");
  assert.equal(writeErrorOutcome("ERR Cannot write: conf-change-pending; retry shortly"), "failed");
});

test("a write whose leader changed, timed out or hit a disk error has an unknown outcome", () => {
  assert.equal(writeErrorOutcome("ERR Cannot confirm the write: the leader changed before it committed; its outcome is unknown, retry"), "unknown");
  assert.equal(writeErrorOutcome("ERR Cannot confirm the write: it was not committed in time; its outcome is unknown"), "unknown");
  assert.equal(writeErrorOutcome("IOERR Cannot write: Cannot append to WAL: ENOSPC: no space left on device, write"), "unknown");
  assert.equal(writeErrorOutcome("ERR Cannot write: the node is closed"), "unknown");
});

test("an unanswered write is unknown only once it was sent; an unanswered read failed", () => {
  assert.equal(unansweredOutcome({ isWrite: true, sent: true }), "unknown");
  assert.equal(unansweredOutcome({ isWrite: true, sent: false }), "failed");
  assert.equal(unansweredOutcome({ isWrite: false, sent: true }), "failed");
});
