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
import { commandDocs, commandInfo, subcommandNames } from "../../commands/docs/command_info.js";
import { commandKeys } from "../../commands/docs/command_keys.js";
import { factItems, factReply, factText, factWithout, redisFacts } from "../../commands/docs/facts.js";
import { globMatches } from "../../commands/glob.js";
import { array, bulk, error, integer, map, NIL, set, status, type Reply } from "../../engine/reply.js";

/** The table command and, for "container|sub", the subcommand a name asks for; undefined when neither exists. */
function named(name: ByteString): { spec: TableEntry; subcommand?: string } | undefined {
  const bar = name.indexOf("|");
  const spec = lookupCommand(bar < 0 ? name : name.slice(0, bar));
  if (spec === undefined) return undefined;
  if (bar < 0) return { spec };
  const subcommand = name.toLowerCase();
  return subcommandNames(spec).includes(subcommand) ? { spec, subcommand } : undefined;
}

function infoOf(name: ByteString): Reply {
  const found = named(name);
  if (found === undefined) return NIL;
  if (found.subcommand === undefined) return commandInfo(found.spec);
  const facts = redisFacts(found.subcommand);
  return facts === undefined ? NIL : factReply(facts.info);
}

/** A subcommand's docs: Redis' facts; walnut has no summaries of its own for subcommands yet. */
function docsOf(name: ByteString): Reply | undefined {
  const found = named(name);
  if (found === undefined) return undefined;
  if (found.subcommand === undefined) return commandDocs(found.spec);
  const facts = redisFacts(found.subcommand);
  return facts === undefined ? undefined : factReply(factWithout(facts.docs, []));
}

/** Every command name COMMAND LIST gives: each table command and its subcommands ("config|get"). */
function everyName(): Array<{ name: string; categories: string[] }> {
  return [...commandTable.values()].flatMap((spec) => [
    { name: spec.name.toLowerCase(), categories: aclCategories(spec) },
    ...subcommandNames(spec).map((name) => ({ name, categories: factItems(factItems(redisFacts(name)?.info)[6]).map(factText) })),
  ]);
}

/** COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]; walnut has no modules. */
function commandList(args: ByteString[]): Reply {
  const names = everyName();
  if (args.length === 1) return array(names.map(({ name }) => bulk(name)));
  if (args.length !== 4 || (args[1] ?? "").toUpperCase() !== "FILTERBY") return error("ERR", "syntax error");
  const value = args[3] ?? "";
  switch ((args[2] ?? "").toUpperCase()) {
    case "MODULE":
      return array([]);
    case "ACLCAT":
      return array(names.filter(({ categories }) => categories.includes(`@${value.toLowerCase()}`)).map(({ name }) => bulk(name)));
    case "PATTERN":
      return array(names.filter(({ name }) => globMatches(value, name)).map(({ name }) => bulk(name)));
    default:
      return error("ERR", "syntax error");
  }
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

/** COMMAND GETKEYS / GETKEYSANDFLAGS of a full command line (commands/docs/command_keys.ts). */
function getKeys(argv: ByteString[], withFlags: boolean): Reply {
  const found = commandKeys(argv);
  if (typeof found === "string") return error("ERR", found);
  if (!withFlags) return array(found.map(({ key }) => bulk(key)));
  return array(found.map(({ key, flags }) => array([bulk(key), set(flags.map((flag) => status(flag)))])));
}

function all(): Reply[] {
  return [...commandTable.values()].map(commandInfo);
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
      return commandList(args);
    case "INFO":
      return args.length === 1 ? array(all()) : array(args.slice(1).map(infoOf));
    case "DOCS": {
      const names = args.length > 1 ? args.slice(1) : [...commandTable.keys()];
      const entries: Array<[Reply, Reply]> = [];
      for (const name of names) {
        const docs = docsOf(name);
        if (docs !== undefined) entries.push([bulk(name.toLowerCase()), docs]);
      }
      return map(entries);
    }
    case "GETKEYS":
    case "GETKEYSANDFLAGS":
      if (args.length < 3) return error("ERR", `wrong number of arguments for 'command|${sub.toLowerCase()}' command`);
      return getKeys(args.slice(1), sub === "GETKEYSANDFLAGS");
    case "HELP":
      if (args.length === 1) return array(HELP_LINES.map((line) => status(line)));
      return error("ERR", "wrong number of arguments for 'command|help' command");
    default:
      return error("ERR", `unknown subcommand '${args[0]}'. Try COMMAND HELP.`);
  }
}
