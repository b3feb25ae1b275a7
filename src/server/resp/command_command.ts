/**
 * COMMAND, COMMAND COUNT | INFO | DOCS | LIST: the command table described to clients
 * (redis-cli reads COMMAND DOCS for its hints; cluster-aware clients read key positions).
 */
import type { ByteString } from "../../engine/bytes.js";
import { commandTable, lookupCommand } from "../../commands/table.js";
import type { CommandSpec } from "../../commands/spec.js";
import { array, bulk, error, integer, NIL, status, type Reply } from "../../commands/reply.js";

/** Connection-level commands, described like table entries: name, arity, flags. */
const connectionCommands: Array<[string, number, string[]]> = [
  ["ping", -1, ["fast"]], ["echo", 2, ["fast"]], ["quit", -1, ["fast"]], ["auth", -2, ["noscript", "fast"]],
  ["hello", -1, ["noscript", "fast"]], ["reset", 1, ["noscript", "fast"]], ["select", 2, ["fast"]],
  ["use", 2, ["fast"]], ["multi", 1, ["fast"]], ["exec", 1, ["noscript"]], ["discard", 1, ["fast"]],
  ["watch", -2, ["fast"]], ["unwatch", 1, ["fast"]], ["time", 1, ["fast"]], ["save", 1, ["admin"]],
  ["bgsave", -1, ["admin"]], ["lastsave", 1, ["fast"]], ["flushall", -1, ["write"]], ["info", -1, []],
  ["client", -2, []], ["command", -1, []], ["config", -2, ["admin"]], ["raft", -2, ["admin"]],
];

function describe(spec: CommandSpec): Reply {
  return array([
    bulk(spec.name.toLowerCase()),
    integer(spec.arity),
    array(spec.flags.map((flag) => status(flag))),
    integer(spec.firstKey),
    integer(spec.lastKey),
    integer(spec.keyStep),
  ]);
}

function describeConnectionCommand([name, arity, flags]: [string, number, string[]]): Reply {
  return array([bulk(name), integer(arity), array(flags.map((flag) => status(flag))), integer(0), integer(0), integer(0)]);
}

function all(): Reply[] {
  return [...[...commandTable.values()].map(describe), ...connectionCommands.map(describeConnectionCommand)];
}

export function commandCommand(args: ByteString[]): Reply {
  const sub = (args[0] ?? "").toUpperCase();
  switch (sub) {
    case "":
      return array(all());
    case "COUNT":
      return integer(commandTable.size + connectionCommands.length);
    case "LIST":
      return array([...[...commandTable.keys()].map((n) => bulk(n.toLowerCase())), ...connectionCommands.map(([n]) => bulk(n))]);
    case "INFO":
      return array(
        args.slice(1).map((name) => {
          const spec = lookupCommand(name);
          if (spec !== undefined) return describe(spec);
          const own = connectionCommands.find(([n]) => n === name.toLowerCase());
          return own === undefined ? NIL : describeConnectionCommand(own);
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
    default:
      return error("ERR", `unknown subcommand '${args[0]}'. Try COMMAND HELP.`);
  }
}
