/**
 * A sorted set: members (byte strings) with a double score each, ordered by score and,
 * among equal scores, by member bytewise (latin1 strings compare bytewise with `<`).
 * This is the value of the `zset` kind, and what Redis' sorted-set commands work on.
 *
 * Two representations, as Redis has its listpack and skiplist encodings:
 * - compact, while the set holds at most COMPACT_ENTRIES_MAX members of at most
 *   COMPACT_MEMBER_BYTES_MAX bytes (Redis 7.0's zset-max-listpack-entries and -value):
 *   one byte string packing members and scores in ascending order (sorted_set_packed.ts).
 *   Every operation walks it from the lowest element (at most 128), comparing members in
 *   place; a change builds a new string (at most 128 × 75 bytes). An 8-byte member costs
 *   18 bytes where the skip list costs a node with two level arrays and a Map entry (250:
 *   docs/benchmarks.md). The string is immutable: clone() shares it;
 * - large: a SkipList (skip_list.ts) with its member → score Map.
 * A set switches to the large representation when an add makes it outgrow the compact one,
 * and never back, as Redis never converts back: the representation then matches what
 * OBJECT ENCODING answers (commands/encoding.ts), which follows the same thresholds. A
 * set built from scratch (a checkpoint load, a clone of a compact set) starts compact.
 * A member read from a compact set of 13 bytes or more is a view of the packed string
 * (V8's sliced strings): the skip list a set becomes takes copies of its own.
 *
 * Scores are never NaN (the commands refuse it before it gets here) and -0 is stored as
 * 0 (see `add`).
 */
import { assert } from "../lib/assert.js";
import type { ByteString } from "./bytes.js";
import { detachedElement, flattened, frameEndAt, spanAt } from "./list_packed.js";
import { compareElements, SkipList, type ScoredMember } from "./skip_list.js";
import { elementAt, findMember, memberOf, packedElement, SCORE_BYTES, scoreAt, type ElementSpan } from "./sorted_set_packed.js";

export { compareElements, type ScoredMember } from "./skip_list.js";

/** Redis 7.0's zset-max-listpack-entries: more members than this take the skip list. */
export const COMPACT_ENTRIES_MAX = 128;
/** Redis 7.0's zset-max-listpack-value: a longer member takes the skip list. */
export const COMPACT_MEMBER_BYTES_MAX = 64;

export class SortedSet {
  // Exactly one representation is in use: `packed` (compact; `count` elements) or `large`.
  // node:assert's deepEqual compares two sets by these fields.
  private packed: string | null = "";
  private count = 0;
  private large: SkipList | null = null;

  get size(): number {
    return this.packed !== null ? this.count : this.large!.size;
  }

  /** True while the set is in its compact representation (Redis' listpack). */
  get isCompact(): boolean {
    return this.packed !== null;
  }

  /** Bytes of the packed string while compact (members, framing and scores); 0 when large. */
  get packedBytes(): number {
    return this.packed?.length ?? 0;
  }

  /** The member's score, or undefined when it is not a member. */
  score(member: ByteString): number | undefined {
    if (this.packed === null) return this.large!.score(member);
    return findMember(this.packed, member)?.element.score;
  }

  has(member: ByteString): boolean {
    return this.packed !== null ? findMember(this.packed, member) !== undefined : this.large!.has(member);
  }

  /**
   * Adds `member` with `score`, or moves it to `score`; true when it was not a member.
   * -0 is stored as 0: Redis 7.0 answers "0" for a -0 score in every set of up to 128
   * members (its compact encoding drops the sign), and walnut keeps one rule for every size.
   */
  add(member: ByteString, score: number): boolean {
    assert(!Number.isNaN(score), "a sorted set score is never NaN");
    const packed = this.packed;
    if (packed === null) return this.large!.add(member, score);
    const stored = score === 0 ? 0 : score;
    const current = findMember(packed, member);
    if (current === undefined && (this.count >= COMPACT_ENTRIES_MAX || member.length > COMPACT_MEMBER_BYTES_MAX)) {
      // Checked before packing: the set outgrows the compact form.
      this.becomeLarge();
      return this.large!.add(member, score);
    }
    if (current === undefined) {
      const at = insertionPoint(packed, stored, member, -1);
      this.packed = flattened(packed.slice(0, at) + packedElement(member, stored) + packed.slice(at));
      this.count += 1;
      return true;
    }
    if (current.element.score === stored) return false;
    // One new string: the element leaves [from, to) and goes in at `at`, outside that span.
    const from = current.element.member.frameStart;
    const to = current.element.end;
    const at = insertionPoint(packed, stored, member, from);
    const moved = packedElement(member, stored);
    this.packed = flattened(
      at <= from
        ? packed.slice(0, at) + moved + packed.slice(at, from) + packed.slice(to)
        : packed.slice(0, from) + packed.slice(to, at) + moved + packed.slice(at),
    );
    return false;
  }

  /** Removes `member`; true when it was a member. */
  delete(member: ByteString): boolean {
    const packed = this.packed;
    if (packed === null) return this.large!.delete(member);
    const found = findMember(packed, member);
    if (found === undefined) return false;
    this.packed = flattened(packed.slice(0, found.element.member.frameStart) + packed.slice(found.element.end));
    this.count -= 1;
    return true;
  }

  /** The 0-based rank of `member` in ascending order, or undefined when it is not a member. */
  rank(member: ByteString): number | undefined {
    if (this.packed === null) return this.large!.rank(member);
    return findMember(this.packed, member)?.rank;
  }

  /** The element at 0-based ascending rank `rank`, or undefined outside 0..size-1. */
  at(rank: number): ScoredMember | undefined {
    const packed = this.packed;
    if (packed === null) return this.large!.at(rank);
    if (!Number.isInteger(rank) || rank < 0 || rank >= this.count) return undefined;
    let at = 0;
    for (let step = 0; step < rank; step++) at = frameEndAt(packed, at) + SCORE_BYTES;
    const element = elementAt(packed, at);
    return [memberOf(packed, element), element.score];
  }

  /**
   * How many elements, from the lowest, satisfy `below` — a test that holds for a prefix
   * of the order and fails for the rest (e.g. "score < 5"). O(log n) on the skip list, a
   * walk on the compact form: it is how ranks and the ends of score and lex ranges are found.
   */
  countWhile(below: (member: ByteString, score: number) => boolean): number {
    const packed = this.packed;
    if (packed === null) return this.large!.countWhile(below);
    let counted = 0;
    for (let at = 0; at < packed.length; counted++) {
      const span = spanAt(packed, at);
      if (!below(packed.slice(span.start, span.end), scoreAt(packed, span.frameEnd))) break;
      at = span.frameEnd + SCORE_BYTES;
    }
    return counted;
  }

  /**
   * Up to `count` elements starting at ascending rank `start`, going up (or down, with
   * `reverse`, from `start` towards rank 0). O(log n + count) on the skip list.
   */
  slice(start: number, count: number, options: { reverse?: boolean } = {}): ScoredMember[] {
    const packed = this.packed;
    if (packed === null) return this.large!.slice(start, count, options);
    if (!Number.isInteger(start) || start < 0 || start >= this.count || count <= 0) return [];
    if (options.reverse) {
      const first = Math.max(0, start - count + 1);
      return this.compactRange(first, start + 1).reverse();
    }
    return this.compactRange(start, Math.min(this.count, start + count));
  }

  /** Every element in ascending order (a compact set is walked as it was when the walk began). */
  *entries(): IterableIterator<ScoredMember> {
    const packed = this.packed;
    if (packed === null) {
      yield* this.large!.entries();
      return;
    }
    for (let at = 0; at < packed.length; ) {
      const element = elementAt(packed, at);
      yield [memberOf(packed, element), element.score];
      at = element.end;
    }
  }

  /** The highest element, or undefined when empty. */
  last(): ScoredMember | undefined {
    if (this.packed === null) return this.large!.last();
    return this.count === 0 ? undefined : this.at(this.count - 1);
  }

  /** A copy that shares nothing mutable with this set (copy-on-write for checkpoints and batches): O(1) compact, O(n) large. */
  clone(): SortedSet {
    const copy = new SortedSet();
    if (this.packed === null) {
      copy.packed = null;
      copy.large = this.large!.clone();
    } else {
      copy.packed = this.packed;
      copy.count = this.count;
    }
    return copy;
  }

  /** The compact elements with ranks [first, end), ascending. */
  private compactRange(first: number, end: number): ScoredMember[] {
    const packed = this.packed!;
    const found: ScoredMember[] = [];
    let rank = 0;
    for (let at = 0; at < packed.length && rank < end; rank++) {
      if (rank < first) {
        at = frameEndAt(packed, at) + SCORE_BYTES;
        continue;
      }
      const element = elementAt(packed, at);
      found.push([memberOf(packed, element), element.score]);
      at = element.end;
    }
    return found;
  }

  /** Moves the elements into a skip list, for good, each member a string of its own. */
  private becomeLarge(): void {
    const packed = this.packed!;
    const ascending = function* (): IterableIterator<ScoredMember> {
      for (let at = 0; at < packed.length; ) {
        const element: ElementSpan = elementAt(packed, at);
        yield [detachedElement(packed, element.member), element.score];
        at = element.end;
      }
    };
    this.large = SkipList.fromAscending(ascending(), this.count);
    this.packed = null;
    this.count = 0;
  }
}

/**
 * Where (score, member) goes in `packed`: the offset of the first element above it,
 * passing over the element at `skipped` (the member's old place; -1 for none). Members are
 * read only on equal scores.
 */
function insertionPoint(packed: string, score: number, member: ByteString, skipped: number): number {
  for (let at = 0; at < packed.length; ) {
    const frameEnd = frameEndAt(packed, at);
    if (at === skipped) {
      at = frameEnd + SCORE_BYTES;
      continue;
    }
    const elementScore = scoreAt(packed, frameEnd);
    if (elementScore > score) return at;
    if (elementScore === score) {
      const span = spanAt(packed, at);
      if (compareElements(elementScore, packed.slice(span.start, span.end), score, member) > 0) return at;
    }
    at = frameEnd + SCORE_BYTES;
  }
  return packed.length;
}
