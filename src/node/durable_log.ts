/**
 * What this node holds durably, as the Raft core last handed it over: the snapshot the
 * log starts after, the entries since, and the hard state. The driver keeps this copy
 * (it shares the entries with the core, it does not copy their bytes) for two reasons:
 * after a failed WAL write the core is rebuilt from exactly what is on disk, as if the
 * process had restarted; and under fsync "no" entries the WAL failed to write are
 * appended again from here.
 */
import { assert } from "../lib/assert.js";
import type { ConfState, Entry, HardState, RaftInitialState, SnapshotMetadata } from "../raft/types.js";

export class DurableLog {
  private entries: Entry[];

  constructor(
    private snapshot: SnapshotMetadata,
    entries: Entry[],
    private hardState: HardState,
  ) {
    this.entries = entries;
  }

  get lastIndex(): number {
    return this.snapshot.index + this.entries.length;
  }

  /** Records entries the WAL accepted; an entry at an existing index replaces the suffix from there. */
  append(entries: readonly Entry[], hardState: HardState | null): void {
    if (hardState !== null) this.hardState = hardState;
    const first = entries[0];
    if (first === undefined) return;
    assert(first.index > this.snapshot.index, `entry ${first.index} at or before the snapshot at ${this.snapshot.index}`);
    assert(first.index <= this.lastIndex + 1, `entry ${first.index} leaves a gap after ${this.lastIndex}`);
    this.entries.length = first.index - this.snapshot.index - 1;
    for (const entry of entries) this.entries.push(entry);
  }

  /** Drops entries up to a checkpoint's index. */
  compact(snapshot: SnapshotMetadata): void {
    if (snapshot.index <= this.snapshot.index) return;
    this.entries = this.entries.slice(Math.min(snapshot.index - this.snapshot.index, this.entries.length));
    this.snapshot = snapshot;
  }

  /** Restarts the log after a snapshot received from a leader. */
  restore(snapshot: SnapshotMetadata): void {
    this.snapshot = snapshot;
    this.entries = [];
    this.hardState = { ...this.hardState, commit: Math.max(this.hardState.commit, snapshot.index) };
  }

  /** Entries after `index`, to append again after a failed write. */
  entriesAfter(index: number): Entry[] {
    return this.entries.slice(Math.max(0, index - this.snapshot.index));
  }

  currentHardState(): HardState {
    return this.hardState;
  }

  /** What a fresh core starts from. */
  initialState(confState: ConfState): RaftInitialState {
    return { hardState: this.hardState, confState, snapshot: this.snapshot, entries: [...this.entries] };
  }
}
