/**
 * The in-memory Raft log after the last snapshot, with its three marks:
 *
 *   snapshot.index < applied <= committed <= lastIndex      (applied may trail further)
 *   snapshot.index <= stableIndex <= lastIndex
 *
 * Entries up to `stableIndex` are known durable (the driver persisted the Ready that carried
 * them); entries after it are "unstable". Index `snapshot.index` still has a known term (the
 * snapshot's), which is all the consistency check needs at the log's start. The log never
 * touches storage: the driver is the one that writes.
 *
 * The driver compacts often (after every few applied entries on a node alone), so compact()
 * costs what it drops, not what stays: dropped slots are cleared at once (their entries can
 * be collected) and the array is shortened only once they make up half of it.
 */
import { assert } from "../lib/assert.js";
import type { Entry, SnapshotMetadata } from "./types.js";

/** compact() shortens the array once at least this many cleared slots lead it (and half of it). */
const CLEARED_SLOTS_MIN = 1024;

/** What an append did to the log, so the caller can react (a truncated confChange, say). */
export interface AppendOutcome {
  lastIndex: number;
  /** The first index that was overwritten, or 0 when nothing was truncated. */
  truncatedFrom: number;
}

export class RaftLog {
  snapshot: SnapshotMetadata;
  /**
   * entries[cleared + i] has index snapshot.index + 1 + i; the `cleared` slots before it
   * held entries that compact() dropped and hold undefined now.
   */
  private entries: Array<Entry | undefined>;
  private cleared = 0;
  committed: number;
  applied: number;
  stableIndex: number;

  constructor(options: { snapshot: SnapshotMetadata; entries: Entry[]; committed: number }) {
    this.snapshot = options.snapshot;
    this.entries = [...options.entries];
    options.entries.forEach((entry, position) => {
      assert(entry.index === options.snapshot.index + 1 + position, `entry ${entry.index} out of place after snapshot ${options.snapshot.index}`);
    });
    this.stableIndex = this.lastIndex();
    this.committed = Math.max(options.committed, options.snapshot.index);
    assert(this.committed <= this.lastIndex(), `commit ${this.committed} beyond last index ${this.lastIndex()}`);
    this.applied = options.snapshot.index;
  }

  firstIndex(): number {
    return this.snapshot.index + 1;
  }

  lastIndex(): number {
    return this.snapshot.index + this.entries.length - this.cleared;
  }

  /** How many entries the log holds in memory (after its snapshot). */
  get size(): number {
    return this.entries.length - this.cleared;
  }

  lastTerm(): number {
    return this.term(this.lastIndex()) ?? 0;
  }

  /** The term of the entry at `index`; undefined when compacted away or not yet there. */
  term(index: number): number | undefined {
    if (index === this.snapshot.index) return this.snapshot.term;
    if (index < this.snapshot.index || index > this.lastIndex()) return undefined;
    return this.entryAt(index).term;
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** §5.4.1: a candidate's log is at least as up-to-date as ours. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ownTerm = this.lastTerm();
    return lastTerm > ownTerm || (lastTerm === ownTerm && lastIndex >= this.lastIndex());
  }

  /** Entries in [from, to) — every one must be present (not compacted). */
  slice(from: number, to: number): Entry[] {
    if (!(from >= this.firstIndex() && to <= this.lastIndex() + 1 && from <= to)) assert(false, `slice [${from}, ${to}) outside the log [${this.firstIndex()}, ${this.lastIndex()}]`);
    const start = this.cleared - this.firstIndex();
    // Slots from `cleared` on always hold entries.
    return this.entries.slice(start + from, start + to) as Entry[];
  }

  /**
   * Up to `maxCount` entries from `from`, holding at most `maxBytes` of data unless the first
   * entry alone is larger; undefined when `from` was compacted away.
   */
  entriesFrom(from: number, maxCount: number, maxBytes = Number.POSITIVE_INFINITY): Entry[] | undefined {
    if (from < this.firstIndex()) return undefined;
    let to = Math.min(this.lastIndex() + 1, from + maxCount);
    if (from > to) return [];
    if (maxBytes !== Number.POSITIVE_INFINITY) {
      // The first entry always goes, however large: otherwise it could never be sent.
      let bytes = 0;
      for (let index = from; index < to; index++) {
        bytes += this.entryAt(index).data.length;
        if (bytes > maxBytes && index > from) {
          to = index;
          break;
        }
      }
    }
    return this.slice(from, to);
  }

  /** Entries with an index above `index` (the unstable tail when `index` is the stable mark). */
  entriesAfter(index: number): Entry[] {
    return this.slice(Math.max(index + 1, this.firstIndex()), this.lastIndex() + 1);
  }

  /**
   * The index of the first entry of `incoming` whose term differs from ours or that we do
   * not have; 0 when we already hold all of them.
   */
  findConflict(incoming: readonly Entry[]): number {
    for (const entry of incoming) {
      if (!this.matchTerm(entry.index, entry.term)) return entry.index;
    }
    return 0;
  }

  /**
   * Fast backtracking: the largest index at or below `index` whose term is at most `term`.
   * No entry between its answer and `index` can match a log whose entry at `index` has
   * `term`, so a leader may skip them all in one round trip.
   */
  findConflictByTerm(index: number, term: number): number {
    let candidate = Math.min(index, this.lastIndex());
    while (candidate > this.snapshot.index) {
      if ((this.term(candidate) as number) <= term) return candidate;
      candidate -= 1;
    }
    return candidate;
  }

  /**
   * AppendEntries receiver rules 2-5 (Figure 2): if our entry at `previousIndex` has
   * `previousTerm`, add the new entries (overwriting a conflicting suffix, never a matching
   * one) and move the commit index. Undefined when the consistency check fails.
   */
  maybeAppend(options: { previousIndex: number; previousTerm: number; leaderCommit: number; entries: Entry[] }): AppendOutcome | undefined {
    if (!this.matchTerm(options.previousIndex, options.previousTerm)) return undefined;
    const newLastIndex = options.previousIndex + options.entries.length;
    const conflict = this.findConflict(options.entries);
    let truncatedFrom = 0;
    if (conflict !== 0) {
      if (!(conflict > this.committed)) assert(false, `entry ${conflict} conflicts with a committed entry (commit ${this.committed})`);
      const fresh = options.entries.slice(conflict - (options.previousIndex + 1));
      truncatedFrom = this.append(fresh).truncatedFrom;
    }
    this.commitTo(Math.min(options.leaderCommit, newLastIndex));
    return { lastIndex: newLastIndex, truncatedFrom };
  }

  /** Appends `incoming`, which must follow on from an index we hold, dropping anything after it. */
  append(incoming: readonly Entry[]): AppendOutcome {
    if (incoming.length === 0) return { lastIndex: this.lastIndex(), truncatedFrom: 0 };
    const first = (incoming[0] as Entry).index;
    if (!(first > this.committed)) assert(false, `append at ${first} would overwrite committed ${this.committed}`);
    if (!(first >= this.firstIndex() && first <= this.lastIndex() + 1)) assert(false, `append at ${first} leaves a gap after ${this.lastIndex()}`);
    const truncatedFrom = first <= this.lastIndex() ? first : 0;
    this.entries.length = this.cleared + first - this.firstIndex();
    for (const entry of incoming) {
      if (!(entry.index === this.lastIndex() + 1)) assert(false, `entry ${entry.index} out of order after ${this.lastIndex()}`);
      this.entries.push(entry);
    }
    this.stableIndex = Math.min(this.stableIndex, first - 1);
    return { lastIndex: this.lastIndex(), truncatedFrom };
  }

  commitTo(index: number): void {
    if (index <= this.committed) return;
    if (!(index <= this.lastIndex())) assert(false, `commit ${index} beyond last index ${this.lastIndex()}`);
    this.committed = index;
  }

  /** Figure 8: commit `index` only if its entry is from `term` (the leader's current term). */
  maybeCommit(index: number, term: number): boolean {
    if (index <= this.committed || !this.matchTerm(index, term)) return false;
    this.commitTo(index);
    return true;
  }

  appliedTo(index: number): void {
    if (index <= this.applied) return;
    if (!(index <= this.committed)) assert(false, `applied ${index} beyond commit ${this.committed}`);
    this.applied = index;
  }

  /** The driver persisted entries through `index`, whose term was `term` when handed out. */
  stableTo(index: number, term: number): void {
    // A newer append may have replaced that entry meanwhile: then it is not stable yet.
    if (this.matchTerm(index, term) && index > this.stableIndex) this.stableIndex = index;
  }

  /** Replaces the whole log with `snapshot` (a follower installing the leader's snapshot). */
  restore(snapshot: SnapshotMetadata): void {
    assert(snapshot.index > this.committed, `restoring snapshot ${snapshot.index} at or below commit ${this.committed}`);
    this.snapshot = snapshot;
    this.entries = [];
    this.cleared = 0;
    this.committed = snapshot.index;
    this.applied = snapshot.index;
    this.stableIndex = snapshot.index;
  }

  /** Drops entries through `snapshot.index`, which the driver has captured in a snapshot. */
  compact(snapshot: SnapshotMetadata): void {
    assert(snapshot.index <= this.applied, `compacting to ${snapshot.index} beyond applied ${this.applied}`);
    if (snapshot.index <= this.snapshot.index) return;
    assert(this.term(snapshot.index) === snapshot.term, `snapshot term ${snapshot.term} differs from the log's at ${snapshot.index}`);
    const dropped = snapshot.index - this.snapshot.index;
    this.entries.fill(undefined, this.cleared, this.cleared + dropped);
    this.cleared += dropped;
    this.snapshot = snapshot;
    if (this.cleared >= CLEARED_SLOTS_MIN && this.cleared * 2 >= this.entries.length) {
      this.entries = this.entries.slice(this.cleared);
      this.cleared = 0;
    }
  }

  private entryAt(index: number): Entry {
    const entry = this.entries[this.cleared + index - this.firstIndex()];
    if (!(entry !== undefined && entry.index === index)) assert(false, `entry ${index} missing from the log`);
    return entry;
  }
}
