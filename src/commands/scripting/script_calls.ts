/**
 * redis.call from a script: a command run through the command table against the same
 * engine, collection, clock and log index as the script, with Redis' checks and error
 * texts in Redis' order: unknown command, arity, commands scripts may not run (the
 * `noscript` flag: EVAL, MULTI, SUBSCRIBE ...), writes from a read-only script.
 *
 * Connection commands have no handler here (the RESP server runs them); PING, ECHO and
 * TIME, which scripts use, are answered here (TIME with the entry's clock, so every
 * replica reads the same time); any other is refused as not allowed from scripts.
 */
import type { ByteString } from "../../engine/bytes.js";
import { array, bulk, error, status, type Reply } from "../../engine/reply.js";
import { WalnutError } from "../../lib/errors.js";
import type { CommandContext } from "../spec.js";
import { lookupCommand } from "../table.js";
import type { ScriptCalls } from "./redis_api.js";

const UNKNOWN = error("ERR", "Unknown Redis command called from script");
const WRONG_ARITY = error("ERR", "Wrong number of args calling Redis command from script");
const NOT_ALLOWED = error("ERR", "This Redis command is not allowed from script");
const WRITE_FROM_READ_ONLY = error("ERR", "Write commands are not allowed from read-only scripts.");

function arityFits(arity: number, argc: number): boolean {
  return arity >= 0 ? argc === arity : argc >= -arity;
}

/** Connection commands a script may call, answered without a connection. */
function connectionCall(ctx: CommandContext, name: string, args: ByteString[]): Reply | null {
  switch (name) {
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
  return {
    call(argv: ByteString[]): Reply {
      const entry = lookupCommand(argv[0]!);
      if (entry === undefined) return UNKNOWN;
      if (!arityFits(entry.arity, argv.length)) return WRONG_ARITY;
      if (entry.flags.includes("noscript")) return NOT_ALLOWED;
      if (entry.scope === "connection") return connectionCall(ctx, entry.name, argv.slice(1)) ?? NOT_ALLOWED;
      if (readOnly && entry.flags.includes("write")) return WRITE_FROM_READ_ONLY;
      try {
        return entry.run(ctx, argv.slice(1));
      } catch (thrown) {
        if (thrown instanceof WalnutError) return error("ERR", thrown.message);
        throw thrown;
      }
    },
  };
}
