/**
 * COMMAND, COMMAND COUNT | INFO | DOCS | LIST: the command table described to clients
 * (redis-cli reads COMMAND DOCS for its hints; cluster-aware clients read key positions).
 * Every answer comes from the one command table, connection commands included.
 */
import type { ByteString } from "../../engine/bytes.js";
import { commandTable, lookupCommand } from "../../commands/table.js";
import type { TableEntry } from "../../commands/spec.js";
import { array, bulk, error, integer, NIL, status, type Reply } from "../../engine/reply.js";

function describe(spec: TableEntry): Reply {
  return array([
    bulk(spec.name.toLowerCase()),
    integer(spec.arity),
    array(spec.flags.map((flag) => status(flag))),
    integer(spec.firstKey),
    integer(spec.lastKey),
    integer(spec.keyStep),
  ]);
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
    default:
      return error("ERR", `unknown subcommand '${args[0]}'. Try COMMAND HELP.`);
  }
}
