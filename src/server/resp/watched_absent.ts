/**
 * WATCH on a key that is absent: Redis aborts EXEC when the key was created (and maybe
 * deleted again) after WATCH, but walnut's EXEC compares versions, and an absent key's
 * version is 0 before and after. So WATCH notes, in the condition of an absent key, the
 * node's applied index when it read it (`absentSince`); the batch carries it in its log
 * entry, and apply() refuses the batch when the key was written after that index
 * (commands/batch_conditions.ts), from replicated state: every replica decides alike,
 * whichever node the client watched on and however far behind it was.
 */
import type { ByteString } from "../../engine/bytes.js";
import type { Engine } from "../../engine/engine.js";
import type { VersionCondition } from "../../node/entry.js";

/** The condition WATCH records for `key`: its version, and for an absent key the index it was seen absent at. */
export function watchCondition(engine: Engine, collection: string, key: ByteString, nowMs: number): VersionCondition {
  const item = engine.collection(collection)?.get(key);
  const version = item === undefined || item.isExpiredAt(nowMs) ? 0 : item.version;
  return version === 0 ? { collection, key, version, absentSince: engine.appliedIndex } : { collection, key, version };
}
