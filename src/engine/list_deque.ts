/**
 * The value of a `list` item: a double-ended queue of byte strings, head first. It offers
 * what the list commands need — push and pop at both ends, read or replace by index,
 * slices, iteration — over two representations, as Redis 7.2 keeps a small list in one
 * listpack and a large one in a quicklist:
 * - compact (list_packed.ts), while the elements with their framing fit PACKED_BYTES_MAX
 *   bytes (Redis' list-max-listpack-size -2: 8 KB per node): one byte string holding every
 *   element. A change builds a new string, O(bytes) and so bounded by 8 KB; an index is
 *   found by hopping frames from the nearer end. About 10 bytes per 8-byte element;
 * - large (list_chunks.ts, as Redis' quicklist): a ring buffer of packed 8 KB nodes,
 *   the compact string becoming its first node. A push or pop changes one end node;
 *   an index walks node counts from the nearer end.
 * A list turns large when a push or a set makes it outgrow the compact form, and never
 * goes back by itself; a list built from scratch (ListDeque.from: a checkpoint load, the
 * result of LREM, LTRIM, LINSERT, SORT STORE) starts compact when it fits. Which one a list
 * is in never shows in a reply: OBJECT ENCODING answers Redis 7.0's "quicklist" for both
 * (commands/encoding.ts).
 *
 * Copy-on-write: a compact list's string is immutable, so clone() shares it (O(1)); a
 * large list's clone copies its node rings, sharing the node strings (O(nodes)).
 */
import type { ByteString } from "./bytes.js";
import { assert } from "../lib/assert.js";
import { detachedElement, flattened, frame, pack, packedSize, spanAt, spanBefore, spanOf, unpack } from "./list_packed.js";
import { ChunkedList } from "./list_chunks.js";

/** The most bytes (elements and their framing) a compact list holds: Redis' 8 KB listpack node. */
export const PACKED_BYTES_MAX = 8192;

export type ListEnd = "head" | "tail";

export class ListDeque implements Iterable<ByteString> {
  // Exactly one representation is in use: `packed` (compact; `count` elements) or `ring`.
  private packed: string | null = "";
  private count = 0;
  private ring: ChunkedList | null = null;

  /** An empty list. `capacity` is how many elements the caller expects (a hint the packed forms have no use for). */
  constructor(capacity = 0) {
    assert(capacity >= 0, "a list's expected capacity is not negative");
  }

  /** A list holding `elements`, head first (the array is not kept). */
  static from(elements: Iterable<ByteString>): ListDeque {
    const array = Array.isArray(elements) ? (elements as ByteString[]) : [...elements];
    const list = new ListDeque();
    let bytes = 0;
    for (let at = 0; at < array.length && bytes <= PACKED_BYTES_MAX; at++) bytes += packedSize(array[at]!);
    if (bytes <= PACKED_BYTES_MAX) {
      list.packed = pack(array);
      list.count = array.length;
    } else {
      list.packed = null;
      list.ring = ChunkedList.from(array);
    }
    return list;
  }

  get length(): number {
    return this.packed !== null ? this.count : this.ring!.length;
  }

  /** True while the list is in its compact representation (one packed string). */
  get isCompact(): boolean {
    return this.packed !== null;
  }

  /** Bytes of the packed string while compact (elements and framing); 0 when large. */
  get packedBytes(): number {
    return this.packed?.length ?? 0;
  }

  /** The element at `index` (0 = head, no negative indexes), or undefined outside the list. */
  at(index: number): ByteString | undefined {
    const packed = this.packed;
    if (packed === null) return this.ring!.at(index);
    if (index < 0 || index >= this.count || !Number.isInteger(index)) return undefined;
    const span = spanOf(packed, this.count, index);
    return packed.slice(span.start, span.end);
  }

  /** Replaces the element at `index`, which must be inside the list. */
  set(index: number, element: ByteString): void {
    const packed = this.packed;
    if (packed === null) return this.ring!.set(index, element);
    assert(Number.isInteger(index) && index >= 0 && index < this.count, `list index ${index} outside 0..${this.count - 1}`);
    const span = spanOf(packed, this.count, index);
    if (packed.length - (span.frameEnd - span.frameStart) + packedSize(element) > PACKED_BYTES_MAX) {
      this.becomeLarge();
      this.ring!.set(index, element);
      return;
    }
    this.packed = flattened(packed.slice(0, span.frameStart) + frame(element) + packed.slice(span.frameEnd));
  }

  pushHead(element: ByteString): void {
    this.push("head", [element]);
  }

  pushTail(element: ByteString): void {
    this.push("tail", [element]);
  }

  /**
   * Pushes `elements` in turn at `end`: at the head each becomes the new head (LPUSH a b c
   * leaves c first), at the tail each goes last. One new packed string for all of them.
   */
  push(end: ListEnd, elements: readonly ByteString[]): void {
    const packed = this.packed;
    if (packed !== null) {
      let bytes = packed.length;
      for (let at = 0; at < elements.length && bytes <= PACKED_BYTES_MAX; at++) bytes += packedSize(elements[at]!);
      if (bytes <= PACKED_BYTES_MAX) {
        let piece = "";
        if (end === "tail") for (let at = 0; at < elements.length; at++) piece += frame(elements[at]!);
        else for (let at = elements.length - 1; at >= 0; at--) piece += frame(elements[at]!);
        this.packed = flattened(end === "tail" ? packed + piece : piece + packed);
        this.count += elements.length;
        return;
      }
      this.becomeLarge();
    }
    this.ring!.push(end, elements);
  }

  /** Removes and returns the head element; undefined when empty. */
  popHead(): ByteString | undefined {
    const packed = this.packed;
    if (packed === null) return this.ring!.pop("head");
    if (this.count === 0) return undefined;
    const span = spanAt(packed, 0);
    this.count -= 1;
    this.packed = this.count === 0 ? "" : packed.slice(span.frameEnd);
    return detachedElement(packed, span);
  }

  /** Removes and returns the tail element; undefined when empty. */
  popTail(): ByteString | undefined {
    const packed = this.packed;
    if (packed === null) return this.ring!.pop("tail");
    if (this.count === 0) return undefined;
    const span = spanBefore(packed, packed.length);
    this.count -= 1;
    this.packed = this.count === 0 ? "" : packed.slice(0, span.frameStart);
    return detachedElement(packed, span);
  }

  /** The elements at indexes [first, end), head first, as an array (clamped to the list). */
  slice(first = 0, end = this.length): ByteString[] {
    const packed = this.packed;
    if (packed === null) return this.ring!.slice(first, end);
    const from = Math.max(0, first);
    const to = Math.min(this.count, end);
    return unpack(packed, this.count, { first: from, end: to, detached: false });
  }

  toArray(): ByteString[] {
    return this.slice(0, this.length);
  }

  /** A copy that shares nothing mutable with this list (copy-on-write for checkpoints and batches). */
  clone(): ListDeque {
    const copy = new ListDeque();
    if (this.packed !== null) {
      copy.packed = this.packed;
      copy.count = this.count;
    } else {
      copy.packed = null;
      copy.ring = this.ring!.clone();
    }
    return copy;
  }

  *[Symbol.iterator](): IterableIterator<ByteString> {
    const packed = this.packed;
    if (packed === null) {
      yield* this.ring!;
      return;
    }
    let frameStart = 0;
    for (let at = 0; at < this.count; at++) {
      const span = spanAt(packed, frameStart);
      yield packed.slice(span.start, span.end);
      frameStart = span.frameEnd;
    }
  }

  /** Makes the packed string the first node of a chunked list, for good (nothing is copied). */
  private becomeLarge(): void {
    this.ring = ChunkedList.fromPacked(this.packed!, this.count);
    this.packed = null;
    this.count = 0;
  }
}
