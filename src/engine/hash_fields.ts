/**
 * A hash's fields and values (byte strings), in insertion order: the value of the `hash`
 * kind. It offers the part of Map's API the commands use (get, set, has, delete, size,
 * keys, values, entries, iteration), over two representations, as Redis has its listpack
 * and hashtable encodings:
 * - compact, while the hash holds at most COMPACT_ENTRIES_MAX fields with every field and
 *   value at most COMPACT_VALUE_BYTES_MAX bytes (Redis 7.0's compiled defaults for
 *   hash-max-listpack-entries and -value, which OBJECT ENCODING answers from:
 *   commands/encoding.ts): two arrays, fields and their values at the same positions.
 *   A field is found by a linear scan (Array.indexOf), as Redis walks its listpack; a
 *   field costs two array slots instead of a Map entry and its share of the Map's table;
 * - large: a Map.
 * A hash takes the Map when a set makes it outgrow the compact form, and never goes back,
 * as Redis never converts back. A hash built from scratch (a checkpoint load) starts
 * compact. Both keep insertion order (a field set again keeps its place), so which one a
 * hash is in never shows in a reply.
 */
import type { ByteString } from "./bytes.js";

/** Redis 7.0's compiled hash-max-listpack-entries: more fields than this take the Map. */
export const COMPACT_ENTRIES_MAX = 512;
/** Redis 7.0's hash-max-listpack-value: a longer field or value takes the Map. */
export const COMPACT_VALUE_BYTES_MAX = 64;

export class HashFields implements Iterable<[ByteString, ByteString]> {
  // Exactly one representation is in use: `fieldList` and `valueList` (compact, same
  // length) or `large`. node:assert's deepEqual compares two hashes by these fields.
  private fieldList: ByteString[] | null = [];
  private valueList: ByteString[] | null = [];
  private large: Map<ByteString, ByteString> | null = null;

  /** A hash of `entries` (a field given twice keeps its first place and its last value). */
  constructor(entries: Iterable<readonly [ByteString, ByteString]> = []) {
    for (const [field, value] of entries) this.set(field, value);
  }

  /**
   * A hash of a Map's fields, in its order, without the per-field scan `set` does (a
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
      built.fieldList = [...entries.keys()];
      built.valueList = [...entries.values()];
    } else {
      built.fieldList = null;
      built.valueList = null;
      built.large = new Map(entries);
    }
    return built;
  }

  get size(): number {
    return this.fieldList !== null ? this.fieldList.length : this.large!.size;
  }

  /** True while the hash is in its compact representation (Redis' listpack). */
  get isCompact(): boolean {
    return this.fieldList !== null;
  }

  get(field: ByteString): ByteString | undefined {
    if (this.fieldList === null) return this.large!.get(field);
    const at = this.fieldList.indexOf(field);
    return at < 0 ? undefined : this.valueList![at];
  }

  has(field: ByteString): boolean {
    return this.fieldList !== null ? this.fieldList.includes(field) : this.large!.has(field);
  }

  /** Sets `field` to `value`: a new field goes last, an existing one keeps its place. */
  set(field: ByteString, value: ByteString): this {
    const fields = this.fieldList;
    if (fields === null) {
      this.large!.set(field, value);
      return this;
    }
    const at = fields.indexOf(field);
    if (at >= 0) this.valueList![at] = value;
    else {
      fields.push(field);
      this.valueList!.push(value);
    }
    if (fields.length > COMPACT_ENTRIES_MAX || field.length > COMPACT_VALUE_BYTES_MAX || value.length > COMPACT_VALUE_BYTES_MAX) {
      this.becomeLarge();
    }
    return this;
  }

  /** Removes `field`; true when it was there. */
  delete(field: ByteString): boolean {
    if (this.fieldList === null) return this.large!.delete(field);
    const at = this.fieldList.indexOf(field);
    if (at < 0) return false;
    this.fieldList.splice(at, 1);
    this.valueList!.splice(at, 1);
    return true;
  }

  *keys(): IterableIterator<ByteString> {
    if (this.fieldList === null) yield* this.large!.keys();
    else for (let at = 0; at < this.fieldList.length; at++) yield this.fieldList[at]!;
  }

  *values(): IterableIterator<ByteString> {
    if (this.fieldList === null) yield* this.large!.values();
    else for (let at = 0; at < this.valueList!.length; at++) yield this.valueList![at]!;
  }

  /**
   * Every [field, value] in insertion order. A compact hash's walk reads by position each
   * step, so a field deleted during a walk shifts the rest (a Map's walk would not skip
   * one): the commands finish a walk before they change the hash they walk.
   */
  *entries(): IterableIterator<[ByteString, ByteString]> {
    if (this.fieldList === null) yield* this.large!.entries();
    else for (let at = 0; at < this.fieldList.length; at++) yield [this.fieldList[at]!, this.valueList![at]!];
  }

  [Symbol.iterator](): IterableIterator<[ByteString, ByteString]> {
    return this.entries();
  }

  /** A copy that shares nothing mutable with this hash (copy-on-write for checkpoints and batches). O(n). */
  clone(): HashFields {
    const copy = new HashFields();
    if (this.fieldList === null) {
      copy.fieldList = null;
      copy.valueList = null;
      copy.large = new Map(this.large!);
    } else {
      copy.fieldList = this.fieldList.slice();
      copy.valueList = this.valueList!.slice();
    }
    return copy;
  }

  /** Moves the fields into a Map, for good. */
  private becomeLarge(): void {
    const fields = this.fieldList!;
    const values = this.valueList!;
    const large = new Map<ByteString, ByteString>();
    for (let at = 0; at < fields.length; at++) large.set(fields[at]!, values[at]!);
    this.large = large;
    this.fieldList = null;
    this.valueList = null;
  }
}
