/**
 * A large list's representation (list_deque.ts), as Redis' quicklist: a ring buffer
 * (list_ring.ts) of nodes, each one packed string of elements (list_packed.ts) of at most
 * NODE_BYTES_MAX bytes, head first. An element too long for a node of its own size is a
 * plain node: the element as it is (Redis' plain quicklist nodes), its count noted as
 * PLAIN_NODE.
 *
 * Cost: a push or pop at either end changes one end node (O(its bytes), at most 8 KB)
 * and adds or removes a node now and then (O(1) amortized); an index is found by walking
 * node counts from the nearer end (O(nodes), about a thousandth of the elements for
 * 8-byte ones) and then inside the node; clone() copies the node rings, not the bytes
 * (nodes are immutable strings).
 *
 * LSET may grow a node past NODE_BYTES_MAX (up to one frame more); an element longer than
 * a frame can hold set into a packed node rebuilds the list, O(n).
 */
import type { ByteString } from "./bytes.js";
import { assert } from "../lib/assert.js";
import { RingList } from "./list_ring.js";
import { detachedElement, flattened, frame, packedSize, PACKED_ELEMENT_BYTES_MAX, spanAt, spanBefore, spanOf, unpack } from "./list_packed.js";

/** Bytes a packed node grows to before a push starts a new one: Redis' 8 KB. */
export const NODE_BYTES_MAX = 8192;
/** The count of a plain node: one element held as it is. */
const PLAIN_NODE = -1;

function elementsIn(count: number): number {
  return count === PLAIN_NODE ? 1 : count;
}

export type ChunkEnd = "head" | "tail";

export class ChunkedList implements Iterable<ByteString> {
  private nodes: RingList<string>;
  /** Elements in each node, at the same positions as `nodes` (PLAIN_NODE for a plain one). */
  private counts: RingList<number>;
  private total = 0;

  private constructor(nodes: RingList<string>, counts: RingList<number>, total: number) {
    this.nodes = nodes;
    this.counts = counts;
    this.total = total;
  }

  /** A list whose first node is an already packed string of `count` elements. */
  static fromPacked(packed: string, count: number): ChunkedList {
    const list = new ChunkedList(new RingList<string>(), new RingList<number>(), 0);
    if (count > 0) {
      list.nodes.pushTail(packed);
      list.counts.pushTail(count);
      list.total = count;
    }
    return list;
  }

  static from(elements: readonly ByteString[]): ChunkedList {
    const list = ChunkedList.fromPacked("", 0);
    for (let at = 0; at < elements.length; ) {
      const element = elements[at]!;
      if (packedSize(element) > NODE_BYTES_MAX) {
        list.addNode("tail", element, PLAIN_NODE);
        at += 1;
        continue;
      }
      // Gather a node's worth of elements, then pack them at once.
      let node = "";
      let count = 0;
      while (at < elements.length && packedSize(elements[at]!) <= NODE_BYTES_MAX && node.length + packedSize(elements[at]!) <= NODE_BYTES_MAX) {
        node += frame(elements[at]!);
        count += 1;
        at += 1;
      }
      list.addNode("tail", flattened(node), count);
    }
    return list;
  }

  get length(): number {
    return this.total;
  }

  /** The element at `index` (0 = head), or undefined outside the list. */
  at(index: number): ByteString | undefined {
    if (index < 0 || index >= this.total || !Number.isInteger(index)) return undefined;
    const { node, offset } = this.locate(index);
    const packed = this.nodes.at(node)!;
    const count = this.counts.at(node)!;
    if (count === PLAIN_NODE) return packed;
    const span = spanOf(packed, count, offset);
    return packed.slice(span.start, span.end);
  }

  /** Replaces the element at `index`, which must be inside the list. */
  set(index: number, element: ByteString): void {
    assert(Number.isInteger(index) && index >= 0 && index < this.total, `list index ${index} outside 0..${this.total - 1}`);
    const { node, offset } = this.locate(index);
    const packed = this.nodes.at(node)!;
    const count = this.counts.at(node)!;
    if (count === PLAIN_NODE || count === 1) {
      const plain = packedSize(element) > NODE_BYTES_MAX;
      this.nodes.set(node, plain ? element : frame(element));
      this.counts.set(node, plain ? PLAIN_NODE : 1);
      return;
    }
    if (element.length > PACKED_ELEMENT_BYTES_MAX) {
      const elements = this.toArray();
      elements[index] = element;
      const rebuilt = ChunkedList.from(elements);
      this.nodes = rebuilt.nodes;
      this.counts = rebuilt.counts;
      return;
    }
    const span = spanOf(packed, count, offset);
    this.nodes.set(node, flattened(packed.slice(0, span.frameStart) + frame(element) + packed.slice(span.frameEnd)));
  }

  /** Pushes `elements` in turn at `end` (at the head each becomes the new head). */
  push(end: ChunkEnd, elements: readonly ByteString[]): void {
    for (const element of elements) this.pushOne(end, element);
  }

  /** Removes and returns the element at `end`; undefined when empty. */
  pop(end: ChunkEnd): ByteString | undefined {
    if (this.total === 0) return undefined;
    const node = end === "head" ? 0 : this.nodes.length - 1;
    const packed = this.nodes.at(node)!;
    const count = this.counts.at(node)!;
    this.total -= 1;
    if (count === PLAIN_NODE || count === 1) {
      this.removeNode(end);
      if (count === PLAIN_NODE) return packed;
      const only = spanAt(packed, 0);
      return detachedElement(packed, only);
    }
    const span = end === "head" ? spanAt(packed, 0) : spanBefore(packed, packed.length);
    this.nodes.set(node, end === "head" ? packed.slice(span.frameEnd) : packed.slice(0, span.frameStart));
    this.counts.set(node, count - 1);
    return detachedElement(packed, span);
  }

  /** The elements at indexes [first, end), head first (clamped to the list). */
  slice(first = 0, end = this.total): ByteString[] {
    const from = Math.max(0, first);
    const to = Math.min(this.total, end);
    const out: ByteString[] = [];
    if (from >= to) return out;
    let { node, offset } = this.locate(from);
    while (out.length < to - from) {
      const packed = this.nodes.at(node)!;
      const count = this.counts.at(node)!;
      if (count === PLAIN_NODE) out.push(packed);
      else {
        const take = Math.min(count - offset, to - from - out.length);
        for (const element of unpack(packed, count, { first: offset, end: offset + take, detached: false })) out.push(element);
      }
      node += 1;
      offset = 0;
    }
    return out;
  }

  toArray(): ByteString[] {
    return this.slice(0, this.total);
  }

  /** A copy sharing only the immutable node strings. */
  clone(): ChunkedList {
    return new ChunkedList(this.nodes.clone(), this.counts.clone(), this.total);
  }

  *[Symbol.iterator](): IterableIterator<ByteString> {
    for (let node = 0; node < this.nodes.length; node++) {
      const packed = this.nodes.at(node)!;
      const count = this.counts.at(node)!;
      if (count === PLAIN_NODE) {
        yield packed;
        continue;
      }
      let frameStart = 0;
      for (let at = 0; at < count; at++) {
        const span = spanAt(packed, frameStart);
        yield packed.slice(span.start, span.end);
        frameStart = span.frameEnd;
      }
    }
  }

  private pushOne(end: ChunkEnd, element: ByteString): void {
    const size = packedSize(element);
    this.total += 1;
    if (size > NODE_BYTES_MAX) {
      this.addNode(end, element, PLAIN_NODE, false);
      return;
    }
    const node = end === "head" ? 0 : this.nodes.length - 1;
    const count = this.counts.at(node);
    const packed = this.nodes.at(node);
    if (count === undefined || packed === undefined || count === PLAIN_NODE || packed.length + size > NODE_BYTES_MAX) {
      this.addNode(end, frame(element), 1, false);
      return;
    }
    this.nodes.set(node, flattened(end === "head" ? frame(element) + packed : packed + frame(element)));
    this.counts.set(node, count + 1);
  }

  private addNode(end: ChunkEnd, packed: string, count: number, counted = true): void {
    if (end === "head") {
      this.nodes.pushHead(packed);
      this.counts.pushHead(count);
    } else {
      this.nodes.pushTail(packed);
      this.counts.pushTail(count);
    }
    if (counted) this.total += elementsIn(count);
  }

  private removeNode(end: ChunkEnd): void {
    if (end === "head") {
      this.nodes.popHead();
      this.counts.popHead();
    } else {
      this.nodes.popTail();
      this.counts.popTail();
    }
  }

  /** The node holding element `index` and the element's position in it, walking from the nearer end. */
  private locate(index: number): { node: number; offset: number } {
    if (index < this.total / 2) {
      let before = 0;
      for (let node = 0; ; node++) {
        const inNode = elementsIn(this.counts.at(node)!);
        if (index < before + inNode) return { node, offset: index - before };
        before += inNode;
      }
    }
    let after = this.total;
    for (let node = this.nodes.length - 1; ; node--) {
      const inNode = elementsIn(this.counts.at(node)!);
      after -= inNode;
      if (index >= after) return { node, offset: index - after };
    }
  }
}
