/**
 * Which membership is in effect on this node. Changes take effect as soon as their entry
 * is in the log, committed or not (Raft thesis §4.1): the membership is the snapshot's,
 * with every confChange entry of the log folded in. When a suffix of the log is
 * overwritten, the membership is recomputed, so a change that never committed is undone.
 */
import { copyConfState, foldConfChanges, isLearner, isVoter } from "./conf_change.js";
import type { RaftLog } from "./log.js";
import type { ConfState, Entry, NodeId, SnapshotMetadata } from "./types.js";

export class Membership {
  /** As of the log's snapshot. */
  private base: ConfState;
  /** In effect now: the base with the log's changes folded in. */
  current: ConfState;
  /** The index of the newest confChange entry in the log; 0 when there is none. */
  lastChangeIndex: number;

  constructor(base: ConfState, entries: readonly Entry[]) {
    this.base = copyConfState(base);
    this.current = foldConfChanges(this.base, entries);
    this.lastChangeIndex = lastConfChangeIndex(entries);
  }

  isVoter(id: NodeId): boolean {
    return isVoter(this.current, id);
  }

  isLearner(id: NodeId): boolean {
    return isLearner(this.current, id);
  }

  /**
   * The log gained `added` and, when `truncatedFrom` is not 0, lost its entries from that
   * index on first. Returns true when the membership was recomputed.
   */
  onLogChanged(log: RaftLog, options: { truncatedFrom: number; added: readonly Entry[] }): boolean {
    if (options.truncatedFrom === 0 && lastConfChangeIndex(options.added) === 0) return false;
    const entries = log.entriesAfter(log.snapshot.index);
    this.current = foldConfChanges(this.base, entries);
    this.lastChangeIndex = lastConfChangeIndex(entries);
    return true;
  }

  /** The membership as of `index` (an index the log still holds, or its snapshot's). */
  at(log: RaftLog, index: number): ConfState {
    return foldConfChanges(this.base, log.slice(log.firstIndex(), index + 1));
  }

  /** The log now starts after `index`: the membership there becomes the base. */
  compactTo(log: RaftLog, index: number): ConfState {
    this.base = this.at(log, index);
    return copyConfState(this.base);
  }

  /** The log was replaced by `snapshot`. */
  restore(snapshot: SnapshotMetadata): void {
    this.base = copyConfState(snapshot.confState);
    this.current = copyConfState(snapshot.confState);
    this.lastChangeIndex = 0;
  }
}

export function lastConfChangeIndex(entries: readonly Entry[]): number {
  for (let position = entries.length - 1; position >= 0; position -= 1) {
    const entry = entries[position] as Entry;
    if (entry.type === "confChange") return entry.index;
  }
  return 0;
}
