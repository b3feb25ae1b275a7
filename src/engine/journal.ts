/**
 * The undo log of an atomic batch (MULTI/EXEC, the embedded batch()).
 *
 * A batch is all-or-nothing: when one of its commands fails, every change the earlier
 * ones made must disappear. While a batch runs, the engine attaches a Journal to every
 * collection; before each change they record how to undo it:
 * - a key's previous item, on the key's first touch only (later touches of the same key
 *   need no record: undoing the first one restores the key as it was before the batch);
 *   when the writer will mutate the live item in place, the record holds a clone;
 * - a collection's whole contents before clear();
 * - a collection created, dropped or replaced in the engine.
 * rollback() runs the records newest first, which brings back the exact state the batch
 * started from, item objects and versions included.
 *
 * Example: a batch runs SET a 1; FLUSHDB; SET a 2; then fails. The records are
 * [a was X] [contents were {a: 1, ...}]: undoing newest first restores the contents
 * (a = 1), then a = X. The second SET of `a` recorded nothing: `a` was touched already.
 */
import type { ByteString } from "./bytes.js";
import { assert } from "../lib/assert.js";

/** Something that records into a journal while a batch runs: a collection, the engine. */
export interface Journaled {
  journal: Journal | null;
}

export class Journal {
  private readonly undoSteps: Array<() => void> = [];
  private readonly touchedKeys = new Map<object, Set<ByteString>>();
  private readonly attached: Journaled[] = [];
  private finished = false;

  /** Makes `target` record into this journal until the batch ends. */
  attach(target: Journaled): void {
    assert(!this.finished, "attaching to a finished journal");
    target.journal = this;
    this.attached.push(target);
  }

  /**
   * True the first time `owner` touches `key` in this batch: the caller then records
   * the key's previous state with `record`.
   */
  firstTouch(owner: object, key: ByteString): boolean {
    let keys = this.touchedKeys.get(owner);
    if (keys === undefined) {
      keys = new Set();
      this.touchedKeys.set(owner, keys);
    }
    if (keys.has(key)) return false;
    keys.add(key);
    return true;
  }

  /** Adds a step that undoes the change about to be made. */
  record(undo: () => void): void {
    assert(!this.finished, "recording into a finished journal");
    this.undoSteps.push(undo);
  }

  /** Ends the batch keeping its changes. */
  commit(): void {
    this.finish();
  }

  /** Ends the batch undoing its changes, newest first. */
  rollback(): void {
    // Detach first: the undo steps write through the ordinary collection methods, which
    // must not record themselves again.
    this.finish();
    for (let step = this.undoSteps.length - 1; step >= 0; step--) this.undoSteps[step]();
  }

  private finish(): void {
    assert(!this.finished, "a journal ended twice");
    this.finished = true;
    for (const target of this.attached) {
      if (target.journal === this) target.journal = null;
    }
  }
}
