/**
 * Writes an incremental checkpoint (delta_format.ts) from an EngineView and the changes
 * the engine noted since the previous checkpoint (engine/checkpoint_changes.ts): the
 * collections written whole are read from the view as a full checkpoint reads them; of
 * the others, only the noted keys, each looked up in the view (its item as of the view's
 * index, or a REMOVED record when absent). Slicing, compression, durability and errors
 * are the full writer's (writer.ts).
 */
import type { ByteString } from "../engine/bytes.js";
import type { ChangesSinceCheckpoint, CollectionChanges } from "../engine/checkpoint_changes.js";
import type { CollectionView } from "../engine/collection.js";
import type { EngineView } from "../engine/engine.js";
import type { Item } from "../engine/values.js";
import { assert } from "../lib/assert.js";
import { deltaFileName, encodeDeltaHeaderPayload, writeChangesRecord } from "./delta_format.js";
import { Compression, FrameType, writeCollectionRecord } from "./format.js";
import { writeCheckpointFile, type CheckpointInfo, type RecordSection, type WriteCheckpointOptions } from "./writer.js";

export interface DeltaBase {
  /** The previous checkpoint: the delta holds what changed after it. */
  previousIndex: number;
  previousTerm: number;
}

/**
 * Writes `view` as a delta on the checkpoint at `base.previousIndex` to
 * `<dir>/<index>-<term>-<previousIndex>.delta`, and closes the view.
 *
 * @example
 * const view = engine.openView();
 * const changes = engine.checkpointChanges.begin(collectionsOf(engine), view.index);
 * await writeDeltaCheckpoint(view, changes, { previousIndex: 300, previousTerm: 2 }, { dir });
 */
export async function writeDeltaCheckpoint(
  view: EngineView,
  changes: ChangesSinceCheckpoint,
  base: DeltaBase,
  options: WriteCheckpointOptions,
): Promise<CheckpointInfo> {
  assert(changes.previousIndex === base.previousIndex, `changes since ${changes.previousIndex}, a delta on ${base.previousIndex}`);
  assert(changes.collections.length === view.collections.length, "the changes and the view list different collections");
  return writeCheckpointFile(view, options, {
    fileName: deltaFileName(view.index, view.term, base.previousIndex),
    previousIndex: base.previousIndex,
    headerFrame: (metadataJson) => ({
      type: FrameType.deltaHeader,
      payload: encodeDeltaHeaderPayload({
        index: view.index,
        term: view.term,
        previousIndex: base.previousIndex,
        previousTerm: base.previousTerm,
        compression: Compression.deflateRaw,
        metadataJson,
      }),
    }),
    sections: view.collections.map((collection, position) => sectionOf(collection, changes.collections[position] as CollectionChanges)),
  });
}

function sectionOf(view: CollectionView, changes: CollectionChanges): RecordSection {
  assert(view.name === changes.name && view.type === changes.type, `the changes of ${changes.name} against the view of ${view.name}`);
  if (changes.whole) {
    return {
      open: (writer) => writeCollectionRecord(writer, view.name, view.type),
      next: (maxEntries) => view.next(maxEntries),
      get exhausted() {
        return view.exhausted;
      },
    };
  }
  const keys = changes.keys.values();
  let exhausted = false;
  return {
    open: (writer) => writeChangesRecord(writer, view.name, view.type),
    next(maxEntries) {
      const out: Array<readonly [ByteString, Item | undefined]> = [];
      while (out.length < maxEntries) {
        const step = keys.next();
        if (step.done === true) {
          exhausted = true;
          break;
        }
        out.push([step.value, view.get(step.value)]);
      }
      return out;
    },
    get exhausted() {
      return exhausted;
    },
  };
}
