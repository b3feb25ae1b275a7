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
  types). \`TYPE\` and \`SCAN ... TYPE\` answer Redis' type, so Redis tools read every key
  (integer, float, boolean and blob are all \`string\` to Redis);
  \`WALNUT.TYPE key\` answers walnut's own kind: string, blob, integer, float, boolean, list,
  hash, set, zset (the HTTP API's \`kind\` field says the same).
  \`INCR\` on a string that holds an integer stores an integer. \`GET\` of an integer, float or
  boolean answers its text. A HyperLogLog is a string in Redis' own format: \`GET\` answers
  the bytes Redis would hold (sparse, then dense), and Redis' bytes \`SET\` into walnut count.
- **Transactions are all or nothing.** Redis' EXEC runs the remaining commands when one
  fails at run time; walnut undoes the whole transaction and answers
  \`EXECABORT Transaction discarded: command <n> (<NAME>) failed: <error>\` (<n> counts every
  command queued). Connection commands queued in the transaction (SELECT, PING, CLIENT ...)
  run only once it commits, so none of them runs when it is discarded.
- **Versions.** Every key carries the log index of its last write (\`VERSION key\`);
  WATCH compares versions, so a write by the same client also aborts its EXEC (as in Redis).
  Writes Redis does not count as modifications keep the version, so they abort no EXEC and
  invalidate nothing for CLIENT TRACKING, as in Redis: a change of a stream's consumer
  groups alone (XREADGROUP, XACK, XCLAIM, XAUTOCLAIM, XGROUP on an existing stream), XSETID,
  and an XDEL or XTRIM that removed nothing.
  A key absent at WATCH reads version 0 again if it was created and deleted before EXEC,
  so WATCH notes the index it saw such a key absent at, the transaction's log entry carries
  it, and applying the entry refuses the transaction (EXEC answers nil, as Redis) when the
  key was written after that index: it is there with a later version, or the replicated
  record of recent removals holds a later removal of it. Every replica judges alike, also
  for a WATCH on a follower that had not yet applied the create and delete. Conservative
  where Redis is not: EXEC also aborts when the key's database was flushed after WATCH
  though the key was never created, if the flush removed more than 10,000 keys (a smaller
  flush lists the keys it removed) or was a SWAPDB, when the expiry sweep
  removed a key that was already expired at WATCH, and when more than 65,536 removals
  happened since WATCH (the record keeps that many).
- **Numbered databases are collections.** \`SELECT n\` (0 to \`--databases\` minus 1, 16 by
  default) runs the connection in database n: database 0 is the \`default\` collection,
  database n the collection \`dbn\` (\`db1\` ... \`db15\`), created (hash) by its first write and
  read as empty before it. \`FLUSHDB\`, \`FLUSHALL\`, \`SWAPDB\`, \`MOVE\`, \`INFO keyspace\` and
  \`CLIENT LIST\`'s \`db=\` work as in Redis. \`FLUSHALL\` also empties collections of your own;
  \`SWAPDB\` moves every key of both (O(n)) and so changes their versions (WATCH sees it).
  Over HTTP and embedded, MOVE and SWAPDB accept databases up to 1023 whatever \`--databases\` says.
- **Collections** beyond the databases: \`COLLECTION CREATE name hash|ordered\`,
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
- **Connection commands in MULTI** (PING, ECHO, SELECT, CLIENT, INFO, TIME, CONFIG...) are
  queued as in Redis and run once EXEC's data commands are applied (all at one log index),
  their replies in their places; a SELECT queued in MULTI moves the data commands after it
  into the database it selects.
- **Introspection.** \`INFO\` has Redis 7.0's sections and field names (values are walnut's:
  checkpoints show as RDB saves, the WAL as the AOF, features walnut has not as Redis shows
  them idle) and adds walnut's own sections (Raft, WAL, Collections, Walnut) after Keyspace;
  it has no Latencystats. \`keyspace_hits\`/\`misses\` count the keys of read-only commands
  (Redis also counts the lookups of GETSET, GETDEL, GETEX and SET ... GET).
  \`COMMAND INFO\` and \`COMMAND DOCS\` answer Redis 7.0's facts (tips, key specs,
  subcommands, arguments, since, group, history; src/commands/docs/, generated from
  redis-server by scripts/generate_command_facts.mjs) with one difference: **summaries and
  complexity texts are walnut's own** words (subcommands have neither yet).
  Subcommands are listed as Redis lists them, in name order (Redis' order is its hash
  table's), including those walnut's handler does not implement. Walnut's own commands
  (WALNUT.TYPE, COLLECTION, RAFT ...) are in group \`walnut\`. \`CONFIG GET\` answers several settings in walnut's order (Redis' order is its
  hash table's), and \`port\`, \`databases\`, \`appendfsync\` and \`dir\` cannot be set at run time.
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
- **Pub/sub and keyspace notifications** are cluster-wide: \`PUBLISH\` and \`SPUBLISH\` are log
  entries that every node delivers to its own subscribers as it applies them, so a message
  published on any node reaches every node's subscribers, in the log's order. Their reply
  counts the receivers on the node the client is connected to (as Redis Cluster counts the
  node that ran it), not the cluster's: counting those would make \`PUBLISH\` wait for every
  node. \`PUBSUB\` answers for the whole cluster, like one redis-server for all its clients:
  the node asked asks every other member (1 s each, at most 8 questions in flight to a member,
  more wait their turn) and a member that does not answer adds nothing. Keyspace notifications
  (\`CONFIG SET notify-keyspace-events\`, a setting of each node) are generated as each node
  applies an entry, so followers notify too; MOVE, COPY ... DB and SWAPDB send none, and a
  rolled-back transaction's events are still sent. Details: [pubsub.md](pubsub.md).
- **Client-side caching** (\`CLIENT TRACKING\`, \`CACHING\`, \`GETREDIR\`, \`TRACKINGINFO\`) works on
  every node of a cluster: a tracking client hears of the writes its node applies, whoever
  made them. Differences: \`SWAPDB\` (and \`COLLECTION IMPORT\`, a checkpoint installed from the
  leader) sends the null "every key" message, where Redis 7.0 sends nothing for SWAPDB; a
  script's or function's declared keys are remembered, where Redis remembers the keys its
  read commands use; a BCAST client's own write is announced right after its reply, where
  Redis waits for the end of its event loop iteration (after the replies of the pipelined
  commands it read with it); a push that serves a blocked pop and the pop are two entries, so
  BCAST announces the key once for each (Redis, one message for the iteration), and under
  NOLOOP a served sorted-set pop leaves the other client's ZADD announced (Redis 7.0 credits
  the key to the popping client); overlapping PREFIXes after the first answer only the error
  (Redis 7.0 also answers OK and adds them). Details: [client-side-caching.md](client-side-caching.md).
- **DUMP and RESTORE** use walnut's own payload (the checkpoint's value layout, a format
  version and a CRC32; snapshot/dump_payload.ts), not Redis' RDB serialization: a payload
  from redis-server is refused with \`ERR DUMP payload version or checksum are wrong\`, as
  redis-server refuses walnut's. Within walnut, DUMP and RESTORE (REPLACE, ABSTTL, IDLETIME,
  FREQ, TTL) behave as in Redis; \`walnut import\` copies a live Redis without DUMP.
- **OBJECT ENCODING** answers the encoding redis-server 7.0 (with its compiled-in defaults)
  would use for the same data: int/embstr/raw strings (raw once APPENDed or SETRANGEd),
  quicklist lists, listpack/hashtable hashes (512 fields, 64 bytes), intset/hashtable sets
  (512 integers), listpack/skiplist sorted sets (128 members, 64 bytes); a value that
  outgrew its compact encoding keeps the large one until it is replaced, as in Redis. Walnut
  does not store Redis' encodings, so after a restart it answers from the content, as Redis
  does after loading an RDB; a HyperLogLog is always raw (Redis answers embstr for a small
  sparse one after RESTORE). **OBJECT REFCOUNT** answers 2147483647 for the integers 0..9999
  Redis shares (also for a COPY of one, where Redis answers 1).
- **OBJECT IDLETIME** counts from the key's last read or write by a command on the node
  that answers (reads on other nodes, the embedded \`get\` and HTTP's \`GET /key\` do not
  count; keys loaded from a checkpoint count from the node's start); TYPE, EXISTS, TTL,
  OBJECT and SCAN do not count as access, as in Redis.
  **OBJECT FREQ** answers Redis' error: walnut's maxmemory-policy is always noeviction.
- **MEMORY USAGE** is walnut's estimate of the bytes of its own heap the key and its value
  take (every element counted; SAMPLES is accepted and changes nothing), not Redis'
  figure. MEMORY has only USAGE and HELP.
- **Scripting** (EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT, FUNCTION, FCALL, FCALL_RO) runs
  real Lua 5.1 (WebAssembly) with Redis' API and libraries. A writing script is one log entry
  carrying its body, run by every replica in apply(); a no-writes one takes the read path.
  A script running past busy-reply-threshold makes other clients' commands answer \`BUSY\`,
  and SCRIPT KILL / FUNCTION KILL kill a read-only one, as in Redis. Differences: a script
  that may write (a log entry every replica runs) is never killed: SCRIPT KILL answers
  \`UNKILLABLE\` with walnut's reason, since killing it on one replica would make the
  replicas diverge; instead a script is stopped after 500 million Lua instructions (the
  same instruction on every replica) or a 256 MiB Lua heap, and its writes are undone. BUSY
  is answered, and a kill heard, also while a script loops inside pcall, xpcall or a coroutine,
  but not while it loops inside a metamethod, a \`table.sort\` comparator or a \`string.gsub\`
  callback (Lua 5.1 cannot yield there): other clients wait until it leaves, and the
  instruction budget still stops it. In a function run by pcall, \`error(message, level)\`
  with a level reaching past the pcall adds no position. SHUTDOWN NOSAVE during a long
  write script stops at once, as in Redis; the script's log entry is applied whole after a
  restart. \`math.random\` is seeded per script from
  the log index (Redis' sequence runs on across scripts); SCRIPT DEBUG YES is refused;
  redis.call reaches data commands and PING, ECHO, SELECT, TIME (the entry's clock); other
  connection commands (CLIENT, CONFIG, INFO ...) answer "not allowed from script". FUNCTION DUMP's
  payload is walnut's own. Details: [scripting.md](scripting.md).
- **SORT** of a set with \`BY nosort\` (and no STORE) answers the set's insertion order, where
  Redis answers its hash table's order; everything else sorts as Redis does. SORT is a write
  (it may STORE), so it goes through the log; SORT_RO is on the read path.
- **Streams**: \`~\` trimming removes as many entries as \`=\` would (within LIMIT, 10000
  by default), where Redis removes only whole internal nodes of about 100 entries and so
  often fewer; XINFO's radix-tree-keys and radix-tree-nodes are an estimate (walnut has
  no radix tree): one key per 100 entries, one node more. XREAD and XREADGROUP BLOCK wait
  as in Redis (blocking.md says how, and what differs in a cluster). XGROUP is not denyoom as a whole
  (Redis flags only its CREATE and CREATECONSUMER), so \`XGROUP CREATE ... MKSTREAM\` is not
  refused over maxmemory.
- **SCAN cursors** are server-side iterators for hash collections; an unknown or evicted
  cursor starts a new full iteration rather than failing.
- **Hash and set order.** A small hash (at most 512 fields, none and no value over 64 bytes)
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
