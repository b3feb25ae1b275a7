/**
 * walnut's one command table: every command's name, arity, flags, key positions and
 * summary, data commands and connection commands alike. Data commands carry their handler,
 * shared by the RESP server, the HTTP API, the embedded API and apply(); connection
 * commands (connection.ts) are run by the RESP server, which registers their handlers by
 * name. COMMAND, the ACL categories, the command metrics and docs/commands.md all read
 * this table. Each family of commands lives in its own file; this file only gathers them.
 */
import type { ByteString } from "../engine/bytes.js";
import { assert } from "../lib/assert.js";
import { bitmapCommands } from "./bitmaps.js";
import { collectionCommands } from "./collections.js";
import { connectionCommands } from "./connection.js";
import { counterCommands } from "./counters.js";
import { databaseCommands } from "./databases.js";
import { expiryCommands } from "./expiry.js";
import { hashCommands } from "./hashes.js";
import { hyperLogLogCommands } from "./hyperloglog.js";
import { keyCommands } from "./keys.js";
import { keyspaceCommands } from "./keyspace.js";
import { listBlockingCommands } from "./list_blocking.js";
import { listMoveCommands } from "./list_moves.js";
import { lcsCommands } from "./lcs.js";
import { listCommands } from "./lists.js";
import { scanCommands } from "./scan.js";
import { setCommands } from "./sets.js";
import { sortCommands } from "./sort.js";
import { sortedSetBlockingCommands } from "./sorted_set_blocking.js";
import { sortedSetCommands } from "./sorted_sets.js";
import { geoCommands } from "./geo.js";
import { pubsubCommands } from "./pubsub.js";
import type { CommandSpec, TableEntry } from "./spec.js";
import type { AclCategory } from "./acl_categories.js";
import { stringCommands } from "./strings.js";
import { evalCommands } from "./scripting/eval_commands.js";
import { functionCommands } from "./scripting/functions.js";
import { streamCommands } from "./streams.js";
import { streamGroupCommands } from "./stream_groups.js";
import { streamClaimCommands } from "./stream_claims.js";
import { streamInfoCommands } from "./stream_info.js";

export { checkArity } from "./dispatch_checks.js";

/**
 * A family of commands and the ACL category its commands share (acl_categories.ts):
 * a new family adds one line below, e.g. `[hashCommands, "hash"]`. null: the commands
 * name their own (`categories`) or have none beyond their flags'.
 */
type Family = readonly [TableEntry[], AclCategory | null];

function buildTable(families: readonly Family[]): ReadonlyMap<string, TableEntry> {
  const table = new Map<string, TableEntry>();
  const entries = families.flatMap(([commands, family]) => commands.map((spec): TableEntry => (family === null ? spec : { ...spec, family })));
  for (const spec of entries) {
    assert(spec.name === spec.name.toUpperCase(), `command name ${spec.name} must be upper case`);
    assert(!table.has(spec.name), `command ${spec.name} is defined twice`);
    if (spec.scope === "data") {
      const writes = spec.flags.includes("write");
      const publishes = spec.flags.includes("pubsub"); // PUBLISH, SPUBLISH: logged, though Redis flags them neither
      assert(publishes ? !writes && !spec.flags.includes("readonly") : writes !== spec.flags.includes("readonly"), `command ${spec.name} must be either write or readonly`);
      assert(writes || !spec.flags.includes("denyoom"), `command ${spec.name} is denyoom but not a write`);
    }
    table.set(spec.name, spec);
  }
  return table;
}

/** Every command, by upper-case name. */
export const commandTable: ReadonlyMap<string, TableEntry> = buildTable([
  [stringCommands, "string"],
  [counterCommands, "string"],
  [bitmapCommands, "bitmap"],
  [lcsCommands, "string"],
  [keyCommands, "keyspace"],
  [keyspaceCommands, "keyspace"],
  [sortCommands, "keyspace"],
  [databaseCommands, "keyspace"],
  [scanCommands, "keyspace"],
  [expiryCommands, "keyspace"],
  [listCommands, "list"],
  [listMoveCommands, "list"],
  [listBlockingCommands, "list"],
  [hyperLogLogCommands, "hyperloglog"],
  [hashCommands, "hash"],
  [setCommands, "set"],
  [sortedSetCommands, "sortedset"],
  [sortedSetBlockingCommands, "sortedset"],
  [geoCommands, "geo"],
  [pubsubCommands, "pubsub"],
  [streamCommands, "stream"],
  [streamGroupCommands, "stream"],
  [streamClaimCommands, "stream"],
  [streamInfoCommands, "stream"],
  [collectionCommands, "keyspace"],
  [evalCommands, "scripting"],
  [functionCommands, "scripting"],
  [connectionCommands, "connection"],
]);

/** The commands that run against the data (every face's executor and apply()), by upper-case name. */
export const dataCommands: ReadonlyMap<string, CommandSpec> = new Map(
  [...commandTable].filter((entry): entry is [string, CommandSpec] => entry[1].scope === "data"),
);

/** The entry of the command named `name`, in any case, of either scope; undefined when there is none. */
export function lookupCommand(name: ByteString): TableEntry | undefined {
  return commandTable.get(name) ?? commandTable.get(name.toUpperCase());
}

/** The upper-case name of the command spelled `spelling`, in any case; undefined when there is none (what metrics label by). */
export function commandName(spelling: ByteString): string | undefined {
  return lookupCommand(spelling)?.name;
}

/** The data command named `name`, in any case; undefined for connection commands and unknown names. */
export function lookupDataCommand(name: ByteString): CommandSpec | undefined {
  return dataCommands.get(name) ?? dataCommands.get(name.toUpperCase());
}
