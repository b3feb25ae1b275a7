/**
 * A sorted set: members (byte strings) with a double score each, ordered by score and,
 * among equal scores, by member bytewise (latin1 strings compare bytewise with `<`).
 * This is the value of the `zset` kind, and what Redis' sorted-set commands work on.
 *
 * Two representations, as Redis has its listpack and skiplist encodings:
 * - compact, while the set holds at most COMPACT_ENTRIES_MAX members of at most
 *   COMPACT_MEMBER_BYTES_MAX bytes (Redis 7.0's zset-max-listpack-entries and -value):
 *   two arrays in ascending order, members and their scores. A member is found by a
 *   linear scan (at most 128 string comparisons), a score bound or rank by binary search;
 *   an insert or removal moves at most 128 slots. It costs two array slots per element
 *   where the skip list costs a node with two level arrays and a Map entry (about 40 bytes
 *   per element instead of 250: docs/benchmarks.md);
 * - large: a SkipList (skip_list.ts) with its member → score Map.
 * A set switches to the large representation when an add makes it outgrow the compact one,
 * and never back, as Redis never converts back: the representation then matches what
 * OBJECT ENCODING answers (commands/encoding.ts), which follows the same thresholds. A
 * set built from scratch (a checkpoint load, a clone of a compact set) starts compact.
 *
 * Scores are never NaN (the commands refuse it before it gets here) and -0 is stored as
 * 0 (see `add`).
 */
import { assert } from "../lib/assert.js";
import type { ByteString } from "./bytes.js";
import { compareElements, SkipList, type ScoredMember } from "./skip_list.js";

export { compareElements, type ScoredMember } from "./skip_list.js";

/** Redis 7.0's zset-max-listpack-entries: more members than this take the skip list. */
export const COMPACT_ENTRIES_MAX = 128;
/** Redis 7.0's zset-max-listpack-value: a longer member takes the skip list. */
export const COMPACT_MEMBER_BYTES_MAX = 64;

export class SortedSet {
  // Exactly one representation is in use: `members` and `memberScores` (compact, ascending,
  // same length) or `large`. node:assert's deepEqual compares two sets by these fields.
  private members: ByteString[] | null = [];
  private memberScores: number[] | null = [];
  private large: SkipList | null = null;

  get size(): number {
    return this.members !== null ? this.members.length : this.large!.size;
  }

  /** True while the set is in its compact representation (Redis' listpack). */
  get isCompact(): boolean {
    return this.members !== null;
  }

  /** The member's score, or undefined when it is not a member. */
  score(member: ByteString): number | undefined {
    if (this.members === null) return this.large!.score(member);
    const at = this.members.indexOf(member);
    return at < 0 ? undefined : this.memberScores![at];
  }

  has(member: ByteString): boolean {
    return this.members !== null ? this.members.includes(member) : this.large!.has(member);
  }

  /**
   * Adds `member` with `score`, or moves it to `score`; true when it was not a member.
   * -0 is stored as 0: Redis 7.0 answers "0" for a -0 score in every set of up to 128
   * members (its compact encoding drops the sign), and walnut keeps one rule for every size.
   */
  add(member: ByteString, score: number): boolean {
    assert(!Number.isNaN(score), "a sorted set score is never NaN");
    const members = this.members;
    if (members === null) return this.large!.add(member, score);
    const scores = this.memberScores!;
    const stored = score === 0 ? 0 : score;
    const current = members.indexOf(member);
    if (current >= 0) {
      if (scores[current] === stored) return false;
      members.splice(current, 1);
      scores.splice(current, 1);
    }
    const at = this.countCompactBefore(stored, member);
    if (at === members.length) {
      members.push(member);
      scores.push(stored);
    } else {
      members.splice(at, 0, member);
      scores.splice(at, 0, stored);
    }
    if (members.length > COMPACT_ENTRIES_MAX || member.length > COMPACT_MEMBER_BYTES_MAX) this.becomeLarge();
    return current < 0;
  }

  /** Removes `member`; true when it was a member. */
  delete(member: ByteString): boolean {
    if (this.members === null) return this.large!.delete(member);
    const at = this.members.indexOf(member);
    if (at < 0) return false;
    this.members.splice(at, 1);
    this.memberScores!.splice(at, 1);
    return true;
  }

  /** The 0-based rank of `member` in ascending order, or undefined when it is not a member. */
  rank(member: ByteString): number | undefined {
    if (this.members === null) return this.large!.rank(member);
    const at = this.members.indexOf(member);
    return at < 0 ? undefined : at;
  }

  /** The element at 0-based ascending rank `rank`, or undefined outside 0..size-1. */
  at(rank: number): ScoredMember | undefined {
    if (this.members === null) return this.large!.at(rank);
    if (!Number.isInteger(rank) || rank < 0 || rank >= this.members.length) return undefined;
    return [this.members[rank]!, this.memberScores![rank]!];
  }

  /**
   * How many elements, from the lowest, satisfy `below` — a test that holds for a prefix
   * of the order and fails for the rest (e.g. "score < 5"). O(log n): it is how ranks and
   * the ends of score and lex ranges are found.
   */
  countWhile(below: (member: ByteString, score: number) => boolean): number {
    const members = this.members;
    if (members === null) return this.large!.countWhile(below);
    const scores = this.memberScores!;
    let low = 0;
    let high = members.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (below(members[middle]!, scores[middle]!)) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /**
   * Up to `count` elements starting at ascending rank `start`, going up (or down, with
   * `reverse`, from `start` towards rank 0). O(log n + count).
   */
  slice(start: number, count: number, options: { reverse?: boolean } = {}): ScoredMember[] {
    const members = this.members;
    if (members === null) return this.large!.slice(start, count, options);
    const found: ScoredMember[] = [];
    if (!Number.isInteger(start) || start < 0 || start >= members.length) return found;
    const scores = this.memberScores!;
    const step = options.reverse ? -1 : 1;
    for (let at = start; at >= 0 && at < members.length && found.length < count; at += step) {
      found.push([members[at]!, scores[at]!]);
    }
    return found;
  }

  /** Every element in ascending order. */
  *entries(): IterableIterator<ScoredMember> {
    if (this.members === null) {
      yield* this.large!.entries();
      return;
    }
    // Read by index each step, so that a set changed during the walk behaves as the
    // skip list does (the walk goes on from the same position), never throwing.
    for (let at = 0; at < this.members.length; at++) yield [this.members[at]!, this.memberScores![at]!];
  }

  /** The highest element, or undefined when empty. */
  last(): ScoredMember | undefined {
    if (this.members === null) return this.large!.last();
    const at = this.members.length - 1;
    return at < 0 ? undefined : [this.members[at]!, this.memberScores![at]!];
  }

  /** A copy that shares nothing mutable with this set (copy-on-write for checkpoints and batches). O(n). */
  clone(): SortedSet {
    const copy = new SortedSet();
    if (this.members === null) {
      copy.members = null;
      copy.memberScores = null;
      copy.large = this.large!.clone();
    } else {
      copy.members = this.members.slice();
      copy.memberScores = this.memberScores!.slice();
    }
    return copy;
  }

  /** Where (score, member) goes in the compact arrays: how many elements come before it. */
  private countCompactBefore(score: number, member: ByteString): number {
    const members = this.members!;
    const scores = this.memberScores!;
    let low = 0;
    let high = members.length;
    // Elements arrive in ascending order when a set is loaded or built from a range: try the end first.
    if (high > 0 && compareElements(scores[high - 1]!, members[high - 1]!, score, member) < 0) return high;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareElements(scores[middle]!, members[middle]!, score, member) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Moves the elements into a skip list, for good. */
  private becomeLarge(): void {
    const members = this.members!;
    const scores = this.memberScores!;
    const ascending = function* (): IterableIterator<ScoredMember> {
      for (let at = 0; at < members.length; at++) yield [members[at]!, scores[at]!];
    };
    this.large = SkipList.fromAscending(ascending(), members.length);
    this.members = null;
    this.memberScores = null;
  }
}
