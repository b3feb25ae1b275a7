/**
 * WATCH on a key that is absent: Redis aborts EXEC when the key was created (and maybe
 * deleted again) after WATCH, but walnut's EXEC compares versions, and an absent key's
 * version is 0 before and after. So WATCH also notes this node's applied index for each
 * absent key, and EXEC first looks in the node's watch history (engine/change_history.ts)
 * for any change to the key after it: one found, or history no longer reaching back that
 * far, aborts the EXEC (the latter conservatively: Redis would run it if nothing happened).
 *
 * The look happens where the connection is, before the batch is proposed; the batch's own
 * version check (0: must be absent) then covers a key still present when it is applied.
 * What it cannot see is a key created and deleted again by entries this node has not
 * applied yet when EXEC is sent (docs/commands.md).
 */
import type { ByteString } from "../../engine/bytes.js";
import type { Engine } from "../../engine/engine.js";
import type { VersionCondition } from "../../node/entry.js";

/** For each watched condition of an absent key, the node's applied index when WATCH read it. */
export type AbsentSince = Map<VersionCondition, number>;

/** Remembers, for an absent key's condition, the index the history must be clean after. */
export function noteAbsentWatch(since: AbsentSince, condition: VersionCondition, engine: Engine): void {
  if (condition.version === 0) since.set(condition, engine.appliedIndex);
}

/** True when a watched absent key changed after its WATCH, or the history cannot tell. */
export function absentKeyTouched(engine: Engine, watched: readonly VersionCondition[], since: AbsentSince): boolean {
  for (const condition of watched) {
    const watchedAt = since.get(condition);
    if (watchedAt === undefined) continue;
    const read = engine.history.read(watchedAt + 1, { collection: condition.collection, key: condition.key as ByteString });
    if (read.compacted || read.changes.length > 0) return true;
  }
  return false;
}
