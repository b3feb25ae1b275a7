/**
 * walnut's own keyspace commands: COLLECTION (CREATE, DROP, LIST, LOAD, HELP) and RANGE.
 *
 * COLLECTION is one table entry with the flag "write", but LIST and HELP only read:
 * `isReadOnlyCall` tells the dispatcher to route those on the read path. Their handlers
 * never mutate, so running them through the log is harmless too.
 *
 * Collection names are 1 to 256 bytes of visible ASCII (0x21-0x7e): they appear in
 * replies, logs, file names of exports and the CLI, where spaces, control bytes and
 * invalid UTF-8 would hurt.
 *
 * RANGE start end [LIMIT n] walks an ordered collection in bytewise key order and answers
 * a flat array key, value, key, value... Values read as GET reads them (access.ts
 * textOf: integers in decimal, floats as INCRBYFLOAT writes them, booleans "true"/"false").
 * It skips lists, hashes and sets (a scan should not fail halfway because one key holds
 * an aggregate) and expired keys.
 * Without LIMIT it answers at most RANGE_PAIRS_MAX pairs; a client pages on by calling
 * again with start = last key + "\x00".
 */
import type { ByteString } from "../engine/bytes.js";
import type { Collection, CollectionType } from "../engine/collection.js";
import { DEFAULT_COLLECTION } from "../engine/engine.js";
import { isWalnutError } from "../lib/errors.js";
import { limits } from "../lib/limits.js";
import { decodeCollectionImage } from "../snapshot/collection_image.js";
import { isWord, NOT_AN_INTEGER, SYNTAX_ERROR, textOf } from "./access.js";
import { defineCommand } from "./define.js";
import { parseInteger } from "./numbers.js";
import { array, bulk, error, integer, OK, status, type Reply } from "../engine/reply.js";
import type { CommandContext, CommandSpec } from "./spec.js";

/** Most key/value pairs one RANGE answers, and the default when LIMIT is absent. */
export const RANGE_PAIRS_MAX = 100_000;

/** COLLECTION subcommands that only read. */
const READ_SUBCOMMANDS = new Set(["LIST", "HELP"]);

/**
 * Whether a COLLECTION call only reads (LIST, HELP), so that the dispatcher can route it
 * on the read path. `argv` includes the command name: ["COLLECTION", "LIST"].
 */
export function isReadOnlyCall(argv: ByteString[]): boolean {
  return argv.length >= 2 && READ_SUBCOMMANDS.has(argv[1]!.toUpperCase());
}

/** COLLECTION subcommands that add data: refused, as Redis' denyoom commands are, over maxmemory. */
const GROWING_SUBCOMMANDS = new Set(["CREATE", "LOAD"]);

/** Whether a COLLECTION call adds data (CREATE, LOAD), for the maxmemory check (memory_limit.ts). */
export function isGrowingCall(argv: readonly ByteString[]): boolean {
  return argv.length >= 2 && GROWING_SUBCOMMANDS.has(argv[1]!.toUpperCase());
}

/** The error reply for an invalid collection name, or undefined when the name is valid. */
function checkName(name: ByteString): Reply | undefined {
  const valid = name.length >= 1 && name.length <= limits.collectionNameBytesMax && /^[\x21-\x7e]+$/.test(name);
  if (valid) return undefined;
  return error("ERR", `collection name must be 1 to ${limits.collectionNameBytesMax} visible ASCII characters`);
}

/** The collection type named by `text` (any case), or undefined. */
function parseType(text: ByteString): CollectionType | undefined {
  const lower = text.toLowerCase();
  return lower === "hash" || lower === "ordered" ? lower : undefined;
}

const BAD_TYPE = error("ERR", "collection type must be hash or ordered");

function wrongArity(subcommand: string): Reply {
  return error("ERR", `wrong number of arguments for 'collection|${subcommand.toLowerCase()}' command`);
}

// ---- COLLECTION subcommands ----

function create(ctx: CommandContext, args: ByteString[]): Reply {
  const [name, typeText] = args as [ByteString, ByteString];
  const invalid = checkName(name);
  if (invalid !== undefined) return invalid;
  const type = parseType(typeText);
  if (type === undefined) return BAD_TYPE;
  try {
    if (!ctx.engine.createCollection(name, type)) return error("ERR", `collection '${name}' already exists`);
  } catch (cause) {
    if (isWalnutError(cause, "LIMIT")) return error("ERR", `collection limit of ${limits.collectionsMax} reached`);
    throw cause;
  }
  return OK;
}

function drop(ctx: CommandContext, args: ByteString[]): Reply {
  const name = args[0]!;
  if (!ctx.engine.dropCollection(name)) return error("ERR", `collection '${name}' does not exist`);
  return OK;
}

/** [name, type, size] for every collection, by name; size counts keys not yet swept. */
function list(ctx: CommandContext): Reply {
  const collections = ctx.engine.listCollections().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return array(collections.map(({ name, type, size }) => array([bulk(name), bulk(type), integer(size)])));
}

/**
 * Installs a collection decoded from an export image, replacing any of that name. Every
 * key is stamped with this entry's index: loading is a write to each of them.
 */
function load(ctx: CommandContext, args: ByteString[]): Reply {
  const [name, typeText, image] = args as [ByteString, ByteString, ByteString];
  const invalid = checkName(name);
  if (invalid !== undefined) return invalid;
  const type = parseType(typeText);
  if (type === undefined) return BAD_TYPE;
  if (ctx.engine.collection(name) === undefined && ctx.engine.collectionNames().length >= limits.collectionsMax) {
    return error("ERR", `collection limit of ${limits.collectionsMax} reached`);
  }
  let loaded: Collection;
  try {
    loaded = decodeCollectionImage(Buffer.from(image, "latin1"), { name, type, version: ctx.index });
  } catch (cause) {
    if (isWalnutError(cause)) return error("ERR", cause.message);
    throw cause;
  }
  ctx.engine.installCollection(loaded);
  return OK;
}

const HELP_LINES = [
  "COLLECTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CREATE <name> hash|ordered",
  "    Create a collection: hash (fast point access) or ordered (RANGE in key order).",
  "DROP <name>",
  `    Remove a collection and its keys ('${DEFAULT_COLLECTION}' is emptied, not removed).`,
  "LIST",
  "    Return [name, type, size] for every collection.",
  "EXPORT <name> <path>",
  "    Write a collection to a file on the server (LokiKV's PERSIST; walnut itself persists every write).",
  "IMPORT <path> <name> hash|ordered",
  "    Load an exported file as a collection of either type (LokiKV's LOAD_HMAP and friends).",
  "LOAD <name> hash|ordered <image>",
  "    Install a collection from an export image (used by the server for imports).",
  "HELP",
  "    Print this help.",
];

interface Subcommand {
  /** Arguments after the subcommand name. */
  argumentCount: number;
  run(ctx: CommandContext, args: ByteString[]): Reply;
}

const SUBCOMMANDS = new Map<string, Subcommand>([
  ["CREATE", { argumentCount: 2, run: create }],
  ["DROP", { argumentCount: 1, run: drop }],
  ["LIST", { argumentCount: 0, run: list }],
  ["LOAD", { argumentCount: 3, run: load }],
  ["HELP", { argumentCount: 0, run: () => array(HELP_LINES.map((line) => status(line))) }],
]);

function collectionCommand(ctx: CommandContext, args: ByteString[]): Reply {
  const name = args[0]!;
  const subcommand = SUBCOMMANDS.get(name.toUpperCase());
  if (subcommand === undefined) return error("ERR", `unknown subcommand '${name.slice(0, 128)}'. Try COLLECTION HELP.`);
  const rest = args.slice(1);
  if (rest.length !== subcommand.argumentCount) return wrongArity(name);
  return subcommand.run(ctx, rest);
}

// ---- RANGE ----

/** Parses [LIMIT n] into a pair count, or returns the error reply. */
function parseLimit(args: ByteString[]): number | Reply {
  if (args.length === 0) return RANGE_PAIRS_MAX;
  if (args.length !== 2 || !isWord(args[0]!, "LIMIT")) return SYNTAX_ERROR;
  const parsed = parseInteger(args[1]!);
  if (parsed === null) return NOT_AN_INTEGER;
  if (parsed < 0n) return error("ERR", "LIMIT can't be negative");
  const pairs = Number(parsed);
  if (pairs > RANGE_PAIRS_MAX) return error("ERR", `LIMIT must be at most ${RANGE_PAIRS_MAX}`);
  return pairs;
}

function range(ctx: CommandContext, args: ByteString[]): Reply {
  const [start, end] = args as [ByteString, ByteString];
  const pairsMax = parseLimit(args.slice(2));
  if (typeof pairsMax !== "number") return pairsMax;
  const { collection: target } = ctx;
  if (target.type !== "ordered" || target.range === undefined) return error("ERR", "RANGE needs an ordered collection");
  const out: Reply[] = [];
  let from = start;
  let pairs = 0;
  // Skipped keys (expired, lists, sketches) leave the batch short: fetch on past them.
  while (pairs < pairsMax) {
    const wanted = pairsMax - pairs;
    const batch = target.range(from, end, wanted);
    for (const [key, item] of batch) {
      const text = item.isExpiredAt(ctx.nowMs) ? null : textOf(item);
      if (text === null) continue;
      out.push(bulk(key), bulk(text));
      pairs += 1;
    }
    if (batch.length < wanted) break;
    from = batch[batch.length - 1]![0] + "\x00";
  }
  return array(out);
}

export const collectionCommands: CommandSpec[] = [
  defineCommand({
    name: "COLLECTION",
    arity: -2,
    flags: ["write"],
    firstKey: 0,
    hasSubcommands: true,
    adminSubcommands: ["EXPORT", "IMPORT"],
    summary:
      "Creates, drops, lists and loads collections (LIST and HELP only read); over RESP also EXPORT name path / IMPORT path name hash|ordered, LokiKV's persist and load-as-other-type.",
    run: collectionCommand,
  }),
  defineCommand({
    name: "RANGE",
    arity: -3,
    flags: ["readonly"],
    firstKey: 0,
    summary: "Returns key/value pairs with start <= key <= end of an ordered collection.",
    run: range,
  }),
];
