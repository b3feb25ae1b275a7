/**
 * COMMAND GETKEYS / GETKEYSANDFLAGS: the keys of a full command line, found as Redis 7.0
 * finds them, through the command's key specifications (begin_search index|keyword, then
 * find_keys range|keynum), each key with its spec's flags. So movable-keys commands
 * (ZUNIONSTORE's numkeys, XREAD's STREAMS, GEORADIUS's STORE, EVAL's keys) answer their
 * real keys. A subcommand ("XGROUP CREATE key ...") uses the subcommand's specs.
 */
import type { ByteString } from "../../engine/bytes.js";
import { lookupCommand } from "../table.js";
import type { TableEntry } from "../spec.js";
import { derivedKeyFlags } from "./command_info.js";
import { factField, factItems, factText, redisFacts, type Fact } from "./facts.js";

export interface FoundKey {
  key: ByteString;
  flags: string[];
}

/** A key spec reduced to what the search needs. */
export interface KeySpec {
  flags: string[];
  begin: { type: "index"; index: number } | { type: "keyword"; keyword: string; startFrom: number } | { type: "unknown" };
  find: { type: "range"; lastKey: number; keyStep: number; limit: number } | { type: "keynum"; keyNumIndex: number; firstKey: number; keyStep: number } | { type: "unknown" };
}

function integerField(map: Fact | undefined, key: string): number {
  const value = factField(map, key);
  return typeof value === "number" ? value : 0;
}

function readKeySpec(fact: Fact): KeySpec {
  const flags = factItems(factField(fact, "flags")).map(factText);
  const beginSearch = factField(fact, "begin_search");
  const beginSpec = factField(beginSearch, "spec");
  const beginType = factText(factField(beginSearch, "type"));
  const begin: KeySpec["begin"] =
    beginType === "index"
      ? { type: "index", index: integerField(beginSpec, "index") }
      : beginType === "keyword"
        ? { type: "keyword", keyword: factText(factField(beginSpec, "keyword")), startFrom: integerField(beginSpec, "startfrom") }
        : { type: "unknown" };
  const findKeys = factField(fact, "find_keys");
  const findSpec = factField(findKeys, "spec");
  const findType = factText(factField(findKeys, "type"));
  const find: KeySpec["find"] =
    findType === "range"
      ? { type: "range", lastKey: integerField(findSpec, "lastkey"), keyStep: integerField(findSpec, "keystep"), limit: integerField(findSpec, "limit") }
      : findType === "keynum"
        ? { type: "keynum", keyNumIndex: integerField(findSpec, "keynumidx"), firstKey: integerField(findSpec, "firstkey"), keyStep: integerField(findSpec, "keystep") }
        : { type: "unknown" };
  return { flags, begin, find };
}

/** Where the spec's keys begin in `argv` (name first), or undefined when its keyword is absent. */
function beginning(spec: KeySpec, argv: readonly ByteString[]): number | undefined {
  if (spec.begin.type === "index") return spec.begin.index;
  if (spec.begin.type === "unknown") return undefined;
  const { keyword, startFrom } = spec.begin;
  const [from, to, step] = startFrom >= 0 ? [startFrom, argv.length - 1, 1] : [argv.length + startFrom, 1, -1];
  for (let position = from; step > 0 ? position <= to : position >= to; position += step) {
    if ((argv[position] ?? "").toUpperCase() === keyword.toUpperCase()) return position + 1;
  }
  return undefined;
}

/** The keys of one spec, or null when the line does not hold them (Redis: invalid arguments). */
function keysOf(spec: KeySpec, argv: readonly ByteString[]): FoundKey[] | null {
  let first = beginning(spec, argv);
  if (first === undefined || spec.find.type === "unknown") return [];
  let last: number;
  let step: number;
  if (spec.find.type === "range") {
    const { lastKey, limit } = spec.find;
    step = spec.find.keyStep;
    if (lastKey >= 0) last = first + lastKey;
    else if (limit === 0) last = argv.length + lastKey;
    else last = first + (Math.floor((argv.length - first) / limit) + lastKey);
  } else {
    step = spec.find.keyStep;
    if (first + spec.find.keyNumIndex >= argv.length) return null;
    const text = argv[first + spec.find.keyNumIndex] ?? "";
    if (!/^-?\d+$/.test(text)) return null;
    const count = Number(text);
    if (count < 0) return null;
    first += spec.find.firstKey;
    last = first + (count - 1) * step;
  }
  const keys: FoundKey[] = [];
  for (let position = first; position <= last; position += Math.max(step, 1)) {
    if (position >= argv.length || position < first) return null;
    keys.push({ key: argv[position] as ByteString, flags: spec.flags });
  }
  return keys;
}

/** The keys every spec finds in `argv` (name first), in spec order; null when one spec's keys fall outside the line. */
export function keysBySpecs(argv: readonly ByteString[], specs: readonly KeySpec[]): FoundKey[] | null {
  const found: FoundKey[] = [];
  for (const keySpec of specs) {
    const keys = keysOf(keySpec, argv);
    if (keys === null) return null;
    found.push(...keys);
  }
  return found;
}

/** The key specs of a COMMAND INFO entry fact. */
export function keySpecsOfInfo(info: Fact): KeySpec[] {
  return factItems(factItems(info)[8]).map(readKeySpec);
}

/** The key specs of a table command, Redis' where it has them, else one derived from the key positions. */
function keySpecsOf(spec: TableEntry, info: Fact | undefined): KeySpec[] {
  if (info !== undefined) return keySpecsOfInfo(info);
  if (spec.firstKey <= 0) return [];
  const lastKey = spec.lastKey < 0 ? spec.lastKey : spec.lastKey - spec.firstKey;
  return [{ flags: derivedKeyFlags(spec), begin: { type: "index", index: spec.firstKey }, find: { type: "range", lastKey, keyStep: spec.keyStep, limit: 0 } }];
}

const upper = (argv: readonly ByteString[], index: number): string => (argv[index] ?? "").toUpperCase();

/** SET's key: overwritten (OW update), or read too with GET (RW access update), as Redis' own key finder says. */
function setKeys(argv: readonly ByteString[]): FoundKey[] {
  const reads = argv.slice(3).some((arg) => arg.toUpperCase() === "GET");
  return [{ key: argv[1] as ByteString, flags: reads ? ["RW", "access", "update"] : ["OW", "update"] }];
}

/** BITFIELD's key: read only (RO access) unless a SET or INCRBY operation with its three arguments is present. */
function bitfieldKeys(argv: readonly ByteString[]): FoundKey[] {
  let writes = false;
  for (let index = 2; index < argv.length && !writes; index += 1) {
    const remaining = argv.length - index - 1;
    const operation = upper(argv, index);
    if (operation === "GET" && remaining >= 2) index += 2;
    else if ((operation === "SET" || operation === "INCRBY") && remaining >= 3) writes = true;
    else if (operation === "OVERFLOW" && remaining >= 1) index += 1;
  }
  return [{ key: argv[1] as ByteString, flags: writes ? ["RW", "access", "update"] : ["RO", "access"] }];
}

/** SORT's keys: the sorted key, then the last STORE destination (skipping LIMIT's, GET's and BY's arguments). */
function sortKeys(argv: readonly ByteString[]): FoundKey[] {
  const skips: Record<string, number> = { LIMIT: 2, GET: 1, BY: 1 };
  let store: ByteString | undefined;
  for (let index = 2; index < argv.length; index += 1) {
    const word = upper(argv, index);
    if (skips[word] !== undefined) index += skips[word];
    else if (word === "STORE" && index + 1 < argv.length) store = argv[index + 1];
  }
  const keys: FoundKey[] = [{ key: argv[1] as ByteString, flags: ["RO", "access"] }];
  return store === undefined ? keys : [...keys, { key: store, flags: ["OW", "update"] }];
}

/** Commands whose keys' flags depend on other arguments (or hide behind unknown specs): Redis asks their own key finders. */
const OWN_KEY_FINDERS: Readonly<Record<string, (argv: readonly ByteString[]) => FoundKey[]>> = {
  SET: setKeys,
  BITFIELD: bitfieldKeys,
  SORT: sortKeys,
};

/** The keys of `argv` (command name first), or Redis' error text. */
export function commandKeys(argv: readonly ByteString[]): FoundKey[] | string {
  const spec = lookupCommand(argv[0] ?? "");
  if (spec === undefined) return "Invalid command specified";
  let facts = redisFacts(spec.name);
  let arity = spec.arity;
  const hasSubcommands = factItems(factItems(facts?.info)[9]).length > 0;
  const subcommand = hasSubcommands && argv.length > 1 ? redisFacts(`${spec.name}|${argv[1] ?? ""}`) : undefined;
  if (hasSubcommands && subcommand === undefined) return "Invalid command specified";
  if (subcommand !== undefined) {
    facts = subcommand;
    arity = Number(factItems(subcommand.info)[1]);
  }
  const specs = keySpecsOf(spec, facts?.info);
  if (specs.length === 0) return "The command has no key arguments";
  if ((arity > 0 && argv.length !== arity) || argv.length < -arity) return "Invalid number of arguments specified for command";
  const ownFinder = OWN_KEY_FINDERS[spec.name];
  if (ownFinder !== undefined) return ownFinder(argv);
  const found = keysBySpecs(argv, specs);
  if (found === null) return "Invalid arguments specified for command";
  const optional = factItems(factItems(facts?.info)[2]).map(factText).includes("no_mandatory_keys");
  if (found.length === 0 && !optional) return "Invalid arguments specified for command";
  return found;
}
