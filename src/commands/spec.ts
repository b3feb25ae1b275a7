/**
 * The shape of a command: walnut's command table is data, as Redis' is. One dispatcher
 * (commands/dispatch.ts) checks arity and flags for every command; handlers are thin.
 *
 * A `write` command's handler runs inside apply(), on every replica, when its log entry
 * is committed: it must be deterministic (use ctx.nowMs, never Date.now()). A `readonly`
 * handler runs on the read path against the current engine state and must not mutate it.
 */
import type { ByteString } from "../engine/bytes.js";
import type { Collection } from "../engine/collection.js";
import type { Engine } from "../engine/engine.js";
import type { Reply } from "./reply.js";

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
  | "noscript"; // connection-level: not allowed inside MULTI

export interface CommandSpec {
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
  /** args excludes the command name: for SET k v, args = ["k", "v"]. */
  run(ctx: CommandContext, args: ByteString[]): Reply;
}
