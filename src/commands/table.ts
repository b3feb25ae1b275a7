/**
 * walnut's one command table: every command's name, arity, flags, key positions, summary
 * and handler, shared by the RESP server, the HTTP API, the embedded API and apply().
 * Each family of commands lives in its own file; this file only gathers them.
 */
import type { ByteString } from "../engine/bytes.js";
import { assert } from "../lib/assert.js";
import { collectionCommands } from "./collections.js";
import { counterCommands } from "./counters.js";
import { expiryCommands } from "./expiry.js";
import { hyperLogLogCommands } from "./hyperloglog.js";
import { keyCommands } from "./keys.js";
import { listCommands } from "./lists.js";
import { scanCommands } from "./scan.js";
import type { CommandSpec } from "./spec.js";
import { stringCommands } from "./strings.js";

export { checkArity } from "./dispatch_checks.js";

function buildTable(families: CommandSpec[][]): ReadonlyMap<string, CommandSpec> {
  const table = new Map<string, CommandSpec>();
  for (const spec of families.flat()) {
    assert(spec.name === spec.name.toUpperCase(), `command name ${spec.name} must be upper case`);
    assert(!table.has(spec.name), `command ${spec.name} is defined twice`);
    const writes = spec.flags.includes("write");
    assert(writes !== spec.flags.includes("readonly"), `command ${spec.name} must be either write or readonly`);
    assert(writes || !spec.flags.includes("denyoom"), `command ${spec.name} is denyoom but not a write`);
    table.set(spec.name, spec);
  }
  return table;
}

/** Every command, by upper-case name. */
export const commandTable: ReadonlyMap<string, CommandSpec> = buildTable([
  stringCommands,
  counterCommands,
  keyCommands,
  scanCommands,
  expiryCommands,
  listCommands,
  hyperLogLogCommands,
  collectionCommands,
]);

/** The spec of the command named `name`, in any case; undefined when there is none. */
export function lookupCommand(name: ByteString): CommandSpec | undefined {
  return commandTable.get(name) ?? commandTable.get(name.toUpperCase());
}
