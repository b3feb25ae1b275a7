/**
 * A sorted set's large representation (Redis' "skiplist" encoding): what SortedSet
 * (sorted_set.ts) switches to once it outgrows its compact arrays. Members (byte strings)
 * with a double score each, ordered by score and, among equal scores, by member bytewise
 * (latin1 strings compare bytewise with `<`).
 *
 * Two structures hold the same elements:
 * - `scores`, a Map member → score: O(1) ZSCORE and membership;
 * - a skip list whose forward links carry spans (how many elements each link jumps
 *   over), so that finding an element, its rank, the element at a rank, and the first
 *   element past a score or lex bound are all O(log n) expected; a range is then walked
 *   along the bottom level (forward) or the `previous` links (backward).
 *
 * A node's level comes from a keyed hash of its member, not from a random draw: the
 * list's shape is then a function of its elements alone (two sets with the same elements
 * are deepEqual however they were built), and apply() stays free of randomness. The key
 * is drawn once per process, so nobody can choose members that all land on level 1 and
 * turn the list into a linked list. The level changes only performance, never an answer.
 *
 * Scores are never NaN (the commands refuse it before it gets here) and -0 is stored as
 * 0 (see `add`).
 */
import { assert } from "../lib/assert.js";
import type { ByteString } from "./bytes.js";

/** Levels a node may have: 1 + the 16 bit pairs of a 32-bit hash (4^16 elements at p = 1/4). */
const LEVEL_MAX = 17;
/** A node reaches the next level with probability 1 / LEVEL_FANOUT. */
const LEVEL_FANOUT = 4;
/**
 * The per-process key of the level hash. Replicas draw different keys and so build
 * differently shaped lists, which no reply can tell apart.
 */
const LEVEL_HASH_KEY = globalThis.crypto.getRandomValues(new Uint32Array(1))[0]!;

/** A node's level: 1 + the number of trailing zero bit pairs of a keyed hash of the member (p = 1/4 per level). */
function levelOf(member: ByteString): number {
  // FNV-1a over the bytes, then murmur3's finalizer to spread the low bits.
  let hash = (0x811c9dc5 ^ LEVEL_HASH_KEY) >>> 0;
  for (let i = 0; i < member.length; i++) hash = Math.imul(hash ^ member.charCodeAt(i), 0x01000193);
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  let level = 1;
  while (level < LEVEL_MAX && (hash & (LEVEL_FANOUT - 1)) === 0) {
    level += 1;
    hash >>>= 2;
  }
  return level;
}

/** One element in the skip list, or the header (member "", never compared). */
class SkipNode {
  readonly member: ByteString;
  readonly score: number;
  /** next[i]: the following node on level i, or null at the end. */
  readonly next: Array<SkipNode | null>;
  /** span[i]: how many bottom-level steps next[i] jumps (to the end when next[i] is null). */
  readonly span: number[];
  previous: SkipNode | null = null;

  constructor(member: ByteString, score: number, level: number) {
    this.member = member;
    this.score = score;
    this.next = new Array<SkipNode | null>(level).fill(null);
    this.span = new Array<number>(level).fill(0);
  }
}

/** An element as ranges return it. */
export type ScoredMember = readonly [member: ByteString, score: number];

/** Orders (score, member) pairs as a sorted set does: by score, then bytewise by member. */
export function compareElements(scoreA: number, memberA: ByteString, scoreB: number, memberB: ByteString): number {
  if (scoreA !== scoreB) return scoreA < scoreB ? -1 : 1;
  return memberA === memberB ? 0 : memberA < memberB ? -1 : 1;
}

/**
 * Scratch arrays for link/unlink (the nodes to update on each level, and their ranks):
 * allocated once, since a sorted set is only ever changed by one call at a time.
 */
const scratchUpdate = new Array<SkipNode | null>(LEVEL_MAX).fill(null);
const scratchRank = new Array<number>(LEVEL_MAX).fill(0);

/** True when `node` comes before the element (score, member). */
function isBefore(node: SkipNode, score: number, member: ByteString): boolean {
  return node.score < score || (node.score === score && node.member < member);
}

export class SkipList {
  // The skip list lives in #private fields: node:assert's deepEqual then compares two
  // sets by `scores` alone (the whole content), never walking the doubly linked nodes.
  private readonly scores = new Map<ByteString, number>();
  readonly #header = new SkipNode("", 0, LEVEL_MAX);
  #tail: SkipNode | null = null;
  /** Levels in use (at least 1); the header's spans above it are 0. */
  #level = 1;

  get size(): number {
    return this.scores.size;
  }

  /** The member's score, or undefined when it is not a member. */
  score(member: ByteString): number | undefined {
    return this.scores.get(member);
  }

  has(member: ByteString): boolean {
    return this.scores.has(member);
  }

  /**
   * Adds `member` with `score`, or moves it to `score`; true when it was not a member.
   * -0 is stored as 0 (see SortedSet.add).
   */
  add(member: ByteString, score: number): boolean {
    assert(!Number.isNaN(score), "a sorted set score is never NaN");
    const stored = score === 0 ? 0 : score;
    const current = this.scores.get(member);
    if (current === stored) return false;
    if (current !== undefined) this.unlink(member, current);
    this.scores.set(member, stored);
    this.link(member, stored);
    return current === undefined;
  }

  /** Removes `member`; true when it was a member. */
  delete(member: ByteString): boolean {
    const current = this.scores.get(member);
    if (current === undefined) return false;
    this.scores.delete(member);
    this.unlink(member, current);
    return true;
  }

  /** The 0-based rank of `member` in ascending order, or undefined when it is not a member. */
  rank(member: ByteString): number | undefined {
    const score = this.scores.get(member);
    if (score === undefined) return undefined;
    return this.countNodesWhile((node) => compareElements(node.score, node.member, score, member) < 0);
  }

  /** The element at 0-based ascending rank `rank`, or undefined outside 0..size-1. */
  at(rank: number): ScoredMember | undefined {
    const node = this.nodeAt(rank);
    return node === null ? undefined : [node.member, node.score];
  }

  /**
   * How many elements, from the lowest, satisfy `below` — a test that holds for a prefix
   * of the order and fails for the rest (e.g. "score < 5"). O(log n): it is how ranks and
   * the ends of score and lex ranges are found.
   */
  countWhile(below: (member: ByteString, score: number) => boolean): number {
    return this.countNodesWhile((node) => below(node.member, node.score));
  }

  /**
   * Up to `count` elements starting at ascending rank `start`, going up (or down, with
   * `reverse`, from `start` towards rank 0). O(log n + count).
   */
  slice(start: number, count: number, options: { reverse?: boolean } = {}): ScoredMember[] {
    const found: ScoredMember[] = [];
    let node = this.nodeAt(start);
    while (node !== null && found.length < count) {
      found.push([node.member, node.score]);
      node = options.reverse ? node.previous : node.next[0]!;
    }
    return found;
  }

  /** Every element in ascending order. */
  *entries(): IterableIterator<ScoredMember> {
    for (let node = this.#header.next[0]!; node !== null; node = node.next[0]!) yield [node.member, node.score];
  }

  /** A copy that shares nothing mutable with this set (copy-on-write for checkpoints and batches). O(n). */
  clone(): SkipList {
    return SkipList.fromAscending(this.entries(), this.size);
  }

  /** A list of `count` distinct elements given in ascending order, built in one pass. O(n). */
  static fromAscending(elements: Iterable<ScoredMember>, count: number): SkipList {
    const built = new SkipList();
    built.appendAllInOrder(elements, count);
    return built;
  }

  /** Builds an empty set from ascending elements in one pass, linking each at the end of every level it reaches. */
  private appendAllInOrder(elements: Iterable<ScoredMember>, count: number): void {
    assert(this.size === 0, "appending in order starts from an empty set");
    const lastOnLevel: SkipNode[] = new Array<SkipNode>(LEVEL_MAX).fill(this.#header);
    const lastRankOnLevel: number[] = new Array<number>(LEVEL_MAX).fill(0);
    let rank = 0;
    let previous: SkipNode | null = null;
    for (const [member, score] of elements) {
      rank += 1;
      const level = levelOf(member);
      const node = new SkipNode(member, score, level);
      for (let i = 0; i < level; i++) {
        lastOnLevel[i]!.next[i] = node;
        lastOnLevel[i]!.span[i] = rank - lastRankOnLevel[i]!;
        lastOnLevel[i] = node;
        lastRankOnLevel[i] = rank;
      }
      if (level > this.#level) this.#level = level;
      node.previous = previous;
      previous = node;
      this.scores.set(member, score);
    }
    assert(rank === count, `appended ${rank} elements of ${count}`);
    for (let i = 0; i < this.#level; i++) lastOnLevel[i]!.span[i] = count - lastRankOnLevel[i]!;
    this.#tail = previous;
  }

  private countNodesWhile(below: (node: SkipNode) => boolean): number {
    let node = this.#header;
    let traversed = 0;
    for (let i = this.#level - 1; i >= 0; i--) {
      for (let next = node.next[i]!; next !== null && below(next); next = node.next[i]!) {
        traversed += node.span[i]!;
        node = next;
      }
    }
    return traversed;
  }

  private nodeAt(rank: number): SkipNode | null {
    if (!Number.isInteger(rank) || rank < 0 || rank >= this.size) return null;
    const target = rank + 1;
    let node = this.#header;
    let traversed = 0;
    for (let i = this.#level - 1; i >= 0; i--) {
      while (node.next[i] !== null && traversed + node.span[i]! <= target) {
        traversed += node.span[i]!;
        node = node.next[i]!;
      }
      if (traversed === target) return node;
    }
    assert(false, `rank ${rank} not found in a set of ${this.size}`);
  }

  /** Inserts a node for an element known to be absent from the list. */
  private link(member: ByteString, score: number): void {
    const update = scratchUpdate;
    const rankAt = scratchRank;
    let node = this.#header;
    for (let i = this.#level - 1; i >= 0; i--) {
      rankAt[i] = i === this.#level - 1 ? 0 : rankAt[i + 1]!;
      for (let next = node.next[i]!; next !== null && isBefore(next, score, member); next = node.next[i]!) {
        rankAt[i] += node.span[i]!;
        node = next;
      }
      update[i] = node;
    }
    const level = levelOf(member);
    if (level > this.#level) {
      for (let i = this.#level; i < level; i++) {
        rankAt[i] = 0;
        update[i] = this.#header;
        this.#header.span[i] = this.size - 1; // the Map already holds the new member
      }
      this.#level = level;
    }
    const created = new SkipNode(member, score, level);
    const rank = rankAt[0]!;
    for (let i = 0; i < level; i++) {
      const before = update[i]!;
      created.next[i] = before.next[i]!;
      before.next[i] = created;
      created.span[i] = before.span[i]! - (rank - rankAt[i]!);
      before.span[i] = rank - rankAt[i]! + 1;
    }
    for (let i = level; i < this.#level; i++) update[i]!.span[i] += 1;
    created.previous = update[0] === this.#header ? null : update[0]!;
    const after = created.next[0]!;
    if (after !== null) after.previous = created;
    else this.#tail = created;
  }

  /** Removes the node of an element known to be in the list. */
  private unlink(member: ByteString, score: number): void {
    const update = scratchUpdate;
    let node = this.#header;
    for (let i = this.#level - 1; i >= 0; i--) {
      for (let next = node.next[i]!; next !== null && isBefore(next, score, member); next = node.next[i]!) {
        node = next;
      }
      update[i] = node;
    }
    const removed = node.next[0]!;
    assert(removed !== null && removed.member === member && removed.score === score, `unlinking absent member ${member}`);
    for (let i = 0; i < this.#level; i++) {
      const before = update[i]!;
      if (before.next[i] === removed) {
        before.span[i] += removed.span[i]! - 1;
        before.next[i] = removed.next[i]!;
      } else before.span[i] -= 1;
    }
    const after = removed.next[0]!;
    if (after !== null) after.previous = removed.previous;
    else this.#tail = removed.previous;
    while (this.#level > 1 && this.#header.next[this.#level - 1] === null) {
      this.#header.span[this.#level - 1] = 0;
      this.#level -= 1;
    }
  }

  /** The highest element, or undefined when empty. */
  last(): ScoredMember | undefined {
    return this.#tail === null ? undefined : [this.#tail.member, this.#tail.score];
  }
}
