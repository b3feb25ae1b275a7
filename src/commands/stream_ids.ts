/**
 * Reading stream IDs and the trimming options from command arguments, as Redis 7.0 does:
 * `ms-seq`, `ms` (the sequence filled in by the caller's choice), `-` and `+` where a range
 * allows them, `(id` for an exclusive range end, `ms-*` for XADD.
 */
import type { ByteString } from "../engine/bytes.js";
import { MAX_ID, MIN_ID, UINT64_MAX, type StreamId } from "../engine/stream.js";
import { error, type Reply } from "../engine/reply.js";

export const INVALID_ID: Reply = Object.freeze(error("ERR", "Invalid stream ID specified as stream command argument"));

/** An unsigned 64-bit decimal, as Redis' string2ull reads it; undefined when it is not one. */
function parseUint64(text: string): bigint | undefined {
  if (!/^[0-9]+$/.test(text)) return undefined;
  const value = BigInt(text);
  return value <= UINT64_MAX ? value : undefined;
}

/**
 * An ID; `missingSeq` fills the sequence of a bare `ms`. `-` and `+` read as the smallest
 * and largest IDs unless `strict`.
 */
export function parseId(text: ByteString, missingSeq: bigint, strict: boolean): StreamId | undefined {
  if (!strict && text === "-") return MIN_ID;
  if (!strict && text === "+") return MAX_ID;
  const dash = text.indexOf("-");
  if (dash < 0) {
    const ms = parseUint64(text);
    return ms === undefined ? undefined : { ms, seq: missingSeq };
  }
  const ms = parseUint64(text.slice(0, dash));
  const seq = parseUint64(text.slice(dash + 1));
  return ms === undefined || seq === undefined ? undefined : { ms, seq };
}

/** XADD's ID: `*` (auto), `ms-*` (auto sequence) or an explicit one. */
export type AddId = { kind: "auto" } | { kind: "autoSeq"; ms: bigint } | { kind: "explicit"; id: StreamId };

export function parseAddId(text: ByteString): AddId | undefined {
  if (text === "*") return { kind: "auto" };
  if (text.endsWith("-*")) {
    const ms = parseUint64(text.slice(0, -2));
    return ms === undefined ? undefined : { kind: "autoSeq", ms };
  }
  const id = parseId(text, 0n, true);
  return id === undefined ? undefined : { kind: "explicit", id };
}

/** One end of an XRANGE interval: `(` makes it exclusive (then `-` and `+` are not allowed). */
export function parseIntervalEnd(text: ByteString, missingSeq: bigint): { id: StreamId; exclusive: boolean } | undefined {
  if (text.length > 1 && text.startsWith("(")) {
    const id = parseId(text.slice(1), missingSeq, true);
    return id === undefined ? undefined : { id, exclusive: true };
  }
  const id = parseId(text, missingSeq, false);
  return id === undefined ? undefined : { id, exclusive: false };
}

export const INTEGER_PATTERN = /^-?(0|[1-9][0-9]*)$/;

/** A name as Redis' error messages show it: formatted with %s, it ends at its first NUL byte. */
export function cText(text: ByteString): ByteString {
  const nul = text.indexOf("\0");
  return nul < 0 ? text : text.slice(0, nul);
}

/**
 * XGROUP's and XINFO's subcommand checks, made as Redis makes them before the call runs (so
 * also when MULTI queues it): an unknown subcommand, or a subcommand's arity (counting the
 * command and the subcommand; HELP takes nothing more). null: the call may run.
 */
export function subcommandError(command: string, arities: Readonly<Record<string, number>>, args: ByteString[]): Reply | null {
  const sub = (args[0] ?? "").toUpperCase();
  const arity = sub === "HELP" ? 2 : Object.hasOwn(arities, sub) ? arities[sub] : undefined;
  if (arity === undefined) return error("ERR", `unknown subcommand '${cText(args[0] ?? "").slice(0, 128)}'. Try ${command} HELP.`);
  const count = args.length + 1;
  const fits = arity > 0 ? count === arity : count >= -arity;
  return fits ? null : error("ERR", `wrong number of arguments for '${command.toLowerCase()}|${sub.toLowerCase()}' command`);
}
