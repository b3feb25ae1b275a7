/**
 * A hash's fields and values (byte strings), in insertion order: the value of the `hash`
 * kind. It offers the part of Map's API the commands use (get, set, has, delete, size,
 * keys, values, entries, iteration), over two representations, as Redis has its listpack
 * and hashtable encodings:
 * - compact, while the hash holds at most COMPACT_ENTRIES_MAX fields with every field and
 *   value at most COMPACT_VALUE_BYTES_MAX bytes (Redis 7.0's compiled defaults for
 *   hash-max-listpack-entries and -value, which OBJECT ENCODING answers from:
 *   commands/encoding.ts): one byte string packing field, value, field, value... each
 *   framed by its length as a list's elements are (list_packed.ts). A field is found by a
 *   walk comparing lengths and then bytes in place (startsWith at an offset), as Redis
 *   walks its listpack; a change builds a new string (O(bytes), at most 512 × 2 × 66).
 *   A field and its value cost their bytes and 4 bytes of framing instead of two strings
 *   (24 bytes each and more) and a Map entry. The string is immutable: clone() shares it;
 * - large: a Map.
 * A hash takes the Map when a set makes it outgrow the compact form, and never goes back,
 * as Redis never converts back. A hash built from scratch (a checkpoint load) starts
 * compact. Both keep insertion order (a field set again keeps its place), so which one a
 * hash is in never shows in a reply.
 *
 * A value read from a compact hash of 13 bytes or more is a view of the packed string
 * (V8's sliced strings): fine for replies; what keeps one for long (the Map a hash
 * becomes) takes a copy of its own (detachedElement).
 */
import type { ByteString } from "./bytes.js";
import { detachedElement, flattened, frame, frameEndAt, frameEndMatching, pack, spanAt, type PackedSpan } from "./list_packed.js";

/** Redis 7.0's compiled hash-max-listpack-entries: more fields than this take the Map. */
export const COMPACT_ENTRIES_MAX = 512;
/** Redis 7.0's hash-max-listpack-value: a longer field or value takes the Map. */
export const COMPACT_VALUE_BYTES_MAX = 64;

/** Where a field and its value sit in the packed string. */
interface PackedPair {
  readonly field: PackedSpan;
  readonly value: PackedSpan;
}

/** The field `field` in `packed`, or undefined (the walk allocates nothing until it finds it). */
function findPair(packed: string, field: ByteString): PackedPair | undefined {
  let at = 0;
  while (at < packed.length) {
    const fieldEnd = frameEndMatching(packed, at, field);
    if (fieldEnd < 0) {
      const fieldSpan = spanAt(packed, at);
      return { field: fieldSpan, value: spanAt(packed, fieldSpan.frameEnd) };
    }
    at = frameEndAt(packed, fieldEnd);
  }
  return undefined;
}

export class HashFields implements Iterable<[ByteString, ByteString]> {
  // Exactly one representation is in use: `packed` (compact; `count` fields) or `large`.
  // node:assert's deepEqual compares two hashes by these fields.
  private packed: string | null = "";
  private count = 0;
  private large: Map<ByteString, ByteString> | null = null;

  /** A hash of `entries` (a field given twice keeps its first place and its last value). */
  constructor(entries: Iterable<readonly [ByteString, ByteString]> = []) {
    for (const [field, value] of entries) this.set(field, value);
  }

  /**
   * A hash of a Map's fields, in its order, without the per-field walk `set` does (a
   * checkpoint load reads the fields into a Map first, which finds a repeated field in O(1)).
   */
  static fromMap(entries: ReadonlyMap<ByteString, ByteString>): HashFields {
    const built = new HashFields();
    let fits = entries.size <= COMPACT_ENTRIES_MAX;
    if (fits) {
      for (const [field, value] of entries) {
        if (field.length > COMPACT_VALUE_BYTES_MAX || value.length > COMPACT_VALUE_BYTES_MAX) {
          fits = false;
          break;
        }
      }
    }
    if (fits) {
      const parts: ByteString[] = [];
      for (const [field, value] of entries) parts.push(field, value);
      built.packed = pack(parts);
      built.count = entries.size;
    } else {
      built.packed = null;
      built.large = new Map(entries);
    }
    return built;
  }

  get size(): number {
    return this.packed !== null ? this.count : this.large!.size;
  }

  /** True while the hash is in its compact representation (Redis' listpack). */
  get isCompact(): boolean {
    return this.packed !== null;
  }

  /** Bytes of the packed string while compact (fields, values and framing); 0 when large. */
  get packedBytes(): number {
    return this.packed?.length ?? 0;
  }

  get(field: ByteString): ByteString | undefined {
    const packed = this.packed;
    if (packed === null) return this.large!.get(field);
    const pair = findPair(packed, field);
    return pair === undefined ? undefined : packed.slice(pair.value.start, pair.value.end);
  }

  has(field: ByteString): boolean {
    const packed = this.packed;
    return packed !== null ? findPair(packed, field) !== undefined : this.large!.has(field);
  }

  /** Sets `field` to `value`: a new field goes last, an existing one keeps its place. */
  set(field: ByteString, value: ByteString): this {
    const packed = this.packed;
    if (packed !== null) {
      const pair = findPair(packed, field);
      if (pair !== undefined && value.length <= COMPACT_VALUE_BYTES_MAX) {
        this.packed = flattened(packed.slice(0, pair.value.frameStart) + frame(value) + packed.slice(pair.value.frameEnd));
        return this;
      }
      const fits = pair === undefined && this.count < COMPACT_ENTRIES_MAX && field.length <= COMPACT_VALUE_BYTES_MAX && value.length <= COMPACT_VALUE_BYTES_MAX;
      if (fits) {
        this.packed = flattened(packed + frame(field) + frame(value));
        this.count += 1;
        return this;
      }
      // Checked before packing: a frame holds at most PACKED_ELEMENT_BYTES_MAX bytes.
      this.becomeLarge();
    }
    this.large!.set(field, value);
    return this;
  }

  /** Removes `field`; true when it was there. */
  delete(field: ByteString): boolean {
    const packed = this.packed;
    if (packed === null) return this.large!.delete(field);
    const pair = findPair(packed, field);
    if (pair === undefined) return false;
    this.packed = flattened(packed.slice(0, pair.field.frameStart) + packed.slice(pair.value.frameEnd));
    this.count -= 1;
    return true;
  }

  *keys(): IterableIterator<ByteString> {
    if (this.packed === null) yield* this.large!.keys();
    else for (const [field] of this.entries()) yield field;
  }

  *values(): IterableIterator<ByteString> {
    if (this.packed === null) yield* this.large!.values();
    else for (const [, value] of this.entries()) yield value;
  }

  /**
   * Every [field, value] in insertion order. A compact hash's walk goes over the packed
   * string as it was when the walk began (a change makes a new string), so a hash changed
   * during its walk is walked as it was.
   */
  *entries(): IterableIterator<[ByteString, ByteString]> {
    const packed = this.packed;
    if (packed === null) {
      yield* this.large!.entries();
      return;
    }
    let at = 0;
    while (at < packed.length) {
      const fieldSpan = spanAt(packed, at);
      const valueSpan = spanAt(packed, fieldSpan.frameEnd);
      yield [packed.slice(fieldSpan.start, fieldSpan.end), packed.slice(valueSpan.start, valueSpan.end)];
      at = valueSpan.frameEnd;
    }
  }

  [Symbol.iterator](): IterableIterator<[ByteString, ByteString]> {
    return this.entries();
  }

  /** A copy that shares nothing mutable with this hash (copy-on-write for checkpoints and batches): O(1) compact, O(n) large. */
  clone(): HashFields {
    const copy = new HashFields();
    if (this.packed === null) {
      copy.packed = null;
      copy.large = new Map(this.large!);
    } else {
      copy.packed = this.packed;
      copy.count = this.count;
    }
    return copy;
  }

  /** Moves the fields into a Map, for good, each field and value a string of its own. */
  private becomeLarge(): void {
    const packed = this.packed!;
    const large = new Map<ByteString, ByteString>();
    let at = 0;
    while (at < packed.length) {
      const fieldSpan = spanAt(packed, at);
      const valueSpan = spanAt(packed, fieldSpan.frameEnd);
      large.set(detachedElement(packed, fieldSpan), detachedElement(packed, valueSpan));
      at = valueSpan.frameEnd;
    }
    this.large = large;
    this.packed = null;
    this.count = 0;
  }
}
