/**
 * Running a command, whoever asks (RESP connection, HTTP route, embedded API): look it
 * up in the one command table, check its arity, and route it. A write becomes a log entry
 * and answers once committed; a read runs against the current state once this node may
 * serve it (`readState`: the one read path every face uses, linearizable unless a caller
 * asks for a stale read).
 *
 * Every write is admitted here first: while used memory is over maxmemory, a denyoom
 * command is refused with Redis' OOM error before it reaches the log (memory_limit.ts),
 * and an atomic batch holding one is refused whole, as Redis refuses such an EXEC.
 *
 * Two shapes of failure: the RESP and HTTP faces want a failed write or read barrier as
 * an error reply (`write`, `read`, `execute`, `batch`); the embedded API wants the node's
 * error itself, code included (`commit`, `commitBatch`, `readState`, `run`).
 */
import type { ByteString } from "../engine/bytes.js";
import { DEFAULT_COLLECTION, type Engine } from "../engine/engine.js";
import { describeError, isWalnutError } from "../lib/errors.js";
import type { Node, ProposalListener, WriteResult } from "../node/node.js";
import { isReadOnlyCall } from "./collections.js";
import type { ClientId, CommandCall, EntryPayload, VersionCondition } from "../node/entry.js";
import { error, isError, type Reply } from "../engine/reply.js";
import type { CommandSpec } from "./spec.js";
import type { Collection } from "../engine/collection.js";
import { checkArity, unknownCommand } from "./dispatch_checks.js";
import { lookupDataCommand } from "./table.js";
import { emptyDatabase, isDatabaseCollection } from "./databases.js";
import { EXECABORT_OOM_REPLY, MemoryLimit } from "./memory_limit.js";
import { resolveScriptCall } from "./scripting/eval_commands.js";
import { endPausedScript, isPausable, reachesPausedScript, runPausable, scriptsIdle } from "./scripting/script_busy.js";

export interface Session {
  /** A string, or a session number (node/session_numbers.ts); "" for none. */
  clientId: ClientId;
  requestId: number;
  /** An ordered session's acknowledgement (engine/session_table.ts); absent: a single request. */
  ackBelow?: number;
}

const NO_SESSION: Session = { clientId: "", requestId: 0 };

/**
 * How current a read must be. "linearizable" (the default everywhere): it sees every
 * write acknowledged anywhere in the cluster before the read began (ReadIndex, or the
 * leader's lease). "stale": this node's own state as it is now, without asking the leader.
 */
export type ReadConsistency = "linearizable" | "stale";

export const READ_CONSISTENCIES: readonly ReadConsistency[] = ["linearizable", "stale"];

function replyOf(result: { reply: Reply }): Reply {
  return result.reply;
}

/** The error reply for a write (or a read barrier) that failed. */
export function failedWrite(cause: unknown): Reply {
  if (isWalnutError(cause)) return error(cause.code === "WAL_IO" ? "IOERR" : "ERR", cause.message, cause.code);
  return error("ERR", describeError(cause));
}

function failedWriteIndexed(cause: unknown): { index: number; reply: Reply } {
  return { index: 0, reply: failedWrite(cause) };
}

/** The entry payload of one command (fields spelled out: cheaper than spreading the session). */
function commandPayload(nowMs: number, call: CommandCall, session: Session): EntryPayload {
  return { type: "command", nowMs, clientId: session.clientId, requestId: session.requestId, ackBelow: session.ackBelow, call };
}

function batchPayload(nowMs: number, calls: CommandCall[], conditions: VersionCondition[], session: Session): EntryPayload {
  return { type: "batch", nowMs, clientId: session.clientId, requestId: session.requestId, ackBelow: session.ackBelow, conditions, calls };
}

export function isWriteCall(spec: CommandSpec, argv: ByteString[]): boolean {
  // PUBLISH and SPUBLISH (flag pubsub, as in Redis) are logged too: a message is a log entry (docs/pubsub.md).
  if (spec.flags.includes("pubsub")) return true;
  return spec.flags.includes("write") && !(spec.name === "COLLECTION" && isReadOnlyCall(argv));
}

/** The table entry for a call, or the error reply a client gets for it. */
export function resolveCommand(argv: ByteString[]): CommandSpec | Reply {
  const name = argv[0];
  const spec = name === undefined ? undefined : lookupDataCommand(name);
  if (spec === undefined) return unknownCommand(argv);
  return checkArity(spec, argv.length) ?? spec.subcommandCheck?.(argv.slice(1)) ?? spec;
}

/** INFO's keyspace_hits and keyspace_misses: keys a read command looked up, found live or not. */
export interface KeyspaceLookups {
  hits: number;
  misses: number;
}

export class CommandExecutor {
  /** Counted on the read path, by the read command's key positions, as Redis counts read lookups. */
  readonly keyspace: KeyspaceLookups = { hits: 0, misses: 0 };

  /**
   * @param memory the maxmemory check shared by every face of one db (the embedded API
   *   and the servers over it); a default limit of its own when not given
   */
  constructor(
    readonly node: Node,
    readonly memory: MemoryLimit = new MemoryLimit(),
  ) {}

  /**
   * Whether a call goes through the log: a write command, unless its call only reads (a
   * script declared no-writes, spec.readsOnly), which takes the read path.
   */
  writes(spec: CommandSpec, argv: ByteString[]): boolean {
    if (!isWriteCall(spec, argv)) return false;
    const readsOnly = spec.readsOnly;
    if (readsOnly === undefined) return true;
    try {
      return !this.node.read((engine) => readsOnly(engine, argv));
    } catch (cause) {
      if (!isWalnutError(cause)) throw cause;
      return true; // a closed node: the write path reports it
    }
  }

  /** An EVALSHA to log becomes EVAL with this node's cached body (eval_commands.ts); other calls stay. */
  private withScriptBody(call: CommandCall): CommandCall | Reply {
    const name = call.argv[0];
    if (name === undefined || name.length !== 7 || name.toUpperCase() !== "EVALSHA") return call;
    const resolved = this.node.read((engine) => resolveScriptCall(engine, call.argv));
    return Array.isArray(resolved) ? { collection: call.collection, argv: resolved } : (resolved as Reply);
  }

  /** Runs one command in `collection`. Reads answer synchronously when they may; writes once committed. */
  execute(collection: string, argv: ByteString[], session: Session = NO_SESSION): Reply | Promise<Reply> {
    const spec = resolveCommand(argv);
    if (!("run" in spec)) return spec;
    if (this.writes(spec, argv)) return this.write({ collection, argv }, session);
    return this.read(collection, spec, argv);
  }

  /** Like execute(), but a failed write or read barrier rejects with the node's error (NOT_OPEN, NO_LEADER, WAL_IO...). */
  async run(collection: string, argv: ByteString[]): Promise<Reply> {
    const spec = resolveCommand(argv);
    if (!("run" in spec)) return spec;
    if (this.writes(spec, argv)) return (await this.commit({ collection, argv })).reply;
    if (spec.loggedWhen !== undefined) {
      const logged = (call: CommandCall): Promise<Reply> => this.commit(call).then(replyOf);
      return this.readOrLog(collection, spec, argv, "linearizable", logged);
    }
    return this.readState((engine) => this.runReadLettingScriptsPause(engine, collection, spec, argv));
  }

  /**
   * The read path: runs `reader` against this node's state once a read may be served here.
   * Linearizable: after the read barrier (at once on a leader alone); stale: at once.
   * Answers synchronously when there is nothing to wait for; a failure throws or rejects
   * with the node's error (NOT_OPEN when closed, NO_LEADER when the leader did not confirm).
   */
  readState<T>(reader: (engine: Engine) => T, consistency: ReadConsistency = "linearizable"): T | Promise<T> {
    const barrier = consistency === "stale" ? null : this.node.readBarrier();
    if (barrier === null) return this.readWhenNoScriptRuns(reader);
    return barrier.then(() => this.readWhenNoScriptRuns(reader));
  }

  /** A paused script holds the engine (scripting/script_busy.ts): a read waits for it, never seeing half of it. */
  private readWhenNoScriptRuns<T>(reader: (engine: Engine) => T): T | Promise<T> {
    const idle = scriptsIdle(this.node.engine);
    if (idle === null) return this.node.read(reader);
    return idle.then(() => this.readWhenNoScriptRuns(reader));
  }

  /** Runs a read-only command through the read path; a failed barrier becomes an error reply. */
  read(collection: string, spec: CommandSpec, argv: ByteString[], consistency: ReadConsistency = "linearizable"): Reply | Promise<Reply> {
    // SCRIPT KILL, FUNCTION KILL and FUNCTION STATS are about the paused script itself: they must not wait for it.
    if (reachesPausedScript(argv)) return this.node.read((engine) => this.runRead(engine, collection, spec, argv));
    let answer: Reply | Promise<Reply>;
    try {
      answer =
        spec.loggedWhen === undefined
          ? // A promise that resolves to a promise settles as the inner one: the type says Reply | Promise<Reply>.
            (this.readState((engine) => this.runReadLettingScriptsPause(engine, collection, spec, argv), consistency) as Reply | Promise<Reply>)
          : this.readOrLog(collection, spec, argv, consistency, (call) => this.write(call));
    } catch (cause) {
      if (!isWalnutError(cause)) throw cause; // a bug, not a closed node: let it surface
      return failedWrite(cause);
    }
    return answer instanceof Promise ? answer.catch(failedWrite) : answer;
  }

  /**
   * A readonly command that may change what it reads (spec.loggedWhen: PFCOUNT caching its
   * cardinality) runs on the read path, where it changes nothing; when, against the state it
   * read, it would change something, the call is then logged as a write (`log`) and answers
   * what the write answers. The question is asked when the read runs, after the
   * connection's own earlier writes, so a pipelined PFADD then PFCOUNT caches as in Redis.
   * Should the write fail (a follower that cannot reach the leader), the read's answer stands.
   */
  private readOrLog(
    collection: string,
    spec: CommandSpec,
    argv: ByteString[],
    consistency: ReadConsistency,
    log: (call: CommandCall) => Promise<Reply>,
  ): Reply | Promise<Reply> {
    const loggedWhen = spec.loggedWhen!;
    let logs = false;
    const reader = (engine: Engine): Reply => {
      const target = engine.collection(collection);
      if (target !== undefined) {
        logs = loggedWhen({ engine, collection: target, nowMs: this.node.now(), index: engine.appliedIndex }, argv.slice(1));
      }
      return this.runRead(engine, collection, spec, argv);
    };
    const settle = (reply: Reply): Reply | Promise<Reply> => {
      if (!logs) return reply;
      return log({ collection, argv }).then(
        (written) => (isError(written) ? reply : written),
        () => reply,
      );
    };
    const answer = this.readState(reader, consistency);
    return answer instanceof Promise ? answer.then(settle) : settle(answer);
  }

  /** runRead, where a read-only script may pause (scripting/script_busy.ts): then a promise of its reply. */
  private runReadLettingScriptsPause(engine: Engine, collection: string, spec: CommandSpec, argv: ByteString[]): Reply | Promise<Reply> {
    if (!isPausable(spec.name)) return this.runRead(engine, collection, spec, argv); // no closure for a plain read
    const reply = runPausable(engine, spec.name, () => this.runRead(engine, collection, spec, argv));
    if (!(reply instanceof Promise)) return reply;
    return reply.finally(() => endPausedScript(engine));
  }

  private runRead(engine: Engine, collection: string, spec: CommandSpec, argv: ByteString[]): Reply {
    // COLLECTION LIST works whatever collection the client was using (it may be gone).
    const name = spec.name === "COLLECTION" ? DEFAULT_COLLECTION : collection;
    // A numbered database before its first write reads as empty (databases.ts).
    const target = engine.collection(name) ?? (isDatabaseCollection(name) ? emptyDatabase(name) : undefined);
    if (target === undefined) return error("ERR", `no such collection '${collection}'`);
    const nowMs = this.node.now();
    if (spec.firstKey > 0) this.countLookups(target, spec, argv, nowMs);
    return spec.run({ engine, collection: target, nowMs, index: engine.appliedIndex }, argv.slice(1));
  }

  private countLookups(target: Collection, spec: CommandSpec, argv: ByteString[], nowMs: number): void {
    const last = spec.lastKey < 0 ? argv.length + spec.lastKey : spec.lastKey;
    for (let position = spec.firstKey; position <= last && position < argv.length; position += Math.max(spec.keyStep, 1)) {
      const item = target.get(argv[position] as ByteString);
      if (item === undefined || item.isExpiredAt(nowMs)) this.keyspace.misses += 1;
      else this.keyspace.hits += 1;
    }
  }

  /**
   * Logs one write; resolves with its log index and reply once committed, or rejects with
   * the node's error. A write refused over maxmemory resolves with the OOM reply (index 0).
   */
  commit(call: CommandCall, session: Session = NO_SESSION): Promise<WriteResult> {
    const prepared = this.prepare(call);
    if (!("argv" in prepared)) return Promise.resolve({ index: 0, reply: prepared });
    return this.proposeCall(prepared, session);
  }

  /**
   * The call as it goes into the log (an EVALSHA with its script's body), or the reply it
   * gets without reaching the log (NOSCRIPT, OOM). A session numbers only what reaches the log.
   */
  prepare(call: CommandCall): CommandCall | Reply {
    const resolved = this.withScriptBody(call);
    if (!("argv" in resolved)) return resolved;
    return this.admit(resolved.argv) ?? resolved;
  }

  /**
   * Logs a prepared call (prepare()); resolves once committed, or rejects with the node's
   * error. `session` is read before this returns: the caller may reuse the object.
   */
  proposeCall(call: CommandCall, session: Session): Promise<WriteResult> {
    return this.node.propose(commandPayload(this.node.now(), call, session));
  }

  /** Like proposeCall(), the outcome told to `listener` (Node.proposeTo): no promise made. */
  proposeCallTo(call: CommandCall, session: Session, listener: ProposalListener): void {
    this.node.proposeTo(commandPayload(this.node.now(), call, session), listener);
  }

  /**
   * The OOM refusal of a denyoom write while used memory is over maxmemory, else null.
   * A call that is not a command (unknown, wrong arity) is left to fail as it would.
   */
  private admit(argv: ByteString[]): Reply | null {
    const name = argv[0];
    const spec = name === undefined ? undefined : lookupDataCommand(name);
    return spec === undefined ? null : this.memory.admit(spec, argv);
  }

  /** Logs one write and answers with its reply once committed. */
  write(call: CommandCall, session: Session = NO_SESSION): Promise<Reply> {
    return this.commit(call, session).then(replyOf, failedWrite);
  }

  /** Like write(), also giving the entry's log index: the version of every key it wrote. */
  writeIndexed(call: CommandCall, session: Session = NO_SESSION): Promise<{ index: number; reply: Reply }> {
    return this.commit(call, session).then(undefined, failedWriteIndexed);
  }

  /**
   * Logs an atomic batch: nil when a condition failed (nothing applied), EXECABORT when a
   * command failed (everything undone), else one reply per call.
   */
  batch(calls: CommandCall[], conditions: VersionCondition[], session: Session = NO_SESSION): Promise<Reply> {
    return this.batchIndexed(calls, conditions, session).then((result) => result.reply);
  }

  batchIndexed(
    calls: CommandCall[],
    conditions: VersionCondition[],
    session: Session = NO_SESSION,
  ): Promise<{ index: number; reply: Reply }> {
    return this.commitBatch(calls, conditions, session).catch(failedWriteIndexed);
  }

  /** Like batchIndexed(), but a failed write rejects with the node's error. */
  commitBatch(calls: CommandCall[], conditions: VersionCondition[], session: Session = NO_SESSION): Promise<WriteResult> {
    const prepared = this.prepareBatch(calls);
    if (!Array.isArray(prepared)) return Promise.resolve({ index: 0, reply: prepared });
    return this.proposeBatch(prepared, conditions, session);
  }

  /** Logs a prepared batch (prepareBatch()); resolves once committed, or rejects with the node's error. */
  proposeBatch(calls: CommandCall[], conditions: VersionCondition[], session: Session): Promise<WriteResult> {
    return this.node.propose(batchPayload(this.node.now(), calls, conditions, session));
  }

  /** Like proposeBatch(), the outcome told to `listener`. */
  proposeBatchTo(calls: CommandCall[], conditions: VersionCondition[], session: Session, listener: ProposalListener): void {
    this.node.proposeTo(batchPayload(this.node.now(), calls, conditions, session), listener);
  }

  /** The calls of a batch as they go into the log, or the EXECABORT it gets without reaching the log. */
  prepareBatch(calls: CommandCall[]): CommandCall[] | Reply {
    const specs: CommandSpec[] = [];
    // An EVALSHA without a cached body stays as it is: apply() answers NOSCRIPT, aborting the batch.
    calls = calls.map((call) => {
      const resolved = this.withScriptBody(call);
      return "argv" in resolved ? resolved : call;
    });
    for (const call of calls) {
      const spec = resolveCommand(call.argv);
      if (!("run" in spec)) {
        const why = spec.type === "error" ? spec.text : "bad command";
        return error("EXECABORT", `Transaction discarded because of: ${why}`);
      }
      specs.push(spec);
    }
    return this.memory.admitBatch(specs, calls) ? calls : EXECABORT_OOM_REPLY;
  }
}
