/**
 * SCAN cursor [MATCH pattern] [COUNT n] [TYPE kind], with Redis' guarantee: a full
 * iteration (from cursor 0 until the answer's cursor is 0 again) returns every key that
 * was present the whole time at least once; keys added or removed meanwhile may or may
 * not appear, and a key may appear twice.
 *
 * Cursors are numbers, as in Redis, but they name server-side state: a table (one per
 * engine, bounded by SCAN_CURSORS_MAX, least recently used evicted) of where each
 * iteration stands. This is read-path state: it is not replicated and not checkpointed.
 * - hash collection: a live Map iterator, which visits keys added after it was made and
 *   skips keys deleted before it reaches them, so a key present throughout is visited
 *   exactly once;
 * - ordered collection: the last key returned; the next call resumes after it.
 * A cursor the table does not know (evicted, from another collection, from before a
 * restart or a failover) starts a new full iteration, the way Redis accepts any cursor:
 * the client still ends with every key, it may see some twice.
 *
 * TYPE keeps keys of one of Redis' types (string, list, hash, set, zset): walnut's integer,
 * float, boolean, blob and hyperloglog kinds are strings, as TYPE answers.
 *
 * COUNT bounds the keys examined per call (expired and unmatched keys included), as in
 * Redis; the default is 10.
 */
import type { ByteString } from "../engine/bytes.js";
import type { Collection, ViewEntry } from "../engine/collection.js";
import type { Engine } from "../engine/engine.js";
import { redisTypeName } from "../engine/values.js";
import { limits } from "../lib/limits.js";
import { isErrorReply, NOT_AN_INTEGER, SYNTAX_ERROR } from "./access.js";
import { defineCommand } from "./define.js";
import { compileGlob, type Glob } from "./glob.js";
import { parseInteger } from "./numbers.js";
import { array, bulk, error, type Reply } from "../engine/reply.js";
import type { CommandContext, CommandSpec } from "./spec.js";

/** Iterations one engine keeps open at once; the least recently used is forgotten. */
export const SCAN_CURSORS_MAX = 1024;
const SCAN_COUNT_DEFAULT = 10;
const UINT64_MAX = 2n ** 64n - 1n;

type Position = { type: "iterator"; entries: Iterator<ViewEntry> } | { type: "after"; key: ByteString | null };

interface Iteration {
  collection: Collection;
  position: Position;
}

/** The open iterations of one engine, by cursor number. */
class CursorTable {
  private readonly iterations = new Map<number, Iteration>();
  private lastCursor = 0;

  /** The iteration `cursor` continues in `collection`, or a new one when unknown. */
  resume(cursor: number, collection: Collection): { cursor: number; iteration: Iteration } {
    const known = this.iterations.get(cursor);
    if (known !== undefined && known.collection === collection) {
      this.iterations.delete(cursor); // re-inserted by keep(): most recently used last
      return { cursor, iteration: known };
    }
    const position: Position =
      collection.type === "hash" ? { type: "iterator", entries: collection.entries() } : { type: "after", key: null };
    return { cursor: this.nextCursor(), iteration: { collection, position } };
  }

  keep(cursor: number, iteration: Iteration): void {
    this.iterations.set(cursor, iteration);
    if (this.iterations.size > SCAN_CURSORS_MAX) this.iterations.delete(this.iterations.keys().next().value as number);
  }

  private nextCursor(): number {
    this.lastCursor = this.lastCursor >= Number.MAX_SAFE_INTEGER ? 1 : this.lastCursor + 1;
    return this.lastCursor;
  }
}

const cursorTables = new WeakMap<Engine, CursorTable>();

function cursorTable(engine: Engine): CursorTable {
  let table = cursorTables.get(engine);
  if (table === undefined) {
    table = new CursorTable();
    cursorTables.set(engine, table);
  }
  return table;
}

interface ScanOptions {
  match: Glob | null;
  count: number;
  /** Redis' type name to keep (lower case), compared with redisTypeName: "string" keeps integers too. */
  type: string | null;
}

function parseScanOptions(args: ByteString[]): ScanOptions | Reply {
  const options: ScanOptions = { match: null, count: SCAN_COUNT_DEFAULT, type: null };
  for (let at = 0; at < args.length; at += 2) {
    const word = args[at].toUpperCase();
    const value = args[at + 1];
    if (value === undefined) return SYNTAX_ERROR;
    if (word === "MATCH") options.match = compileGlob(value);
    else if (word === "COUNT") {
      const count = parseInteger(value);
      if (count === null) return NOT_AN_INTEGER;
      if (count < 1n) return SYNTAX_ERROR;
      options.count = Number(count < BigInt(limits.scanCountMax) ? count : BigInt(limits.scanCountMax));
    } else if (word === "TYPE") {
      // Redis 7.0 compares without case and accepts any name: an unknown one matches no key.
      options.type = value.toLowerCase();
    } else return SYNTAX_ERROR;
  }
  return options;
}

/** Up to `count` entries from where the iteration stands; fewer means it is finished. */
function takeEntries(iteration: Iteration, count: number): ViewEntry[] {
  const position = iteration.position;
  if (position.type === "iterator") {
    const taken: ViewEntry[] = [];
    while (taken.length < count) {
      const step = position.entries.next();
      if (step.done) break;
      taken.push(step.value);
    }
    return taken;
  }
  // range() includes its start: ask for one more and drop the key already returned.
  const taken = iteration.collection.range?.(position.key ?? "", keyAboveAll(), count + 1) ?? [];
  if (position.key !== null && taken[0]?.[0] === position.key) taken.shift();
  if (taken.length > count) taken.length = count;
  const last = taken.at(-1);
  if (last !== undefined) position.key = last[0];
  return taken;
}

let aboveAllKeys: ByteString | null = null;

/** A byte string greater than every key a collection can hold (keys are bounded). */
function keyAboveAll(): ByteString {
  aboveAllKeys ??= "\xff".repeat(limits.keyBytesMax + 1);
  return aboveAllKeys;
}

/**
 * A cursor as Redis 7.0 reads one (strtoul, the whole text): an optional sign, digits
 * within 64 bits, "-n" wrapping to 2^64 - n, and the empty text as 0; null when invalid.
 */
function parseCursor(text: ByteString): bigint | null {
  if (text === "") return 0n;
  const match = /^([+-]?)([0-9]+)$/.exec(text);
  if (match === null) return null;
  const magnitude = BigInt(match[2]!);
  if (magnitude > UINT64_MAX) return null;
  return match[1] === "-" && magnitude !== 0n ? UINT64_MAX + 1n - magnitude : magnitude;
}

function scan(ctx: CommandContext, [cursorText, ...optionArgs]: ByteString[]): Reply {
  const cursorNumber = parseCursor(cursorText);
  if (cursorNumber === null) return error("ERR", "invalid cursor");
  const options = parseScanOptions(optionArgs);
  if (isErrorReply(options)) return options;
  const table = cursorTable(ctx.engine);
  const { cursor, iteration } = table.resume(Number(cursorNumber), ctx.collection);
  const entries = takeEntries(iteration, options.count);
  const found: Reply[] = [];
  for (const [key, item] of entries) {
    if (item.isExpiredAt(ctx.nowMs)) continue;
    if (options.type !== null && redisTypeName(item.kind) !== options.type) continue;
    if (options.match !== null && !options.match.matches(key)) continue;
    found.push(bulk(key));
  }
  const finished = entries.length < options.count;
  if (!finished) table.keep(cursor, iteration);
  return array([bulk(finished ? "0" : String(cursor)), array(found)]);
}

export const scanCommands: CommandSpec[] = [
  defineCommand({
    name: "SCAN",
    arity: -2,
    flags: ["readonly"],
    firstKey: 0,
    summary: "Iterate the collection's keys: SCAN cursor [MATCH pattern] [COUNT n] [TYPE type] (Redis' types: string, list, hash, set, zset)",
    run: scan,
  }),
];
