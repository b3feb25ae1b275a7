/**
 * Keyspace commands that look at or copy a whole value, whatever its kind: COPY, TOUCH,
 * OBJECT (ENCODING FREQ IDLETIME REFCOUNT HELP), MEMORY USAGE, DUMP and RESTORE, with
 * Redis 7.0's replies and error texts. They work on every value kind through Item.clone()
 * and the checkpoint's value codec, so kinds added later need no change here.
 *
 * Where walnut cannot be Redis (docs/commands.md lists these):
 * - DUMP's payload is walnut's own format (snapshot/dump_payload.ts), not an RDB object:
 *   a payload from Redis is refused as a payload of an unknown version.
 * - OBJECT IDLETIME counts from the key's last access on this node (Item.accessClock, Redis'
 *   24-bit LRU clock, wrapping as Redis' does); keys loaded from a checkpoint count from the
 *   node's start. Redis' shared integers (0..9999) report the idle time of the shared object;
 *   walnut reports the key's.
 * - OBJECT FREQ: walnut's maxmemory-policy is always noeviction, under which Redis answers
 *   FREQ with an error; walnut does too.
 * - MEMORY USAGE is walnut's estimate of its own heap bytes (memory_usage.ts).
 * - COPY's DB option writes into that database's collection (databases.ts); the RESP
 *   server checks the index against --databases before the call is logged.
 */
import type { ByteString } from "../engine/bytes.js";
import { Item, NO_EXPIRY, NOT_ACCESSED } from "../engine/values.js";
import { accessClockAt, accessClockIdleFor, idleSecondsSince } from "../engine/access_clock.js";
import { decodeDumpPayload, encodeDumpPayload } from "../snapshot/dump_payload.js";
import { deleteKey, isErrorReply, liveItem, NOT_AN_INTEGER, peekItem, putItem, SYNTAX_ERROR, textOf, isWord } from "./access.js";
import { databaseCollection, DATABASES_MAX, DB_OUT_OF_RANGE, writableDatabase } from "./databases.js";
import { defineCommand } from "./define.js";
import { redisEncoding, redisRefcount } from "./encoding.js";
import { memoryUsageBytes } from "./memory_usage.js";
import { parseInteger } from "./numbers.js";
import { array, bulk, error, integer, NIL, OK, status, type Reply } from "../engine/reply.js";
import type { CommandContext, CommandSpec } from "./spec.js";

const INT32_MAX = 2n ** 31n - 1n;
const INT32_MIN = -(2n ** 31n);
/** Redis' getIntFromObjectOrReply for a number beyond a C int. */
const INT_OUT_OF_RANGE = error("ERR", "value is out of range, value must between -2147483648 and 2147483647");

/** When this process started: the access time of keys it loaded rather than wrote. */
const NODE_STARTED_AT_MS = Math.trunc(performance.timeOrigin);

function subcommandArity(command: string, subcommand: string): Reply {
  return error("ERR", `wrong number of arguments for '${command}|${subcommand}' command`);
}

function unknownSubcommand(command: string, subcommand: ByteString): Reply {
  return error("ERR", `unknown subcommand '${subcommand.slice(0, 128)}'. Try ${command} HELP.`);
}

function helpReply(lines: readonly string[]): Reply {
  return array(lines.map((line) => status(line)));
}

// --- COPY -----------------------------------------------------------------------------

function copy(ctx: CommandContext, [source, destination, ...options]: ByteString[]): Reply {
  let replace = false;
  let target: number | null = null;
  for (let at = 0; at < options.length; at++) {
    if (isWord(options[at], "REPLACE")) replace = true;
    else if (isWord(options[at], "DB") && at + 1 < options.length) {
      const db = parseInteger(options[++at]);
      if (db === null) return NOT_AN_INTEGER;
      if (db > INT32_MAX || db < INT32_MIN) return INT_OUT_OF_RANGE;
      // The RESP server checks the index against --databases first (databaseRangeError).
      if (db < 0n || db >= BigInt(DATABASES_MAX)) return DB_OUT_OF_RANGE;
      target = Number(db);
    } else return SYNTAX_ERROR;
  }
  const sameDatabase = target === null || databaseCollection(target) === ctx.collection.name;
  if (sameDatabase && source === destination) return error("ERR", "source and destination objects are the same");
  const item = liveItem(ctx, source);
  if (item === undefined) return integer(0);
  const into: CommandContext = sameDatabase ? ctx : { ...ctx, collection: writableDatabase(ctx.engine, target!) };
  if (peekItem(into, destination) !== undefined) {
    if (!replace) return integer(0);
    deleteKey(into, destination);
  }
  const copied = item.clone();
  copied.version = ctx.index;
  putItem(into, destination, copied);
  return integer(1);
}

// --- TOUCH ----------------------------------------------------------------------------

function touch(ctx: CommandContext, keys: ByteString[]): Reply {
  let found = 0;
  for (const key of keys) if (liveItem(ctx, key) !== undefined) found++;
  return integer(found);
}

// --- OBJECT ---------------------------------------------------------------------------

const OBJECT_HELP = [
  "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "ENCODING <key>",
  "    Return the kind of internal representation used in order to store the value",
  "    associated with a <key>.",
  "FREQ <key>",
  "    Return the access frequency index of the <key>. The returned integer is",
  "    proportional to the logarithm of the recent access frequency of the key.",
  "IDLETIME <key>",
  "    Return the idle time of the <key>, that is the approximated number of",
  "    seconds elapsed since the last access to the key.",
  "REFCOUNT <key>",
  "    Return the number of references of the value associated with the specified",
  "    <key>.",
  "HELP",
  "    Prints this help.",
];

const FREQ_NOT_TRACKED = error(
  "ERR",
  "An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
);

/** Whole seconds since the key was last accessed (since this node started, if not since it loaded the key). */
function idleSeconds(nowMs: number, item: Item): number {
  const accessed = item.accessClock;
  return idleSecondsSince(accessed === NOT_ACCESSED ? accessClockAt(NODE_STARTED_AT_MS) : accessed, nowMs);
}

function object(ctx: CommandContext, [subcommand, ...args]: ByteString[]): Reply {
  const name = subcommand.toUpperCase();
  if (name === "HELP") return args.length === 0 ? helpReply(OBJECT_HELP) : subcommandArity("object", "help");
  if (name !== "ENCODING" && name !== "FREQ" && name !== "IDLETIME" && name !== "REFCOUNT") {
    return unknownSubcommand("OBJECT", subcommand);
  }
  if (args.length !== 1) return subcommandArity("object", name.toLowerCase());
  const item = peekItem(ctx, args[0]);
  if (item === undefined) return NIL;
  switch (name) {
    case "ENCODING":
      return bulk(redisEncoding(item, textOf(item)));
    case "REFCOUNT":
      return integer(redisRefcount(item, textOf(item)));
    case "IDLETIME":
      return integer(idleSeconds(ctx.nowMs, item));
    case "FREQ":
      return FREQ_NOT_TRACKED; // the maxmemory-policy is noeviction (memory_limit.ts)
  }
}

// --- MEMORY ---------------------------------------------------------------------------

const MEMORY_HELP = [
  "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "USAGE <key> [SAMPLES <count>]",
  "    Return memory in bytes used by <key> and its value, as walnut estimates its",
  "    own heap (every element counted: SAMPLES is accepted and changes nothing).",
  "HELP",
  "    Prints this help.",
];

function memory(ctx: CommandContext, [subcommand, ...args]: ByteString[]): Reply {
  const name = subcommand.toUpperCase();
  if (name === "HELP") return args.length === 0 ? helpReply(MEMORY_HELP) : subcommandArity("memory", "help");
  if (name !== "USAGE") return unknownSubcommand("MEMORY", subcommand);
  if (args.length < 1) return subcommandArity("memory", "usage");
  const [key, ...options] = args;
  for (let at = 0; at < options.length; at++) {
    if (!isWord(options[at], "SAMPLES") || at + 1 >= options.length) return SYNTAX_ERROR;
    const samples = parseInteger(options[++at]);
    if (samples === null) return NOT_AN_INTEGER;
    if (samples < 0n) return SYNTAX_ERROR;
  }
  const item = peekItem(ctx, key);
  return item === undefined ? NIL : integer(memoryUsageBytes(key, item));
}

// --- DUMP / RESTORE -------------------------------------------------------------------

function dump(ctx: CommandContext, [key]: ByteString[]): Reply {
  const item = liveItem(ctx, key);
  return item === undefined ? NIL : bulk(encodeDumpPayload(item));
}

interface RestoreOptions {
  replace: boolean;
  absoluteTtl: boolean;
  idleSeconds: bigint | null;
}

/** RESTORE's options in Redis' order of checks; FREQ is accepted and unused (no LFU policy). */
function parseRestoreOptions(options: ByteString[]): RestoreOptions | Reply {
  const parsed: RestoreOptions = { replace: false, absoluteTtl: false, idleSeconds: null };
  let frequencyGiven = false;
  for (let at = 0; at < options.length; at++) {
    const word = options[at];
    const hasValue = at + 1 < options.length;
    if (isWord(word, "REPLACE")) parsed.replace = true;
    else if (isWord(word, "ABSTTL")) parsed.absoluteTtl = true;
    else if (isWord(word, "IDLETIME") && hasValue && !frequencyGiven) {
      const idle = parseInteger(options[++at]);
      if (idle === null) return NOT_AN_INTEGER;
      if (idle < 0n) return error("ERR", "Invalid IDLETIME value, must be >= 0");
      parsed.idleSeconds = idle;
    } else if (isWord(word, "FREQ") && hasValue && parsed.idleSeconds === null) {
      const frequency = parseInteger(options[++at]);
      if (frequency === null) return NOT_AN_INTEGER;
      if (frequency < 0n || frequency > 255n) return error("ERR", "Invalid FREQ value, must be >= 0 and <= 255");
      frequencyGiven = true;
    } else return SYNTAX_ERROR;
  }
  return parsed;
}

function restore(ctx: CommandContext, [key, ttlText, payload, ...optionArgs]: ByteString[]): Reply {
  const options = parseRestoreOptions(optionArgs);
  if (isErrorReply(options)) return options;
  if (!options.replace && peekItem(ctx, key) !== undefined) {
    return error("BUSYKEY", "Target key name already exists.");
  }
  const ttl = parseInteger(ttlText);
  if (ttl === null) return NOT_AN_INTEGER;
  if (ttl < 0n) return error("ERR", "Invalid TTL value, must be >= 0");
  const value = decodeDumpPayload(payload);
  if (value === "version or checksum") return error("ERR", "DUMP payload version or checksum are wrong");
  if (value === "bad data format") return error("ERR", "Bad data format");
  if (options.replace) deleteKey(ctx, key);
  let expiresAtMs = NO_EXPIRY;
  if (ttl !== 0n) {
    const instant = options.absoluteTtl ? ttl : ttl + BigInt(Math.trunc(ctx.nowMs));
    // Beyond 2^53 ms (285,000 years) walnut's instants are not exact: such a key never expires in practice.
    expiresAtMs = instant > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(instant);
    if (expiresAtMs <= ctx.nowMs) return OK; // already expired: Redis adds nothing, the old key stays deleted
  }
  const item = new Item(value, ctx.index, expiresAtMs);
  putItem(ctx, key, item);
  if (options.idleSeconds !== null) item.accessClock = accessClockIdleFor(Number(options.idleSeconds), ctx.nowMs);
  return OK;
}

export const keyspaceCommands: CommandSpec[] = [
  defineCommand({
    name: "COPY",
    arity: -3,
    flags: ["write", "denyoom"],
    lastKey: 2,
    summary: "Copy a key's value and expiry to another key: COPY source destination [DB 0] [REPLACE]",
    run: copy,
  }),
  defineCommand({
    name: "TOUCH",
    arity: -2,
    flags: ["readonly", "fast"],
    lastKey: -1,
    summary: "Count the given keys that exist, marking them accessed (OBJECT IDLETIME)",
    run: touch,
  }),
  defineCommand({
    name: "OBJECT",
    arity: -2,
    flags: ["readonly"],
    firstKey: 0,
    hasSubcommands: true,
    summary:
      "OBJECT ENCODING|REFCOUNT|IDLETIME|FREQ key, OBJECT HELP: what Redis 7.0 would answer for the value (ENCODING, REFCOUNT), seconds since its last access on this node",
    run: object,
  }),
  defineCommand({
    name: "MEMORY",
    arity: -2,
    flags: ["readonly"],
    firstKey: 0,
    hasSubcommands: true,
    summary: "MEMORY USAGE key [SAMPLES n]: walnut's estimate of the heap bytes of a key and its value; MEMORY HELP",
    run: memory,
  }),
  defineCommand({
    name: "DUMP",
    arity: 2,
    flags: ["readonly"],
    summary: "A key's value in walnut's checksummed payload format (for RESTORE; not Redis' RDB format)",
    run: dump,
  }),
  defineCommand({
    name: "RESTORE",
    arity: -4,
    flags: ["write", "denyoom"],
    categories: ["keyspace", "dangerous"],
    summary: "Create a key from a DUMP payload: RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f]",
    run: restore,
  }),
];
