/**
 * What this node holds durably, as the Raft core last handed it over: where the log in
 * memory starts (a checkpoint, or the last entry released from memory), the entries since,
 * and the hard state. The driver keeps this copy (it shares the entries with the core, it
 * does not copy their bytes) for two reasons: after a failed WAL write the core is rebuilt
 * from exactly what is on disk, as if the process had restarted; and under fsync "no"
 * entries the WAL failed to write are appended again from here.
 *
 * It also decides which entries may leave memory (releasableThrough): an entry stays
 * while it is not yet applied, or not yet written to the WAL (under fsync "no" the WAL
 * may still fail to write it, and it is appended again from here). Once applied and
 * written, a node alone lets it go at once; a member of a cluster keeps the newest
 * `windowBytes` of them for followers that fall behind, for a node that joins, and for a
 * follower that comes back after a while (a leader keeps the window too, even when every
 * follower holds its entries: catching up from the log is far cheaper than from a
 * checkpoint of the whole state). Released entries stay in the WAL until a checkpoint
 * covers them, so recovery is unchanged; a follower that needs one gets a checkpoint.
 */
import { assert } from "../lib/assert.js";
import { foldConfChanges } from "../raft/conf_change.js";
import type { ConfState, Entry, HardState, RaftInitialState, SnapshotMetadata } from "../raft/types.js";

/**
 * What an entry costs in memory besides its data bytes, as counted against the window:
 * the entry object, the Buffer object over its bytes and the array slot (measured with
 * src/bench/memory.ts: about 265 B per SET entry of 89 data bytes).
 */
export const ENTRY_OVERHEAD_BYTES = 190;
/** Cleared slots that lead the array before it is shortened (and at least half of it). */
const CLEARED_SLOTS_MIN = 1024;

export interface ReleaseLimits {
  /** The highest index both the engine and the Raft core have applied. */
  appliedIndex: number;
  /** The highest index the WAL has written (not merely queued). */
  writtenIndex: number;
  /** Bytes of applied, written entries kept for followers; 0 for a node alone. */
  windowBytes: number;
}

export interface LogMemory {
  entries: number;
  /** Data bytes plus ENTRY_OVERHEAD_BYTES per entry. */
  bytes: number;
}

export class DurableLog {
  private start: SnapshotMetadata;
  /** entries[cleared + i] has index start.index + 1 + i; the slots before hold undefined. */
  private entries: Array<Entry | undefined>;
  private cleared = 0;
  private heldBytes = 0;
  private hardState: HardState;

  constructor(snapshot: SnapshotMetadata, entries: Entry[], hardState: HardState) {
    this.start = snapshot;
    this.entries = entries;
    this.hardState = hardState;
    for (const entry of entries) this.heldBytes += sizeOf(entry);
  }

  get lastIndex(): number {
    return this.start.index + this.entries.length - this.cleared;
  }

  /** The index the log in memory starts after. */
  get startIndex(): number {
    return this.start.index;
  }

  /** The bytes of the entries held in memory (as memory() counts them, without an object). */
  get bytesHeld(): number {
    return this.heldBytes;
  }

  /** What the entries held in memory cost. */
  memory(): LogMemory {
    return { entries: this.entries.length - this.cleared, bytes: this.heldBytes };
  }

  /** Records entries the WAL accepted; an entry at an existing index replaces the suffix from there. */
  append(entries: readonly Entry[], hardState: HardState | null): void {
    if (hardState !== null) this.hardState = hardState;
    const first = entries[0];
    if (first === undefined) return;
    if (!(first.index > this.start.index)) assert(false, `entry ${first.index} at or before the log's start at ${this.start.index}`);
    if (!(first.index <= this.lastIndex + 1)) assert(false, `entry ${first.index} leaves a gap after ${this.lastIndex}`);
    const kept = this.cleared + first.index - this.start.index - 1;
    for (let position = kept; position < this.entries.length; position++) this.heldBytes -= sizeOf(this.entries[position] as Entry);
    this.entries.length = kept;
    for (const entry of entries) {
      this.entries.push(entry);
      this.heldBytes += sizeOf(entry);
    }
  }

  /** Drops entries up to a checkpoint's index (the checkpoint may be ahead of the log). */
  compact(snapshot: SnapshotMetadata): void {
    if (snapshot.index <= this.start.index) return;
    if (snapshot.index > this.lastIndex) {
      this.start = snapshot;
      this.clear();
      return;
    }
    // The membership at the checkpoint is the log's, as the core computes it too.
    this.release(snapshot.index);
  }

  /**
   * The highest index whose entries (and every one before it) may leave memory under
   * `limits`; startIndex when none may.
   */
  releasableThrough(limits: ReleaseLimits): number {
    const floor = Math.min(limits.appliedIndex, limits.writtenIndex, this.lastIndex);
    let through = this.start.index;
    let bytes = this.heldBytes;
    while (through < floor && bytes > limits.windowBytes) {
      through += 1;
      bytes -= sizeOf(this.entryAt(through));
    }
    return through;
  }

  /**
   * Lets go of the entries through `index` (they stay in the WAL); returns where the log
   * now starts, for the core to compact to.
   */
  release(index: number): SnapshotMetadata {
    if (!(index > this.start.index && index <= this.lastIndex)) assert(false, `release through ${index} outside the log (${this.start.index}, ${this.lastIndex}]`);
    const confState = this.confStateAt(index);
    const term = this.entryAt(index).term;
    const dropped = index - this.start.index;
    for (let position = this.cleared; position < this.cleared + dropped; position++) this.heldBytes -= sizeOf(this.entries[position] as Entry);
    this.entries.fill(undefined, this.cleared, this.cleared + dropped);
    this.cleared += dropped;
    this.start = { index, term, confState };
    if (this.cleared >= CLEARED_SLOTS_MIN && this.cleared * 2 >= this.entries.length) {
      this.entries = this.entries.slice(this.cleared);
      this.cleared = 0;
    }
    return this.start;
  }

  /** Restarts the log after a snapshot received from a leader. */
  restore(snapshot: SnapshotMetadata): void {
    this.start = snapshot;
    this.clear();
    this.hardState = { ...this.hardState, commit: Math.max(this.hardState.commit, snapshot.index) };
  }

  /** Entries after `index`, to append again after a failed write. */
  entriesAfter(index: number): Entry[] {
    if (!(index >= this.start.index)) assert(false, `entries after ${index} were released (the log starts after ${this.start.index})`);
    return this.entries.slice(this.cleared + index - this.start.index) as Entry[];
  }

  currentHardState(): HardState {
    return this.hardState;
  }

  /** What a fresh core starts from. */
  initialState(confState: ConfState): RaftInitialState {
    return { hardState: this.hardState, confState, snapshot: this.start, entries: this.entries.slice(this.cleared) as Entry[] };
  }

  /** The membership as of `index`: the start's, with the changes in the log up to it folded in. */
  private confStateAt(index: number): ConfState {
    const changes: Entry[] = [];
    for (let position = this.cleared; position < this.cleared + index - this.start.index; position++) {
      const entry = this.entries[position] as Entry;
      if (entry.type === "confChange") changes.push(entry);
    }
    return foldConfChanges(this.start.confState, changes);
  }

  private entryAt(index: number): Entry {
    const entry = this.entries[this.cleared + index - this.start.index - 1];
    if (!(entry !== undefined && entry.index === index)) assert(false, `entry ${index} missing from the durable log`);
    return entry;
  }

  private clear(): void {
    this.entries = [];
    this.cleared = 0;
    this.heldBytes = 0;
  }
}

function sizeOf(entry: Entry): number {
  return entry.data.byteLength + ENTRY_OVERHEAD_BYTES;
}
