/**
 * How many questions PeerQuestions has in flight to one member, on a clock and timers the
 * test moves by hand: a flood is answered in full, never more than the bound at once and in
 * the order asked; behind a silent member, waiting questions give up at their own timeout
 * without being sent; behind a member that answers, however slowly, none gives up; behind
 * one that falls silent, those that waited their timeout give up as soon as a question
 * ahead of them times out.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Clock, Timer, Timers } from "../lib/environment.js";
import type { NodeId } from "../raft/types.js";
import { PeerQuestions, type AskMember } from "./peer_questions.js";

/** Time that moves only when the test says: `advance` runs the timers that come due. */
class ManualTime implements Clock, Timers {
  private nowMs = 0;
  private readonly due = new Map<Timer, { atMs: number; run: () => void }>();

  now(): number {
    return this.nowMs;
  }
  monotonicMs(): number {
    return this.nowMs;
  }
  setTimeout(callback: () => void, delayMs: number): Timer {
    const timer = {};
    this.due.set(timer, { atMs: this.nowMs + delayMs, run: callback });
    return timer;
  }
  clearTimeout(timer: Timer): void {
    this.due.delete(timer);
  }
  setInterval(): Timer {
    throw new Error("not used");
  }
  clearInterval(): void {}
  yieldTurn(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
  }

  async advance(ms: number): Promise<void> {
    this.nowMs += ms;
    for (const [timer, { atMs, run }] of [...this.due]) {
      if (atMs > this.nowMs) continue;
      this.due.delete(timer);
      run();
    }
    await settle();
  }
}

/** Lets every promise chain that can run, run. */
async function settle(): Promise<void> {
  for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
}

/** A member's end of the wire: each question waits until the test answers it; counts what is in flight. */
class GatedMember {
  inFlight = 0;
  inFlightPeak = 0;
  readonly received: string[] = [];
  private readonly gates: Array<{ open: () => void; fail: (error: Error) => void }> = [];

  readonly ask: AskMember = async (_member: NodeId, question: Uint8Array) => {
    this.inFlight += 1;
    this.inFlightPeak = Math.max(this.inFlightPeak, this.inFlight);
    const text = Buffer.from(question).subarray(1 + question[0]!).toString("latin1");
    this.received.push(text);
    try {
      await new Promise<void>((open, fail) => this.gates.push({ open, fail }));
    } finally {
      this.inFlight -= 1;
    }
    return Buffer.from(`answer to ${text}`);
  };

  /** Answers the `count` oldest questions in flight. */
  async answer(count: number): Promise<void> {
    for (const { open } of this.gates.splice(0, count)) open();
    await settle();
  }

  /** Ends the `count` oldest questions in flight without an answer, as the transport's timeout does. */
  async timeOut(count: number): Promise<void> {
    for (const { fail } of this.gates.splice(0, count)) fail(new Error("no answer within the timeout"));
    await settle();
  }

  get waiting(): number {
    return this.gates.length;
  }
}

test("a flood of questions to a member is answered in full, at most inFlightMax at once, in the order asked", async () => {
  const time = new ManualTime();
  const questions = new PeerQuestions({ inFlightMax: 3, clock: time, timers: time });
  const member = new GatedMember();
  const asked = Array.from({ length: 40 }, (_, i) =>
    questions.askAll({ members: [2], topic: "pubsub", question: Buffer.from(`q${i}`), timeoutMs: 1000, ask: member.ask }),
  );
  await settle();
  assert.equal(member.waiting, 3, "three in flight, the others wait");
  while (member.waiting > 0) await member.answer(1);
  const answers = await Promise.all(asked);
  assert.deepEqual(
    answers.map(([only]) => (only?.answer === null ? only.reason : only?.answer.toString())),
    Array.from({ length: 40 }, (_, i) => `answer to q${i}`),
  );
  assert.deepEqual(member.received, Array.from({ length: 40 }, (_, i) => `q${i}`), "sent first come first served");
  assert.equal(member.inFlightPeak, 3);
  assert.deepEqual(questions.stats(), { asked: 40, inFlightPeak: 3, waitingPeak: 37, silentWhileWaiting: 0 });
});

test("behind a silent member, waiting questions give up at their own timeout, unsent; another member is not held up", async () => {
  const time = new ManualTime();
  const questions = new PeerQuestions({ inFlightMax: 2, clock: time, timers: time });
  const silent = new GatedMember();
  const prompt = new GatedMember();
  const ask: AskMember = (member, question, timeoutMs) => (member === 2 ? silent.ask(member, question, timeoutMs) : prompt.ask(member, question, timeoutMs));
  const asked = Array.from({ length: 6 }, (_, i) => questions.askAll({ members: [2, 3], topic: "pubsub", question: Buffer.from(`q${i}`), timeoutMs: 1000, ask }));
  await settle();
  await prompt.answer(2);
  await prompt.answer(2);
  await prompt.answer(2);
  assert.deepEqual(prompt.received.length, 6, "member 3 heard every question while member 2 said nothing");
  await time.advance(999);
  assert.equal(questions.stats().silentWhileWaiting, 0, "not before their timeout");
  await time.advance(1);
  assert.equal(questions.stats().silentWhileWaiting, 4);
  assert.deepEqual(silent.received, ["q0", "q1"], "only the two in flight were ever sent");
  const late = await Promise.all(asked.slice(2));
  for (const [fromSilent, fromPrompt] of late) {
    assert.equal(fromSilent?.answer, null);
    assert.match(fromSilent?.answer === null ? fromSilent.reason : "", /no answer within 1000 ms/);
    assert.match(fromPrompt?.answer?.toString() ?? "", /^answer to q\d$/);
  }
  await silent.answer(2); // the transport's own timeout would end these two
  assert.equal((await asked[0]!)[0]?.answer?.toString(), "answer to q0");
});

test("behind a member that answers, however slowly, a waiting question keeps its turn past its timeout", async () => {
  const time = new ManualTime();
  const questions = new PeerQuestions({ inFlightMax: 1, clock: time, timers: time });
  const member = new GatedMember();
  const asked = Array.from({ length: 4 }, (_, i) => questions.askAll({ members: [2], topic: "pubsub", question: Buffer.from(`q${i}`), timeoutMs: 1000, ask: member.ask }));
  await settle();
  for (let round = 0; round < 3; round++) {
    await time.advance(600); // each answer comes within its own timeout, the queue waits longer than one
    await member.answer(1);
  }
  await time.advance(600);
  assert.equal(questions.stats().silentWhileWaiting, 0);
  await member.answer(1);
  const answers = await Promise.all(asked);
  assert.deepEqual(
    answers.map(([only]) => only?.answer?.toString()),
    ["answer to q0", "answer to q1", "answer to q2", "answer to q3"],
  );
});

test("behind a member that falls silent, questions that waited their timeout give up when a question ahead times out", async () => {
  const time = new ManualTime();
  const questions = new PeerQuestions({ inFlightMax: 1, clock: time, timers: time });
  const member = new GatedMember();
  const asked = Array.from({ length: 4 }, (_, i) => questions.askAll({ members: [2], topic: "pubsub", question: Buffer.from(`q${i}`), timeoutMs: 1000, ask: member.ask }));
  await settle();
  await time.advance(600);
  await member.answer(1); // q0, in time: q1 goes out
  await time.advance(400); // q2 and q3 have waited 1000 ms, but the member answered meanwhile: they keep waiting
  assert.equal(questions.stats().silentWhileWaiting, 0);
  await time.advance(600);
  await member.timeOut(1); // q1 gets no answer within its 1000 ms
  assert.equal(questions.stats().silentWhileWaiting, 2);
  assert.deepEqual(member.received, ["q0", "q1"], "q2 and q3 were never sent");
  const answers = await Promise.all(asked);
  assert.deepEqual(
    answers.map(([only]) => (only?.answer === null ? "none" : only?.answer.toString())),
    ["answer to q0", "none", "none", "none"],
  );
});
