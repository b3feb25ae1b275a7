/**
 * The payload of a log entry: what a write asks the state machine to do.
 *
 * Every write is one entry: a single command, or an atomic batch (MULTI/EXEC, the
 * embedded batch()) with optional version conditions. The entry carries the proposer's
 * clock (`nowMs`) so that apply() judges expiry and turns relative TTLs into absolute
 * instants without reading a clock: every replica computes the same result.
 *
 * Layout (little-endian; a "str" is u32 byte length + bytes, byte strings as latin1):
 *
 *   u8  type         1 = command, 2 = batch, 3 = no-op; plus 0x80 when ackBelow follows requestId,
 *                    plus 0x40 when the client id is a number
 *   u32 originNode   the node that proposed it (0: none), and its sequence number there:
 *   f64 originSeq    the proposer answers its client when it applies this entry
 *   f64 nowMs
 *   str clientId     "" when the writer asked for no at-most-once session; with the 0x40
 *                    flag an f64 instead: a session number (node/session_numbers.ts)
 *   f64 requestId    0 when none
 *   f64 ackBelow     only with the 0x80 flag: the session's requests below it were answered
 *                    (engine/session_table.ts); entries without it are "single" requests
 *   type 1: str collection, u32 argc, argc × str
 *   type 2: u32 conditionCount, conditionCount × (str collection, str key, f64 version)
 *           (version -(n + 1): the key must be absent and not written since index n)
 *           u32 commandCount, commandCount × (str collection, u32 argc, argc × str)
 *
 * Example: SET k v on "default" proposed by node 1 as its 5th proposal, at nowMs 1.7e12,
 * no session:
 *   01 | 01000000 | <f64 5.0> | <f64 1.7e12> | 00000000 | <f64 0.0> | 07000000 "default" |
 *   03000000 | 03000000 "SET" | 01000000 "k" | 01000000 "v"
 */
import { WalnutError } from "../lib/errors.js";
import { limits } from "../lib/limits.js";
import type { ByteString } from "../engine/bytes.js";
import type { ClientId } from "../engine/session_table.js";

export type { ClientId } from "../engine/session_table.js";

export interface CommandCall {
  collection: string;
  /** Command name and arguments as byte strings, e.g. ["SET", "k", "v"]. */
  argv: ByteString[];
}

export interface VersionCondition {
  collection: string;
  key: ByteString;
  /** The version the key must have; 0 means "must not exist". */
  version: number;
  /**
   * With version 0: the index at which the key was seen absent (WATCH of an absent key);
   * the key must also not have been written since (commands/batch_conditions.ts).
   */
  absentSince?: number;
}

/** Who proposed an entry: the node, and the proposal's sequence number on that node. */
export interface EntryOrigin {
  node: number;
  sequence: number;
}

export const NO_ORIGIN: EntryOrigin = Object.freeze({ node: 0, sequence: 0 });

interface EntryHeader {
  /** Filled in by the node when it proposes the entry; NO_ORIGIN otherwise. */
  origin?: EntryOrigin;
  nowMs: number;
  /** At-most-once sessions: a retried request with the same id is applied once. */
  clientId: ClientId;
  requestId: number;
  /**
   * An ordered session (a RESP connection): every reply below this request id reached the
   * client, and ids are consecutive. 0 or absent: a single request (engine/session_table.ts).
   */
  ackBelow?: number;
}

export type EntryPayload =
  | (EntryHeader & { type: "command"; call: CommandCall })
  | (EntryHeader & { type: "batch"; conditions: VersionCondition[]; calls: CommandCall[] })
  | (EntryHeader & { type: "noop" });

const TYPE_CODES = { command: 1, batch: 2, noop: 3 } as const;
/** Set in the type byte when an f64 ackBelow follows the request id. */
const ACK_BELOW_FLAG = 0x80;
/** Set in the type byte when the client id is an f64 session number rather than a string. */
const NUMBERED_CLIENT_FLAG = 0x40;
const TYPE_FLAGS = ACK_BELOW_FLAG | NUMBERED_CLIENT_FLAG;
/** The origin sits at a fixed offset so that a node can find its own entries without decoding. */
const ORIGIN_END = 1 + 4 + 8;

/** The origin of an encoded entry, read without decoding the rest; NO_ORIGIN when too short. */
export function peekOrigin(data: Uint8Array): EntryOrigin {
  if (data.length < ORIGIN_END) return NO_ORIGIN;
  return { node: peekOriginNode(data), sequence: peekOriginSequence(data) };
}

/** peekOrigin(data).node without the object (the apply path asks for every entry): 0 when too short. */
export function peekOriginNode(data: Uint8Array): number {
  return data.length < ORIGIN_END ? 0 : asBuffer(data).readUInt32LE(1);
}

/** peekOrigin(data).sequence without the object: 0 when too short. */
export function peekOriginSequence(data: Uint8Array): number {
  return data.length < ORIGIN_END ? 0 : asBuffer(data).readDoubleLE(5);
}

function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function strLength(text: string): number {
  return 4 + text.length;
}

function callLength(call: CommandCall): number {
  let total = strLength(call.collection) + 4;
  for (const arg of call.argv) total += strLength(arg);
  return total;
}

/** Strings up to this length are copied byte by byte: cheaper than a native Buffer.write call. */
const SHORT_STRING_LENGTH_MAX = 32;

function putString(out: Buffer, at: number, text: string): number {
  const length = text.length;
  out.writeUInt32LE(length, at);
  at += 4;
  if (length <= SHORT_STRING_LENGTH_MAX) {
    for (let i = 0; i < length; i++) out[at + i] = text.charCodeAt(i);
  } else {
    out.write(text, at, length, "latin1");
  }
  return at + length;
}

function putCall(out: Buffer, at: number, call: CommandCall): number {
  at = putString(out, at, call.collection);
  out.writeUInt32LE(call.argv.length, at);
  at += 4;
  for (const arg of call.argv) at = putString(out, at, arg);
  return at;
}

function bodyLength(payload: EntryPayload): number {
  if (payload.type === "command") return callLength(payload.call);
  if (payload.type === "noop") return 0;
  let total = 8;
  for (const c of payload.conditions) total += strLength(c.collection) + strLength(c.key) + 8;
  for (const call of payload.calls) total += callLength(call);
  return total;
}

/** The entry bytes of `payload`; `origin` (default: the payload's own) tags who proposed it. */
export function encodeEntry(payload: EntryPayload, origin: EntryOrigin = payload.origin ?? NO_ORIGIN): Buffer {
  const ackBelow = payload.ackBelow ?? 0;
  const clientId = payload.clientId;
  const numbered = typeof clientId === "number";
  const total = ORIGIN_END + 8 + (numbered ? 8 : strLength(clientId)) + 8 + (ackBelow > 0 ? 8 : 0) + bodyLength(payload);
  if (total > limits.entryBytesMax) {
    throw new WalnutError("LIMIT", `Cannot log write: entry of ${total} bytes exceeds ${limits.entryBytesMax}`);
  }
  const out = Buffer.allocUnsafe(total);
  out[0] = TYPE_CODES[payload.type] | (ackBelow > 0 ? ACK_BELOW_FLAG : 0) | (numbered ? NUMBERED_CLIENT_FLAG : 0);
  out.writeUInt32LE(origin.node, 1);
  out.writeDoubleLE(origin.sequence, 5);
  out.writeDoubleLE(payload.nowMs, ORIGIN_END);
  let at = ORIGIN_END + 8;
  if (numbered) {
    out.writeDoubleLE(clientId, at);
    at += 8;
  } else {
    at = putString(out, at, clientId);
  }
  out.writeDoubleLE(payload.requestId, at);
  at += 8;
  if (ackBelow > 0) {
    out.writeDoubleLE(ackBelow, at);
    at += 8;
  }
  if (payload.type === "command") at = putCall(out, at, payload.call);
  else if (payload.type === "batch") {
    out.writeUInt32LE(payload.conditions.length, at);
    at += 4;
    for (const c of payload.conditions) {
      if (c.absentSince !== undefined && (c.version !== 0 || !(c.absentSince >= 0))) {
        throw new WalnutError("BAD_ARGUMENT", `Cannot log batch: absentSince ${c.absentSince} on a condition of version ${c.version}`);
      }
      at = putString(out, at, c.collection);
      at = putString(out, at, c.key);
      out.writeDoubleLE(c.absentSince === undefined ? c.version : -(c.absentSince + 1), at);
      at += 8;
    }
    out.writeUInt32LE(payload.calls.length, at);
    at += 4;
    for (const call of payload.calls) at = putCall(out, at, call);
  }
  return out;
}

/**
 * Reads an entry's fields in order. One class with methods rather than closures made
 * per call: recovery decodes a million entries in a row, and closures cost an allocation
 * each and stay out of the optimizer's reach.
 */
class EntryReader {
  at = 0;
  constructor(readonly buf: Buffer) {}

  fail(why: string): never {
    throw new WalnutError("WAL_CORRUPT", `Cannot decode log entry: ${why} at byte ${this.at} of ${this.buf.length}`);
  }

  need(bytes: number): void {
    if (this.at + bytes > this.buf.length) this.fail(`truncated (needs ${bytes} more bytes)`);
  }

  u32(): number {
    this.need(4);
    const value = this.buf.readUInt32LE(this.at);
    this.at += 4;
    return value;
  }

  f64(): number {
    this.need(8);
    const value = this.buf.readDoubleLE(this.at);
    this.at += 8;
    return value;
  }

  str(): string {
    const length = this.u32();
    this.need(length);
    const start = this.at;
    this.at += length;
    return this.buf.toString("latin1", start, this.at);
  }

  /** str() for a field that mostly repeats from entry to entry: the same string as last time when the bytes match. */
  repeatedStr(recent: RecentString): string {
    const length = this.u32();
    this.need(length);
    const start = this.at;
    this.at += length;
    const last = recent.text;
    if (last.length === length && length <= RECENT_STRING_LENGTH_MAX) {
      let same = true;
      for (let i = 0; i < length && same; i++) same = last.charCodeAt(i) === this.buf[start + i];
      if (same) return last;
    }
    const text = this.buf.toString("latin1", start, this.at);
    recent.text = text;
    return text;
  }

  call(): CommandCall {
    const collection = this.repeatedStr(recentCollection);
    const argc = this.u32();
    if (argc > limits.commandArgumentsMax) this.fail(`argument count ${argc} too large`);
    const argv: string[] = new Array(argc);
    if (argc > 0) argv[0] = this.repeatedStr(recentCommandName);
    for (let i = 1; i < argc; i++) argv[i] = this.str();
    return { collection, argv };
  }
}

/**
 * The last string decoded for a field that repeats (a collection, a command name, a
 * session's client id): recovery decodes a million entries in a row, mostly alike, and
 * handing out the same string again saves an allocation and lets the maps keyed by it
 * (collections, commands, sessions) reuse its cached hash.
 */
interface RecentString {
  text: string;
}

/** Longer strings are decoded afresh: comparing them byte by byte would cost what it saves. */
const RECENT_STRING_LENGTH_MAX = 64;
const recentCollection: RecentString = { text: "" };
const recentCommandName: RecentString = { text: "" };
const recentClientId: RecentString = { text: "" };

export function decodeEntry(data: Uint8Array): EntryPayload {
  const reader = new EntryReader(asBuffer(data));
  reader.need(ORIGIN_END);
  const typeByte = reader.buf[0] as number;
  const code = typeByte & ~TYPE_FLAGS;
  const originNode = reader.buf.readUInt32LE(1);
  reader.at = 5;
  const origin = { node: originNode, sequence: reader.f64() };
  const nowMs = reader.f64();
  const clientId = (typeByte & NUMBERED_CLIENT_FLAG) !== 0 ? reader.f64() : reader.repeatedStr(recentClientId);
  const requestId = reader.f64();
  const ackBelow = (typeByte & ACK_BELOW_FLAG) !== 0 ? reader.f64() : undefined;
  // Object literals of one shape per type (no spread): the apply path reads these fields for every entry.
  switch (code) {
    case TYPE_CODES.command: {
      const call = reader.call();
      return ackBelow === undefined
        ? { origin, nowMs, clientId, requestId, type: "command", call }
        : { origin, nowMs, clientId, requestId, ackBelow, type: "command", call };
    }
    case TYPE_CODES.batch: {
      const conditionCount = reader.u32();
      if (conditionCount > limits.batchCommandsMax) reader.fail(`condition count ${conditionCount} too large`);
      const conditions: VersionCondition[] = [];
      for (let i = 0; i < conditionCount; i++) {
        const collection = reader.str();
        const key = reader.str();
        const version = reader.f64();
        conditions.push(version < 0 ? { collection, key, version: 0, absentSince: -version - 1 } : { collection, key, version });
      }
      const callCount = reader.u32();
      if (callCount > limits.batchCommandsMax) reader.fail(`command count ${callCount} too large`);
      const calls: CommandCall[] = [];
      for (let i = 0; i < callCount; i++) calls.push(reader.call());
      return ackBelow === undefined
        ? { origin, nowMs, clientId, requestId, type: "batch", conditions, calls }
        : { origin, nowMs, clientId, requestId, ackBelow, type: "batch", conditions, calls };
    }
    case TYPE_CODES.noop:
      return ackBelow === undefined ? { origin, nowMs, clientId, requestId, type: "noop" } : { origin, nowMs, clientId, requestId, ackBelow, type: "noop" };
    default:
      return reader.fail(`unknown entry type ${code}`);
  }
}
