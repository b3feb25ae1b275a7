/**
 * docs/commands.md, generated from the command table so the reference cannot drift from
 * the code: `node dist/commands/reference.js > docs/commands.md`. A test fails when the
 * committed file is stale. Connection commands (AUTH, HELLO, MULTI, ...) come from the same
 * table, in a section of their own.
 */
import { fileURLToPath } from "node:url";
import { commandTable } from "./table.js";

/** "2" for exactly two arguments, "2+" for at least two (the name not counted). */
function argumentCount(arity: number): string {
  return arity >= 0 ? `${arity - 1}` : `${-arity - 1}+`;
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|");
}

export function commandsReference(): string {
  const entries = [...commandTable.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  const rows = entries.flatMap((spec) =>
    spec.scope === "data" ? [`| \`${spec.name}\` | ${argumentCount(spec.arity)} | ${spec.flags.join(", ")} | ${cell(spec.summary)} |`] : [],
  );
  const connectionRows = entries.flatMap((spec) =>
    spec.scope === "connection"
      ? [`| \`${cell(spec.usage)}\` | ${argumentCount(spec.arity)} | ${spec.flags.join(", ")} | ${cell(spec.summary)} |`]
      : [],
  );
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

These run on the RESP connection, with its state (its user, transaction, collection and
protocol). Their arguments, flags and key positions are Redis 7.0's (USE and RAFT are
walnut's own): \`no_auth\` commands answer before the connection has signed in, \`no_multi\`
ones are refused inside MULTI.

| command | arguments | flags | what it does |
| --- | --- | --- | --- |
${connectionRows.join("\n")}

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
- **Sorted sets have one encoding.** A score of -0 is stored as 0 (Redis keeps -0 only in
  sets of more than 128 members). \`ZSCAN\` of up to 128 members answers them all in score
  order with cursor 0, as Redis does; a larger set is walked in score order, \`COUNT\` at a
  time, with a server-side cursor (Redis walks its hash table, in no order).
  \`ZRANDMEMBER\` with a negative count answers at most 10,000,000 members. Members at the
  very same distance in a sorted \`GEOSEARCH\`/\`GEORADIUS\` reply may come in another order
  than Redis' (its qsort is not stable), and GEOSEARCH's "exactly one of ..." errors name the
  command in lower case (Redis repeats the client's spelling).
`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.stdout.write(commandsReference());
