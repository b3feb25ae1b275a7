/**
 * redis.call from a script: a command run through the command table against the same
 * engine, collection, clock and log index as the script, with Redis' checks and error
 * texts in Redis' order: unknown command, arity, commands scripts may not run (the
 * `noscript` flag: EVAL, MULTI, SUBSCRIBE ...), writes from a read-only script.
 *
 * Connection commands have no handler here (the RESP server runs them); PING, ECHO,
 * TIME and SELECT, which scripts use, are answered here (TIME with the entry's clock, so
 * every replica reads the same time; SELECT switches the database of the script's later
 * calls, up to apply()'s bound on an index, DATABASES_MAX); any other is refused as not
 * allowed from scripts.
 */
import { notifyChanges, observeKeys } from "../keyspace_notifications.js";
import type { ByteString } from "../../engine/bytes.js";
import { array, bulk, error, OK, status, type Reply } from "../../engine/reply.js";
import { WalnutError } from "../../lib/errors.js";
import type { CommandContext } from "../spec.js";
import { lookupCommand } from "../table.js";
import { databaseCollection, DATABASES_MAX, DB_OUT_OF_RANGE, emptyDatabase, parseDatabaseIndex, writableDatabase } from "../databases.js";
import type { ScriptCalls } from "./redis_api.js";

const UNKNOWN = error("ERR", "Unknown Redis command called from script");
const WRONG_ARITY = error("ERR", "Wrong number of args calling Redis command from script");
const NOT_ALLOWED = error("ERR", "This Redis command is not allowed from script");
const WRITE_FROM_READ_ONLY = error("ERR", "Write commands are not allowed from read-only scripts.");

function arityFits(arity: number, argc: number): boolean {
  return arity >= 0 ? argc === arity : argc >= -arity;
}

/** Connection commands a script may call, answered without a connection. */
function connectionCall(ctx: CommandContext, name: string, args: ByteString[], select: (index: number) => void): Reply | null {
  switch (name) {
    case "SELECT": {
      const index = parseDatabaseIndex(args[0]!);
      if (typeof index !== "number") return index;
      if (index < 0 || index >= DATABASES_MAX) return DB_OUT_OF_RANGE;
      select(index);
      return OK;
    }
    case "PING":
      if (args.length > 1) return error("ERR", "wrong number of arguments for 'ping' command");
      return args.length === 0 ? status("PONG") : bulk(args[0]!);
    case "ECHO":
      return bulk(args[0]!);
    case "TIME": {
      const seconds = Math.floor(ctx.nowMs / 1000);
      return array([bulk(String(seconds)), bulk(String((ctx.nowMs - seconds * 1000) * 1000))]);
    }
    default:
      return null;
  }
}

export function scriptCalls(ctx: CommandContext, readOnly: boolean): ScriptCalls {
  let database: number | null = null; // set by SELECT: the script's calls run there from then on
  const contextFor = (writes: boolean): CommandContext => {
    if (database === null) return ctx;
    const name = databaseCollection(database);
    const collection = writes ? writableDatabase(ctx.engine, database) : (ctx.engine.collection(name) ?? emptyDatabase(name));
    return { ...ctx, collection };
  };
  const select = (index: number): void => {
    database = index;
  };
  return {
    call(argv: ByteString[]): Reply {
      const entry = lookupCommand(argv[0]!);
      if (entry === undefined) return UNKNOWN;
      if (!arityFits(entry.arity, argv.length)) return WRONG_ARITY;
      if (entry.flags.includes("noscript")) return NOT_ALLOWED;
      if (entry.scope === "connection") return connectionCall(ctx, entry.name, argv.slice(1), select) ?? NOT_ALLOWED;
      const writes = entry.flags.includes("write");
      if (readOnly && writes) return WRITE_FROM_READ_ONLY;
      try {
        const context = contextFor(writes);
        const args = argv.slice(1);
        // A script's writes notify as the same commands sent alone do (Redis sends keyspace events from scripts).
        const observed = writes ? observeKeys(context.engine, context.collection, entry, args) : null;
        const reply = entry.run(context, args);
        if (observed !== null) notifyChanges(context.engine, context.collection, observed, reply, { nowMs: context.nowMs, index: context.index });
        return reply;
      } catch (thrown) {
        if (thrown instanceof WalnutError) return error("ERR", thrown.message);
        throw thrown;
      }
    },
  };
}
