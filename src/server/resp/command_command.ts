/**
 * COMMAND, COMMAND COUNT | INFO | DOCS | LIST | GETKEYS | GETKEYSANDFLAGS | HELP: the
 * command table described to clients
 * (redis-cli reads COMMAND DOCS for its hints; cluster-aware clients read key positions).
 * Every answer comes from the one command table, connection commands included.
 */
import type { ByteString } from "../../engine/bytes.js";
import { commandTable, lookupCommand } from "../../commands/table.js";
import type { TableEntry } from "../../commands/spec.js";
import { aclCategories } from "../../commands/acl_categories.js";
import { array, bulk, error, integer, NIL, status, type Reply } from "../../engine/reply.js";

/**
 * The command's one key specification, derived from its first/last/step positions: the
 * key at index `firstKey`, then a range up to `lastKey` (relative to the first key, or
 * counted from the end when negative) every `keyStep`. Its flags say read (RO access) or
 * write (RW access update): the table has no finer per-key flags than the command's.
 */
function keySpecs(spec: TableEntry): Reply {
  if (spec.firstKey <= 0) return array([]);
  const flags = keyFlags(spec);
  const lastKey = spec.lastKey < 0 ? spec.lastKey : spec.lastKey - spec.firstKey;
  const map = (entries: Array<[string, Reply]>): Reply => ({ type: "map", entries: entries.map(([key, value]): [Reply, Reply] => [bulk(key), value]) });
  return array([
    map([
      ["flags", array(flags.map((flag) => status(flag)))],
      ["begin_search", map([["type", bulk("index")], ["spec", map([["index", integer(spec.firstKey)]])]])],
      [
        "find_keys",
        map([
          ["type", bulk("range")],
          ["spec", map([["lastkey", integer(lastKey)], ["keystep", integer(spec.keyStep)], ["limit", integer(0)]])],
        ]),
      ],
    ]),
  ]);
}

/** COMMAND INFO's ten fields, as Redis 7.0 gives them; walnut lists no tips and no subcommand entries. */
function describe(spec: TableEntry): Reply {
  return array([
    bulk(spec.name.toLowerCase()),
    integer(spec.arity),
    array((spec.info?.flags ?? spec.flags).map((flag) => status(flag))),
    integer(spec.firstKey),
    integer(spec.lastKey),
    integer(spec.keyStep),
    array(aclCategories(spec).map((category) => status(category))),
    array([]),
    keySpecs(spec),
    array([]),
  ]);
}

const HELP_LINES = [
  "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "(no subcommand)",
  "    Return details about all Redis commands.",
  "COUNT",
  "    Return the total number of commands in this Redis server.",
  "LIST",
  "    Return a list of all commands in this Redis server.",
  "INFO [<command-name> ...]",
  "    Return details about multiple Redis commands.",
  "    If no command names are given, documentation details for all",
  "    commands are returned.",
  "DOCS [<command-name> ...]",
  "    Return documentation details about multiple Redis commands.",
  "    If no command names are given, documentation details for all",
  "    commands are returned.",
  "GETKEYS <full-command>",
  "    Return the keys from a full Redis command.",
  "GETKEYSANDFLAGS <full-command>",
  "    Return the keys and the access flags from a full Redis command.",
  "HELP",
  "    Prints this help.",
];

/**
 * COMMAND GETKEYS / GETKEYSANDFLAGS: the keys of a full command, from its table entry's
 * key positions (first, last, step), with Redis 7.0's errors. The flags are the entry's
 * access, read (RO access) or write (RW update): walnut's table has no per-key flags, so
 * where Redis knows more of a key (OW for SET's, RM delete for DEL's) walnut says less.
 */
function commandKeys(args: ByteString[], withFlags: boolean): Reply {
  const spec = lookupCommand(args[0] ?? "");
  if (spec === undefined) return error("ERR", "Invalid command specified");
  if (spec.firstKey === 0) return error("ERR", "The command has no key arguments");
  if ((spec.arity > 0 && args.length !== spec.arity) || args.length < -spec.arity) {
    return error("ERR", "Invalid number of arguments specified for command");
  }
  const last = spec.lastKey < 0 ? args.length + spec.lastKey : spec.lastKey;
  const keys: ByteString[] = [];
  for (let position = spec.firstKey; position <= last && position < args.length; position += Math.max(spec.keyStep, 1)) {
    keys.push(args[position] as ByteString);
  }
  if (keys.length === 0) return error("ERR", "Invalid arguments specified for command");
  if (!withFlags) return array(keys.map((key) => bulk(key)));
  const flags = keyFlags(spec);
  return array(keys.map((key) => array([bulk(key), array(flags.map((flag) => status(flag)))])));
}

/** A key's flags as COMMAND GETKEYSANDFLAGS and key specs give them: the command's access, read or write. */
function keyFlags(spec: TableEntry): string[] {
  return spec.flags.includes("write") ? ["RW", "access", "update"] : ["RO", "access"];
}

function all(): Reply[] {
  return [...commandTable.values()].map(describe);
}

export function commandCommand(args: ByteString[]): Reply {
  const sub = (args[0] ?? "").toUpperCase();
  switch (sub) {
    case "":
      return array(all());
    case "COUNT":
      if (args.length > 1) return error("ERR", "wrong number of arguments for 'command|count' command");
      return integer(commandTable.size);
    case "LIST":
      return array([...commandTable.keys()].map((name) => bulk(name.toLowerCase())));
    case "INFO":
      return array(
        args.slice(1).map((name) => {
          const spec = lookupCommand(name);
          return spec === undefined ? NIL : describe(spec);
        }),
      );
    case "DOCS": {
      const names = args.length > 1 ? args.slice(1).map((n) => n.toUpperCase()) : [...commandTable.keys()];
      const entries: Array<[Reply, Reply]> = [];
      for (const name of names) {
        const spec = commandTable.get(name);
        if (spec === undefined) continue;
        entries.push([bulk(name.toLowerCase()), { type: "map", entries: [[bulk("summary"), bulk(spec.summary)], [bulk("group"), bulk("walnut")]] }]);
      }
      return { type: "map", entries };
    }
    case "GETKEYS":
    case "GETKEYSANDFLAGS":
      if (args.length < 3) return error("ERR", `wrong number of arguments for 'command|${sub.toLowerCase()}' command`);
      return commandKeys(args.slice(1), sub === "GETKEYSANDFLAGS");
    case "HELP":
      if (args.length === 1) return array(HELP_LINES.map((line) => status(line)));
      return error("ERR", "wrong number of arguments for 'command|help' command");
    default:
      return error("ERR", `unknown subcommand '${args[0]}'. Try COMMAND HELP.`);
  }
}
