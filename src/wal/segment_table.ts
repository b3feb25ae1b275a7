/**
 * Which log indexes each segment holds, kept up to date as batches are written and
 * used by compaction to find the segments it may remove.
 *
 * Raft may overwrite a suffix of the log: entries written later with index i supersede
 * every earlier entry with index >= i, wherever it sits. So a segment's `lastIndex` is
 * its *effective* last index, the newest of its entries that nothing later superseded;
 * a segment whose entries were all superseded has a lastIndex below its firstIndex.
 * Effective last indexes never decrease from one segment to the next.
 */
import { assert } from "../lib/assert.js";

export interface SegmentRange {
  name: string;
  seq: number;
  /** The lowest index written in the segment, or the index it was created to start at. */
  firstIndex: number;
  /** The effective last index (see the file comment); firstIndex - 1 when it holds none. */
  lastIndex: number;
  sizeBytes: number;
}

export class SegmentTable {
  private readonly ranges: SegmentRange[] = [];

  /** Adds a new, newest segment that holds no entries yet. */
  add(segment: { name: string; seq: number; firstIndex: number; sizeBytes: number }): void {
    const newest = this.ranges[this.ranges.length - 1];
    assert(newest === undefined || segment.seq > newest.seq, "segments are added in seq order");
    this.ranges.push({ ...segment, lastIndex: segment.firstIndex - 1 });
  }

  get active(): SegmentRange {
    const newest = this.ranges[this.ranges.length - 1];
    assert(newest !== undefined, "the segment table has an active segment");
    return newest;
  }

  get size(): number {
    return this.ranges.length;
  }

  /**
   * Records entries written to the active segment: `lowestIndex` is the smallest index
   * among them (everything from there on in older positions is superseded) and
   * `lastIndex` the index of the last one.
   */
  recordEntries(lowestIndex: number, lastIndex: number): void {
    for (let position = this.ranges.length - 1; position >= 0; position -= 1) {
      const range = this.ranges[position]!;
      if (range.lastIndex < lowestIndex) break;
      range.lastIndex = lowestIndex - 1;
    }
    const active = this.active;
    active.firstIndex = Math.min(active.firstIndex, lowestIndex);
    active.lastIndex = lastIndex;
  }

  recordBytes(sizeBytes: number): void {
    this.active.sizeBytes = sizeBytes;
  }

  /** The oldest segments, never the active one, whose entries all have index <= throughIndex. */
  compactable(throughIndex: number): SegmentRange[] {
    const removable: SegmentRange[] = [];
    for (const range of this.ranges.slice(0, -1)) {
      if (range.lastIndex > throughIndex) break;
      removable.push(range);
    }
    return removable;
  }

  /** Forgets the oldest segment, which must be `name`. */
  removeOldest(name: string): void {
    assert(this.ranges.length > 1 && this.ranges[0]!.name === name, "only the oldest inactive segment is removed");
    this.ranges.shift();
  }

  list(): readonly SegmentRange[] {
    return this.ranges;
  }
}
