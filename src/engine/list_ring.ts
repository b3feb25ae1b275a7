/**
 * A double-ended queue held in a ring buffer, head first: the nodes of a large list and
 * their counts (list_chunks.ts). Pushing or popping at either end is O(1) (amortized: the
 * buffer doubles when full and halves when a quarter full), and reading or replacing the
 * element at an index is O(1).
 *
 * Layout: `slots` has a power-of-two capacity; the element at index i (0 = head) sits in
 * slots[(head + i) & mask]. Slots outside [head, head + length) hold undefined, so that a
 * popped element can be collected.
 *
 * Example: capacity 4, head 3, length 3 holding [a, b, c] is slots [b, c, _, a]:
 * pushHead(z) writes slot 2 and moves head to 2; popTail() clears slot 1.
 */
import { assert } from "../lib/assert.js";

const CAPACITY_MIN = 4;

function capacityFor(length: number): number {
  let capacity = CAPACITY_MIN;
  while (capacity < length) capacity *= 2;
  return capacity;
}

export class RingList<T> implements Iterable<T> {
  private slots: Array<T | undefined>;
  private head = 0;
  private count = 0;

  /** An empty list, with room for `capacity` elements before it grows. */
  constructor(capacity = CAPACITY_MIN) {
    this.slots = new Array<T | undefined>(capacityFor(capacity));
  }

  /** A list holding `elements`, head first (the array is copied). */
  static from<T>(elements: Iterable<T>): RingList<T> {
    const array = Array.isArray(elements) ? (elements as T[]) : [...elements];
    const list = new RingList<T>(array.length);
    for (let i = 0; i < array.length; i++) list.slots[i] = array[i];
    list.count = array.length;
    return list;
  }

  get length(): number {
    return this.count;
  }

  /** The element at `index` (0 = head, no negative indexes), or undefined outside the list. */
  at(index: number): T | undefined {
    if (index < 0 || index >= this.count || !Number.isInteger(index)) return undefined;
    return this.slots[(this.head + index) & (this.slots.length - 1)];
  }

  /** Replaces the element at `index`, which must be inside the list. */
  set(index: number, element: T): void {
    assert(Number.isInteger(index) && index >= 0 && index < this.count, `list index ${index} outside 0..${this.count - 1}`);
    this.slots[(this.head + index) & (this.slots.length - 1)] = element;
  }

  pushHead(element: T): void {
    if (this.count === this.slots.length) this.resize(this.slots.length * 2);
    this.head = (this.head - 1) & (this.slots.length - 1);
    this.slots[this.head] = element;
    this.count += 1;
  }

  pushTail(element: T): void {
    if (this.count === this.slots.length) this.resize(this.slots.length * 2);
    this.slots[(this.head + this.count) & (this.slots.length - 1)] = element;
    this.count += 1;
  }

  /** Removes and returns the head element; undefined when empty. */
  popHead(): T | undefined {
    if (this.count === 0) return undefined;
    const element = this.slots[this.head];
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) & (this.slots.length - 1);
    this.count -= 1;
    this.shrinkIfSparse();
    return element;
  }

  /** Removes and returns the tail element; undefined when empty. */
  popTail(): T | undefined {
    if (this.count === 0) return undefined;
    const at = (this.head + this.count - 1) & (this.slots.length - 1);
    const element = this.slots[at];
    this.slots[at] = undefined;
    this.count -= 1;
    this.shrinkIfSparse();
    return element;
  }

  /** The elements at indexes [first, end), head first, as an array (clamped to the list). */
  slice(first = 0, end = this.count): T[] {
    const from = Math.max(0, first);
    const to = Math.min(this.count, end);
    const out: T[] = [];
    const mask = this.slots.length - 1;
    for (let i = from; i < to; i++) out.push(this.slots[(this.head + i) & mask] as T);
    return out;
  }

  toArray(): T[] {
    return this.slice(0, this.count);
  }

  /** A copy that shares no storage with this list. */
  clone(): RingList<T> {
    return RingList.from(this.toArray());
  }

  *[Symbol.iterator](): IterableIterator<T> {
    const mask = this.slots.length - 1;
    for (let i = 0; i < this.count; i++) yield this.slots[(this.head + i) & mask] as T;
  }

  /** Moves the elements into a buffer of `capacity` slots, the head at slot 0. */
  private resize(capacity: number): void {
    assert(capacity >= this.count && (capacity & (capacity - 1)) === 0, `list capacity ${capacity} for ${this.count} elements`);
    const slots = new Array<T | undefined>(capacity);
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
