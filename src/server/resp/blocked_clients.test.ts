/**
 * The blocked-client registry against a real node whose answers can be lost: an attempt
 * that committed but whose reply never came back (as when the leader changes just after
 * committing it) is proposed again under the connection's session, and the element is
 * popped once, never twice; a blocking pop pipelined after a write that never reached the
 * log waits for that write's retry (send order kept). Also: waiters with a timeout, and
 * cancelled waiters.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { open, type Db } from "../../db.js";
import { CommandExecutor, type Session } from "../../commands/executor.js";
import type { CommandCall } from "../../node/entry.js";
import type { WriteResult } from "../../node/node.js";
import type { ProposalListener } from "../../node/proposals.js";
import { lookupDataCommand } from "../../commands/table.js";
import { NIL_ARRAY, type Reply } from "../../engine/reply.js";
import { WalnutError } from "../../lib/errors.js";
import { BlockedClients, type Blocking } from "./blocked_clients.js";
import { WriteSession } from "./write_session.js";

/**
 * A real executor that loses the answer of its next `losses` proposals after they committed,
 * and drops (before they reach the log) the proposals whose numbers (1, 2, ...) are in `drops`.
 */
class LosingAnswers extends CommandExecutor {
  losses = 0;
  committed = 0;
  proposals = 0;
  readonly drops = new Set<number>();
  /** Every proposal's argv and request id, in the order proposed. */
  readonly proposed: Array<[string, number]> = [];

  // The session object is the caller's to reuse once the call returns: the proposal keeps a copy.
  override proposeCallTo(call: CommandCall, session: Session, listener: ProposalListener): void {
    const copy = { ...session };
    this.meetFate(call, copy).then(
      (result) => listener.resolve(result),
      (error: Error) => listener.reject(error),
    );
  }

  private async meetFate(call: CommandCall, session: Session): Promise<WriteResult> {
    this.proposals += 1;
    this.proposed.push([call.argv.join(" "), session.requestId ?? 0]);
    if (this.drops.has(this.proposals)) throw new WalnutError("NO_LEADER", "Cannot write: no leader is known yet; retry shortly");
    const result = await new Promise<WriteResult>((resolve, reject) => super.proposeCallTo(call, session, { resolve, reject }));
    this.committed += 1;
    if (this.losses > 0) {
      this.losses -= 1;
      throw new WalnutError("NO_LEADER", "Cannot confirm the write: the leader changed before it committed; its outcome is unknown, retry");
    }
    return result;
  }
}

async function withRegistry(run: (db: Db, executor: LosingAnswers, registry: BlockedClients) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "walnut-blocked-"));
  const db = await open({ dir, fsync: "no", checkpointInterval: 0 });
  try {
    const executor = new LosingAnswers(db.node, db.memory);
    await run(db, executor, new BlockedClients(executor));
  } finally {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** A connection's write session on `executor`, retry rounds 5 ms apart. */
function sessionOn(executor: CommandExecutor): WriteSession {
  return new WriteSession(executor, { retryMs: 5 });
}

function block(registry: BlockedClients, argv: string[], writes: WriteSession): Blocking {
  const spec = lookupDataCommand(argv[0]!)!;
  return registry.block({
    collection: "default",
    argv,
    describe: () => spec.blocking!(argv.slice(1)),
    writes,
    arrivedAtMs: Date.now(),
  });
}

const popped = (key: string, element: string): Reply => ({ type: "array", items: [{ type: "bulk", value: key }, { type: "bulk", value: element }] });

async function lrange(db: Db, key: string): Promise<string[]> {
  const reply = await db.command("LRANGE", key, "0", "-1");
  assert.equal(reply.type, "array");
  return reply.type === "array" ? reply.items.map((item) => (item.type === "bulk" ? item.value : "?")) : [];
}

test("a first attempt that committed but lost its answer is retried under its session: one element popped", () =>
  withRegistry(async (db, executor, registry) => {
    await db.command("RPUSH", "q", "a", "b");
    executor.losses = 1;
    const reply = await block(registry, ["BLPOP", "q", "0"], sessionOn(executor)).reply;
    assert.deepEqual(reply, popped("q", "a"));
    assert.equal(executor.committed, 2, "the attempt was proposed twice");
    assert.equal(registry.unknownOutcomeRetries, 1);
    assert.deepEqual(await lrange(db, "q"), ["b"]);
  }));

test("a woken waiter's attempt that lost its answer is retried under its session: one element popped", () =>
  withRegistry(async (db, executor, registry) => {
    const blocking = block(registry, ["BLMOVE", "q", "done", "LEFT", "RIGHT", "0"], sessionOn(executor));
    // Wait until the first attempt found nothing and the client waits.
    while (registry.size === 0) await new Promise((resolve) => setImmediate(resolve));
    executor.losses = 1;
    await db.command("RPUSH", "q", "x", "y");
    assert.deepEqual(await blocking.reply, { type: "bulk", value: "x" });
    assert.deepEqual(await lrange(db, "q"), ["y"]);
    assert.deepEqual(await lrange(db, "done"), ["x"]);
    assert.equal(registry.size, 0);
  }));

test("a blocking pop pipelined after a write that never reached the log is applied after that write's retry, in send order", () =>
  withRegistry(async (db, executor, registry) => {
    await db.command("RPUSH", "q", "a", "b", "c", "d");
    // Proposal 1, the LPOP, is lost on its way (forwarded to a leader that died); the BLPOP
    // pipelined after it reaches the log first.
    executor.drops.add(1);
    const writes = sessionOn(executor);
    const lpop = writes.write({ collection: "default", argv: ["LPOP", "q"] });
    const blpop = block(registry, ["BLPOP", "q", "0"], writes);
    assert.deepEqual(await lpop, { type: "bulk", value: "a" });
    assert.deepEqual(await blpop.reply, popped("q", "b"));
    assert.ok(writes.unknownOutcomeRetries >= 2, `the LPOP and the BLPOP refused out of order were proposed again (${writes.unknownOutcomeRetries})`);
    const retried = executor.proposed.slice(2).map(([argv, requestId]) => `${argv} #${requestId}`);
    assert.deepEqual(retried.slice(0, 2), ["LPOP q #1", "BLPOP q 0 #2"], "proposed again in send order, with the same ids");
    // The same pipeline with the pop under a session of its own (as blocking pops had before):
    // the pop overtakes the lost LPOP. This is what the order above rules out.
    executor.drops.add(executor.proposals + 1);
    const otherLpop = sessionOn(executor).write({ collection: "default", argv: ["LPOP", "q"] });
    const ownSessionPop = block(registry, ["BLPOP", "q", "0"], sessionOn(executor));
    assert.deepEqual(await ownSessionPop.reply, popped("q", "c"));
    assert.deepEqual(await otherLpop, { type: "bulk", value: "d" });
  }));

test("a woken pop's attempt that lost its answer is proposed again with its id in the connection's session: one pop", () =>
  withRegistry(async (db, executor, registry) => {
    const writes = sessionOn(executor);
    const blocking = block(registry, ["BLPOP", "q", "0"], writes);
    while (registry.size === 0) await new Promise((resolve) => setImmediate(resolve));
    // The pop's attempt, woken by the push, loses its answer after committing: proposed again
    // under the same id, it pops once.
    executor.losses = 1;
    await db.command("RPUSH", "q", "x", "y");
    assert.deepEqual(await blocking.reply, popped("q", "x"));
    assert.ok(registry.unknownOutcomeRetries >= 1);
    assert.deepEqual(await lrange(db, "q"), ["y"]);
    const ids = executor.proposed.map(([, requestId]) => requestId);
    assert.deepEqual(ids, [1, 2, 2], "the first proposal, the attempt, the attempt again: one session, in order");
    assert.equal(db.node.read((engine) => engine.sessions.get(writes.clientId))?.next, 3);
  }));

test("a waiter answers a null array at its timeout, and a cancelled one leaves its queues", () =>
  withRegistry(async (db, executor, registry) => {
    assert.deepEqual(await block(registry, ["BLPOP", "q", "0.02"], sessionOn(executor)).reply, NIL_ARRAY);
    const cancelled = block(registry, ["BLPOP", "q", "0"], sessionOn(executor));
    while (registry.size === 0) await new Promise((resolve) => setImmediate(resolve));
    cancelled.cancel();
    assert.equal(registry.size, 0);
    await db.command("RPUSH", "q", "kept");
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(await lrange(db, "q"), ["kept"]);
  }));

test("a woken XREADGROUP whose attempt lost its answer is retried under its session: the entry is delivered once", { timeout: 20_000 }, () =>
  withRegistry(async (db, executor, registry) => {
    await db.command("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM");
    const blocking = block(registry, ["XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">"], sessionOn(executor));
    while (registry.size === 0) await new Promise((resolve) => setImmediate(resolve));
    executor.losses = 1;
    await db.command("XADD", "s", "1-0", "f", "v");
    const entry: Reply = { type: "array", items: [{ type: "bulk", value: "1-0" }, { type: "array", items: [{ type: "bulk", value: "f" }, { type: "bulk", value: "v" }] }] };
    assert.deepEqual(await blocking.reply, { type: "map", entries: [[{ type: "bulk", value: "s" }, { type: "array", items: [entry] }]], pairsInResp2: true });
    assert.equal(registry.unknownOutcomeRetries, 1);
    const pending = await db.command("XPENDING", "s", "g", "-", "+", "10");
    assert.equal(pending.type === "array" ? pending.items.length : -1, 1, "one delivery in the PEL");
    const summary = await db.command("XPENDING", "s", "g");
    assert.equal(summary.type === "array" && summary.items[0]?.type === "integer" ? Number(summary.items[0].value) : -1, 1);
  }));

test("a blocked XREADGROUP ends with Redis' errors when its group is destroyed or its stream deleted, and CLIENT UNBLOCK ends it", { timeout: 20_000 }, () =>
  withRegistry(async (db, executor, registry) => {
    const waitFor = async (): Promise<Blocking> => {
      await db.command("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM");
      const blocking = block(registry, ["XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"], sessionOn(executor));
      while (registry.size === 0) await new Promise((resolve) => setImmediate(resolve));
      return blocking;
    };
    let blocking = await waitFor();
    await db.command("XGROUP", "DESTROY", "s", "g");
    assert.deepEqual(await blocking.reply, { type: "error", text: "NOGROUP the consumer group this client was blocked on no longer exists" });
    blocking = await waitFor();
    await db.command("DEL", "s");
    assert.deepEqual(await blocking.reply, { type: "error", text: "UNBLOCKED the stream key no longer exists" });
    blocking = await waitFor();
    assert.equal(blocking.unblock("error"), true);
    assert.deepEqual(await blocking.reply, { type: "error", text: "UNBLOCKED client unblocked via CLIENT UNBLOCK" });
    assert.equal(blocking.unblock("timeout"), false, "an answered client is not blocked");
    assert.equal(registry.size, 0);
  }));
