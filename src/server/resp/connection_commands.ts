/**
 * Commands that belong to a connection rather than to the data: authentication (AUTH,
 * ACL WHOAMI|LIST), protocol negotiation (HELLO), MULTI/EXEC/WATCH, USE, CLIENT, COMMAND,
 * INFO, CONFIG, SAVE, SHUTDOWN, and the subscribing commands and PUBSUB (pubsub_commands.ts,
 * which also says what RESP2 subscriber mode refuses). They are entries of the one command table (commands/connection.ts:
 * arity, flags, access); their handlers are registered here under the table's names, and
 * a check at load fails when the two disagree. Everything else goes to the table's data
 * commands through the executor. Every command is first checked against the connection's
 * user (server/acl.ts): NOAUTH before sign-in (unless flagged no_auth), NOPERM outside the
 * user's categories; no_multi commands are refused inside MULTI.
 *
 * Inside MULTI every other command is queued, connection commands included (PING, SELECT,
 * INFO, CONFIG...): EXEC logs the data commands as one atomic batch, then runs the
 * connection commands, each reply in its place. SELECT picks a numbered database
 * (commands/databases.ts); MOVE and SWAPDB are checked against --databases here, before
 * they reach the log, since the count is this server's setting and not replicated state.
 *
 * runConnectionCommand decides what a command is (a reply now, a write to wait for, or a
 * read to run once the connection's own earlier writes are applied); the connection
 * (connection.ts) keeps the replies in order.
 */
import type { ByteString } from "../../engine/bytes.js";
import type { CommandCall, VersionCondition } from "../../node/entry.js";
import { resolveCommand } from "../../commands/executor.js";
import { checkArity, commandTable, lookupCommand } from "../../commands/table.js";
import { assert } from "../../lib/assert.js";
import { OOM_REPLY } from "../../commands/memory_limit.js";
import { error, OK, QUEUED, array, bulk, integer, status, type Reply } from "../../engine/reply.js";
import { describeError } from "../../lib/errors.js";
import { noPermissionText, permits, permitsEverything, requiredCategory, type AclUser } from "../acl.js";
import type { ClientHandle, ServerContext } from "../server_context.js";
import { clientCommand } from "./client_command.js";
import { commandCommand } from "./command_command.js";
import { configCommand } from "./config_command.js";
import { infoReply } from "./info.js";
import { raftCommand } from "./raft_command.js";
import { SYNTAX_ERROR } from "../../commands/access.js";
import { databaseCollection, databaseRangeError, DB_OUT_OF_RANGE, isDatabaseCollection, parseDatabaseIndex } from "../../commands/databases.js";
import type { ConnectionCommandSpec } from "../../commands/spec.js";
import { parseShutdownArguments } from "../shutdown.js";
import { shutdownGate } from "../../commands/scripting/script_busy.js";
import type { Blocking, BlockingWrites } from "./blocked_clients.js";
import { WriteSession } from "./write_session.js";
import { ALLOWED_WHILE_WATCHING_RESP2, startWatch, stopWatch, type RespWatch } from "./watch_command.js";
import { watchCondition } from "./watched_absent.js";
import type { BlockingRead, CommandSpec } from "../../commands/spec.js";
import { blockingReadOf, waitForRead } from "./blocked_reads.js";
import { pubsubCommand, subscriberModeRefusal, SUBSCRIBING_COMMANDS, type Subscriptions } from "./pubsub_commands.js";
import { isScriptCall, readKeys, trackedRead } from "./tracked_reads.js";

export interface ConnectionState {
  /** Set by connection.ts at connect; `user` decides, and this mirrors `user !== null`. */
  authenticated: boolean;
  /**
   * Who the connection acts as: undefined until its first command, then the default user
   * if it needs no password, else null until AUTH or HELLO ... AUTH succeeds.
   */
  user?: AclUser | null;
  /**
   * While an AUTH's scrypt check runs, the reply of the last command sent since: later
   * commands wait for it, so they run in order and as the user the AUTH signs in.
   */
  signingIn?: Promise<Reply> | null;
  /** The transaction since MULTI, or null outside one. */
  multi: Transaction | null;
  /** While EXEC runs the queued connection commands: how many commands it runs (CLIENT LIST's multi=). */
  executing?: number | null;
  /** Versions recorded by WATCH: EXEC applies nothing if one changed. */
  watched: VersionCondition[];
  connection: ClientHandle;
  /** The ordered session every write of this connection goes under, blocking ones included, made at the first (write_session.ts). */
  writes?: WriteSession;
  /** The blocking command this connection waits in, if any (cancelled when it closes). */
  blockedIn?: Blocking | null;
  /** The connection's WALNUT.WATCH, if any (watch_command.ts; stopped when it closes). */
  watching?: RespWatch | null;
  /** Its channels, patterns and shard channels (pubsub_commands.ts); set by connection.ts. */
  subscriptions?: Subscriptions;
}

/**
 * A command queued since MULTI: a data call, which EXEC logs with the others as one atomic
 * batch, or a connection command (PING, SELECT, INFO, CONFIG, ...), which EXEC runs once
 * the batch is applied, its reply in its place among the batch's.
 */
type Queued = { kind: "data"; call: CommandCall } | { kind: "connection"; argv: ByteString[]; run: () => Outcome };

export interface Transaction {
  queued: Queued[];
  /** A command was refused while queuing: EXEC answers EXECABORT. */
  failed: boolean;
  /** The collection later data calls run in: the connection's, changed by a queued SELECT or USE. */
  collection: string;
}

/**
 * How INFO commandstats counts a command (command_stats.ts): it ran (the default), it was
 * refused before running, or it was queued in MULTI (counted when EXEC runs it).
 */
export type Accounting = "ran" | "rejected" | "queued";

export type Outcome =
  | { kind: "reply"; reply: Reply; nilArray?: boolean; closeAfter?: boolean; accounting?: Accounting }
  // holdsInput: the connection runs no later command until this one answers (a blocked client).
  // entryIndex: the write's log index once applied, by which the connection orders pub/sub messages before or after its reply.
  | { kind: "write"; pending: Promise<Reply>; nilArray?: boolean; holdsInput?: boolean; transaction?: ByteString[][]; entryIndex?: Promise<number> }
  | { kind: "read"; read: () => Reply | Promise<Reply> }
  // SUBSCRIBE and friends: one frame per name, pushes in RESP3 (pubsub_commands.ts).
  | { kind: "pushes"; frames: Reply[][] };

export interface ConnectionHooks {
  afterOwnWrites<T>(run: () => T | Promise<T>): T | Promise<T>;
}

const now = (reply: Reply): Outcome => ({ kind: "reply", reply });
/** An error before the command ran: counted as a rejected call. */
const refused = (reply: Reply): Outcome => ({ kind: "reply", reply, accounting: "rejected" });
/** A reply that may have to wait for scrypt. */
const later = (reply: Reply | Promise<Reply>): Outcome => (reply instanceof Promise ? { kind: "write", pending: reply } : now(reply));

/** Commands that act on the transaction itself rather than being queued. */
const TRANSACTION_CONTROL = new Set(["EXEC", "DISCARD", "MULTI", "WATCH", "QUIT", "RESET"]);

function currentUser(context: ServerContext, state: ConnectionState): AclUser | null {
  if (state.user === undefined) becomeUser(state, context.access.initialUser());
  return state.user ?? null;
}

function becomeUser(state: ConnectionState, user: AclUser | null): void {
  state.user = user;
  state.authenticated = user !== null;
}

/**
 * Signs the connection in as `username` and answers `onSuccess()`; on a wrong pair the
 * connection keeps its user. The reply comes now, or once scrypt has answered.
 */
function signIn(
  context: ServerContext,
  state: ConnectionState,
  credentials: { username: ByteString; password: ByteString },
  onSuccess: () => Reply,
): Reply | Promise<Reply> {
  const finish = (user: AclUser | null): Reply => {
    if (user === null) return error("WRONGPASS", "invalid username-password pair or user is disabled.");
    becomeUser(state, user);
    return onSuccess();
  };
  const checked = context.access.authenticate(credentials.username, credentials.password);
  if (!(checked instanceof Promise)) return finish(checked);
  return checked.then(finish, (cause: unknown) => error("ERR", describeError(cause)));
}

function auth(context: ServerContext, state: ConnectionState, args: ByteString[]): Reply | Promise<Reply> {
  if (args.length > 2) return error("ERR", "wrong number of arguments for 'auth' command");
  // Only the one-argument form is refused without a password configured: like Redis 7.0,
  // "AUTH default <anything>" (and HELLO ... AUTH default) then signs in as the default user.
  if (args.length === 1 && context.access.defaultHasNoPassword()) {
    return error(
      "ERR",
      "AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
    );
  }
  const [username, password] = args.length === 2 ? [args[0] as string, args[1] as string] : ["default", args[0] as string];
  return signIn(context, state, { username, password }, () => OK);
}

function hello(context: ServerContext, state: ConnectionState, args: ByteString[]): Reply | Promise<Reply> {
  let protocol = state.connection.protocol;
  let index = 0;
  if (args.length > 0) {
    const asked = Number(args[0]);
    if (!Number.isInteger(asked)) return error("ERR", "Protocol version is not an integer or out of range");
    if (asked !== 2 && asked !== 3) return error("NOPROTO", "sorry, this protocol version is not supported.");
    protocol = asked;
    index = 1;
  }
  let name: string | null = null;
  let credentials: { username: ByteString; password: ByteString } | null = null;
  for (; index < args.length; index++) {
    const option = (args[index] as string).toUpperCase();
    if (option === "AUTH" && args[index + 2] !== undefined) {
      credentials = { username: args[index + 1] as string, password: args[index + 2] as string };
      index += 2;
    } else if (option === "SETNAME" && args[index + 1] !== undefined) {
      name = args[++index] as string;
    } else {
      return error("ERR", `Syntax error in HELLO option '${args[index]}'`);
    }
  }
  const answer = (): Reply => {
    if (currentUser(context, state) === null) {
      return error("NOAUTH", "HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
    }
    state.connection.protocol = protocol;
    if (name !== null) state.connection.name = name;
    return helloReply(state, protocol);
  };
  return credentials === null ? answer() : signIn(context, state, credentials, answer);
}

function helloReply(state: ConnectionState, protocol: 2 | 3): Reply {
  return {
    type: "map",
    entries: [
      [bulk("server"), bulk("walnut")],
      [bulk("version"), bulk("7.0.0")],
      [bulk("proto"), integer(protocol)],
      [bulk("id"), integer(state.connection.id)],
      [bulk("mode"), bulk("standalone")],
      [bulk("role"), bulk("master")],
      [bulk("modules"), array([])],
    ],
  };
}

/** ACL WHOAMI | LIST. */
function acl(context: ServerContext, state: ConnectionState, args: ByteString[]): Reply {
  const sub = (args[0] ?? "").toUpperCase();
  if (sub === "WHOAMI" && args.length === 1) return bulk(currentUser(context, state)?.name ?? "default");
  if (sub === "LIST" && args.length === 1) return array(context.access.describeUsers().map((line) => bulk(line)));
  return error("ERR", `unknown subcommand or wrong number of arguments for '${args[0] ?? ""}'. Try ACL WHOAMI or ACL LIST.`);
}

/** WATCH: remember each key's current version (0 when absent or expired). */
function watch(context: ServerContext, state: ConnectionState, keys: ByteString[]): Reply {
  const collectionName = state.connection.collection;
  const nowMs = context.executor.node.now();
  context.executor.node.read((engine) => {
    for (const key of keys) state.watched.push(watchCondition(engine, collectionName, key, nowMs));
  });
  return OK;
}

function exec(context: ServerContext, state: ConnectionState): Outcome {
  const multi = state.multi;
  if (multi === null) return now(error("ERR", "EXEC without MULTI")); // the watched keys stay watched, as in Redis
  const watched = state.watched;
  state.multi = null;
  state.watched = [];
  if (multi.failed) return now(error("EXECABORT", "Transaction discarded because of previous errors."));
  if (multi.queued.length === 0 && watched.length === 0) return now(array([]));
  let calls = multi.queued.flatMap((queued) => (queued.kind === "data" ? [queued.call] : []));
  if (context.tracking.skipsOwnWrites(state.connection.id)) {
    // NOLOOP knows its writes by the calls that reach the log (EVALSHA logged as EVAL); preparing again changes nothing.
    const prepared = context.executor.prepareBatch(calls);
    if (Array.isArray(prepared)) calls = prepared;
  }
  const releaseTracked = trackTransaction(context, state.connection.id, calls);
  const batch = calls.length === 0 && watched.length === 0 ? Promise.resolve(array([])) : writeSession(context, state).batch(calls, watched);
  if (releaseTracked !== null) void batch.then(releaseTracked, releaseTracked);
  const pending = batch.then(async (reply): Promise<Reply> => {
    if (reply.type !== "array") return inTransactionOrder(reply, multi.queued); // nil: a watched key changed; EXECABORT: nothing was applied
    const replies: Reply[] = [];
    let next = 0;
    state.executing = multi.queued.length; // CLIENT INFO run by EXEC shows the transaction, as in Redis
    try {
      for (const queued of multi.queued) {
        replies.push(queued.kind === "data" ? (reply.items[next++] as Reply) : await settle(state, queued.run()));
      }
    } finally {
      state.executing = null;
    }
    return array(replies);
  });
  const transaction = multi.queued.map((queued) => (queued.kind === "data" ? queued.call.argv : queued.argv));
  return { kind: "write", pending, nilArray: true, transaction };
}

/**
 * The batch numbers a failing call among the transaction's data calls; the client counts
 * every command it queued (connection commands such as SELECT or PING run after the batch),
 * so EXECABORT names the failing command by its place in the transaction.
 */
function inTransactionOrder(reply: Reply, queued: readonly Queued[]): Reply {
  if (reply.type !== "error") return reply;
  const named = /^(EXECABORT Transaction discarded: command )([0-9]+)( .*)$/s.exec(reply.text);
  if (named === null) return reply;
  let dataCalls = 0;
  const position = queued.findIndex((command) => command.kind === "data" && ++dataCalls === Number(named[2]));
  return position < 0 ? reply : { ...reply, text: `${named[1]}${position + 1}${named[3]}` };
}

/**
 * CLIENT TRACKING of a transaction's calls: the keys of its read-only calls are remembered
 * (pinned until the batch answers, client_tracking.ts), and a NOLOOP client's writes are
 * known as its own. The release of the pins, or null.
 */
function trackTransaction(context: ServerContext, id: number, calls: CommandCall[]): (() => void) | null {
  const { tracking } = context;
  if (!tracking.tracks(id)) return null;
  if (tracking.skipsOwnWrites(id)) for (const call of calls) tracking.noteOwnCall(call, id);
  if (!tracking.remembersNextRead(id)) return null;
  const keys = calls.flatMap((call) => {
    const spec = resolveCommand(call.argv);
    return "run" in spec ? readKeys(spec, call.argv) : [];
  });
  return tracking.remember(id, keys);
}

/**
 * Queues a command inside MULTI after checking it exists and has the right arity. While
 * used memory is over maxmemory nothing is queued, whatever the command (queuing costs
 * memory too), and EXEC will discard the transaction, as in Redis.
 */
function queue(context: ServerContext, state: ConnectionState, argv: ByteString[]): Reply {
  const multi = state.multi;
  if (multi === null) return error("ERR", "not in a transaction");
  const entry = lookupCommand(argv[0] ?? "");
  if (entry?.scope === "connection") return queueConnectionCommand(context, state, multi, entry, argv);
  const outOfRange = databaseRangeError(argv, context.databases);
  if (outOfRange !== null && resolveCommand(argv) === entry) {
    // Redis queues MOVE k 99 and answers its error in EXEC's reply: so does walnut, without logging it.
    multi.queued.push({ kind: "connection", argv, run: () => now(outOfRange) });
    return QUEUED;
  }
  const spec = resolveCommand(argv);
  if (!("run" in spec)) {
    multi.failed = true;
    return spec;
  }
  if (context.executor.memory.confirmOver()) {
    multi.failed = true;
    return OOM_REPLY;
  }
  multi.queued.push({ kind: "data", call: { collection: multi.collection, argv } });
  return QUEUED;
}

/**
 * Queues a connection command: its arity is checked now, and it runs at EXEC. A SELECT or
 * USE that will succeed changes the collection of the data calls queued after it now, so
 * that they run in the database it selects, as in Redis.
 */
function queueConnectionCommand(
  context: ServerContext,
  state: ConnectionState,
  multi: Transaction,
  entry: ConnectionCommandSpec,
  argv: ByteString[],
): Reply {
  const arityError = checkArity(entry, argv.length);
  if (arityError !== null) {
    multi.failed = true;
    return arityError;
  }
  if (context.executor.memory.confirmOver()) {
    multi.failed = true;
    return OOM_REPLY;
  }
  const handler = connectionHandlers.get(entry.name);
  assert(handler !== undefined, `connection command ${entry.name} has no handler`);
  const target = entry.name === "SELECT" ? selectTarget(context, argv[1] as string) : entry.name === "USE" ? useTarget(context, argv[1] as string) : null;
  if (typeof target === "string") multi.collection = target;
  multi.queued.push({ kind: "connection", argv, run: () => handler(context, state, argv.slice(1)) });
  return QUEUED;
}

function save(context: ServerContext, background: boolean): Outcome {
  const running = context.db.checkpoint().then(
    () => {
      context.stats.lastSaveUnixSeconds = Math.floor(Date.now() / 1000);
      context.stats.saves += 1;
      context.stats.lastSaveFailed = false;
    },
    (cause: unknown) => {
      context.stats.lastSaveFailed = true;
      throw cause;
    },
  );
  if (background) {
    running.catch(() => undefined);
    return now(status("Background saving started"));
  }
  return { kind: "write", pending: running.then(() => OK, (cause: unknown) => error("ERR", describeError(cause))) };
}

/**
 * SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT], as in Redis 7.0: SAVE takes a checkpoint
 * first (failing, it answers Redis' error unless FORCE); then the connection closes with
 * no reply and the servers stop (shutdown.ts). Without SAVE nothing is lost either: every
 * acknowledged write is in the WAL. While a long script runs, only SHUTDOWN NOSAVE is
 * served (at once: the script's entry is applied after a restart), others answer BUSY. walnut never waits for replicas before stopping, so
 * there is never a shutdown in progress for ABORT to cancel.
 */
function shutdown(context: ServerContext, state: ConnectionState, args: ByteString[]): Outcome {
  const parsed = parseShutdownArguments(args);
  if (parsed === null) return now(SYNTAX_ERROR);
  if (parsed.abort) return now(error("ERR", "No shutdown in progress."));
  const pending = (async (): Promise<Reply> => {
    // A long script: BUSY unless NOSAVE, which stops without waiting for it (script_busy.ts).
    for (let gate = shutdownGate(context.executor.node.engine, parsed.nosave); gate !== null; gate = shutdownGate(context.executor.node.engine, parsed.nosave)) {
      if (!(gate instanceof Promise)) return gate;
      await gate;
    }
    if (parsed.save) {
      try {
        await context.db.checkpoint();
        context.stats.lastSaveUnixSeconds = Math.floor(Date.now() / 1000);
      } catch {
        if (!parsed.force) return error("ERR", "Errors trying to SHUTDOWN. Check logs.");
      }
    }
    context.shutdown.request({ saved: parsed.save, client: state.connection.address });
    state.connection.close("shutdown");
    // No reply, as in Redis: the client sees the connection close.
    return new Promise<Reply>(() => undefined);
  })();
  return { kind: "write", pending };
}

function collectionFile(context: ServerContext, argv: ByteString[]): Outcome | null {
  const sub = argv[1]?.toUpperCase();
  if (sub === "EXPORT") {
    if (argv.length !== 4) return now(error("ERR", "wrong number of arguments: COLLECTION EXPORT name path"));
    const pending = context.db.exportCollection(argv[2] as string, argv[3] as string);
    return { kind: "write", pending: pending.then(() => OK, (cause: unknown) => error("ERR", describeError(cause))) };
  }
  if (sub === "IMPORT") {
    if (argv.length !== 5) return now(error("ERR", "wrong number of arguments: COLLECTION IMPORT path name hash|ordered"));
    const type = (argv[4] as string).toLowerCase();
    if (type !== "hash" && type !== "ordered") return now(error("ERR", "collection type must be hash or ordered"));
    const pending = context.db.importCollection(argv[2] as string, { name: argv[3] as string, type });
    return { kind: "write", pending: pending.then(() => OK, (cause: unknown) => error("ERR", describeError(cause))) };
  }
  return null;
}

/** The collection USE `name` switches to, or its error: a numbered database's need not exist yet. */
function useTarget(context: ServerContext, name: ByteString): string | Reply {
  const exists = isDatabaseCollection(name) || context.executor.node.read((engine) => engine.collection(name) !== undefined);
  return exists ? name : error("ERR", `no such collection '${name}'`);
}

/** The collection of the database SELECT `text` selects, or Redis' error. */
function selectTarget(context: ServerContext, text: ByteString): string | Reply {
  const index = parseDatabaseIndex(text);
  if (typeof index !== "number") return index;
  if (index < 0 || index >= context.databases) return DB_OUT_OF_RANGE;
  return databaseCollection(index);
}

/** Runs later commands of the connection in `target` (SELECT, USE), or answers its error. */
function switchTo(state: ConnectionState, target: string | Reply): Reply {
  if (typeof target !== "string") return target;
  state.connection.collection = target;
  return OK;
}

/** What a connection command does with the connection's state: `args` excludes the name. */
type ConnectionHandler = (context: ServerContext, state: ConnectionState, args: ByteString[]) => Outcome;

/**
 * The handlers of the command table's connection commands (commands/connection.ts), by the
 * table's name: the table describes them (arity, flags, access), these run them.
 */
export const connectionHandlers: ReadonlyMap<string, ConnectionHandler> = new Map<string, ConnectionHandler>([
  ["PING", (_context, state, args) => {
    if (args.length > 1) return now(error("ERR", "wrong number of arguments for 'ping' command"));
    if (inSubscriberMode(state)) return now(array([bulk("pong"), bulk(args[0] ?? "")])); // Redis' RESP2 subscriber-mode PING
    return now(args.length === 1 ? bulk(args[0] as string) : status("PONG"));
  }],
  ["ECHO", (_context, _state, args) => now(bulk(args[0] as string))],
  ["QUIT", () => ({ kind: "reply", reply: OK, closeAfter: true })],
  ["AUTH", (context, state, args) => later(auth(context, state, args))],
  ["HELLO", (context, state, args) => later(hello(context, state, args))],
  ["ACL", (context, state, args) => now(acl(context, state, args))],
  ["WALNUT.WATCH", (context, state, args) => {
    if (state.watching?.feed.stopped === false) return now(error("ERR", "this connection already watches: WALNUT.UNWATCH first"));
    const push = state.connection.push?.bind(state.connection);
    if (push === undefined) return now(error("ERR", "WALNUT.WATCH needs a connection that can receive pushes"));
    const started = startWatch(context, state.connection.collection, args, push);
    state.watching = started.watch;
    return now(started.reply);
  }],
  ["WALNUT.UNWATCH", (_context, state) => {
    const reply = stopWatch(state.watching);
    state.watching = null;
    return now(reply);
  }],
  ["RESET", (context, state) => {
    context.tracking.disable(state.connection.id);
    stopWatch(state.watching);
    state.watching = null;
    state.subscriptions?.clear();
    state.multi = null;
    state.watched = [];
    state.connection.collection = "default";
    state.connection.protocol = 2;
    becomeUser(state, context.access.initialUser());
    return now(status("RESET"));
  }],
  ["SELECT", (context, state, args) => now(switchTo(state, selectTarget(context, args[0] as string)))],
  ["USE", (context, state, args) => now(switchTo(state, useTarget(context, args[0] as string)))],
  ["MULTI", (_context, state) => {
    if (state.multi !== null) return now(error("ERR", "MULTI calls can not be nested"));
    state.multi = { queued: [], failed: false, collection: state.connection.collection };
    return now(OK);
  }],
  ["EXEC", (context, state) => exec(context, state)],
  ["DISCARD", (_context, state) => {
    if (state.multi === null) return now(error("ERR", "DISCARD without MULTI"));
    state.multi = null;
    state.watched = [];
    return now(OK);
  }],
  ["WATCH", (context, state, args) => {
    if (state.multi !== null) return now(error("ERR", "WATCH inside MULTI is not allowed"));
    return { kind: "read", read: () => watch(context, state, args) };
  }],
  ["UNWATCH", (_context, state) => {
    state.watched = [];
    return now(OK);
  }],
  ["TIME", () => {
    const micros = BigInt(Math.round(performance.timeOrigin * 1000 + performance.now() * 1000));
    return now(array([bulk(String(micros / 1_000_000n)), bulk(String(micros % 1_000_000n))]));
  }],
  ["SAVE", (context) => save(context, false)],
  ["BGSAVE", (context, _state, args) => {
    // BGSAVE [SCHEDULE]: walnut's checkpoint never waits for a rewrite, so SCHEDULE starts it at once.
    if (args.length > 1 || (args.length === 1 && (args[0] as string).toUpperCase() !== "SCHEDULE")) return now(SYNTAX_ERROR);
    return save(context, true);
  }],
  ["LASTSAVE", (context) => now(integer(context.stats.lastSaveUnixSeconds))],
  ["INFO", (context, state, args) => ({ kind: "read", read: () => infoReply(context, state.connection, args) })],
  ["CLIENT", (context, state, args) => now(clientCommand(context, state.connection, args))],
  ["COMMAND", (_context, _state, args) => now(commandCommand(args))],
  // Runs after this connection's unfinished writes, as in Redis' one thread: a write sent before
  // CONFIG SET notify-keyspace-events is notified (in apply) under the setting it was sent under.
  ["CONFIG", (context, _state, args) => ({ kind: "read", read: () => configCommand(context, args) })],
  ["SHUTDOWN", (context, state, args) => shutdown(context, state, args)],
  ...[...SUBSCRIBING_COMMANDS].map(([name, { kind, adds }]): [string, ConnectionHandler] => [
    name,
    (_context, state, args) => {
      const subscriptions = state.subscriptions;
      assert(subscriptions !== undefined, "a RESP connection has subscriptions");
      return { kind: "pushes", frames: adds ? subscriptions.subscribe(kind, args) : subscriptions.unsubscribe(kind, args) };
    },
  ]),
  // A member of a cluster asks the others (pubsub_cluster.ts); a node alone answers at once.
  ["PUBSUB", (context, _state, args) => (context.pubsub.spansCluster ? { kind: "read", read: () => context.pubsub.command(args) } : now(pubsubCommand(context.channels, args)))],
  ["RAFT", (context, _state, args) => {
    const reply = raftCommand(context, args);
    return reply instanceof Promise ? { kind: "write", pending: reply } : now(reply);
  }],
]);

/**
 * Subcommands of data commands that a RESP connection runs itself, by the data command's
 * name: COLLECTION EXPORT and IMPORT read and write files of this server. null: the call is
 * not one of them, and goes to the data command.
 */
export const connectionSubcommandHandlers: ReadonlyMap<string, (context: ServerContext, argv: ByteString[]) => Outcome | null> = new Map([
  ["COLLECTION", collectionFile],
]);

for (const [name, spec] of commandTable) {
  assert(spec.scope !== "connection" || connectionHandlers.has(name), `connection command ${name} has no handler`);
}
for (const name of connectionHandlers.keys()) {
  assert(commandTable.get(name)?.scope === "connection", `${name} is handled by the connection but is no connection command of the table`);
}
for (const name of connectionSubcommandHandlers.keys()) {
  assert(commandTable.get(name)?.scope === "data", `${name}'s subcommands are handled by the connection but ${name} is no data command of the table`);
}

/**
 * A connection command with the wrong number of arguments, as Redis' rejectCommand answers
 * it: inside MULTI it fails the transaction (EXEC will answer EXECABORT), and a malformed
 * EXEC itself aborts the transaction at once, with or without MULTI.
 */
function refusedForArity(state: ConnectionState, name: string, arityError: Reply): Reply {
  if (state.multi !== null) state.multi.failed = true;
  if (name !== "EXEC" || arityError.type !== "error") return arityError;
  state.multi = null;
  state.watched = [];
  return error("EXECABORT", `Transaction discarded because of: ${arityError.text.replace(/^ERR /, "")}`);
}

/** What a command is, for a connection not waiting on a sign-in. */
function decide(context: ServerContext, state: ConnectionState, argv: ByteString[]): Outcome {
  const name = (argv[0] ?? "").toUpperCase();
  const entry = lookupCommand(name);
  const user = currentUser(context, state);
  if (user === null && entry?.flags.includes("no_auth") !== true) return refused(error("NOAUTH", "Authentication required."));
  if (user !== null && !permitsEverything(user) && !permits(user, requiredCategory({ protocol: "resp", argv }))) {
    if (state.multi !== null) state.multi.failed = true;
    return refused(error("NOPERM", noPermissionText(user, argv)));
  }
  if (state.connection.protocol === 2 && state.watching?.feed.stopped === false && !ALLOWED_WHILE_WATCHING_RESP2.has(name)) {
    return refused(error("ERR", `Can't execute '${(argv[0] ?? "").toLowerCase()}': only WALNUT.UNWATCH / PING / QUIT / RESET are allowed while a RESP2 connection watches`));
  }
  if (inSubscriberMode(state) && entry !== undefined && checkArity(entry, argv.length) === null) {
    const refusal = subscriberModeRefusal(entry.name, fullCommandName(entry.name, argv));
    if (refusal !== null) return refused(refusal);
  }
  if (state.multi !== null && entry?.flags.includes("no_multi") === true) {
    state.multi.failed = true;
    return refused(error("ERR", "Command not allowed inside a transaction"));
  }
  if (state.multi !== null && !TRANSACTION_CONTROL.has(name)) {
    const reply = queue(context, state, argv);
    return reply === QUEUED ? { kind: "reply", reply, accounting: "queued" } : refused(reply);
  }
  if (state.multi !== null && (name === "MULTI" || name === "WATCH") && context.executor.memory.confirmOver()) {
    state.multi.failed = true; // Redis refuses everything in a transaction but EXEC, DISCARD, QUIT and RESET
    return refused(OOM_REPLY);
  }
  if (entry?.scope === "connection") {
    const handler = connectionHandlers.get(entry.name);
    assert(handler !== undefined, `connection command ${entry.name} has no handler`);
    const arityError = checkArity(entry, argv.length);
    return arityError === null ? handler(context, state, argv.slice(1)) : refused(refusedForArity(state, entry.name, arityError));
  }
  const own = entry === undefined ? null : (connectionSubcommandHandlers.get(entry.name)?.(context, argv) ?? null);
  if (own !== null) return own;
  const spec = resolveCommand(argv);
  if (!("run" in spec)) return refused(spec);
  const outOfRange = databaseRangeError(argv, context.databases);
  if (outOfRange !== null) return now(outOfRange);
  const collection = state.connection.collection;
  if (spec.blocking !== undefined && spec.blocksWhen?.(argv.slice(1)) !== false) return block(context, state, spec, argv);
  const blockingRead = blockingReadOf(context.executor, collection, spec, argv);
  const { tracking } = context;
  const id = state.connection.id;
  if (blockingRead !== null) {
    // As Redis, a tracking client's blocking read remembers its keys when it blocks (and not
    // again when it is served): the write that wakes it is announced once.
    if (tracking.remembersNextRead(id)) tracking.remember(id, readKeys(spec, argv))?.();
    return blockedRead(context, state, spec, blockingRead);
  }
  if (context.executor.writes(spec, argv)) {
    let call: CommandCall = { collection, argv };
    if (tracking.skipsOwnWrites(id)) {
      // NOLOOP knows its writes by the call that reaches the log: prepared first (an EVALSHA
      // becomes EVAL with its body; preparing it again when it is written changes nothing).
      const prepared = context.executor.prepare(call);
      if (!("argv" in prepared)) return now(prepared);
      call = prepared;
      tracking.noteOwnCall(call, id);
    }
    const writes = writeSession(context, state);
    // Only a connection that receives messages orders them among its replies: others keep the cheaper path.
    if (state.subscriptions?.active !== true && !tracking.tracks(id)) return { kind: "write", pending: writes.write(call) };
    const remembered = isScriptCall(spec) && tracking.remembersNextRead(id) ? tracking.remember(id, readKeys(spec, argv)) : null;
    const written = writes.commit(call);
    if (remembered !== null) void written.then(remembered, remembered);
    return { kind: "write", pending: written.then((result) => result.reply), entryIndex: written.then((result) => result.index) };
  }
  const read = (): Reply | Promise<Reply> => context.executor.read(collection, spec, argv);
  if (!tracking.remembersNextRead(id)) return { kind: "read", read };
  return { kind: "read", read: trackedRead(tracking, id, readKeys(spec, argv), read) };
}

/** The connection's write session, made at its first write. */
function writeSession(context: ServerContext, state: ConnectionState): WriteSession {
  return (state.writes ??= new WriteSession(context.executor));
}

/**
 * A blocking command outside MULTI (inside, it was queued and runs its non-blocking form):
 * it waits on this node until served or timed out (blocked_clients.ts), and the
 * connection runs nothing else meanwhile, as a blocked Redis client does. Its writes (the
 * first proposal, the attempts once woken) go under the connection's ordered session, after
 * its earlier writes, and are its own for CLIENT TRACKING NOLOOP, as Redis counts them.
 */
function block(context: ServerContext, state: ConnectionState, spec: CommandSpec, argv: ByteString[]): Outcome {
  const describe = spec.blocking;
  assert(describe !== undefined, `${spec.name} is no blocking command`);
  const blocking = context.blocked.block({
    collection: state.connection.collection,
    argv,
    describe: () => describe(argv.slice(1)),
    writes: blockingWrites(context, state),
    arrivedAtMs: Date.now(),
  });
  state.blockedIn = blocking;
  const pending = blocking.reply.then((reply) => {
    if (state.blockedIn === blocking) state.blockedIn = null;
    return reply;
  });
  // A connection that receives messages orders them among its replies by log index (as for writes).
  const ordersMessages = state.subscriptions?.active === true || context.tracking.tracks(state.connection.id);
  return ordersMessages ? { kind: "write", pending, holdsInput: true, entryIndex: blocking.entryIndex } : { kind: "write", pending, holdsInput: true };
}

/** The connection's write session as a blocking command writes through it, its calls noted as its own for NOLOOP. */
function blockingWrites(context: ServerContext, state: ConnectionState): BlockingWrites {
  const writes = writeSession(context, state);
  const { tracking } = context;
  const id = state.connection.id;
  return {
    commit: (call) => {
      if (tracking.skipsOwnWrites(id)) tracking.noteOwnCall(call, id);
      return writes.commit(call);
    },
    get unknownOutcomeRetries() {
      return writes.unknownOutcomeRetries;
    },
  };
}

/** A read that waits (XREAD ... BLOCK) outside MULTI: the connection runs nothing else meanwhile (blocked_reads.ts). */
function blockedRead(context: ServerContext, state: ConnectionState, spec: CommandSpec, read: BlockingRead): Outcome {
  const blocking = waitForRead(context.executor, context.blocked, state.connection.collection, spec, read);
  state.blockedIn = blocking;
  const pending = blocking.reply.then((reply) => {
    if (state.blockedIn === blocking) state.blockedIn = null;
    return reply;
  });
  return { kind: "write", pending, holdsInput: true };
}

/** RESP2 subscriber mode: a RESP2 connection with a subscription runs only the subscribing commands, PING, QUIT, RESET. */
function inSubscriberMode(state: ConnectionState): boolean {
  return state.connection.protocol === 2 && state.subscriptions?.active === true;
}

/** A command's name as Redis' errors show it: "get", "pubsub|numsub". */
function fullCommandName(name: string, argv: ByteString[]): string {
  const entry = lookupCommand(name);
  const sub = argv[1];
  return entry?.hasSubcommands === true && sub !== undefined ? `${name}|${sub}`.toLowerCase() : name.toLowerCase();
}

/** An outcome's reply, once it has one. QUIT closes once its OK is written. */
function settle(state: ConnectionState, outcome: Outcome): Promise<Reply> {
  if (outcome.kind === "read") return Promise.resolve(outcome.read());
  // Inside EXEC (or after a sign-in) a SUBSCRIBE answers its first confirmation, as Redis' EXEC shows it.
  if (outcome.kind === "pushes") return Promise.resolve(array(outcome.frames[0] ?? []));
  if (outcome.kind === "write") return outcome.pending;
  if (outcome.closeAfter === true) setImmediate(() => state.connection.close("quit"));
  return Promise.resolve(outcome.reply);
}

/** Runs the command once every command sent since the pending sign-in has answered. */
function afterSigningIn(context: ServerContext, state: ConnectionState, argv: ByteString[], previous: Promise<Reply>): Outcome {
  const run = (): Promise<Reply> => settle(state, decide(context, state, argv));
  const pending = previous.then(run, run).catch((cause: unknown) => error("ERR", describeError(cause)));
  waitFor(state, pending);
  return { kind: "write", pending, nilArray: (argv[0] ?? "").toUpperCase() === "EXEC" };
}

/** Makes later commands wait for `pending`, until it answers. */
function waitFor(state: ConnectionState, pending: Promise<Reply>): void {
  state.signingIn = pending;
  void pending.then(() => {
    if (state.signingIn === pending) state.signingIn = null;
  });
}

/** AUTH or HELLO, in any case (tested on every write: by length first, without a regular expression). */
function signsIn(name: string): boolean {
  if (name.length !== 4 && name.length !== 5) return false;
  const upper = name.toUpperCase();
  return upper === "AUTH" || upper === "HELLO";
}

export function runConnectionCommand(
  context: ServerContext,
  state: ConnectionState,
  argv: ByteString[],
  hooks: ConnectionHooks,
): Outcome {
  void hooks;
  const previous = state.signingIn;
  if (previous !== undefined && previous !== null) return afterSigningIn(context, state, argv, previous);
  const outcome = decide(context, state, argv);
  if (outcome.kind === "write" && signsIn(argv[0] ?? "")) waitFor(state, outcome.pending);
  // CLIENT CACHING's answer holds for one command, but through a transaction and CLIENT commands, as in Redis.
  if (context.tracking.clientCount > 0) context.tracking.commandEnded(state.connection.id, state.multi !== null || (argv[0] ?? "").toUpperCase() === "CLIENT");
  return outcome;
}
