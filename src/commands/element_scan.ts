/**
 * HSCAN and SSCAN: key cursor [MATCH pattern] [COUNT n], with Redis' guarantees: a full
 * iteration (cursor 0 until the answer's cursor is 0 again) returns every element present
 * in the aggregate the whole time at least once; elements added or removed meanwhile may
 * or may not appear, and an element may appear twice.
 *
 * A small aggregate is answered whole in one call with cursor 0, as Redis answers its
 * listpack hashes and intset sets (the family decides what is small and in what order).
 * A larger one is walked with a cursor naming server-side state, as SCAN's does (scan.ts):
 * a table (per engine, at most ELEMENT_CURSORS_MAX, least recently used forgotten) of live
 * iterators over the aggregate's Map or Set. A live iterator visits elements added after
 * it was made and skips those deleted before it gets there, so an element present
 * throughout is returned exactly once. If a write replaced the aggregate's Map or Set
 * meanwhile (copy-on-write while a checkpoint reads it, or the key deleted and made
 * again), the iterator goes on over the old one, which still holds every element that was
 * present throughout. An unknown cursor (forgotten, from before a restart, from another
 * key) starts a new full iteration, as Redis accepts any cursor. This state is read-path
 * only: not replicated, not checkpointed.
 *
 * COUNT is how many elements one call looks at (default 10); MATCH filters what they
 * answer (a hash field's value goes with its field).
 */
import type { ByteString } from "../engine/bytes.js";
import type { Collection } from "../engine/collection.js";
import type { Engine } from "../engine/engine.js";
import { limits } from "../lib/limits.js";
import { isWord, NOT_AN_INTEGER, SYNTAX_ERROR } from "./access.js";
import { compileGlob, type Glob } from "./glob.js";
import { parseInteger } from "./numbers.js";
import { array, bulk, error, type Reply } from "../engine/reply.js";

/** Iterations one engine keeps open at once; the least recently used is forgotten. */
export const ELEMENT_CURSORS_MAX = 1024;
const COUNT_DEFAULT = 10;
const UINT64_LIMIT = 2n ** 64n;

export const INVALID_CURSOR: Reply = Object.freeze(error("ERR", "invalid cursor"));
/** What HSCAN/SSCAN of a missing key answer: cursor 0, nothing. */
export const EMPTY_SCAN: Reply = Object.freeze(array([bulk("0"), array([])]));

/** One element as a scan answers it: [member] for a set, [field, value] for a hash. */
export type ScannedElement = readonly [ByteString] | readonly [ByteString, ByteString];

interface Iteration {
  collection: Collection;
  key: ByteString;
  elements: Iterator<ScannedElement>;
  /** An element read ahead to learn whether the iteration is finished. */
  lookahead: IteratorResult<ScannedElement> | null;
}

class ElementCursorTable {
  private readonly iterations = new Map<bigint, Iteration>();
  private lastCursor = 0n;

  /** The iteration `cursor` continues, taken out of the table (keep() puts it back). */
  take(cursor: bigint, collection: Collection, key: ByteString): Iteration | undefined {
    const known = this.iterations.get(cursor);
    if (known === undefined || known.collection !== collection || known.key !== key) return undefined;
    this.iterations.delete(cursor);
    return known;
  }

  /** Keeps `iteration` under `cursor` (a new number when null); the cursor it is under. */
  keep(cursor: bigint | null, iteration: Iteration): bigint {
    let number = cursor;
    if (number === null) {
      this.lastCursor = this.lastCursor >= BigInt(Number.MAX_SAFE_INTEGER) ? 1n : this.lastCursor + 1n;
      number = this.lastCursor;
    }
    this.iterations.set(number, iteration);
    if (this.iterations.size > ELEMENT_CURSORS_MAX) this.iterations.delete(this.iterations.keys().next().value as bigint);
    return number;
  }
}

const cursorTables = new WeakMap<Engine, ElementCursorTable>();

function cursorTable(engine: Engine): ElementCursorTable {
  let table = cursorTables.get(engine);
  if (table === undefined) {
    table = new ElementCursorTable();
    cursorTables.set(engine, table);
  }
  return table;
}

/**
 * A cursor as Redis reads it (strtoul, base 10): optional sign, digits, no spaces; an empty
 * cursor is 0 and a negative one wraps around 2^64. null: Redis answers "invalid cursor".
 */
export function parseElementCursor(text: ByteString): bigint | null {
  if (text === "") return 0n;
  const parts = /^([+-]?)([0-9]+)$/.exec(text);
  if (parts === null) return null;
  const magnitude = BigInt(parts[2]!);
  if (magnitude >= UINT64_LIMIT) return null;
  return parts[1] === "-" && magnitude !== 0n ? UINT64_LIMIT - magnitude : magnitude;
}

export interface ElementScanOptions {
  match: Glob | null;
  count: number;
}

/** MATCH and COUNT (TYPE is SCAN's alone: a syntax error here, as in Redis). */
export function parseElementScanOptions(args: readonly ByteString[]): ElementScanOptions | Reply {
  const options: ElementScanOptions = { match: null, count: COUNT_DEFAULT };
  for (let at = 0; at < args.length; at += 2) {
    const word = args[at]!;
    const value = args[at + 1];
    if (value === undefined) return SYNTAX_ERROR;
    if (isWord(word, "COUNT")) {
      const count = parseInteger(value);
      if (count === null) return NOT_AN_INTEGER;
      if (count < 1n) return SYNTAX_ERROR;
      options.count = Number(count < BigInt(limits.scanCountMax) ? count : BigInt(limits.scanCountMax));
    } else if (isWord(word, "MATCH")) {
      options.match = value === "*" ? null : compileGlob(value);
    } else return SYNTAX_ERROR;
  }
  return options;
}

function scanReply(cursor: bigint, elements: readonly ScannedElement[], match: Glob | null): Reply {
  const found: Reply[] = [];
  for (const element of elements) {
    if (match !== null && !match.matches(element[0])) continue;
    for (const part of element) found.push(bulk(part));
  }
  return array([bulk(cursor.toString()), array(found)]);
}

/** A small aggregate's answer: everything, cursor 0. */
export function wholeScan(elements: Iterable<ScannedElement>, options: ElementScanOptions): Reply {
  return scanReply(0n, [...elements], options.match);
}

/**
 * One step of a cursor walk over `elements()` (called only to start a new iteration) of
 * the aggregate at `key`: up to COUNT elements and the cursor to go on with (0: done).
 */
export function cursorScan(
  engine: Engine,
  collection: Collection,
  key: ByteString,
  cursor: bigint,
  elements: () => Iterator<ScannedElement>,
  options: ElementScanOptions,
): Reply {
  const table = cursorTable(engine);
  const resumed = cursor === 0n ? undefined : table.take(cursor, collection, key);
  const iteration = resumed ?? { collection, key, elements: elements(), lookahead: null };
  const taken: ScannedElement[] = [];
  let finished = false;
  while (taken.length < options.count) {
    const step = iteration.lookahead ?? iteration.elements.next();
    iteration.lookahead = null;
    if (step.done === true) {
      finished = true;
      break;
    }
    taken.push(step.value);
  }
  if (!finished) {
    iteration.lookahead = iteration.elements.next();
    finished = iteration.lookahead.done === true;
  }
  const next = finished ? 0n : table.keep(resumed === undefined ? null : cursor, iteration);
  return scanReply(next, taken, options.match);
}
