/**
 * Copying a live Redis into walnut, key by key, with the commands any Redis answers:
 * SCAN walks the source; for each key TYPE picks the read command (GET, LRANGE, HGETALL,
 * SMEMBERS, ZRANGE ... WITHSCORES) and PTTL gives the time left; the value is written to
 * walnut with ordinary commands (SET ... PX, or DEL + RPUSH/HSET/SADD/ZADD + PEXPIRE in one
 * MULTI/EXEC), so a live walnut logs and replicates every key like any other write.
 *
 * - A key of a type walnut has no write command for (asked once with COMMAND INFO), or a
 *   type walnut does not model (stream, a module's type), is skipped and counted by type.
 * - A key that disappears between SCAN and its read (deleted, expired) is counted as gone.
 * - A key already in walnut is replaced.
 * - At the end, the source's DBSIZE is compared with the keys read (copied + skipped +
 *   gone): a difference means the source changed during the import.
 *
 * One SCAN batch is read with its commands pipelined, then written; the keys of a batch
 * are written one after another (a key's MULTI/EXEC is its own entry in walnut's log).
 */
import type { ByteString } from "../engine/bytes.js";
import type { Reply } from "../engine/reply.js";
import { WalnutError } from "../lib/errors.js";

/** Something that answers commands: the source Redis. */
export interface CommandSource {
  command(argv: readonly ByteString[]): Promise<Reply>;
}

/** Where keys are written: a live walnut over RESP, or an embedded one on a data directory. */
export interface CommandTarget extends CommandSource {
  /** Runs the commands as one all-or-nothing unit (MULTI/EXEC over RESP); throws when refused. */
  atomically(commands: readonly ByteString[][]): Promise<void>;
  /** Which of the named commands the target has. */
  hasCommands(names: readonly string[]): Promise<boolean[]>;
}

export interface ImportOptions {
  source: CommandSource;
  target: CommandTarget;
  /** Keys SCAN asks for per call. */
  scanCount: number;
  /** Called after every batch: keys read so far, and the source's DBSIZE at the start. */
  progress(readKeys: number, sourceKeys: number): void;
}

export interface ImportReport {
  /** Keys copied, by Redis type. */
  copied: Map<string, number>;
  /** Keys skipped because walnut cannot hold their type, by type. */
  skipped: Map<string, number>;
  /** Keys that vanished between SCAN and their read. */
  gone: number;
  sourceKeysAtStart: number;
  sourceKeysAtEnd: number;
}

/** The Redis types walnut can be asked to hold, and the write command each needs. */
const WRITE_COMMANDS: ReadonlyMap<string, string> = new Map([
  ["string", "SET"],
  ["list", "RPUSH"],
  ["hash", "HSET"],
  ["set", "SADD"],
  ["zset", "ZADD"],
]);

/** Elements per RPUSH/HSET/SADD/ZADD command when a value is written in pieces. */
const ELEMENTS_PER_COMMAND = 512;

function cannotImport(why: string): WalnutError {
  return new WalnutError("BAD_ARGUMENT", `Cannot import: ${why}`);
}

function expectInteger(reply: Reply, what: string): number {
  if (reply.type === "integer") return Number(reply.value);
  throw cannotImport(`${what} answered ${describe(reply)}`);
}

function describe(reply: Reply): string {
  return reply.type === "error" ? reply.text : reply.type;
}

/** The bulk strings of an array reply (the source speaks RESP2); anything else throws. */
function byteStrings(reply: Reply, what: string): ByteString[] {
  if (reply.type !== "array") throw cannotImport(`${what} answered ${describe(reply)}`);
  return reply.items.map((item) => bulkValue(item, what));
}

/** The Redis types the target has a write command for. */
async function writableTypes(target: CommandTarget): Promise<Set<string>> {
  const has = await target.hasCommands([...WRITE_COMMANDS.values()]);
  return new Set([...WRITE_COMMANDS.keys()].filter((_, index) => has[index]));
}

/** What one key holds at the source: its type, its value's pieces and its time to live. */
interface SourceValue {
  type: string;
  /** GET: [value]; LRANGE/SMEMBERS: elements; HGETALL: field, value...; ZRANGE WITHSCORES: member, score... */
  parts: ByteString[] | null;
  ttlMs: number;
}

function readCommand(type: string, key: ByteString): ByteString[] | null {
  switch (type) {
    case "string":
      return ["GET", key];
    case "list":
      return ["LRANGE", key, "0", "-1"];
    case "hash":
      return ["HGETALL", key];
    case "set":
      return ["SMEMBERS", key];
    case "zset":
      return ["ZRANGE", key, "0", "-1", "WITHSCORES"];
    default:
      return null;
  }
}

/** Reads a batch of keys: TYPEs pipelined, then every value and PTTL pipelined. */
async function readBatch(source: CommandSource, keys: ByteString[], writable: Set<string>): Promise<SourceValue[]> {
  const types = await Promise.all(keys.map((key) => source.command(["TYPE", key])));
  return Promise.all(
    keys.map(async (key, index) => {
      const typeReply = types[index];
      const type = typeReply.type === "status" ? typeReply.text : "none";
      const read = writable.has(type) ? readCommand(type, key) : null;
      const [valueReply, ttlReply] = await Promise.all([
        read === null ? Promise.resolve(null) : source.command(read),
        source.command(["PTTL", key]),
      ]);
      const ttlMs = expectInteger(ttlReply, `PTTL ${key}`);
      if (type === "none" || ttlMs === -2 || valueReply?.type === "nil") return { type: "none", parts: null, ttlMs };
      if (valueReply === null) return { type, parts: null, ttlMs };
      const parts = type === "string" ? [bulkValue(valueReply, `GET ${key}`)] : byteStrings(valueReply, `${read?.[0]} ${key}`);
      // An aggregate emptied between TYPE and its read no longer exists.
      return parts.length === 0 ? { type: "none", parts: null, ttlMs } : { type, parts, ttlMs };
    }),
  );
}

function bulkValue(reply: Reply, what: string): ByteString {
  if (reply.type === "bulk") return reply.value;
  throw cannotImport(`${what} answered ${describe(reply)}`);
}

/** The commands that make `key` hold `value` in walnut. */
function writeCommands(key: ByteString, value: SourceValue, parts: ByteString[]): ByteString[][] {
  const expiry = value.ttlMs > 0 ? String(value.ttlMs) : null;
  if (value.type === "string") return [["SET", key, parts[0], ...(expiry === null ? [] : ["PX", expiry])]];
  const command = WRITE_COMMANDS.get(value.type);
  if (command === undefined) throw cannotImport(`no write command for type ${value.type}`);
  // ZRANGE WITHSCORES answers member, score; ZADD takes score, member.
  const pairs = value.type === "zset" ? swapPairs(parts) : parts;
  const step = value.type === "hash" || value.type === "zset" ? 2 * ELEMENTS_PER_COMMAND : ELEMENTS_PER_COMMAND;
  const commands: ByteString[][] = [["DEL", key]];
  for (let at = 0; at < pairs.length; at += step) commands.push([command, key, ...pairs.slice(at, at + step)]);
  if (expiry !== null) commands.push(["PEXPIRE", key, expiry]);
  return commands;
}

function swapPairs(parts: ByteString[]): ByteString[] {
  const swapped: ByteString[] = [];
  for (let at = 0; at + 1 < parts.length; at += 2) swapped.push(parts[at + 1], parts[at]);
  return swapped;
}

function countInto(counts: Map<string, number>, type: string): void {
  counts.set(type, (counts.get(type) ?? 0) + 1);
}

async function writeKey(target: CommandTarget, key: ByteString, value: SourceValue, parts: ByteString[]): Promise<void> {
  const commands = writeCommands(key, value, parts);
  if (commands.length === 1) {
    const reply = await target.command(commands[0]);
    if (reply.type === "error") throw cannotImport(`walnut refused ${commands[0][0]} ${key}: ${reply.text}`);
    return;
  }
  await target.atomically(commands);
}

/** Copies every key of the source into the target; see the file comment. */
export async function importFromRedis(options: ImportOptions): Promise<ImportReport> {
  const { source, target } = options;
  const writable = await writableTypes(target);
  const report: ImportReport = {
    copied: new Map(),
    skipped: new Map(),
    gone: 0,
    sourceKeysAtStart: expectInteger(await source.command(["DBSIZE"]), "DBSIZE"),
    sourceKeysAtEnd: 0,
  };
  // SCAN may return a key twice (while Redis rehashes): each is copied and counted once.
  const seen = new Set<ByteString>();
  let cursor = "0";
  do {
    const reply = await source.command(["SCAN", cursor, "COUNT", String(options.scanCount)]);
    if (reply.type !== "array" || reply.items.length !== 2) throw cannotImport(`SCAN answered ${describe(reply)}`);
    cursor = bulkValue(reply.items[0], "SCAN's cursor");
    const keys = byteStrings(reply.items[1], "SCAN").filter((key) => !seen.has(key));
    for (const key of keys) seen.add(key);
    const values = await readBatch(source, keys, writable);
    for (let index = 0; index < keys.length; index++) {
      const value = values[index];
      if (value.type === "none") report.gone++;
      else if (value.parts === null) countInto(report.skipped, value.type);
      else {
        await writeKey(target, keys[index], value, value.parts);
        countInto(report.copied, value.type);
      }
    }
    options.progress(seen.size, report.sourceKeysAtStart);
  } while (cursor !== "0");
  report.sourceKeysAtEnd = expectInteger(await source.command(["DBSIZE"]), "DBSIZE");
  return report;
}

/** Keys the import accounted for: copied, skipped and gone. */
export function keysAccountedFor(report: ImportReport): number {
  let total = report.gone;
  for (const count of report.copied.values()) total += count;
  for (const count of report.skipped.values()) total += count;
  return total;
}
