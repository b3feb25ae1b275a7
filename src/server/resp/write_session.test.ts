/**
 * A connection's write session against a real node whose proposals can be lost: a write
 * that committed but whose answer never came back (the leader changed just after), and a
 * write that never reached the log (forwarded to a leader that died) while the writes
 * pipelined after it did. Every write is answered its real reply, once, applied once and
 * in the order it was sent; a write whose outcome stays unknown past the deadline answers
 * an error and later writes go under a fresh session.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { open, type Db } from "../../db.js";
import { CommandExecutor, type Session } from "../../commands/executor.js";
import type { CommandCall, VersionCondition } from "../../node/entry.js";
import type { ProposalListener, WriteResult } from "../../node/node.js";
import { array, bulk, integer, type Reply } from "../../engine/reply.js";
import { WalnutError } from "../../lib/errors.js";
import { WriteSession } from "./write_session.js";

const UNKNOWN = "Cannot confirm the write: the leader changed before it committed; its outcome is unknown, retry";

/**
 * What happens to the proposal: it goes through, commits but its answer is lost, never
 * reaches the log, or is held back until the test opens `gate`.
 */
type Fate = "pass" | "lose-answer" | "drop" | "gated";

/** A real executor whose proposals meet the fate planned for them, by proposal number (1, 2, ...). */
class LosingExecutor extends CommandExecutor {
  readonly fates = new Map<number, Fate>();
  proposals = 0;
  /** Every proposal's session, in the order proposed. */
  readonly sessions: Session[] = [];
  openGate!: () => void;
  readonly gate = new Promise<void>((resolve) => {
    this.openGate = resolve;
  });

  // The session object is the caller's to reuse once the call returns: a gated proposal keeps a copy.
  override proposeCallTo(call: CommandCall, session: Session, listener: ProposalListener): void {
    const copy = { ...session };
    this.meetFate(copy, () => new Promise((resolve, reject) => super.proposeCallTo(call, copy, { resolve, reject }))).then(
      (result) => listener.resolve(result),
      (error: Error) => listener.reject(error),
    );
  }

  override proposeBatchTo(calls: CommandCall[], conditions: VersionCondition[], session: Session, listener: ProposalListener): void {
    const copy = { ...session };
    this.meetFate(copy, () => new Promise((resolve, reject) => super.proposeBatchTo(calls, conditions, copy, { resolve, reject }))).then(
      (result) => listener.resolve(result),
      (error: Error) => listener.reject(error),
    );
  }

  private async meetFate(session: Session, propose: () => Promise<WriteResult>): Promise<WriteResult> {
    this.proposals += 1;
    this.sessions.push(session);
    const fate = this.fates.get(this.proposals) ?? "pass";
    if (fate === "drop") throw new WalnutError("NO_LEADER", "Cannot write: no leader is known yet; retry shortly");
    if (fate === "gated") await this.gate;
    const result = await propose();
    if (fate === "lose-answer") throw new WalnutError("NO_LEADER", UNKNOWN);
    return result;
  }
}

async function withNode(run: (db: Db, executor: LosingExecutor) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "walnut-write-session-"));
  const db = await open({ dir, fsync: "no", checkpointInterval: 0 });
  try {
    await run(db, new LosingExecutor(db.node, db.memory));
  } finally {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** `promise`, or a failure after `ms`: no test waits forever. */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function elements(db: Db, key: string): Promise<string[]> {
  const reply = await db.command("LRANGE", key, "0", "-1");
  assert.equal(reply.type, "array");
  return reply.type === "array" ? reply.items.map((item) => (item.type === "bulk" ? item.value : "?")) : [];
}

test("pipelined writes whose answers are lost after they committed are each answered their real reply, applied once, in order", () =>
  withNode(async (db, executor) => {
    for (const lost of [1, 2, 5, 6, 7, 20, 30]) executor.fates.set(lost, "lose-answer");
    const session = new WriteSession(executor, { retryMs: 5 });
    const count = 30;
    const replies = await within(Promise.all(Array.from({ length: count }, (_, i) => session.write({ collection: "default", argv: ["RPUSH", "l", `e${i}`] }))), 10_000);
    assert.deepEqual(replies, Array.from({ length: count }, (_, i) => integer(i + 1)), "each RPUSH answered the length it made: applied once, in order");
    assert.deepEqual(await elements(db, "l"), Array.from({ length: count }, (_, i) => `e${i}`));
    assert.ok(session.unknownOutcomeRetries >= 7, `every lost answer was asked for again (${session.unknownOutcomeRetries})`);
    assert.ok(executor.proposals > count);
    const clientIds = new Set(executor.sessions.map((each) => each.clientId));
    assert.equal(clientIds.size, 1, "one session throughout");
  }));

test("a write that never reached the log holds back the writes pipelined after it until it is proposed again", () =>
  withNode(async (db, executor) => {
    executor.fates.set(3, "drop"); // request 3 is lost on its way; 4..10 reach the log first
    executor.fates.set(8, "lose-answer");
    const session = new WriteSession(executor, { retryMs: 5 });
    const pending: Array<Promise<Reply>> = [];
    for (let i = 0; i < 10; i++) {
      if (i === 5) pending.push(session.batch([{ collection: "default", argv: ["RPUSH", "l", "e5"] }, { collection: "default", argv: ["INCR", "n"] }], []));
      else pending.push(session.write({ collection: "default", argv: ["RPUSH", "l", `e${i}`] }));
    }
    const replies = await within(Promise.all(pending), 10_000);
    const expected = Array.from({ length: 10 }, (_, i) => (i === 5 ? array([integer(6), integer(1)]) : integer(i + 1)));
    assert.deepEqual(replies, expected);
    assert.deepEqual(await elements(db, "l"), Array.from({ length: 10 }, (_, i) => `e${i}`));
    assert.deepEqual(await db.command("GET", "n"), bulk("1"));
    const retriedIds = executor.sessions.slice(10).map((each) => each.requestId);
    assert.ok(retriedIds.includes(3) && retriedIds.indexOf(3) < retriedIds.indexOf(4), `request 3 is proposed again before 4: ${retriedIds.join(",")}`);
  }));

test("a write is not proposed again while an earlier write of its connection is still out", () =>
  withNode(async (db, executor) => {
    executor.fates.set(1, "gated"); // request 1 is slow to reach the log
    executor.fates.set(2, "drop"); // request 2 is lost: proposed again now, it could only come back out of order
    const session = new WriteSession(executor, { retryMs: 5 });
    const first = session.write({ collection: "default", argv: ["RPUSH", "l", "a"] });
    const second = session.write({ collection: "default", argv: ["RPUSH", "l", "b"] });
    await new Promise((resolve) => setTimeout(resolve, 100)); // twenty retry rounds
    assert.equal(executor.proposals, 2, "request 2 waits while request 1 is out");
    executor.openGate();
    assert.deepEqual(await within(Promise.all([first, second]), 5_000), [integer(1), integer(2)]);
    assert.deepEqual(executor.sessions.map((each) => each.requestId), [1, 2, 2]);
    assert.deepEqual(await elements(db, "l"), ["a", "b"]);
  }));

test("every proposal acknowledges the replies received: the session in the log keeps only those still awaited", () =>
  withNode(async (db, executor) => {
    const session = new WriteSession(executor);
    for (let i = 0; i < 5; i++) await within(session.write({ collection: "default", argv: ["INCR", "n"] }), 5_000);
    assert.deepEqual(executor.sessions.map((each) => [each.requestId, each.ackBelow]), [[1, 1], [2, 2], [3, 3], [4, 4], [5, 5]]);
    const record = db.node.read((engine) => engine.sessions.get(session.clientId));
    assert.deepEqual(record, { next: 6, firstKept: 5, replies: [integer(5)] });
  }));

test("a session begun once the node's own first write is applied goes under a session number; one begun before, a string id", () =>
  withNode(async (db, executor) => {
    const early = new WriteSession(executor);
    assert.equal(typeof early.clientId, "string");
    await db.set("warm", "up");
    const numbered = new WriteSession(executor);
    assert.equal(typeof numbered.clientId, "number");
    for (const session of [early, numbered]) {
      assert.equal(await within(session.write({ collection: "default", argv: ["INCR", "n"] }), 5_000).then((reply) => reply.type), "integer");
    }
    assert.deepEqual(await db.command("GET", "n"), bulk("2"));
    assert.deepEqual(db.node.read((engine) => engine.sessions.get(numbered.clientId)), { next: 2, firstKept: 1, replies: [integer(2)] });
  }));

test("a write whose outcome stays unknown past the deadline answers an error; later writes go under a fresh session", () =>
  withNode(async (db, executor) => {
    for (let proposal = 1; proposal <= 1000; proposal++) executor.fates.set(proposal, "drop");
    const session = new WriteSession(executor, { deadlineMs: 100, retryMs: 10 });
    const first = session.clientId;
    const reply = await within(session.write({ collection: "default", argv: ["SET", "k", "1"] }), 5_000);
    assert.equal(reply.type, "error");
    assert.match(reply.type === "error" ? reply.text : "", /no leader is known yet/);
    executor.fates.clear();
    assert.notEqual(session.clientId, first);
    assert.deepEqual(await within(session.write({ collection: "default", argv: ["SET", "k", "2"] }), 5_000), { type: "status", text: "OK" });
    assert.deepEqual(await db.command("GET", "k"), bulk("2"));
  }));

test("a closed session proposes nothing again: its waiting writes answer at once", () =>
  withNode(async (_db, executor) => {
    for (let proposal = 1; proposal <= 1000; proposal++) executor.fates.set(proposal, "drop");
    const session = new WriteSession(executor, { retryMs: 10 });
    const pending = session.write({ collection: "default", argv: ["SET", "k", "1"] });
    while (executor.proposals < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    session.close();
    const reply = await within(pending, 5_000);
    assert.equal(reply.type, "error");
    const proposals = executor.proposals;
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(executor.proposals, proposals, "no proposal after close");
  }));
