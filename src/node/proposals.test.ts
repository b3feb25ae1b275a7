import { test } from "node:test";
import assert from "node:assert/strict";
import type { EntryPayload } from "./entry.js";
import { isWalnutError } from "../lib/errors.js";
import { ProposalTable, type ProposalListener, type WriteResult } from "./proposals.js";
import { WriteAdmission } from "./write_admission.js";

const TIMEOUT_MS = 1000;
const LEADER = 1;
const OK_REPLY = { type: "status", text: "OK" } as const;

function payload(requestId: number): EntryPayload {
  return { type: "noop", nowMs: 0, clientId: "test", requestId };
}

/** How a proposal ended: "ok", an error code, or "waiting". */
function outcomeOf(result: Promise<WriteResult>): () => string {
  let outcome = "waiting";
  result.then(
    () => (outcome = "ok"),
    (error: unknown) => (outcome = isWalnutError(error) ? error.code : String(error)),
  );
  return () => outcome;
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test("a proposal whose entry never reached the log times out; one in the log waits for as long as it takes", async () => {
  const table = new ProposalTable(TIMEOUT_MS, 1);
  const lost = table.add(payload(1), { nowMs: 0, leader: LEADER });
  const logged = table.add(payload(2), { nowMs: 0, leader: LEADER });
  const lostOutcome = outcomeOf(lost.result);
  const loggedOutcome = outcomeOf(logged.result);
  table.noteLogged(logged.sequence, 7);
  table.expire(TIMEOUT_MS - 1);
  await settle();
  assert.deepEqual([lostOutcome(), loggedOutcome()], ["waiting", "waiting"]);
  table.expire(TIMEOUT_MS * 100);
  await settle();
  assert.deepEqual([lostOutcome(), loggedOutcome()], ["TIMEOUT", "waiting"]);
  table.settleApplied(7, logged.sequence);
  table.resolve(logged.sequence, { index: 7, reply: OK_REPLY });
  await settle();
  assert.equal(loggedOutcome(), "ok");
  assert.equal(table.size, 0);
});

test("expiry stops at the first proposal still in time and skips answered ones", async () => {
  const table = new ProposalTable(TIMEOUT_MS, 1);
  const outcomes = [0, 10, 20, 30].map((nowMs, n) => {
    const proposal = table.add(payload(n), { nowMs, leader: LEADER });
    return { proposal, outcome: outcomeOf(proposal.result) };
  });
  table.resolve(outcomes[0]!.proposal.sequence, { index: 1, reply: OK_REPLY });
  table.expire(TIMEOUT_MS + 15);
  await settle();
  assert.deepEqual(outcomes.map((o) => o.outcome()), ["ok", "TIMEOUT", "waiting", "waiting"]);
  table.expire(TIMEOUT_MS + 30);
  await settle();
  assert.deepEqual(outcomes.map((o) => o.outcome()), ["ok", "TIMEOUT", "TIMEOUT", "TIMEOUT"]);
});

test("a logged entry replaced by another at its index ends its proposal as outcome unknown", async () => {
  const table = new ProposalTable(TIMEOUT_MS, 1);
  const replacedByApply = table.add(payload(1), { nowMs: 0, leader: LEADER });
  const replacedByLog = table.add(payload(2), { nowMs: 0, leader: LEADER });
  const successor = table.add(payload(3), { nowMs: 0, leader: LEADER });
  const outcomes = [replacedByApply, replacedByLog, successor].map((p) => outcomeOf(p.result));
  table.noteLogged(replacedByApply.sequence, 5);
  table.noteLogged(replacedByLog.sequence, 6);
  table.noteLogged(successor.sequence, 6); // a new leader's log put our later proposal where the earlier was
  table.settleApplied(5, 0); // someone else's entry was applied at 5
  await settle();
  assert.deepEqual(outcomes.map((o) => o()), ["NO_LEADER", "NO_LEADER", "waiting"]);
  await assert.rejects(replacedByApply.result, /outcome is unknown/);
});

test("a change of leader ends the proposals made under another leader", async () => {
  const table = new ProposalTable(TIMEOUT_MS, 1);
  const underOne = outcomeOf(table.add(payload(1), { nowMs: 0, leader: 1 }).result);
  const underTwo = outcomeOf(table.add(payload(2), { nowMs: 0, leader: 2 }).result);
  table.leaderChanged(2);
  await settle();
  assert.deepEqual([underOne(), underTwo()], ["NO_LEADER", "waiting"]);
});

test("queued writes are proposed in arrival order while there is room, and all fail together when told", async () => {
  const admission = new WriteAdmission();
  const proposed: number[] = [];
  const results = [1, 2, 3, 4].map((n) => new Promise<WriteResult>((resolve, reject) => admission.enqueue(payload(n), { resolve, reject })));
  let room = 2;
  const propose = (entry: EntryPayload, listener: ProposalListener): void => {
    room -= 1;
    proposed.push(entry.requestId);
    listener.resolve({ index: entry.requestId, reply: OK_REPLY });
  };
  admission.admit(() => room > 0, propose);
  assert.deepEqual(proposed, [1, 2]);
  assert.equal(admission.length, 2);
  assert.equal((await results[0])?.index, 1);
  room = 1;
  admission.admit(() => room > 0, propose);
  assert.deepEqual(proposed, [1, 2, 3]);
  admission.rejectAll(new Error("closed"));
  await assert.rejects(results[3] as Promise<WriteResult>, /closed/);
  assert.equal(admission.length, 0);
});
