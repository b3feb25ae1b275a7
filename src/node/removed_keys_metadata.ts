/**
 * The engine's recent removals (engine/removed_keys.ts) travel in a checkpoint's metadata
 * (checkpointer.ts writes the view's image as it is) as {"forgottenThrough": n, "removals": [[collection, key or null, index], ...]}, in index
 * order; keys are byte strings, which JSON holds as they are (one character per byte).
 *
 * A checkpoint written before walnut kept removals has none: the node that loads it
 * forgets every removal up to the checkpoint's index, so a WATCH of an absent key that
 * reaches back before it aborts (conservatively). A cluster whose nodes loaded such
 * checkpoints at different indexes may judge such a WATCH differently until its nodes have
 * all written a checkpoint of their own, as they do every --checkpoint-interval.
 */
import type { RemovedKeys, Removal } from "../engine/removed_keys.js";
import { WalnutError } from "../lib/errors.js";

function isRemoval(value: unknown): value is Removal {
  return (
    Array.isArray(value) &&
    value.length === 3 &&
    typeof value[0] === "string" &&
    (typeof value[1] === "string" || value[1] === null) &&
    typeof value[2] === "number"
  );
}

/** Restores the removals a checkpoint at `index` recorded, or forgets up to `index` when it recorded none. */
export function restoreRemovedKeys(removedKeys: RemovedKeys, encoded: unknown, checkpoint: { path: string; index: number }): void {
  if (encoded === undefined) {
    removedKeys.forgetThrough(checkpoint.index);
    return;
  }
  const image = encoded as { forgottenThrough?: unknown; removals?: unknown };
  if (typeof image !== "object" || image === null || typeof image.forgottenThrough !== "number" || !Array.isArray(image.removals) || !image.removals.every(isRemoval)) {
    throw new WalnutError("CHECKPOINT_CORRUPT", `Cannot read checkpoint ${checkpoint.path}: removedKeys is malformed`);
  }
  removedKeys.restore({ forgottenThrough: image.forgottenThrough, removals: image.removals });
}
