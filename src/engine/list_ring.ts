/**
 * A large list's representation (list_deque.ts): a double-ended queue of byte strings,
 * head first, held in a ring buffer. Pushing or popping at either end is O(1) (amortized: the buffer doubles when
 * full and halves when a quarter full), and reading or replacing the element at an index
 * is O(1), which is what LPUSH/LPOP, RPUSH/RPOP, LINDEX and LSET need. Inserting or
 * removing in the middle (LINSERT, LREM) rebuilds the list, O(n), as in Redis.
 *
 * Layout: `slots` has a power-of-two capacity; the element at index i (0 = head) sits in
 * slots[(head + i) & mask]. Slots outside [head, head + length) hold undefined, so that a
 * popped element's string can be collected.
 *
 * Example: capacity 4, head 3, length 3 holding [a, b, c] is slots [b, c, _, a]:
 * pushHead(z) writes slot 2 and moves head to 2; popTail() clears slot 1.
 */
import type { ByteString } from "./bytes.js";
import { assert } from "../lib/assert.js";

const CAPACITY_MIN = 4;

function capacityFor(length: number): number {
  let capacity = CAPACITY_MIN;
  while (capacity < length) capacity *= 2;
  return capacity;
}

export class RingList implements Iterable<ByteString> {
  private slots: Array<ByteString | undefined>;
  private head = 0;
  private count = 0;

  /** An empty list, with room for `capacity` elements before it grows. */
  constructor(capacity = CAPACITY_MIN) {
    this.slots = new Array<ByteString | undefined>(capacityFor(capacity));
  }

  /** A list holding `elements`, head first (the array is copied). */
  static from(elements: Iterable<ByteString>): RingList {
    const array = Array.isArray(elements) ? (elements as ByteString[]) : [...elements];
    const list = new RingList(array.length);
    for (let i = 0; i < array.length; i++) list.slots[i] = array[i];
    list.count = array.length;
    return list;
  }

  get length(): number {
    return this.count;
  }

  /** The element at `index` (0 = head, no negative indexes), or undefined outside the list. */
  at(index: number): ByteString | undefined {
    if (index < 0 || index >= this.count || !Number.isInteger(index)) return undefined;
    return this.slots[(this.head + index) & (this.slots.length - 1)];
  }

  /** Replaces the element at `index`, which must be inside the list. */
  set(index: number, element: ByteString): void {
    assert(Number.isInteger(index) && index >= 0 && index < this.count, `list index ${index} outside 0..${this.count - 1}`);
    this.slots[(this.head + index) & (this.slots.length - 1)] = element;
  }

  pushHead(element: ByteString): void {
    if (this.count === this.slots.length) this.resize(this.slots.length * 2);
    this.head = (this.head - 1) & (this.slots.length - 1);
    this.slots[this.head] = element;
    this.count += 1;
  }

  pushTail(element: ByteString): void {
    if (this.count === this.slots.length) this.resize(this.slots.length * 2);
    this.slots[(this.head + this.count) & (this.slots.length - 1)] = element;
    this.count += 1;
  }

  /** Removes and returns the head element; undefined when empty. */
  popHead(): ByteString | undefined {
    if (this.count === 0) return undefined;
    const element = this.slots[this.head];
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) & (this.slots.length - 1);
    this.count -= 1;
    this.shrinkIfSparse();
    return element;
  }

  /** Removes and returns the tail element; undefined when empty. */
  popTail(): ByteString | undefined {
    if (this.count === 0) return undefined;
    const at = (this.head + this.count - 1) & (this.slots.length - 1);
    const element = this.slots[at];
    this.slots[at] = undefined;
    this.count -= 1;
    this.shrinkIfSparse();
    return element;
  }

  /** The elements at indexes [first, end), head first, as an array (clamped to the list). */
  slice(first = 0, end = this.count): ByteString[] {
    const from = Math.max(0, first);
    const to = Math.min(this.count, end);
    const out: ByteString[] = [];
    const mask = this.slots.length - 1;
    for (let i = from; i < to; i++) out.push(this.slots[(this.head + i) & mask] as ByteString);
    return out;
  }

  toArray(): ByteString[] {
    return this.slice(0, this.count);
  }

  /** A copy that shares no storage with this list. */
  clone(): RingList {
    return RingList.from(this.toArray());
  }

  *[Symbol.iterator](): IterableIterator<ByteString> {
    const mask = this.slots.length - 1;
    for (let i = 0; i < this.count; i++) yield this.slots[(this.head + i) & mask] as ByteString;
  }

  /** Moves the elements into a buffer of `capacity` slots, the head at slot 0. */
  private resize(capacity: number): void {
    assert(capacity >= this.count && (capacity & (capacity - 1)) === 0, `list capacity ${capacity} for ${this.count} elements`);
    const slots = new Array<ByteString | undefined>(capacity);
    const mask = this.slots.length - 1;
    for (let i = 0; i < this.count; i++) slots[i] = this.slots[(this.head + i) & mask];
    this.slots = slots;
    this.head = 0;
  }

  /** Gives memory back once the list uses a quarter of its buffer (halving keeps pops O(1) amortized). */
  private shrinkIfSparse(): void {
    const capacity = this.slots.length;
    if (capacity > CAPACITY_MIN && this.count <= capacity / 4) this.resize(capacity / 2);
  }
}
