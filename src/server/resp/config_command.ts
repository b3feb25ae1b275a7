/**
 * CONFIG GET pattern [pattern ...] | SET name value [name value ...] | RESETSTAT | REWRITE
 * | HELP: walnut's run-time settings under Redis 7.0's names, plus walnut's own.
 *
 * GET as in Redis 7.0: a name without glob characters is looked up in any case and
 * answered under the spelling asked; a pattern matches names in any case. (Redis answers
 * several in its hash table's order, which changes from run to run; walnut in this
 * table's.) SET: an unknown name is Redis' "Unknown option" error, a setting walnut cannot
 * change while running (port, databases, appendfsync, dir) Redis' "can't set immutable
 * config", and a value walnut does not support (appendonly no, an eviction policy) an
 * error that says why. notify-keyspace-events is this node's (docs/pubsub.md).
 */
import type { ByteString } from "../../engine/bytes.js";
import { globMatches } from "../../commands/glob.js";
import { array, bulk, error, OK, status, type Reply } from "../../engine/reply.js";
import type { ServerContext } from "../server_context.js";
import { MAXMEMORY_POLICY } from "../../commands/memory_limit.js";
import { describeError } from "../../lib/errors.js";
import { parseSizeBytes } from "../../lib/units.js";
import { scriptHost } from "../../commands/scripting/script_host.js";
import { formatKeyspaceEvents, parseKeyspaceEvents } from "../../engine/keyspace_events.js";

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

/** busy-reply-threshold (alias lua-time-limit): ms a script runs before other clients are told BUSY (script_busy.ts). */
function busyReplyThreshold(context: ServerContext): string {
  return String(scriptHost(context.executor.node.engine).busyReplyThresholdMs);
}

function setBusyReplyThreshold(context: ServerContext, value: string): string | null {
  if (!/^-?\d+$/.test(value)) return "argument couldn't be parsed into an integer";
  if (value.startsWith("-")) return "argument must be between 0 and 9223372036854775807 inclusive";
  scriptHost(context.executor.node.engine).busyReplyThresholdMs = Number(value);
  return null;
}

interface ConfigEntry {
  get(context: ServerContext): string;
  set?(context: ServerContext, value: string): string | null; // an error text, or null when applied
}

/** Redis' integer setting: the text must be an integer, then within [min, max]; the value, or the error's text. */
function boundedInteger(value: string, min: number, max: number | bigint): number | string {
  if (!/^-?\d+$/.test(value)) return "argument couldn't be parsed into an integer";
  const parsed = BigInt(value);
  return parsed < BigInt(min) || parsed > BigInt(max) ? `argument must be between ${min} and ${max} inclusive` : Number(parsed);
}

/** A setting walnut shows but whose only accepted value is the one it has. */
function only(accepted: string, why: string): (context: ServerContext, value: string) => string | null {
  return (_context, value) => (value.toLowerCase() === accepted ? null : why);
}

const entries: Record<string, ConfigEntry> = {
  fsync: { get: (c) => c.executor.node.fsyncMode },
  appendfsync: { get: (c) => c.executor.node.fsyncMode },
  appendonly: { get: () => "yes", set: only("yes", "walnut logs every write to its WAL: appendonly cannot be turned off") },
  save: { get: () => "", set: only("", "walnut checkpoints by --checkpoint-interval and --checkpoint-wal-bytes, not by save rules") },
  "notify-keyspace-events": {
    get: (c) => formatKeyspaceEvents(c.executor.node.read((engine) => engine.published.keyspaceEventFlags)),
    set: (c, value) => {
      const flags = parseKeyspaceEvents(value);
      if (flags === null) return "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
      c.executor.node.read((engine) => (engine.published.keyspaceEventFlags = flags));
      return null;
    },
  },
  port: { get: (c) => String(c.respPort) },
  databases: { get: (c) => String(c.databases) },
  dir: { get: (c) => c.executor.node.dataDir },
  "data-dir": { get: (c) => c.executor.node.dataDir },
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
      const parsed = boundedInteger(value, 1, 4294967295);
      if (typeof parsed === "string") return parsed;
      c.settings.maxClients = parsed;
      return null;
    },
  },
  timeout: {
    get: (c) => String(Math.floor(c.settings.idleTimeoutMs / 1000)),
    set: (c, value) => {
      const parsed = boundedInteger(value, 0, 2147483647);
      if (typeof parsed === "string") return parsed;
      c.settings.idleTimeoutMs = parsed * 1000;
      return null;
    },
  },
  maxmemory: {
    get: (c) => String(c.executor.memory.maxmemory),
    set: setMaxmemory,
  },
  "maxmemory-policy": { get: () => MAXMEMORY_POLICY, set: (_c, value) => setMaxmemoryPolicy(value) },
  "busy-reply-threshold": { get: busyReplyThreshold, set: setBusyReplyThreshold },
  "lua-time-limit": { get: busyReplyThreshold, set: setBusyReplyThreshold },
  "tracking-table-max-keys": {
    get: (c) => String(c.tracking.maxKeys),
    set: (c, value) => {
      const parsed = boundedInteger(value, 0, 9223372036854775807n);
      if (typeof parsed === "string") return parsed;
      c.tracking.maxKeys = parsed;
      return null;
    },
  },
  "proto-max-bulk-len": { get: (c) => String(c.settings.maxRequestBytes) },
  "max-request-bytes": { get: (c) => String(c.settings.maxRequestBytes) },
};

const HELP_LINES = [
  "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "GET <pattern>",
  "    Return parameters matching the glob-like <pattern> and their values.",
  "SET <directive> <value>",
  "    Set the configuration <directive> to <value>.",
  "RESETSTAT",
  "    Reset statistics reported by the INFO command.",
  "REWRITE",
  "    Rewrite the configuration file.",
  "HELP",
  "    Prints this help.",
];

/** CONFIG GET's pairs for `patterns`, each setting once. */
function getSettings(context: ServerContext, patterns: ByteString[]): Reply {
  const found = new Map<string, Reply>();
  for (const pattern of patterns) {
    if (!/[[*?]/.test(pattern)) {
      const entry = entries[pattern.toLowerCase()];
      if (entry !== undefined && !found.has(pattern.toLowerCase())) found.set(pattern, bulk(entry.get(context)));
      continue;
    }
    for (const [name, entry] of Object.entries(entries)) {
      if (globMatches(pattern.toLowerCase(), name) && !found.has(name)) found.set(name, bulk(entry.get(context)));
    }
  }
  return { type: "map", entries: [...found].map(([name, value]): [Reply, Reply] => [bulk(name), value]) };
}

/** CONFIG SET name value [name value ...]: every name is checked before any value is applied. */
function setSettings(context: ServerContext, pairs: ByteString[]): Reply {
  const failed = (name: string, why: string): Reply => error("ERR", `CONFIG SET failed (possibly related to argument '${name}') - ${why}`);
  const seen = new Set<string>();
  for (let index = 0; index < pairs.length; index += 2) {
    const name = (pairs[index] as string).toLowerCase();
    const entry = entries[name];
    if (entry === undefined) return error("ERR", `Unknown option or number of arguments for CONFIG SET - '${pairs[index]}'`);
    if (entry.set === undefined) return failed(name, "can't set immutable config");
    if (seen.has(name)) return failed(name, "duplicate parameter");
    seen.add(name);
  }
  for (let index = 0; index < pairs.length; index += 2) {
    const name = (pairs[index] as string).toLowerCase();
    const failure = entries[name]!.set!(context, pairs[index + 1] as string);
    if (failure !== null) return failed(name, failure);
  }
  return OK;
}

export function configCommand(context: ServerContext, args: ByteString[]): Reply {
  const sub = (args[0] ?? "").toUpperCase();
  if (sub === "GET") {
    if (args.length < 2) return error("ERR", "wrong number of arguments for 'config|get' command");
    return getSettings(context, args.slice(1));
  }
  if (sub === "SET") {
    if (args.length < 3 || args.length % 2 === 0) return error("ERR", "wrong number of arguments for 'config|set' command");
    return setSettings(context, args.slice(1));
  }
  if (sub === "HELP") {
    if (args.length > 1) return error("ERR", "wrong number of arguments for 'config|help' command");
    return array(HELP_LINES.map((line) => status(line)));
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
