/**
 * CONFIG GET pattern | SET name value | RESETSTAT | REWRITE: walnut's run-time settings,
 * plus the Redis names tools ask for (redis-benchmark reads `save` and `appendonly`).
 */
import type { ByteString } from "../../engine/bytes.js";
import { globMatches } from "../../commands/glob.js";
import { bulk, error, OK, type Reply } from "../../commands/reply.js";
import type { ServerContext } from "../server_context.js";

interface ConfigEntry {
  get(context: ServerContext): string;
  set?(context: ServerContext, value: string): string | null; // an error text, or null when applied
}

function nonNegativeInteger(value: string): number | null {
  return /^\d+$/.test(value) ? Number(value) : null;
}

const entries: Record<string, ConfigEntry> = {
  fsync: { get: (c) => c.executor.node.fsyncMode },
  appendfsync: { get: (c) => c.executor.node.fsyncMode },
  appendonly: { get: () => "yes" },
  save: { get: () => "" },
  dir: { get: (c) => c.executor.node.dataDir },
  "data-dir": { get: (c) => c.executor.node.dataDir },
  databases: { get: () => "1" },
  requirepass: {
    get: (c) => c.settings.requirePass ?? "",
    set: (c, value) => {
      c.settings.requirePass = value === "" ? null : value;
      return null;
    },
  },
  maxclients: {
    get: (c) => String(c.settings.maxClients),
    set: (c, value) => {
      const parsed = nonNegativeInteger(value);
      if (parsed === null || parsed < 1) return "argument must be a positive integer";
      c.settings.maxClients = parsed;
      return null;
    },
  },
  timeout: {
    get: (c) => String(Math.floor(c.settings.idleTimeoutMs / 1000)),
    set: (c, value) => {
      const parsed = nonNegativeInteger(value);
      if (parsed === null) return "argument couldn't be parsed into an integer";
      c.settings.idleTimeoutMs = parsed * 1000;
      return null;
    },
  },
  "proto-max-bulk-len": { get: (c) => String(c.settings.maxRequestBytes) },
  "max-request-bytes": { get: (c) => String(c.settings.maxRequestBytes) },
};

export function configCommand(context: ServerContext, args: ByteString[]): Reply {
  const sub = (args[0] ?? "").toUpperCase();
  if (sub === "GET") {
    if (args.length < 2) return error("ERR", "wrong number of arguments for 'config|get' command");
    const out: Array<[Reply, Reply]> = [];
    for (const pattern of args.slice(1)) {
      for (const [name, entry] of Object.entries(entries)) {
        if (globMatches(pattern.toLowerCase(), name) && !out.some(([n]) => n.type === "bulk" && n.value === name)) {
          out.push([bulk(name), bulk(entry.get(context))]);
        }
      }
    }
    return { type: "map", entries: out };
  }
  if (sub === "SET") {
    if (args.length < 3 || args.length % 2 === 0) return error("ERR", "wrong number of arguments for 'config|set' command");
    for (let index = 1; index < args.length; index += 2) {
      const name = (args[index] as string).toLowerCase();
      const entry = entries[name];
      if (entry?.set === undefined) return error("ERR", `Unknown option or number of arguments for CONFIG SET - '${name}'`);
      const failure = entry.set(context, args[index + 1] as string);
      if (failure !== null) return error("ERR", `CONFIG SET failed (possibly related to argument '${name}') - ${failure}`);
    }
    return OK;
  }
  if (sub === "RESETSTAT") {
    context.stats.commandsProcessed = 0;
    context.stats.commandErrors = 0;
    return OK;
  }
  if (sub === "REWRITE") return error("ERR", "CONFIG REWRITE is not supported: walnut's settings come from flags, environment and --config");
  return error("ERR", `unknown subcommand '${args[0] ?? ""}'. Try CONFIG HELP.`);
}
