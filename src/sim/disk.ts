/**
 * A simulated node's durable storage: hard state, the last snapshot (metadata and state
 * machine bytes) and the log entries after it.
 *
 * Writes go to a volatile buffer first and become durable at sync(), as with write() and
 * fsync(). crash() keeps a prefix of the buffered writes — the WAL's torn tail: the frames
 * that reached the platter survive, the rest are gone — and drops the others. The order of
 * the buffer is the driver's order of writing: snapshot, entries one by one, hard state.
 *
 * recover() gives what a restarted node starts from, as copies: a crash can never reach
 * into a live core's memory through shared arrays.
 */
import { assert } from "../lib/assert.js";
import type { ConfState, Entry, HardState, SnapshotMetadata } from "../raft/types.js";

export interface StoredSnapshot {
  metadata: SnapshotMetadata;
  data: Uint8Array;
}

export interface DurableState {
  hardState: HardState;
  snapshot: StoredSnapshot;
  /** Every durable entry after the snapshot, contiguous. */
  entries: Entry[];
}

type Write = { kind: "hardState"; hardState: HardState } | { kind: "entry"; entry: Entry } | { kind: "snapshot"; snapshot: StoredSnapshot };

export interface DiskStats {
  syncs: number;
  entriesWritten: number;
  /** Buffered writes lost to crashes. */
  writesLost: number;
}

export class SimulatedDisk {
  private hardState: HardState;
  private snapshot: StoredSnapshot;
  private entries: Entry[] = [];
  private buffered: Write[] = [];
  readonly stats: DiskStats = { syncs: 0, entriesWritten: 0, writesLost: 0 };

  /** A disk holding `initial` durably (see bootstrapState and foundingSnapshotState). */
  constructor(initial: InitialDisk) {
    this.hardState = { ...initial.hardState };
    this.snapshot = copySnapshot(initial.snapshot);
  }

  writeHardState(hardState: HardState): void {
    this.buffered.push({ kind: "hardState", hardState: { ...hardState } });
  }

  /** Appends entries; the first one may overwrite a conflicting suffix. */
  writeEntries(entries: readonly Entry[]): void {
    for (const entry of entries) this.buffered.push({ kind: "entry", entry: copyEntry(entry) });
  }

  /** Installs a received snapshot: it replaces the whole log. */
  writeSnapshot(snapshot: StoredSnapshot): void {
    this.buffered.push({ kind: "snapshot", snapshot: copySnapshot(snapshot) });
  }

  sync(): void {
    for (const write of this.buffered) this.perform(write);
    this.stats.syncs++;
    this.buffered = [];
  }

  /** Loses the buffered writes but the first `survivingWrites` of them. */
  crash(survivingWrites: number): void {
    const kept = this.buffered.slice(0, Math.max(0, survivingWrites));
    for (const write of kept) this.perform(write);
    this.stats.writesLost += this.buffered.length - kept.length;
    this.buffered = [];
  }

  get bufferedWrites(): number {
    return this.buffered.length;
  }

  /**
   * The driver's own snapshot of its state machine (written to a temporary file and renamed
   * in real life, so atomic): entries up to it are dropped, later ones kept.
   */
  compact(snapshot: StoredSnapshot): void {
    assert(this.buffered.length === 0, "compaction runs between Readys, with nothing buffered");
    assert(snapshot.metadata.index > this.snapshot.metadata.index, "a compaction must move the snapshot forward");
    const entry = this.entryAt(snapshot.metadata.index);
    assert(entry !== undefined && entry.term === snapshot.metadata.term, `compaction at ${snapshot.metadata.index} does not match the durable log`);
    this.entries = this.entries.filter((kept) => kept.index > snapshot.metadata.index);
    this.snapshot = copySnapshot(snapshot);
  }

  /** The durable state, as copies. */
  recover(): DurableState {
    return {
      hardState: { ...this.hardState },
      snapshot: copySnapshot(this.snapshot),
      entries: this.entries.map(copyEntry),
    };
  }

  get lastIndex(): number {
    const last = this.entries[this.entries.length - 1];
    return last === undefined ? this.snapshot.metadata.index : last.index;
  }

  get snapshotMetadata(): SnapshotMetadata {
    return this.snapshot.metadata;
  }

  /** The latest snapshot, shared (callers must not modify it). */
  get latestSnapshot(): StoredSnapshot {
    return this.snapshot;
  }

  /** The durable entry at `index`, if it is after the snapshot. */
  entryAt(index: number): Entry | undefined {
    const first = this.snapshot.metadata.index + 1;
    return index < first ? undefined : this.entries[index - first];
  }

  /** The durable term at `index`: the snapshot's term at its own index, undefined if unknown. */
  termAt(index: number): number | undefined {
    if (index === this.snapshot.metadata.index) return this.snapshot.metadata.term;
    return this.entryAt(index)?.term;
  }

  private perform(write: Write): void {
    switch (write.kind) {
      case "hardState":
        this.hardState = write.hardState;
        return;
      case "snapshot":
        this.snapshot = write.snapshot;
        this.entries = [];
        return;
      case "entry":
        this.appendEntry(write.entry);
        return;
    }
  }

  private appendEntry(entry: Entry): void {
    const first = this.snapshot.metadata.index + 1;
    assert(entry.index >= first, `entry ${entry.index} is at or below the snapshot at ${first - 1}`);
    assert(entry.index <= this.lastIndex + 1, `entry ${entry.index} leaves a gap after ${this.lastIndex}`);
    this.entries.length = entry.index - first;
    this.entries.push(entry);
    this.stats.entriesWritten++;
  }
}

/** Where a node's disk starts: hard state and snapshot (with no entries after it). */
export interface InitialDisk {
  hardState: HardState;
  snapshot: StoredSnapshot;
}

/**
 * A node's first start, as src/node/ does it: an empty log and `confState` as the membership
 * "as of snapshot 0". Founders get the founding membership; a node joining later gets the
 * cluster's current membership (itself absent), as etcd's "existing" cluster state. A joiner
 * given an empty membership instead would learn only the changes in the log it replicates —
 * "addVoter <itself>" among them — and could believe itself the only voter, and elect itself.
 */
export function bootstrapState(confState: ConfState, stateMachineImage: Uint8Array): InitialDisk {
  return {
    hardState: { term: 0, vote: 0, commit: 0 },
    snapshot: { metadata: { index: 0, term: 0, confState: copyConfState(confState) }, data: stateMachineImage },
  };
}

/**
 * The other way to found a cluster: the founding membership as a committed snapshot at
 * index 1 of term 1 (etcd commits the founding ConfChanges as the first entries). A joiner
 * then learns the founders from the leader's snapshot even when it starts knowing nobody.
 */
export function foundingSnapshotState(confState: ConfState, stateMachineImage: Uint8Array): InitialDisk {
  return {
    hardState: { term: 1, vote: 0, commit: 1 },
    snapshot: { metadata: { index: 1, term: 1, confState: copyConfState(confState) }, data: stateMachineImage },
  };
}

export function copyEntry(entry: Entry): Entry {
  return { index: entry.index, term: entry.term, type: entry.type, data: entry.data.slice() };
}

export function copyConfState(confState: ConfState): ConfState {
  return { voters: confState.voters.slice(), learners: confState.learners.slice() };
}

function copySnapshot(snapshot: StoredSnapshot): StoredSnapshot {
  const metadata = snapshot.metadata;
  return { metadata: { index: metadata.index, term: metadata.term, confState: copyConfState(metadata.confState) }, data: snapshot.data.slice() };
}
