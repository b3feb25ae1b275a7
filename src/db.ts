/**
 * The embedded API: walnut as a library in your own process.
 *
 * ```ts
 * import { open } from "walnut";
 * const db = await open({ dir: "./data", fsync: "always" });
 * await db.set("k", "v");            // resolves to the version, durable under fsync "always"
 * await db.get("k");                 // "v"
 * const users = await db.createCollection("users", "ordered");
 * await users.set("u:1", ["ann", 42]); // values: string, Buffer, number, bigint, boolean, list
 * await users.range("u:", "u:~", { limit: 10 });
 * await db.get("k", { consistency: "stale" }); // this node's own state, without waiting
 * await db.close();
 * ```
 *
 * Every write goes through the same log and command table as the RESP and HTTP servers,
 * so a value written here reads the same from redis-cli. Every read goes through the
 * executor's one read path (CommandExecutor.readState), linearizable unless a call asks
 * for { consistency: "stale" }. Failures keep their codes: NOT_OPEN after close,
 * NO_LEADER when no leader is known, WAL_IO when the log cannot be written; a command's
 * own error reply (WRONGTYPE, ERR ...) rejects as COMMAND_ERROR.
 * The doc-example check (scenarios/doc_examples.test.ts) type-checks this example.
 */
import { readFile, writeFile } from "node:fs/promises";
import { fromInput, toText } from "./engine/bytes.js";
import type { CollectionType } from "./engine/collection.js";
import { DEFAULT_COLLECTION, type Engine } from "./engine/engine.js";
import type { Item, ValueKind } from "./engine/values.js";
import { CommandExecutor, READ_CONSISTENCIES, type ReadConsistency } from "./commands/executor.js";
import { isOutOfMemoryReply, MemoryLimit, resolveMaxmemory } from "./commands/memory_limit.js";
import type { CommandCall, VersionCondition } from "./node/entry.js";
import { NIL, type Reply } from "./engine/reply.js";
import { replyValue, type CommandValue } from "./db_replies.js";
import { commandArgument, isHashValue, itemValue, setCalls, type SetOptions, type Value } from "./commands/user_values.js";
import { walnutStateMachine } from "./commands/state_machine.js";
import { WalnutError } from "./lib/errors.js";
import { parseDurationMs, parseSizeBytes } from "./lib/units.js";
import { optionDefault, serveOptions } from "./config/options.js";
import { loggerFromLines, type Log, type Logger } from "./lib/log.js";
import { Node, type ClusterOptions } from "./node/node.js";
import { decodeCollectionImage, encodeCollectionImage } from "./snapshot/collection_image.js";
import type { CheckpointInfo } from "./snapshot/writer.js";
import type { ReadMode } from "./raft/types.js";
import type { FsyncMode, SegmentInfo } from "./wal/wal.js";
import { WatchStream, type WatchOptions } from "./db_watch.js";
import { HISTORY_BOUNDS_DEFAULT } from "./engine/change_history.js";

export { WatchCompactedError, WatchStream, type WatchEvent, type WatchOptions } from "./db_watch.js";

export type { FsyncMode } from "./wal/wal.js";
export type { CollectionType } from "./engine/collection.js";
export type { ReadConsistency } from "./commands/executor.js";
export type { CommandValue } from "./db_replies.js";
export type { SetOptions, Value } from "./commands/user_values.js";
export type { ValueKind } from "./engine/values.js";

export type Key = string | Buffer;

export interface OpenOptions {
  /** Data directory; created if missing. */
  dir: string;
  /** Default "always": a resolved write has been fsynced. */
  fsync?: FsyncMode;
  /** WAL segment size in bytes (default 64 MiB). */
  segmentSize?: number;
  /** Checkpoint every this many ms (default 60 000; 0: never by time). */
  checkpointInterval?: number;
  /** Checkpoint after this many WAL bytes (default 64 MiB; 0: never by size). */
  checkpointWalBytes?: number;
  /** Keep WAL segments a checkpoint made redundant, gzipped, in wal/archive. */
  archiveWal?: boolean;
  /**
   * Receives what the node reports (recovery, checkpoints, elections, failures): a Logger
   * (lib/log.ts: createLogger, or any pino logger), or a function given each message as
   * one line. Without one the library logs nothing.
   */
  log?: Logger | Log;
  /** This node's id (default 1). */
  nodeId?: number;
  /** Replicate with these peers (what `walnut serve --peers` sets up); absent for a single node. */
  cluster?: ClusterOptions;
  /** How a leader proves a read current: "index" (default: a heartbeat round) or "lease" (assumes bounded clock drift). */
  readMode?: ReadMode;
  /**
   * In a cluster: bytes of applied log entries kept in memory for followers that fall
   * behind (data bytes plus ENTRY_OVERHEAD_BYTES each; default 32 MiB). A follower further
   * behind gets a checkpoint. A node alone keeps none.
   */
  logMemory?: number;
  /**
   * Refuse writes that add data (Redis' noeviction: SET, INCR, LPUSH, ... reject with code
   * OOM) while used memory is over this many bytes; a number or a size such as "512MiB" or
   * "2gb". Default (and 0): half of V8's heap limit; at most three quarters of it.
   */
  maxmemory?: number | string;
  /** The watch history window (docs/watch.md): at most this many changes (default 100 000) ... */
  watchHistory?: number;
  /** ... and at most this many bytes (default 64 MiB); the oldest changes go first. */
  watchHistoryBytes?: number;
  /** Longest value a watch event carries (default 1 KiB); a longer one is null: read the key. */
  watchValueBytes?: number;
}


/** Options of a set that always writes: it resolves to the new version, never null. */
export type UnconditionalSetOptions = Omit<SetOptions, "ifNotExists" | "ifExists"> & { ifNotExists?: false; ifExists?: false };

/** How current a read must be (every read method takes it; default "linearizable"). */
export interface ReadOptions {
  /**
   * "linearizable" (default): the read sees every write acknowledged on any node before it
   * began; on a follower it waits until this node has applied what the leader committed.
   * "stale": this node's own state as it is now, without waiting (may lag the leader).
   */
  consistency?: ReadConsistency;
}

export interface RangeOptions extends ReadOptions {
  /** At most this many keys (default: all in the range). */
  limit?: number;
}

export interface Entry {
  value: Value;
  /**
   * walnut's kind of the value: string, blob, integer, float, boolean, list, hyperloglog,
   * hash, set ... (RESP's WALNUT.TYPE; RESP's TYPE answers Redis' type instead).
   */
  kind: ValueKind;
  /** The log index of the key's last write. */
  version: number;
  /** Absolute expiry in ms since the epoch, or null. */
  expiresAtMs: number | null;
}

export type BatchOperation =
  | { op: "set"; key: Key; value: Value; collection?: string; options?: Omit<SetOptions, "ifVersion"> }
  | { op: "delete"; key: Key; collection?: string }
  | { op: "incr"; key: Key; by?: number | bigint; collection?: string }
  | { op: "command"; args: Array<string | Buffer | number>; collection?: string };

/**
 * What one batch operation resolves to, the same as its own method: set → the version
 * (the batch's log index), or null when ifExists/ifNotExists prevented it (so a set
 * without them is a number); delete → whether the key existed; incr → the new value;
 * command → the command's answer as a plain value.
 */
export type BatchResult<Operation> = Operation extends { op: "set"; options?: { ifNotExists?: false; ifExists?: false } }
  ? number
  : Operation extends { op: "set" }
    ? number | null
    : Operation extends { op: "delete" }
      ? boolean
      : Operation extends { op: "incr" }
        ? number | bigint
        : CommandValue;

/** One result per operation, in order (typed per position when the operations are written inline). */
export type BatchResults<Operations extends readonly BatchOperation[]> = { -readonly [I in keyof Operations]: BatchResult<Operations[I]> };

export interface BatchCondition {
  key: Key;
  /** The version the key must still have (0: must not exist). */
  version: number;
  collection?: string;
}

/** The embedded database's defaults are `walnut serve`'s: read from the one table of settings. */
export const defaults = {
  fsync: optionDefault(serveOptions, "fsync") as FsyncMode,
  segmentSizeBytes: parseSizeBytes(optionDefault(serveOptions, "segment-size"), "segment-size"),
  checkpointIntervalMs: parseDurationMs(optionDefault(serveOptions, "checkpoint-interval"), "checkpoint-interval"),
  checkpointWalBytes: parseSizeBytes(optionDefault(serveOptions, "checkpoint-wal-bytes"), "checkpoint-wal-bytes"),
};

/** A write's version (its log index), or null when the write was a no-op (NX/XX unmet). */
function versionOrNull(result: { index: number; reply: Reply }): number | null {
  return raiseIfError(result.reply).type === "nil" ? null : result.index;
}

/** A reply that is an error (a command refused: WRONGTYPE, ERR ...), raised as COMMAND_ERROR; OOM when over maxmemory. */
function raiseIfError(reply: Reply): Reply {
  if (reply.type !== "error") return reply;
  if (isOutOfMemoryReply(reply)) {
    throw new WalnutError("OOM", "Cannot write: used memory is over maxmemory; delete keys or raise maxmemory (reads and deletes go on)");
  }
  throw new WalnutError("COMMAND_ERROR", reply.text);
}

/** options.maxmemory in bytes (0: the default). */
function maxmemoryBytes(option: number | string | undefined): number {
  if (option === undefined) return 0;
  if (typeof option === "number") return option;
  return parseSizeBytes(option, "options.maxmemory");
}

/** The consistency a read asked for, checked (a JavaScript caller may pass anything). */
function consistencyOf(options: ReadOptions | undefined): ReadConsistency {
  const consistency = options?.consistency ?? "linearizable";
  if (!READ_CONSISTENCIES.includes(consistency)) {
    throw new WalnutError("BAD_ARGUMENT", `Cannot read: consistency must be "linearizable" or "stale", not ${JSON.stringify(consistency)}`);
  }
  return consistency;
}

/** The methods of one collection; `db` itself is the default collection. */
export class CollectionHandle {
  constructor(
    protected readonly executor: CommandExecutor,
    readonly name: string,
  ) {}

  /**
   * Stores `value`; resolves to its version. With ifExists/ifNotExists it resolves to null
   * when that condition prevented the write.
   */
  set(key: Key, value: Value, options?: UnconditionalSetOptions): Promise<number>;
  set(key: Key, value: Value, options: SetOptions): Promise<number | null>;
  set(key: Key, value: Value, options?: SetOptions): Promise<number | null> {
    if (options === undefined && typeof value === "string") {
      // The common case, kept short: one SET, no options.
      const call = { collection: this.name, argv: ["SET", fromInput(key), fromInput(value)] };
      return this.executor.commit(call).then(versionOrNull);
    }
    return this.setWithOptions(key, value, options ?? {});
  }

  private async setWithOptions(key: Key, value: Value, options: SetOptions): Promise<number | null> {
    if (options.ttlMs !== undefined && (Array.isArray(value) || isHashValue(value))) {
      options = { ...options, expireAtMs: this.executor.node.now() + options.ttlMs, ttlMs: undefined };
    }
    const calls = setCalls(this.name, fromInput(key), value, options);
    const conditions: VersionCondition[] =
      options.ifVersion === undefined ? [] : [{ collection: this.name, key: fromInput(key), version: options.ifVersion }];
    if (calls.length === 1 && conditions.length === 0) {
      return versionOrNull(await this.executor.commit(calls[0] as CommandCall));
    }
    const { index, reply } = await this.executor.commitBatch(calls, conditions);
    if (raiseIfError(reply).type === "nil") throw await this.conflict(key, options.ifVersion ?? 0);
    const first = reply.type === "array" ? reply.items[0] : undefined;
    return first?.type === "nil" && !Array.isArray(value) && !isHashValue(value) ? null : index;
  }

  /** The stored value, or null when the key is absent or expired. */
  async get(key: Key, options?: ReadOptions): Promise<Value | null> {
    const item = await this.lookup(key, consistencyOf(options));
    return item === undefined ? null : itemValue(item);
  }

  /** The value with its version and expiry, or null. */
  async getEntry(key: Key, options?: ReadOptions): Promise<Entry | null> {
    const item = await this.lookup(key, consistencyOf(options));
    if (item === undefined) return null;
    return { value: itemValue(item), kind: item.kind, version: item.version, expiresAtMs: item.expiresAtMs === 0 ? null : item.expiresAtMs };
  }

  /** Deletes the key; resolves to whether it existed. */
  async delete(key: Key): Promise<boolean> {
    const { reply } = await this.executor.commit({ collection: this.name, argv: ["DEL", fromInput(key)] });
    return existed(raiseIfError(reply));
  }

  /** Adds `by` (default 1) to an integer value; resolves to the new value. */
  async incr(key: Key, by: number | bigint = 1): Promise<number | bigint> {
    const argv = ["INCRBY", fromInput(key), String(by)];
    return incremented((await this.executor.commit({ collection: this.name, argv })).reply);
  }

  /** Sets a time to live (seconds, or { ms }); resolves to whether the key exists. */
  async expire(key: Key, ttl: number | { ms: number }): Promise<boolean> {
    const argv = typeof ttl === "number" ? ["EXPIRE", fromInput(key), String(ttl)] : ["PEXPIRE", fromInput(key), String(ttl.ms)];
    const { reply } = await this.executor.commit({ collection: this.name, argv });
    return existed(raiseIfError(reply));
  }

  /** Keys with start <= key <= end in key order (ordered collections). */
  async range(start: Key, end: Key, options: RangeOptions = {}): Promise<Array<{ key: string; value: Value; version: number }>> {
    return this.executor.readState((engine) => {
      const collection = engine.requireCollection(this.name);
      if (collection.range === undefined) {
        throw new WalnutError("BAD_ARGUMENT", `Cannot range over collection "${this.name}": it is a hash collection`);
      }
      const nowMs = this.executor.node.now();
      return collection
        .range(fromInput(start), fromInput(end), options.limit ?? Number.MAX_SAFE_INTEGER)
        .filter(([, item]) => !item.isExpiredAt(nowMs))
        .map(([key, item]) => ({ key: toText(key), value: itemValue(item), version: item.version }));
    }, consistencyOf(options));
  }

  /**
   * Runs any walnut command in this collection, e.g. command("LPUSH", "l", "a"), and
   * resolves to its raw Reply; a command's error rejects with COMMAND_ERROR. Reads are
   * linearizable.
   */
  async command(...args: Array<string | Buffer | number>): Promise<Reply> {
    return raiseIfError(await this.executor.run(this.name, args.map(commandArgument)));
  }

  /** The live item under `key`, read through the executor's read path. */
  protected async lookup(key: Key, consistency: ReadConsistency): Promise<Item | undefined> {
    return this.executor.readState((engine: Engine) => {
      const item = engine.requireCollection(this.name).get(fromInput(key));
      return item === undefined || item.isExpiredAt(this.executor.node.now()) ? undefined : item;
    }, consistency);
  }

  private async conflict(key: Key, expected: number): Promise<WalnutError> {
    // This node's own state: the batch that found the conflict was applied here just now.
    const actual = (await this.lookup(key, "stale"))?.version ?? 0;
    return new WalnutError("VERSION_CONFLICT", `Cannot write "${String(key)}": expected version ${expected}, found ${actual}`);
  }
}

/** DEL's, EXPIRE's answer: whether the key existed. */
function existed(reply: Reply): boolean {
  return reply.type === "integer" && Number(reply.value) === 1;
}

/** INCRBY's answer: the new value. */
function incremented(reply: Reply): number | bigint {
  if (raiseIfError(reply).type !== "integer") throw new WalnutError("COMMAND_ERROR", "INCRBY did not answer an integer");
  return replyValue(reply) as number | bigint;
}

export class Db extends CollectionHandle {
  private constructor(executor: CommandExecutor) {
    super(executor, DEFAULT_COLLECTION);
  }

  /** @internal use open() */
  static async start(options: OpenOptions): Promise<Db> {
    const maxmemory = resolveMaxmemory(maxmemoryBytes(options.maxmemory), "options.maxmemory"); // one the heap cannot hold stops the open here
    const node = await Node.open({
      dataDir: options.dir,
      fsync: options.fsync ?? defaults.fsync,
      segmentSizeBytes: options.segmentSize ?? defaults.segmentSizeBytes,
      checkpointIntervalMs: options.checkpointInterval ?? defaults.checkpointIntervalMs,
      checkpointWalBytes: options.checkpointWalBytes ?? defaults.checkpointWalBytes,
      archiveWal: options.archiveWal ?? false,
      stateMachine: walnutStateMachine,
      ...(options.log === undefined ? {} : { log: typeof options.log === "function" ? loggerFromLines(options.log) : options.log }),
      ...(options.nodeId === undefined ? {} : { nodeId: options.nodeId }),
      ...(options.cluster === undefined ? {} : { cluster: options.cluster }),
      ...(options.readMode === undefined ? {} : { readMode: options.readMode }),
      ...(options.logMemory === undefined ? {} : { logMemoryBytes: options.logMemory }),
      watchHistory: {
        maxChanges: options.watchHistory ?? HISTORY_BOUNDS_DEFAULT.maxChanges,
        maxBytes: options.watchHistoryBytes ?? HISTORY_BOUNDS_DEFAULT.maxBytes,
        maxValueBytes: options.watchValueBytes ?? HISTORY_BOUNDS_DEFAULT.maxValueBytes,
      },
    });
    const memory = new MemoryLimit(maxmemory, "options.maxmemory");
    node.metrics.memory.watch(memory);
    memory.observe(node.metrics.memory);
    return new Db(new CommandExecutor(node, memory));
  }

  /** The maxmemory check of this db, shared with the servers over it (CONFIG SET maxmemory, INFO). */
  get memory(): MemoryLimit {
    return this.executor.memory;
  }

  /** The node underneath, for servers built on an embedded db. */
  get node(): Node {
    return this.executor.node;
  }

  /**
   * A handle on a collection by name. It reads nothing: an operation on a collection
   * that does not exist rejects (BAD_ARGUMENT for a read, COMMAND_ERROR for a write).
   */
  collection(name: string): CollectionHandle {
    if (typeof name !== "string" || name === "") throw new WalnutError("BAD_ARGUMENT", "Cannot use a collection: its name must be a non-empty string");
    return new CollectionHandle(this.executor, name);
  }

  /** Creates a collection (hash: a Map; ordered: a B+tree with range scans). */
  async createCollection(name: string, type: CollectionType = "hash"): Promise<CollectionHandle> {
    const { reply } = await this.executor.commit({ collection: DEFAULT_COLLECTION, argv: ["COLLECTION", "CREATE", name, type] });
    raiseIfError(reply);
    return new CollectionHandle(this.executor, name);
  }

  /** Drops a collection and its keys; resolves to whether it existed. */
  async dropCollection(name: string): Promise<boolean> {
    const { reply } = await this.executor.commit({ collection: DEFAULT_COLLECTION, argv: ["COLLECTION", "DROP", name] });
    const answer = raiseIfError(reply);
    return !(answer.type === "integer" && Number(answer.value) === 0);
  }

  /** Every collection with its type and number of keys. */
  async listCollections(options?: ReadOptions): Promise<Array<{ name: string; type: CollectionType; size: number }>> {
    return this.executor.readState((engine) => engine.listCollections(), consistencyOf(options));
  }

  /** Writes a collection to a file (LokiKV's persist). */
  async exportCollection(name: string, path: string, options?: ReadOptions): Promise<void> {
    const image = await this.executor.readState((engine) => encodeCollectionImage(engine.requireCollection(name)), consistencyOf(options));
    await writeFile(path, image);
  }

  /** Loads a file written by exportCollection as a new collection, of either type, under any name. */
  async importCollection(path: string, options: { name: string; type: CollectionType }): Promise<CollectionHandle> {
    const image = await readFile(path);
    decodeCollectionImage(image, options); // validate before it enters the log
    const argv = ["COLLECTION", "LOAD", options.name, options.type, image.toString("latin1")];
    raiseIfError((await this.executor.commit({ collection: DEFAULT_COLLECTION, argv })).reply);
    return new CollectionHandle(this.executor, options.name);
  }

  /**
   * Applies operations atomically as one log entry: all or nothing. Resolves to one plain
   * value per operation (see BatchResult). Rejects with VERSION_CONFLICT when a condition
   * fails, COMMAND_ERROR when an operation fails (nothing applied).
   */
  async batch<const Operations extends readonly BatchOperation[]>(
    operations: Operations,
    options: { conditions?: BatchCondition[] } = {},
  ): Promise<BatchResults<Operations>> {
    const calls: CommandCall[] = [];
    const firstCalls: number[] = [];
    for (const operation of operations) {
      firstCalls.push(calls.length);
      const collection = operation.collection ?? DEFAULT_COLLECTION;
      const key = "key" in operation ? fromInput(operation.key) : "";
      if (operation.op === "set") calls.push(...setCalls(collection, key, operation.value, operation.options ?? {}));
      else if (operation.op === "delete") calls.push({ collection, argv: ["DEL", key] });
      else if (operation.op === "incr") calls.push({ collection, argv: ["INCRBY", key, String(operation.by ?? 1)] });
      else calls.push({ collection, argv: operation.args.map(commandArgument) });
    }
    const conditions = (options.conditions ?? []).map((c) => ({
      collection: c.collection ?? DEFAULT_COLLECTION,
      key: fromInput(c.key),
      version: c.version,
    }));
    const { index, reply } = await this.executor.commitBatch(calls, conditions);
    if (raiseIfError(reply).type === "nil") {
      throw new WalnutError("VERSION_CONFLICT", "Cannot apply batch: a condition's key has a different version");
    }
    const replies = reply.type === "array" ? reply.items : [reply];
    const results = operations.map((operation, i) => {
      const first = replies[firstCalls[i] as number] ?? NIL;
      if (operation.op === "set") return first.type === "nil" && !Array.isArray(operation.value) ? null : index;
      if (operation.op === "delete") return existed(first);
      if (operation.op === "incr") return incremented(first);
      return replyValue(first);
    });
    // The mapped tuple type cannot be built up element by element; each element was built from its operation's op above.
    return results as unknown as BatchResults<Operations>;
  }

  /** Takes a checkpoint now. */
  checkpoint(options: { full?: boolean } = {}): Promise<CheckpointInfo> {
    return this.executor.node.checkpoint(options);
  }

  segments(): SegmentInfo[] {
    return this.executor.node.segments();
  }

  /**
   * Every change to the watched key or prefix from `fromVersion` on, in log-index order,
   * with progress events; an async iterator (db_watch.ts, docs/watch.md).
   */
  watch(options: WatchOptions = {}): WatchStream {
    return new WatchStream(this.executor.node, options);
  }

  /** Writes what is pending and closes; the db cannot be used afterwards. */
  close(): Promise<void> {
    this.executor.memory.close();
    return this.executor.node.close();
  }
}

/** Opens (creating if needed) a walnut database in `options.dir`. */
export function open(options: OpenOptions): Promise<Db> {
  if (typeof options?.dir !== "string" || options.dir === "") {
    return Promise.reject(new WalnutError("BAD_ARGUMENT", "Cannot open walnut: options.dir must name a directory"));
  }
  return Db.start(options);
}
