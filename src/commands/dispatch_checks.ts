/**
 * The checks the dispatcher makes for every command before its handler runs, with
 * Redis' wording: the command exists, and its argument count fits its arity (N: exactly
 * N words counting the name, -N: at least N).
 */
import type { ByteString } from "../engine/bytes.js";
import { error, type Reply } from "../engine/reply.js";
import type { CommandDescription } from "./spec.js";

/** Arguments of an unknown command shown in its error, as Redis shows them. */
const SHOWN_ARGUMENTS_MAX = 8;
const SHOWN_ARGUMENT_BYTES_MAX = 128;

/** null when `argc` (the name included) fits the spec's arity, else Redis' error. */
export function checkArity(spec: CommandDescription, argc: number): Reply | null {
  const fits = spec.arity >= 0 ? argc === spec.arity : argc >= -spec.arity;
  return fits ? null : error("ERR", `wrong number of arguments for '${spec.name.toLowerCase()}' command`);
}

/** "ERR unknown command 'FOO', with args beginning with: 'a' 'b' " */
export function unknownCommand(argv: readonly ByteString[]): Reply {
  const shown = argv
    .slice(1, 1 + SHOWN_ARGUMENTS_MAX)
    .map((arg) => `'${arg.slice(0, SHOWN_ARGUMENT_BYTES_MAX)}' `)
    .join("");
  const name = (argv[0] ?? "").slice(0, SHOWN_ARGUMENT_BYTES_MAX);
  return error("ERR", `unknown command '${name}', with args beginning with: ${shown}`);
}
