/**
 * docs/commands.md, generated from the command table so the reference cannot drift from
 * the code: `node dist/commands/reference.js > docs/commands.md`. A test fails when the
 * committed file is stale. Connection-level commands (AUTH, HELLO, MULTI, ...) are listed
 * by hand at the end because they live in the server, not in the table.
 */
import { fileURLToPath } from "node:url";
import { commandTable } from "./table.js";

const connectionCommands: Array<[string, string]> = [
  ["PING [message]", "Answers PONG, or the message"],
  ["ECHO message", "Answers the message"],
  ["AUTH [username] password", "Authenticates the connection"],
  ["HELLO [2|3] [AUTH username password] [SETNAME name]", "Chooses RESP2 or RESP3, optionally authenticating"],
  ["QUIT / RESET", "Closes the connection / resets its state"],
  ["SELECT 0", "Database 0 is the only one; use collections instead"],
  ["USE collection", "Runs later commands of this connection in a collection"],
  ["MULTI / EXEC / DISCARD", "An atomic, all-or-nothing transaction logged as one entry"],
  ["WATCH key [key ...] / UNWATCH", "EXEC answers nil when a watched key's version changed"],
  ["COLLECTION EXPORT name path / COLLECTION IMPORT path name hash|ordered", "LokiKV's persist and load-as-other-type"],
  ["SAVE / BGSAVE / LASTSAVE", "Takes a checkpoint now (in the background) / when the last one finished"],
  ["SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]", "Stops the server as in Redis 7.0; SAVE takes a checkpoint first (nothing is lost without it: writes are in the WAL)"],
  ["FLUSHALL", "Empties every collection"],
  ["INFO [section ...]", "server, clients, memory, persistence, stats, replication, wal, collections, keyspace"],
  ["CLIENT ID|SETNAME|GETNAME|LIST|INFO|KILL", "Connection introspection"],
  ["COMMAND [COUNT|LIST|INFO|DOCS]", "This table, for clients"],
  ["CONFIG GET pattern / CONFIG SET name value", "Run-time settings (requirepass, maxclients, timeout, maxmemory, maxmemory-policy)"],
  ["TIME", "Server time"],
  ["RAFT STATUS / RAFT ADD id host:port [LEARNER] / RAFT REMOVE id / RAFT TRANSFER id", "Cluster membership and leadership"],
];

export function commandsReference(): string {
  const rows = [...commandTable.values()]
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((spec) => {
      const arity = spec.arity >= 0 ? `${spec.arity - 1}` : `${-spec.arity - 1}+`;
      return `| \`${spec.name}\` | ${arity} | ${spec.flags.join(", ")} | ${spec.summary.replace(/\|/g, "\\|")} |`;
    });
  return `# Commands

Generated from the command table (\`src/commands/table.ts\`) by
\`node dist/commands/reference.js > docs/commands.md\`; do not edit by hand. The same table
serves RESP, HTTP and the embedded API (\`db.command(...)\`).

Arguments counts exclude the command name ("2+" = at least two). \`write\` commands become
log entries and answer once committed; \`readonly\` ones run on the read path. \`denyoom\`
commands (Redis 7.0's flag, on the same commands) may add data: while used memory is over
\`maxmemory\` they answer \`-OOM command not allowed when used memory > 'maxmemory'.\` and
nothing is written (docs/operations.md, "Memory"); so do \`COLLECTION CREATE\` and \`LOAD\`.

| command | arguments | flags | what it does |
| --- | --- | --- | --- |
${rows.join("\n")}

## Connection commands (RESP server)

| command | what it does |
| --- | --- |
${connectionCommands.map(([usage, what]) => `| \`${usage}\` | ${what} |`).join("\n")}

## Where walnut differs from Redis, on purpose

- **Typed values.** \`SET k v AS integer|float|boolean|blob\` stores a typed value (LokiKV's
  types); \`TYPE\` names them: string, blob, integer, float, boolean, list, hyperloglog.
  \`INCR\` on a string that holds an integer stores an integer. \`GET\` of an integer, float or
  boolean answers its text; \`GET\` of a HyperLogLog answers WRONGTYPE.
- **Transactions are all or nothing.** Redis' EXEC runs the remaining commands when one
  fails at run time; walnut undoes the whole transaction and answers
  \`EXECABORT Transaction discarded: command <n> (<NAME>) failed: <error>\`.
- **Versions.** Every key carries the log index of its last write (\`VERSION key\`);
  WATCH compares versions, so a write by the same client also aborts its EXEC (as in Redis).
- **Collections** replace numbered databases: \`COLLECTION CREATE name hash|ordered\`,
  \`USE name\`, \`RANGE start end [LIMIT n]\` on ordered collections.
- **Floats** are IEEE doubles (Redis uses long doubles): \`INCRBYFLOAT\` of 0.1 and 0.2 gives
  0.30000000000000004.
- **maxmemory never evicts.** walnut has one \`maxmemory-policy\`, \`noeviction\`: \`CONFIG SET
  maxmemory-policy\` to any other of Redis' policies answers an error saying so. Used memory is
  the V8 heap in use plus V8's external memory, not the allocator's count; \`maxmemory 0\` means
  the default (half of V8's heap limit), not "no limit", and a \`maxmemory\` above three quarters
  of the heap limit is refused (\`NODE_OPTIONS=--max-old-space-size=<MiB>\` raises the heap).
  Sizes take Redis' units (\`2gb\`, \`100mb\`, \`1k\`) and also \`512MiB\` and decimals.
- **SCAN cursors** are server-side iterators for hash collections; an unknown or evicted
  cursor starts a new full iteration rather than failing.
`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.stdout.write(commandsReference());
