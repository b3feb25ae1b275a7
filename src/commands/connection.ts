/**
 * The entries of the commands a RESP connection runs itself (server/resp/connection_commands.ts
 * holds their handlers, registered under these names): authentication, protocol, transactions,
 * introspection and the server's own operations. Arity, flags and key positions are Redis
 * 7.0's, as redis-server's COMMAND INFO reports them (src/scenarios/command_info.test.ts
 * compares them); USE and RAFT are walnut's own. `access` is what a user must hold
 * (server/acl.ts): null for commands that act only on the connection itself.
 */
import type { CommandFlag, ConnectionCommandSpec } from "./spec.js";

interface ConnectionDefinition extends Omit<ConnectionCommandSpec, "scope" | "firstKey" | "lastKey" | "keyStep"> {
  firstKey?: number;
  lastKey?: number;
  keyStep?: number;
}

function connectionCommand(definition: ConnectionDefinition): ConnectionCommandSpec {
  return { firstKey: 0, lastKey: 0, keyStep: 0, ...definition, scope: "connection" };
}

/** Redis' flags for commands allowed before sign-in (AUTH, HELLO, QUIT, RESET). */
const BEFORE_SIGN_IN: readonly CommandFlag[] = ["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"];
/** Redis' flags for the transaction commands other than EXEC. */
const TRANSACTION: readonly CommandFlag[] = ["noscript", "loading", "stale", "fast", "allow_busy"];
/** Redis' flags for cheap commands that answer while loading or stale (ECHO, SELECT, TIME). */
const CHEAP: readonly CommandFlag[] = ["loading", "stale", "fast"];

/** Redis' flags for the subscribing commands. */
const SUBSCRIBING: readonly CommandFlag[] = ["pubsub", "noscript", "loading", "stale"];

/** SUBSCRIBE and friends (server/resp/pubsub_commands.ts); the shard ones name their channels as keys, as Redis does. */
function subscribing(name: string, arity: number, usage: string, summary: string, shard = false): ConnectionCommandSpec {
  const keys = shard ? { firstKey: 1, lastKey: -1, keyStep: 1 } : {};
  return connectionCommand({ name, arity, flags: SUBSCRIBING, categories: ["pubsub"], access: null, usage, summary, ...keys });
}

/** The pub/sub commands a connection runs itself; PUBLISH and SPUBLISH are log entries (commands/pubsub.ts). */
const pubsubConnectionCommands: ConnectionCommandSpec[] = [
  subscribing("SUBSCRIBE", -2, "SUBSCRIBE channel [channel ...]", "Receives the messages published to the channels, from every node of the cluster"),
  subscribing("UNSUBSCRIBE", -1, "UNSUBSCRIBE [channel ...]", "Stops receiving the channels' messages (all channels without arguments)"),
  subscribing("PSUBSCRIBE", -2, "PSUBSCRIBE pattern [pattern ...]", "Receives the messages of every channel matching the glob patterns"),
  subscribing("PUNSUBSCRIBE", -1, "PUNSUBSCRIBE [pattern ...]", "Stops receiving the patterns' messages (all patterns without arguments)"),
  subscribing("SSUBSCRIBE", -2, "SSUBSCRIBE shardchannel [shardchannel ...]", "Receives the messages SPUBLISH posts to the shard channels", true),
  subscribing("SUNSUBSCRIBE", -1, "SUNSUBSCRIBE [shardchannel ...]", "Stops receiving the shard channels' messages (all without arguments)", true),
  connectionCommand({
    name: "PUBSUB",
    categories: [],
    arity: -2,
    flags: [],
    access: null,
    hasSubcommands: true,
    usage: "PUBSUB CHANNELS [pattern] | NUMSUB [channel ...] | NUMPAT | SHARDCHANNELS [pattern] | SHARDNUMSUB [shardchannel ...] | HELP",
    summary: "The channels and subscribers of every member of the cluster (each asked, up to 1 s), as one Redis server answers for all its clients",
  }),
];

export const connectionCommands: ConnectionCommandSpec[] = [
  ...pubsubConnectionCommands,
  connectionCommand({ name: "PING", arity: -1, flags: ["fast"], access: null, usage: "PING [message]", summary: "Answers PONG, or the message" }),
  connectionCommand({ name: "ECHO", arity: 2, flags: CHEAP, access: null, usage: "ECHO message", summary: "Answers the message" }),
  connectionCommand({ name: "AUTH", arity: -2, flags: BEFORE_SIGN_IN, access: null, usage: "AUTH [username] password", summary: "Authenticates the connection" }),
  connectionCommand({
    name: "HELLO",
    arity: -1,
    flags: BEFORE_SIGN_IN,
    access: null,
    usage: "HELLO [2|3] [AUTH username password] [SETNAME name]",
    summary: "Chooses RESP2 or RESP3, optionally authenticating",
  }),
  connectionCommand({ name: "QUIT", arity: -1, flags: BEFORE_SIGN_IN, access: null, usage: "QUIT", summary: "Closes the connection once its OK is sent" }),
  connectionCommand({
    name: "RESET",
    arity: 1,
    flags: BEFORE_SIGN_IN,
    access: null,
    usage: "RESET",
    summary: "Resets the connection: no transaction, no watched keys, the default collection, RESP2, the initial user",
  }),
  connectionCommand({ name: "SELECT", arity: 2, flags: CHEAP, access: null, usage: "SELECT index", summary: "Runs later commands of this connection in database index (0 to --databases minus 1; database N>0 is collection dbN)" }),
  connectionCommand({ name: "USE", arity: 2, flags: CHEAP, access: null, usage: "USE collection", summary: "Runs later commands of this connection in a collection" }),
  connectionCommand({ name: "MULTI", categories: ["transaction"], arity: 1, flags: TRANSACTION, access: null, usage: "MULTI", summary: "Starts an atomic, all-or-nothing transaction, logged as one entry" }),
  connectionCommand({
    name: "EXEC",
    categories: ["transaction"],
    arity: 1,
    flags: ["noscript", "loading", "stale", "skip_slowlog"],
    access: null,
    usage: "EXEC",
    summary: "Runs the transaction; answers nil when a watched key's version changed",
  }),
  connectionCommand({ name: "DISCARD", categories: ["transaction"], arity: 1, flags: TRANSACTION, access: null, usage: "DISCARD", summary: "Drops the transaction" }),
  connectionCommand({
    name: "WATCH",
    categories: ["transaction"],
    arity: -2,
    flags: TRANSACTION,
    firstKey: 1,
    lastKey: -1,
    keyStep: 1,
    access: "read",
    usage: "WATCH key [key ...]",
    summary: "EXEC answers nil when a watched key's version changed",
  }),
  connectionCommand({ name: "UNWATCH", categories: ["transaction"], arity: 1, flags: TRANSACTION, access: null, usage: "UNWATCH", summary: "Forgets the watched keys" }),
  connectionCommand({ name: "TIME", categories: [], arity: 1, flags: CHEAP, access: null, usage: "TIME", summary: "Server time" }),
  connectionCommand({
    name: "SAVE",
    categories: [],
    arity: 1,
    flags: ["admin", "noscript", "no_async_loading", "no_multi"],
    access: "admin",
    usage: "SAVE",
    summary: "Takes a checkpoint now",
  }),
  connectionCommand({
    name: "BGSAVE",
    categories: [],
    arity: -1,
    flags: ["admin", "noscript", "no_async_loading"],
    access: "admin",
    usage: "BGSAVE",
    summary: "Takes a checkpoint in the background",
  }),
  connectionCommand({ name: "LASTSAVE", categories: ["admin", "dangerous"], arity: 1, flags: CHEAP, access: "read", usage: "LASTSAVE", summary: "When the last checkpoint finished (Unix seconds)" }),
  connectionCommand({
    name: "SHUTDOWN",
    categories: [],
    arity: -1,
    flags: ["admin", "noscript", "loading", "stale", "no_multi", "allow_busy"],
    access: "admin",
    usage: "SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]",
    summary: "Stops the server as in Redis 7.0; SAVE takes a checkpoint first (nothing is lost without it: writes are in the WAL)",
  }),
  connectionCommand({
    name: "INFO",
    categories: ["dangerous"],
    arity: -1,
    flags: ["loading", "stale"],
    access: "read",
    usage: "INFO [section ...]",
    summary: "server, clients, memory, persistence, stats, replication, wal, collections, keyspace",
  }),
  connectionCommand({
    name: "CLIENT",
    categories: [],
    arity: -2,
    flags: [],
    access: null,
    hasSubcommands: true,
    adminSubcommands: ["KILL", "LIST", "UNBLOCK"],
    usage: "CLIENT ID|SETNAME|GETNAME|LIST|INFO|KILL|UNBLOCK|TRACKING|CACHING|GETREDIR|TRACKINGINFO",
    summary: "Connection introspection",
  }),
  connectionCommand({ name: "COMMAND", arity: -1, flags: ["loading", "stale"], access: null, usage: "COMMAND [COUNT|LIST|INFO|DOCS]", summary: "This table, for clients" }),
  connectionCommand({
    name: "CONFIG",
    categories: [],
    arity: -2,
    flags: [],
    access: "admin",
    hasSubcommands: true,
    usage: "CONFIG GET pattern / CONFIG SET name value",
    summary: "Run-time settings (requirepass, maxclients, timeout, maxmemory, maxmemory-policy)",
  }),
  connectionCommand({
    name: "ACL",
    categories: [],
    arity: -2,
    flags: [],
    access: null,
    hasSubcommands: true,
    adminSubcommands: ["LIST"],
    usage: "ACL WHOAMI / ACL LIST",
    summary: "The connection's user / every user and the categories it holds",
  }),
  connectionCommand({
    name: "WALNUT.WATCH",
    arity: -3,
    flags: ["noscript", "loading", "stale", "no_multi"],
    access: "read",
    usage: "WALNUT.WATCH KEY key | PREFIX prefix [FROM index] [DB n | COLLECTION name] [PROGRESS ms]",
    summary: "Streams every change to a key or prefix from a log index on, in order, as pushes (docs/watch.md)",
  }),
  connectionCommand({
    name: "WALNUT.UNWATCH",
    arity: 1,
    flags: ["noscript", "loading", "stale", "no_multi"],
    access: null,
    usage: "WALNUT.UNWATCH",
    summary: "Ends this connection's WALNUT.WATCH; answers the next index to resume from",
  }),
  connectionCommand({
    name: "RAFT",
    arity: -2,
    flags: [],
    access: "read",
    hasSubcommands: true,
    adminSubcommands: ["ADD", "REMOVE", "TRANSFER"],
    usage: "RAFT STATUS / RAFT ADD id host:port [LEARNER] / RAFT REMOVE id / RAFT TRANSFER id",
    summary: "Cluster membership and leadership",
  }),
];
