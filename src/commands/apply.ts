/**
 * apply(): the one function that changes the engine. node/ calls it for every committed
 * log entry, in index order, on every replica; it reads no clock and no random source
 * (expiry is judged against the entry's nowMs), so every replica ends in the same state
 * with the same replies.
 *
 * - A command: looked up in the command table, arity checked, run in its collection.
 *   Handlers answer user errors with error replies; a WalnutError they throw (a limit,
 *   a bad argument found deep down) becomes an ERR reply; anything else is a bug and
 *   propagates.
 * - An atomic batch (MULTI/EXEC): its version conditions are checked first
 *   (batch_conditions.ts); one that fails answers nil having changed nothing, as
 *   EXEC does when a WATCHed key changed. Then every call runs; the batch is
 *   all-or-nothing: when a call answers an error, the engine's journal undoes every
 *   change the earlier calls made and the batch answers EXECABORT naming the call.
 * - A no-op (a new leader's first entry) changes nothing but the applied index.
 *
 * At-most-once sessions (engine/session_table.ts, docs/sessions.md): a payload with a
 * clientId is applied only if the session table says so. A request the session already
 * applied answers its remembered reply (or an error when that reply was dropped); a request
 * of an ordered session that comes before an earlier one of the same client (a gap: the
 * earlier one was lost on its way) is not applied and answers SESSION_OUT_OF_ORDER, which
 * the client's connection turns into proposing both again, in order. This is how a write
 * retried after a leader change is applied once, and a connection's writes in its order.
 */
import type { Engine } from "../engine/engine.js";
import { assert } from "../lib/assert.js";
import { WalnutError } from "../lib/errors.js";
import { checkArity, unknownCommand } from "./dispatch_checks.js";
import type { CommandCall, EntryPayload, VersionCondition } from "../node/entry.js";
import { array, error, isError, NIL, OK, type Reply } from "../engine/reply.js";
import { lookupDataCommand } from "./table.js";
import { emptyDatabase, isDatabaseCollection } from "./databases.js";
import type { Collection } from "../engine/collection.js";
import { notifyChanges, observeKeys } from "./keyspace_notifications.js";
import { endPausedScript, isPausable, runPausable, scriptsIdle } from "./scripting/script_busy.js";
import { conditionHolds } from "./batch_conditions.js";

/**
 * A promise when a script paused the entry (it runs long and lets Node answer BUSY
 * meanwhile: scripting/script_busy.ts), or waits for a paused read-only script to end;
 * node/ then applies nothing else until it resolves.
 */
export function applyEntry(engine: Engine, index: number, term: number, payload: EntryPayload): Reply | Promise<Reply> {
  const idle = scriptsIdle(engine);
  if (idle !== null) return idle.then(() => applyEntry(engine, index, term, payload));
  if (!(index > engine.appliedIndex)) assert(false, `apply in index order: ${index} after ${engine.appliedIndex}`);
  if (!(term >= engine.appliedTerm)) assert(false, `apply in term order: term ${term} after ${engine.appliedTerm}`);
  engine.beginChanges(index);
  const reply = applyOnce(engine, index, payload);
  if (!(reply instanceof Promise)) return finishEntry(engine, index, term, payload, reply);
  return reply.then(
    (settled) => {
      const answer = finishEntry(engine, index, term, payload, settled);
      endPausedScript(engine);
      return answer;
    },
    (bug: unknown) => {
      endPausedScript(engine);
      throw bug;
    },
  );
}

/** What every applied entry ends with: its changes handed on, the applied index moved. */
function finishEntry(engine: Engine, index: number, term: number, payload: EntryPayload, reply: Reply): Reply {
  engine.endChanges(index, payload.type === "command" && payload.call.argv[0] === "EXPIRESWEEP", payload);
  engine.appliedIndex = index;
  engine.appliedTerm = term;
  return reply;
}

/** applyEntry for callers whose entries never pause (tests and tools without long scripts): the reply itself. */
export function applyEntryNow(engine: Engine, index: number, term: number, payload: EntryPayload): Reply {
  const reply = applyEntry(engine, index, term, payload);
  assert(!(reply instanceof Promise), `entry ${index} paused: a script ran longer than a slice`);
  return reply;
}

/**
 * The reply of a request that came before an earlier request of its ordered session: not
 * applied. Compared by identity: it is never remembered, so only apply() hands it out.
 */
export const SESSION_OUT_OF_ORDER: Reply = Object.freeze(
  error("ERR", "Cannot apply the write yet: an earlier write of this connection has not reached the log; it is proposed again"),
);

/** Applies the payload unless its session says otherwise (see the top of this file). */
function applyOnce(engine: Engine, index: number, payload: EntryPayload): Reply | Promise<Reply> {
  if (payload.type === "noop") return OK;
  const { clientId, requestId } = payload;
  if (clientId === "") return runPayload(engine, index, payload);
  const ackBelow = payload.ackBelow ?? 0;
  const verdict = engine.sessions.verdict(clientId, requestId, ackBelow);
  if (verdict.kind === "duplicate") return verdict.reply;
  if (verdict.kind === "forgotten") return error("ERR", `request ${requestId} of client '${clientId}' was already applied and its reply is gone`);
  if (verdict.kind === "tooLarge") return error("ERR", `request ${requestId} of client '${clientId}' was already applied; its reply was too large to keep`);
  if (verdict.kind === "early") return SESSION_OUT_OF_ORDER;
  const reply = runPayload(engine, index, payload);
  if (!(reply instanceof Promise)) {
    engine.sessions.applied(clientId, requestId, ackBelow, reply);
    return reply;
  }
  return reply.then((settled) => {
    engine.sessions.applied(clientId, requestId, ackBelow, settled);
    return settled;
  });
}

function runPayload(engine: Engine, index: number, payload: EntryPayload & { type: "command" | "batch" }): Reply | Promise<Reply> {
  return payload.type === "command"
    ? runCall(engine, payload.call, payload.nowMs, index, true)
    : runBatch(engine, { conditions: payload.conditions, calls: payload.calls, nowMs: payload.nowMs, index });
}

/**
 * Runs one command call: its reply, an error reply for user errors. A script command alone
 * in its entry (`mayPause`) may pause: then a promise of its reply.
 */
function runCall(engine: Engine, call: CommandCall, nowMs: number, index: number, mayPause: boolean): Reply | Promise<Reply> {
  const name = call.argv[0];
  const spec = name === undefined ? undefined : lookupDataCommand(name);
  if (spec === undefined) return unknownCommand(call.argv);
  const arityError = checkArity(spec, call.argv.length);
  if (arityError !== null) return arityError;
  try {
    const collection = engine.collection(call.collection) ?? databaseOnFirstUse(engine, call.collection, spec.flags.includes("write"));
    if (collection === undefined) return error("ERR", `no such collection '${call.collection}'`);
    const args = call.argv.slice(1);
    const observed = observeKeys(engine, collection, spec, args); // null unless keyspace notifications are on
    if (!mayPause || !isPausable(spec.name)) {
      // The common case, without the closures a pausable script needs.
      const reply = spec.run({ engine, collection, nowMs, index }, args);
      if (observed !== null) notifyChanges(engine, collection, observed, reply, { nowMs, index });
      return reply;
    }
    const run = (): Reply => spec.run({ engine, collection, nowMs, index }, args);
    const notify = (reply: Reply): Reply => {
      if (observed !== null) notifyChanges(engine, collection, observed, reply, { nowMs, index });
      return reply;
    };
    const reply = runPausable(engine, spec.name, run);
    return reply instanceof Promise ? reply.then(notify, userError) : notify(reply);
  } catch (thrown) {
    return userError(thrown);
  }
}

/** A WalnutError thrown by a handler is the user's error reply; anything else is a bug. */
function userError(thrown: unknown): Reply {
  if (thrown instanceof WalnutError) return error("ERR", thrown.message);
  throw thrown;
}

/**
 * A numbered database's collection that does not exist yet (databases.ts): a write
 * creates it, a read sees it empty. undefined for any other missing collection.
 */
function databaseOnFirstUse(engine: Engine, name: string, writes: boolean): Collection | undefined {
  if (!isDatabaseCollection(name)) return undefined;
  if (!writes) return emptyDatabase(name);
  engine.createCollection(name, "hash");
  return engine.collection(name);
}

interface Batch {
  conditions: VersionCondition[];
  calls: CommandCall[];
  nowMs: number;
  index: number;
}

function runBatch(engine: Engine, batch: Batch): Reply {
  for (const condition of batch.conditions) {
    if (!conditionHolds(engine, condition, batch.nowMs)) return NIL;
  }
  engine.beginBatch();
  const replies: Reply[] = [];
  try {
    for (const call of batch.calls) {
      const reply = runCall(engine, call, batch.nowMs, batch.index, false);
      assert(!(reply instanceof Promise), "a call in a batch never pauses");
      if (isError(reply)) {
        engine.rollbackBatch();
        return executionAborted(replies.length + 1, call, reply.text);
      }
      replies.push(reply);
    }
  } catch (bug) {
    // Leave the engine as it was before the batch, then let the bug propagate.
    engine.rollbackBatch();
    throw bug;
  }
  engine.commitBatch();
  return array(replies);
}

function executionAborted(position: number, call: CommandCall, failure: string): Reply {
  const name = (call.argv[0] ?? "").toUpperCase();
  return error("EXECABORT", `Transaction discarded: command ${position} (${name}) failed: ${failure}`);
}
