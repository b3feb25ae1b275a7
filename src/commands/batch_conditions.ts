/**
 * The version conditions of an atomic batch (MULTI/EXEC after WATCH, the embedded
 * batch()): apply() runs the batch only when every one holds, judged from replicated state
 * alone, so every replica decides the same way.
 *
 * - A key's version (the index of its last write) must equal the condition's; an absent
 *   or expired key's version is 0.
 * - A condition with `absentSince` n (WATCH found the key absent at index n,
 *   server/resp/watched_absent.ts) also fails when the key was written after n, even if it
 *   is absent again now, as Redis aborts EXEC for a watched key created and deleted: the
 *   key is there (expired or not) with a version above n, or the engine's recent removals
 *   hold a removal of it (or a flush of its collection) after n (engine/removed_keys.ts).
 *   When those removals no longer reach back to n, the condition fails too: walnut then
 *   aborts an EXEC that Redis might have run (docs/commands.md).
 */
import type { Engine } from "../engine/engine.js";
import type { VersionCondition } from "../node/entry.js";

/** True when `condition` holds in `engine` at the batch's `nowMs`. */
export function conditionHolds(engine: Engine, condition: VersionCondition, nowMs: number): boolean {
  const item = engine.collection(condition.collection)?.get(condition.key);
  const version = item === undefined || item.isExpiredAt(nowMs) ? 0 : item.version;
  if (version !== condition.version) return false;
  const since = condition.absentSince;
  if (since === undefined) return true;
  if (item !== undefined && item.version > since) return false;
  return !engine.removedKeys.removedAfter(condition.collection, condition.key, since);
}
