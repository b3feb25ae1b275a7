/**
 * The connection's handlers and the command table agree: every command the RESP connection
 * runs itself is a connection command of the table, and every connection command of the
 * table has a handler, so COMMAND, ACL, metrics and docs (which read the table) know every
 * command a client can send.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { commandTable } from "../../commands/table.js";
import { connectionHandlers, connectionSubcommandHandlers } from "./connection_commands.js";

const sorted = (names: Iterable<string>): string[] => [...names].sort();

test("every command the connection handles is a connection command of the table, and the other way round", () => {
  const inTable = [...commandTable.values()].filter((spec) => spec.scope === "connection").map((spec) => spec.name);
  assert.deepEqual(sorted(connectionHandlers.keys()), sorted(inTable));
});

test("data commands whose subcommands the connection runs (COLLECTION EXPORT|IMPORT) are data commands of the table", () => {
  for (const name of connectionSubcommandHandlers.keys()) assert.equal(commandTable.get(name)?.scope, "data", name);
});

test("the commands a client may send before signing in are the table's no_auth ones: AUTH, HELLO, QUIT and RESET", () => {
  const beforeSignIn = [...commandTable.values()].filter((spec) => spec.flags.includes("no_auth")).map((spec) => spec.name);
  assert.deepEqual(sorted(beforeSignIn), ["AUTH", "HELLO", "QUIT", "RESET"]);
});
