/**
 * The set commands, as Redis 7.0 defines them: SADD SREM SMEMBERS SISMEMBER SMISMEMBER
 * SCARD SPOP SRANDMEMBER SMOVE SINTER SINTERCARD SINTERSTORE SUNION SUNIONSTORE SDIFF
 * SDIFFSTORE SSCAN.
 *
 * A set is an item of kind "set" whose value is a Set of members (byte strings).
 *
 * Order. Redis 7.0 keeps a set of at most 512 members that are all integers (as Redis
 * reads integers: "7", "-12", not "07" or "+7") as an intset, sorted by numeric value, and
 * answers in that order; any other set is a hash table and answers in no defined order.
 * walnut answers an intset-like set (INTSET_ENTRIES_MAX members or fewer, all integers) in
 * ascending numeric order too, so those replies match Redis byte for byte, and every other
 * set in insertion order (an order Redis could give too). SSCAN answers an intset-like set
 * whole with cursor 0, as Redis does, and walks any other set with a cursor
 * (element_scan.ts).
 *
 * A set never exists empty: the write that removes its last member deletes the key. Writes
 * change the Set they get from `itemForUpdate` (a private copy while a checkpoint view may
 * still read the original), stamp the item with the entry's index and put it back; an
 * existing set keeps its expiry. SINTERSTORE, SUNIONSTORE and SDIFFSTORE replace their
 * destination, whatever it held, with a set without expiry, as Redis does.
 *
 * Randomness. SPOP is a write and runs in apply() on every replica: it picks members with
 * a PRNG seeded from the entry's index, so every replica removes the same ones.
 * SRANDMEMBER only reads and uses Math.random.
 *
 * Cost: SADD, SREM, SISMEMBER, SCARD O(1) per member; SMEMBERS O(n) (plus a sort of at most
 * 512 integers); SPOP and SRANDMEMBER O(n) (a pick walks the Set to its position);
 * SINTER O(n × sets) over the smallest set, SUNION and SDIFF O(total members).
 */
import type { ByteString } from "../engine/bytes.js";
import { Item, NO_EXPIRY } from "../engine/values.js";
import { assert } from "../lib/assert.js";
import { Random } from "../lib/seeded_random.js";
import { aggregateForUpdate, isWord, liveItem, putItem, storeAggregate, SYNTAX_ERROR } from "./access.js";
import { defineCommand } from "./define.js";
import {
  cursorScan,
  EMPTY_SCAN,
  INVALID_CURSOR,
  parseElementCursor,
  parseElementScanOptions,
  wholeScan,
  type ScannedElement,
} from "./element_scan.js";
import { parseInteger } from "./numbers.js";
import { randomCount, tooManyPicks } from "./random_count.js";
import { array, bulk, error, integer, NIL, set, WRONGTYPE, type Reply } from "../engine/reply.js";
import type { CommandContext, CommandSpec } from "./spec.js";

type Members = Set<ByteString>;

/** Redis keeps an all-integer set of at most this many members as an intset (set-max-intset-entries). */
export const INTSET_ENTRIES_MAX = 512;

const EMPTY_ARRAY: Reply = Object.freeze(array([]));
const EMPTY_SET: Reply = Object.freeze(set([]));
const NOT_POSITIVE: Reply = Object.freeze(error("ERR", "value is out of range, must be positive"));

/** The set at `key` (read only), undefined when absent, or WRONGTYPE. */
function readSet(ctx: CommandContext, key: ByteString): Members | undefined | Reply {
  const item = liveItem(ctx, key);
  if (item === undefined) return undefined;
  const stored = item.stored();
  return stored.kind === "set" ? stored.value : WRONGTYPE;
}

function isReply(value: Members | undefined | Reply): value is Reply {
  return value !== undefined && !(value instanceof Set);
}

/** The sets at `keys` (undefined for absent ones), or WRONGTYPE if any key holds something else. */
function readSets(ctx: CommandContext, keys: readonly ByteString[]): Array<Members | undefined> | Reply {
  const found: Array<Members | undefined> = [];
  for (const key of keys) {
    const members = readSet(ctx, key);
    if (isReply(members)) return members;
    found.push(members);
  }
  return found;
}

/**
 * The set at `key`, safe to change: the live one through itemForUpdate, or a new empty one
 * when absent (storeSet puts it; an empty set is never stored). The caller checked the type.
 */
function setForUpdate(ctx: CommandContext, key: ByteString): { item: Item; members: Members } {
  const item = aggregateForUpdate(ctx, key, () => ({ kind: "set", value: new Set() }));
  assert(item.value instanceof Set, `key ${key} was checked to hold a set`);
  return { item, members: item.value };
}

/** Puts a changed set back, or deletes the key when it became empty. */
function storeSet(ctx: CommandContext, key: ByteString, item: Item): void {
  assert(item.value instanceof Set, "a set item holds a Set");
  storeAggregate(ctx, key, item, item.value.size);
}

/** Replaces whatever `key` holds with `members` (no expiry), or deletes it when empty; the size. */
function replaceWithSet(ctx: CommandContext, key: ByteString, members: Members): Reply {
  if (members.size === 0) ctx.collection.delete(key);
  else putItem(ctx, key, new Item({ kind: "set", value: members }, ctx.index, NO_EXPIRY));
  return integer(members.size);
}

/** Whether Redis would keep these members as an intset: few enough, all integers. */
export function isIntsetLike(members: ReadonlySet<ByteString>): boolean {
  if (members.size > INTSET_ENTRIES_MAX) return false;
  for (const member of members) if (parseInteger(member) === null) return false;
  return true;
}

/** The members in the order walnut answers them: ascending numbers for an intset-like set, else insertion order. */
export function orderedMembers(members: ReadonlySet<ByteString>): ByteString[] {
  const listed = [...members];
  if (!isIntsetLike(members)) return listed;
  const numbers = listed.map((member) => BigInt(member));
  return numbers.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((value) => value.toString());
}

function setReply(members: ReadonlySet<ByteString>): Reply {
  return set(orderedMembers(members).map(bulk));
}

// ---- members ----

function sadd(ctx: CommandContext, [key, ...added]: ByteString[]): Reply {
  const current = readSet(ctx, key!);
  if (isReply(current)) return current;
  if (current !== undefined && added.every((member) => current.has(member))) return integer(0);
  const { item, members } = setForUpdate(ctx, key!);
  const before = members.size;
  for (const member of added) members.add(member);
  storeSet(ctx, key!, item);
  return integer(members.size - before);
}

function srem(ctx: CommandContext, [key, ...removed]: ByteString[]): Reply {
  const current = readSet(ctx, key!);
  if (isReply(current)) return current;
  if (current === undefined || !removed.some((member) => current.has(member))) return integer(0);
  const { item, members } = setForUpdate(ctx, key!);
  let count = 0;
  for (const member of removed) if (members.delete(member)) count += 1;
  storeSet(ctx, key!, item);
  return integer(count);
}

function sismember(ctx: CommandContext, [key, member]: ByteString[]): Reply {
  const members = readSet(ctx, key!);
  if (isReply(members)) return members;
  return integer(members?.has(member!) === true ? 1 : 0);
}

function smismember(ctx: CommandContext, [key, ...wanted]: ByteString[]): Reply {
  const members = readSet(ctx, key!);
  if (isReply(members)) return members;
  return array(wanted.map((member) => integer(members?.has(member) === true ? 1 : 0)));
}

function scard(ctx: CommandContext, [key]: ByteString[]): Reply {
  const members = readSet(ctx, key!);
  if (isReply(members)) return members;
  return integer(members?.size ?? 0);
}

function smove(ctx: CommandContext, [source, destination, member]: ByteString[]): Reply {
  const from = readSet(ctx, source!);
  if (from === undefined) return integer(0); // Redis looks no further, not even at the destination's type
  if (isReply(from)) return from;
  const to = readSet(ctx, destination!);
  if (isReply(to)) return to;
  if (source === destination) return integer(from.has(member!) ? 1 : 0);
  if (!from.has(member!)) return integer(0);
  const removing = setForUpdate(ctx, source!);
  removing.members.delete(member!);
  storeSet(ctx, source!, removing.item);
  const adding = setForUpdate(ctx, destination!);
  adding.members.add(member!);
  storeSet(ctx, destination!, adding.item);
  return integer(1);
}

// ---- random members ----

/** `count` distinct members chosen with `random` (a partial Fisher-Yates shuffle), count < size. */
function chooseDistinct(members: ReadonlySet<ByteString>, count: number, random: () => number): ByteString[] {
  const listed = [...members];
  for (let index = 0; index < count; index++) {
    const other = index + Math.floor(random() * (listed.length - index));
    [listed[index], listed[other]] = [listed[other]!, listed[index]!];
  }
  return listed.slice(0, count);
}

/** The member at `position` of the Set's iteration. */
function nthMember(members: ReadonlySet<ByteString>, position: number): ByteString {
  let at = 0;
  for (const member of members) if (at++ === position) return member;
  throw new Error(`position ${position} is past the set's ${members.size} members`);
}

function spop(ctx: CommandContext, args: ByteString[]): Reply {
  const key = args[0]!;
  if (args.length > 2) return SYNTAX_ERROR;
  let count: bigint | undefined;
  if (args.length === 2) {
    // Redis answers the same for a count that is no integer at all (getPositiveLongFromObjectOrReply).
    count = parseInteger(args[1]!) ?? undefined;
    if (count === undefined || count < 0n) return NOT_POSITIVE;
  }
  const current = readSet(ctx, key);
  if (isReply(current)) return current;
  if (current === undefined) return count === undefined ? NIL : EMPTY_SET;
  if (count === 0n) return EMPTY_SET;
  // Deterministic on every replica: the same entry index picks the same members.
  const random = new Random(ctx.index);
  const popped =
    count === undefined
      ? [nthMember(current, random.below(current.size))]
      : count >= BigInt(current.size)
        ? orderedMembers(current)
        : chooseDistinct(current, Number(count), () => random.next());
  const { item, members } = setForUpdate(ctx, key);
  for (const member of popped) members.delete(member);
  storeSet(ctx, key, item);
  if (count === undefined) return bulk(popped[0]!);
  return setReply(new Set(popped));
}

function srandmember(ctx: CommandContext, args: ByteString[]): Reply {
  const key = args[0]!;
  if (args.length > 2) return SYNTAX_ERROR;
  if (args.length === 1) {
    const members = readSet(ctx, key);
    if (isReply(members)) return members;
    if (members === undefined) return NIL;
    return bulk(nthMember(members, Math.floor(Math.random() * members.size)));
  }
  const count = randomCount(args[1]!);
  if (typeof count !== "bigint") return count;
  const members = readSet(ctx, key);
  if (isReply(members)) return members;
  if (members === undefined || count === 0n) return EMPTY_ARRAY;
  const refused = tooManyPicks(count);
  if (refused !== null) return refused;
  if (count < 0n) {
    const listed = [...members];
    const picks: Reply[] = [];
    for (let index = 0n; index < -count; index++) picks.push(bulk(listed[Math.floor(Math.random() * listed.length)]!));
    return array(picks);
  }
  if (count >= BigInt(members.size)) return array(orderedMembers(members).map(bulk));
  return array(chooseDistinct(members, Number(count), Math.random).map(bulk));
}

// ---- algebra ----

/** The intersection of `sets` (undefined = absent = empty), walking the smallest. */
function intersect(sets: ReadonlyArray<Members | undefined>, limit = 0): Members {
  const result: Members = new Set();
  if (sets.some((members) => members === undefined)) return result;
  const present = (sets as Members[]).slice().sort((a, b) => a.size - b.size);
  const [smallest, ...others] = present;
  for (const member of smallest!) {
    if (!others.every((members) => members.has(member))) continue;
    result.add(member);
    if (limit > 0 && result.size >= limit) break;
  }
  return result;
}

function union(sets: ReadonlyArray<Members | undefined>): Members {
  const result: Members = new Set();
  for (const members of sets) for (const member of members ?? []) result.add(member);
  return result;
}

function difference(sets: ReadonlyArray<Members | undefined>): Members {
  const [first, ...others] = sets;
  const result: Members = new Set();
  for (const member of first ?? []) {
    if (!others.some((members) => members?.has(member) === true)) result.add(member);
  }
  return result;
}

type Algebra = (sets: ReadonlyArray<Members | undefined>) => Members;

function combine(ctx: CommandContext, keys: ByteString[], operation: Algebra): Reply {
  const sets = readSets(ctx, keys);
  if (!Array.isArray(sets)) return sets;
  return setReply(operation(sets));
}

function combineStore(ctx: CommandContext, [destination, ...keys]: ByteString[], operation: Algebra): Reply {
  const sets = readSets(ctx, keys);
  if (!Array.isArray(sets)) return sets;
  return replaceWithSet(ctx, destination!, operation(sets));
}

function sintercard(ctx: CommandContext, [numkeysText, ...rest]: ByteString[]): Reply {
  const numkeys = parseInteger(numkeysText!);
  if (numkeys === null || numkeys < 1n) return error("ERR", "numkeys should be greater than 0");
  if (numkeys > BigInt(rest.length)) return error("ERR", "Number of keys can't be greater than number of args");
  const keys = rest.slice(0, Number(numkeys));
  const options = rest.slice(Number(numkeys));
  let limit = 0n;
  for (let at = 0; at < options.length; at++) {
    if (isWord(options[at]!, "LIMIT") && at + 1 < options.length) {
      at += 1;
      const parsed = parseInteger(options[at]!);
      if (parsed === null || parsed < 0n) return error("ERR", "LIMIT can't be negative");
      limit = parsed;
    } else return SYNTAX_ERROR;
  }
  const sets = readSets(ctx, keys);
  if (!Array.isArray(sets)) return sets;
  const bounded = limit > BigInt(Number.MAX_SAFE_INTEGER) ? 0 : Number(limit);
  return integer(intersect(sets, bounded).size);
}

// ---- SSCAN ----

function setElements(members: Members): Iterator<ScannedElement> {
  const values = members.values();
  return {
    next: (): IteratorResult<ScannedElement> => {
      const step = values.next();
      return step.done === true ? { done: true, value: undefined } : { done: false, value: [step.value] };
    },
  };
}

function sscan(ctx: CommandContext, [key, cursorText, ...optionArgs]: ByteString[]): Reply {
  const cursor = parseElementCursor(cursorText!);
  if (cursor === null) return INVALID_CURSOR;
  const members = readSet(ctx, key!);
  if (isReply(members)) return members;
  if (members === undefined) return EMPTY_SCAN;
  const options = parseElementScanOptions(optionArgs);
  if (!("count" in options)) return options;
  if (isIntsetLike(members)) return wholeScan(orderedMembers(members).map((member): ScannedElement => [member]), options);
  return cursorScan(ctx.engine, ctx.collection, key!, cursor, () => setElements(members), options);
}

// ---- the table ----

export const setCommands: CommandSpec[] = [
  defineCommand({ name: "SADD", arity: -3, flags: ["write", "denyoom", "fast"], summary: "Adds members to a set; the number added.", run: sadd }),
  defineCommand({ name: "SREM", arity: -3, flags: ["write", "fast"], summary: "Removes members from a set; the number removed.", run: srem }),
  defineCommand({
    name: "SMEMBERS",
    arity: 2,
    flags: ["readonly"],
    summary: "Returns every member of a set.",
    run: (ctx, args) => combine(ctx, args, intersect),
  }),
  defineCommand({ name: "SISMEMBER", arity: 3, flags: ["readonly", "fast"], summary: "Whether a member belongs to a set.", run: sismember }),
  defineCommand({ name: "SMISMEMBER", arity: -3, flags: ["readonly", "fast"], summary: "Whether each of several members belongs to a set.", run: smismember }),
  defineCommand({ name: "SCARD", arity: 2, flags: ["readonly", "fast"], summary: "Returns the number of members of a set.", run: scard }),
  defineCommand({ name: "SPOP", arity: -2, flags: ["write", "fast"], summary: "Removes and returns random members of a set: SPOP key [count]", run: spop }),
  defineCommand({
    name: "SRANDMEMBER",
    arity: -2,
    flags: ["readonly"],
    summary: "Returns random members of a set: SRANDMEMBER key [count] (negative: repeats allowed)",
    run: srandmember,
  }),
  defineCommand({
    name: "SMOVE",
    arity: 4,
    flags: ["write", "fast"],
    lastKey: 2,
    summary: "Moves a member from one set to another.",
    run: smove,
  }),
  defineCommand({
    name: "SINTER",
    arity: -2,
    flags: ["readonly"],
    lastKey: -1,
    summary: "Returns the intersection of sets.",
    run: (ctx, args) => combine(ctx, args, intersect),
  }),
  defineCommand({
    name: "SINTERCARD",
    arity: -3,
    flags: ["readonly", "movablekeys"],
    firstKey: 0,
    summary: "Returns the size of the intersection of sets: SINTERCARD numkeys key [key ...] [LIMIT limit]",
    run: sintercard,
  }),
  defineCommand({
    name: "SINTERSTORE",
    arity: -3,
    flags: ["write", "denyoom"],
    lastKey: -1,
    summary: "Stores the intersection of sets in a key; its size.",
    run: (ctx, args) => combineStore(ctx, args, intersect),
  }),
  defineCommand({
    name: "SUNION",
    arity: -2,
    flags: ["readonly"],
    lastKey: -1,
    summary: "Returns the union of sets.",
    run: (ctx, args) => combine(ctx, args, union),
  }),
  defineCommand({
    name: "SUNIONSTORE",
    arity: -3,
    flags: ["write", "denyoom"],
    lastKey: -1,
    summary: "Stores the union of sets in a key; its size.",
    run: (ctx, args) => combineStore(ctx, args, union),
  }),
  defineCommand({
    name: "SDIFF",
    arity: -2,
    flags: ["readonly"],
    lastKey: -1,
    summary: "Returns the members of the first set that are in none of the others.",
    run: (ctx, args) => combine(ctx, args, difference),
  }),
  defineCommand({
    name: "SDIFFSTORE",
    arity: -3,
    flags: ["write", "denyoom"],
    lastKey: -1,
    summary: "Stores the difference of sets in a key; its size.",
    run: (ctx, args) => combineStore(ctx, args, difference),
  }),
  defineCommand({
    name: "SSCAN",
    arity: -3,
    flags: ["readonly"],
    summary: "Iterates the members of a set: SSCAN key cursor [MATCH pattern] [COUNT n]",
    run: sscan,
  }),
];
