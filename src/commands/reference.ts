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
  types); \`TYPE\` names them: string, blob, integer, float, boolean, list, hash, set.
  \`INCR\` on a string that holds an integer stores an integer. \`GET\` of an integer, float or
  boolean answers its text. A HyperLogLog is a string in Redis' own format: \`GET\` answers
  the bytes Redis would hold (sparse, then dense), and Redis' bytes \`SET\` into walnut count.
- **Transactions are all or nothing.** Redis' EXEC runs the remaining commands when one
  fails at run time; walnut undoes the whole transaction and answers
  \`EXECABORT Transaction discarded: command <n> (<NAME>) failed: <error>\`.
- **Versions.** Every key carries the log index of its last write (\`VERSION key\`);
  WATCH compares versions, so a write by the same client also aborts its EXEC (as in Redis).
- **Collections** replace numbered databases: \`COLLECTION CREATE name hash|ordered\`,
  \`USE name\`, \`RANGE start end [LIMIT n]\` on ordered collections.
- **Bounds.** A bit offset is refused past 2^32 - 1, as in Redis, but a write that would make
  a string longer than V8's longest string (24 bytes short of 512 MiB) answers
  \`string exceeds maximum allowed size\`. \`LCS\` fills its table up to 2^25 cells (two
  strings of about 5,800 bytes) and answers Redis' \`Insufficient memory ... for LCS\` beyond;
  \`LCS ... LEN\` has no such bound.
- **PFCOUNT's cache.** \`PFCOUNT\` of one key stores the cardinality in the HLL's header, as
  Redis does, so a later \`GET\` shows it. In walnut that store is a logged write, made only
  when the cache is stale; when it cannot be made (no leader) \`PFCOUNT\` still answers the
  count and the cache stays stale.
- **Floats** are IEEE doubles (Redis uses long doubles): \`INCRBYFLOAT\` of 0.1 and 0.2 gives
  0.30000000000000004.
- **maxmemory never evicts.** walnut has one \`maxmemory-policy\`, \`noeviction\`: \`CONFIG SET
  maxmemory-policy\` to any other of Redis' policies answers an error saying so. Used memory is
  the V8 heap in use plus V8's external memory, not the allocator's count; \`maxmemory 0\` means
  the default (half of V8's heap limit), not "no limit", and a \`maxmemory\` above three quarters
  of the heap limit is refused (\`NODE_OPTIONS=--max-old-space-size=<MiB>\` raises the heap).
  Sizes take Redis' units (\`2gb\`, \`100mb\`, \`1k\`) and also \`512MiB\` and decimals.
- **Blocking commands** (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP) block over RESP on any
  node of a cluster; waiters are served first come first served per node, and each pop is a
  log entry. Over HTTP and the embedded API they run once, as their non-blocking forms.
  Details and every difference: [blocking.md](blocking.md).
- **SCAN cursors** are server-side iterators for hash collections; an unknown or evicted
  cursor starts a new full iteration rather than failing.
- **Hash and set order.** A small hash (at most 128 fields, none and no value over 64 bytes)
  answers in insertion order and a small all-integer set (at most 512 members) in ascending
  numeric order, as Redis' listpacks and intsets do, and \`HSCAN\`/\`SSCAN\` answer them whole
  with cursor 0. Other hashes and sets, which Redis answers in no defined order, answer in
  insertion order; their \`HSCAN\`/\`SSCAN\` cursors are server-side iterators, like SCAN's.
- **HINCRBYFLOAT** computes in emulated 80-bit long doubles, so its results are Redis' to the
  byte (0.1 plus 0.2 is 0.3), unlike INCRBYFLOAT's doubles.
- **Random picks.** \`SPOP\` is a replicated write: the members it removes are chosen from the
  log index, the same on every replica. \`HRANDFIELD\`/\`SRANDMEMBER\` with a negative count
  beyond -1000000 are refused (walnut builds a reply in memory; Redis would stream it).
- **Expiry instants** stop 2^53 ms (about 285,000 years) after 1970: an expiry further ahead
  answers \`invalid expire time\`, where Redis takes any instant that fits 64 bits.
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
