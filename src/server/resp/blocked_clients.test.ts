/**
 * The blocked-client registry against a real node whose answers can be lost: an attempt
 * that committed but whose reply never came back (as when the leader changes just after
 * committing it) is proposed again under the same session, and the element is popped
 * once, never twice. Also: waiters with a timeout, and cancelled waiters.
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
import { lookupDataCommand } from "../../commands/table.js";
import { NIL_ARRAY, type Reply } from "../../engine/reply.js";
import { WalnutError } from "../../lib/errors.js";
import { BlockedClients, BlockingSession, type Blocking } from "./blocked_clients.js";

/** A real executor that loses the answer of its next `losses` commits after they committed. */
class LosingAnswers extends CommandExecutor {
  losses = 0;
  committed = 0;

  override async commit(call: CommandCall, session?: Session): Promise<WriteResult> {
    const result = await super.commit(call, session);
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

function block(registry: BlockedClients, argv: string[], session = new BlockingSession()): Blocking {
  const spec = lookupDataCommand(argv[0]!)!;
  return registry.block({
    collection: "default",
    argv,
    describe: () => spec.blocking!(argv.slice(1)),
    session,
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
    const reply = await block(registry, ["BLPOP", "q", "0"]).reply;
    assert.deepEqual(reply, popped("q", "a"));
    assert.equal(executor.committed, 2, "the attempt was proposed twice");
    assert.equal(registry.unknownOutcomeRetries, 1);
    assert.deepEqual(await lrange(db, "q"), ["b"]);
  }));

test("a woken waiter's attempt that lost its answer is retried under its session: one element popped", () =>
  withRegistry(async (db, executor, registry) => {
    const blocking = block(registry, ["BLMOVE", "q", "done", "LEFT", "RIGHT", "0"]);
    // Wait until the first attempt found nothing and the client waits.
    while (registry.size === 0) await new Promise((resolve) => setImmediate(resolve));
    executor.losses = 1;
    await db.command("RPUSH", "q", "x", "y");
    assert.deepEqual(await blocking.reply, { type: "bulk", value: "x" });
    assert.deepEqual(await lrange(db, "q"), ["y"]);
    assert.deepEqual(await lrange(db, "done"), ["x"]);
    assert.equal(registry.size, 0);
  }));

test("a waiter answers a null array at its timeout, and a cancelled one leaves its queues", () =>
  withRegistry(async (db, _executor, registry) => {
    assert.deepEqual(await block(registry, ["BLPOP", "q", "0.02"]).reply, NIL_ARRAY);
    const cancelled = block(registry, ["BLPOP", "q", "0"]);
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
    const blocking = block(registry, ["XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">"]);
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
  withRegistry(async (db, _executor, registry) => {
    const waitFor = async (): Promise<Blocking> => {
      await db.command("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM");
      const blocking = block(registry, ["XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"]);
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
