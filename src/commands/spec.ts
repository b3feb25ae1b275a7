/**
 * The shape of a command: walnut's command table is data, as Redis' is. One dispatcher
 * (commands/dispatch.ts) checks arity and flags for every command; handlers are thin.
 *
 * Every command has one entry, of one of two scopes. A "data" command (CommandSpec) runs
 * against the data through the executor, the same for RESP, HTTP and the embedded API.
 * A "connection" command (ConnectionCommandSpec: AUTH, HELLO, MULTI, CLIENT, CONFIG, ...)
 * acts on a RESP connection or on the server; its entry holds only its description, and
 * the RESP server registers its handler under the same name (server/resp), so this layer
 * never imports the server.
 *
 * A `write` command's handler runs inside apply(), on every replica, when its log entry
 * is committed: it must be deterministic (use ctx.nowMs, never Date.now()). A `readonly`
 * handler runs on the read path against the current engine state and must not mutate it.
 */
import type { ByteString } from "../engine/bytes.js";
import type { Collection } from "../engine/collection.js";
import type { Engine } from "../engine/engine.js";
import type { Reply } from "../engine/reply.js";
import type { Item } from "../engine/values.js";
import type { AclCategory } from "./acl_categories.js";

export interface CommandContext {
  engine: Engine;
  /** The collection the command runs in (USE / the embedded collection(name)). */
  collection: Collection;
  /**
   * For writes: the entry's clock (the proposer's Date.now()), for reads: the reader's.
   * Expiry is judged against it: an item with expiresAtMs <= nowMs does not exist.
   */
  nowMs: number;
  /** For writes: the entry's log index, the version given to every item it writes. */
  index: number;
}

export type CommandFlag =
  | "write" // changes state: goes through the log
  | "readonly" // reads state: runs on the read path
  | "denyoom" // may add data: refused while used memory > maxmemory (Redis 7.0's flag; memory_limit.ts)
  | "admin" // operator command (ACL category admin)
  | "fast" // O(1) or O(log n)
  | "noscript" // not allowed from scripts (Redis' flag; walnut has no scripts)
  | "loading" // allowed while the dataset loads (Redis' flag)
  | "stale" // allowed on a replica with stale data (Redis' flag)
  | "no_auth" // allowed before the connection has signed in: others answer NOAUTH
  | "no_multi" // refused inside MULTI ("Command not allowed inside a transaction"), failing the transaction
  | "allow_busy" // allowed while a script runs (Redis' flag)
  | "no_async_loading" // refused during an async load (Redis' flag)
  | "skip_slowlog" // not logged to the slow log (Redis' flag)
  | "blocking" // may wait for a key to be written (BLPOP ...): over RESP it blocks, elsewhere it runs once (see `blocking`)
  | "pubsub" // publishes or subscribes (Redis' flag)
  | "movablekeys"; // its keys are not at fixed positions (LMPOP numkeys key ..., SORT's BY, GET, STORE: Redis' flag)

/** What a user must hold to run a command (server/acl.ts); null: any connection may. */
export type AccessCategory = "read" | "write" | "admin";

/** What every entry of the table says about its command, whatever runs it. */
export interface CommandDescription {
  /** Upper-case name, e.g. "SET". */
  name: string;
  /** Redis convention, counting the name: N = exactly N, -N = at least N. */
  arity: number;
  flags: readonly CommandFlag[];
  /** 1-based position of the first key, 0 if none (for COMMAND INFO and ACLs). */
  firstKey: number;
  /** Position of the last key; -1 = the last argument. */
  lastKey: number;
  /** Step between keys (MSET: 2). */
  keyStep: number;
  /** One line for `help` and COMMAND DOCS. */
  summary: string;
  /** Commands with subcommands are named with them in NOPERM errors ('client|kill'), as in Redis. */
  hasSubcommands?: boolean;
  /** Subcommands that need the admin category whatever the command needs otherwise (CLIENT KILL). */
  adminSubcommands?: readonly string[];
  /** The ACL category of the command's family, set where table.ts gathers the families (acl_categories.ts). */
  family?: AclCategory;
  /** The command's own ACL categories, replacing its family's (FLUSHALL: keyspace and dangerous); its flags add theirs. */
  categories?: readonly AclCategory[];
  /**
   * What COMMAND INFO shows, flags and ACL categories as Redis 7.0 spells them, when walnut's
   * routing flags differ from Redis' (EVAL routes by `write` in walnut; Redis flags it
   * no_mandatory_keys and skip_monitor, and SCRIPT's container entry has no flags at all).
   */
  info?: { flags: readonly string[]; categories: readonly string[] };
}

/** A command that runs against the data: the same for RESP, HTTP and the embedded API. */
export interface CommandSpec extends CommandDescription {
  scope: "data";
  /** What a user must hold when the flags do not say (FLUSHALL: admin, though Redis flags it only write). */
  access?: AccessCategory;
  /** args excludes the command name: for SET k v, args = ["k", "v"]. */
  run(ctx: CommandContext, args: ByteString[]): Reply;
  /**
   * Blocking commands (flag "blocking"): what a RESP client waits for when `run` found
   * nothing to serve it (answered nil). `run` itself is the non-blocking form: what the
   * call answers inside MULTI, over HTTP and the embedded API, and each attempt to serve a
   * blocked client. See docs/blocking.md.
   */
  blocking?(args: ByteString[]): BlockedCall;
  /**
   * For a blocking command that blocks only with some arguments (XREADGROUP ... BLOCK ms):
   * whether this call may block over RESP. false: it is an ordinary write. Absent: always.
   */
  blocksWhen?(args: ByteString[]): boolean;
  /**
   * For a container command (XGROUP, XINFO): the error Redis gives before running a call
   * whose subcommand is unknown or has the wrong number of arguments, also when MULTI
   * queues it (the transaction then fails), or null.
   */
  subcommandCheck?(args: ByteString[]): Reply | null;
  /**
   * A `readonly` command that may wait (XREAD ... BLOCK ms): over RESP, what it waits for,
   * from the item at each key as the command arrives; null when this call does not block
   * (no BLOCK, or arguments `run` refuses). Elsewhere it runs once. See docs/blocking.md.
   */
  blockingRead?(args: ByteString[], itemAt: (key: ByteString) => Item | undefined): BlockingRead | null;
  /**
   * For a `readonly` command that Redis lets change the value it reads (PFCOUNT stores the
   * cardinality it computed): true when this call, against the state it read, would change
   * it. The executor then logs the call as a write, where `run` may write (see access.ts
   * isLoggedWrite); on the read path `run` writes nothing.
   */
  loggedWhen?(ctx: CommandContext, args: ByteString[]): boolean;
  /**
   * For a `write` command whose call, as given, only reads (EVAL of a script declared
   * `#!lua flags=no-writes`): true sends it down the read path instead of the log.
   * `argv` includes the name.
   */
  readsOnly?(engine: Engine, argv: ByteString[]): boolean;
}

/** What a blocked read waits for: the keys whose writes wake it, how long, and the read that serves it. */
export interface BlockingRead {
  keys: ByteString[];
  /** ms from when the command arrived; 0: forever. */
  timeoutMs: number;
  /** The non-blocking call (argv, name first) that answers it once it has something to answer (not nil). */
  readArgv: ByteString[];
}

/**
 * What a blocked RESP client waits on (server/resp/blocked_clients.ts), from a call whose
 * arguments `run` already accepted.
 */
export interface BlockedCall {
  /** The keys it waits on, in its argument order. */
  keys: ByteString[];
  /** How long it waits, in ms from when the command arrived; 0: forever. */
  timeoutMs: number;
  /** How many waiters the live item at `key` could serve now (a list's length; 0 if none or not a list). */
  servable(item: Item | undefined): number;
  /** The call (argv, name first) that serves this client from `key` once it is servable. */
  attemptOn(key: ByteString): ByteString[];
  /** True when an attempt's reply means "not served": the client keeps waiting. */
  keepsWaiting(reply: Reply): boolean;
  /**
   * Waiters with the same share compete for what a key holds (every pop shares a list's
   * elements: the default ""); waiters of different shares do not (XREADGROUP of two
   * consumer groups each get the same new entry).
   */
  share?: string;
  /**
   * The reply that ends the wait at once, from the live item at `key` on this node's state
   * (XREADGROUP: the stream deleted, its group destroyed), or null to keep waiting. Asked
   * only of state at least as recent as the client's last attempt that kept it waiting.
   */
  unblockedBy?(item: Item | undefined): Reply | null;
}

/**
 * A command a RESP connection runs itself, with its own state (server/resp registers the
 * handler by this name). Its flags and key positions are Redis 7.0's where Redis has it.
 */
export interface ConnectionCommandSpec extends CommandDescription {
  scope: "connection";
  /** The category a user needs (data commands' is worked out from their flags). */
  access: AccessCategory | null;
  /** How it is called, for docs/commands.md: "AUTH [username] password". */
  usage: string;
}

/** One entry of the command table. */
export type TableEntry = CommandSpec | ConnectionCommandSpec;
