/**
 * CONFIG GET pattern | SET name value | RESETSTAT | REWRITE: walnut's run-time settings,
 * plus the Redis names tools ask for (redis-benchmark reads `save` and `appendonly`).
 */
import type { ByteString } from "../../engine/bytes.js";
import { globMatches } from "../../commands/glob.js";
import { bulk, error, OK, type Reply } from "../../engine/reply.js";
import type { ServerContext } from "../server_context.js";
import { MAXMEMORY_POLICY } from "../../commands/memory_limit.js";
import { describeError } from "../../lib/errors.js";
import { parseSizeBytes } from "../../lib/units.js";

/** Redis 7.0's eviction policies: CONFIG SET names any of them, walnut runs only noeviction. */
const REDIS_POLICIES = ["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"];

/** CONFIG SET maxmemory: Redis' units (2gb, 100mb, 1k) and walnut's (512MiB); 0 restores the default. */
function setMaxmemory(context: ServerContext, value: string): string | null {
  let bytes: number;
  try {
    bytes = parseSizeBytes(value, "maxmemory");
  } catch {
    return "argument must be a memory value";
  }
  try {
    context.executor.memory.setMaxmemory(bytes, "maxmemory");
  } catch (cause) {
    return describeError(cause);
  }
  return null;
}

function setMaxmemoryPolicy(value: string): string | null {
  const policy = value.toLowerCase();
  if (policy === MAXMEMORY_POLICY) return null;
  if (REDIS_POLICIES.includes(policy)) {
    return `walnut supports only noeviction: it never evicts keys, and refuses writes that add data (OOM) while used memory > maxmemory`;
  }
  return `argument(s) must be one of the following: ${REDIS_POLICIES.join(", ")}`;
}

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
  maxmemory: {
    get: (c) => String(c.executor.memory.maxmemory),
    set: setMaxmemory,
  },
  "maxmemory-policy": { get: () => MAXMEMORY_POLICY, set: (_c, value) => setMaxmemoryPolicy(value) },
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
    // Redis' resetServerStats: the counters INFO stats, commandstats and errorstats show.
    const stats = context.stats;
    stats.commandsProcessed = 0;
    stats.connectionsReceived = 0;
    stats.connectionsRejected = 0;
    stats.netInputBytes = 0;
    stats.netOutputBytes = 0;
    stats.readsProcessed = 0;
    stats.writesProcessed = 0;
    context.commandStats.reset();
    context.executor.keyspace.hits = 0;
    context.executor.keyspace.misses = 0;
    return OK;
  }
  if (sub === "REWRITE") return error("ERR", "CONFIG REWRITE is not supported: walnut's settings come from flags, environment and --config");
  return error("ERR", `unknown subcommand '${args[0] ?? ""}'. Try CONFIG HELP.`);
}
