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
 * At-most-once sessions: a payload with a clientId is remembered in engine.sessions
 * (the client's highest requestId and its reply). A payload whose requestId is not above
 * the remembered one is not applied again: a retry of the remembered request gets the
 * remembered reply, an older request an error. This is how a retried HTTP write is
 * applied once even when its first attempt was committed but not answered.
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
import { conditionHolds } from "./batch_conditions.js";

export function applyEntry(engine: Engine, index: number, term: number, payload: EntryPayload): Reply {
  assert(index > engine.appliedIndex, `apply in index order: ${index} after ${engine.appliedIndex}`);
  assert(term >= engine.appliedTerm, `apply in term order: term ${term} after ${engine.appliedTerm}`);
  engine.beginChanges(index);
  const reply = applyOnce(engine, index, payload);
  engine.endChanges(index, payload.type === "command" && payload.call.argv[0] === "EXPIRESWEEP");
  engine.appliedIndex = index;
  engine.appliedTerm = term;
  return reply;
}

/** Applies the payload unless its session already did; remembers the session's reply. */
function applyOnce(engine: Engine, index: number, payload: EntryPayload): Reply {
  if (payload.type === "noop") return OK;
  const { clientId, requestId } = payload;
  if (clientId !== "") {
    const remembered = engine.sessions.get(clientId);
    if (remembered !== undefined && requestId <= remembered.requestId) {
      if (requestId === remembered.requestId) return remembered.reply;
      return error("ERR", `request ${requestId} of client '${clientId}' was already applied and its reply is gone`);
    }
  }
  const reply =
    payload.type === "command"
      ? runCall(engine, payload.call, payload.nowMs, index)
      : runBatch(engine, { conditions: payload.conditions, calls: payload.calls, nowMs: payload.nowMs, index });
  if (clientId !== "") engine.sessions.remember(clientId, { requestId, reply });
  return reply;
}

/** Runs one command call: its reply, an error reply for user errors. */
function runCall(engine: Engine, call: CommandCall, nowMs: number, index: number): Reply {
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
    const reply = spec.run({ engine, collection, nowMs, index }, args);
    if (observed !== null) notifyChanges(engine, collection, observed, reply, { nowMs, index });
    return reply;
  } catch (thrown) {
    if (thrown instanceof WalnutError) return error("ERR", thrown.message);
    throw thrown;
  }
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
      const reply = runCall(engine, call, batch.nowMs, batch.index);
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
