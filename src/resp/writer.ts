/**
 * The reply side of RESP: serializes Reply values (engine/reply.ts) for protocol 2 or 3
 * into one growing output buffer, which the connection takes whole once per flush.
 * Also `encodeCommand`, the client side of the request format (walnut cli and tests).
 *
 * Every frame is a type byte, a line ending in \r\n, and for bulk strings the bytes:
 *
 *     Reply               RESP2                     RESP3
 *     status OK           +OK\r\n                   (same)
 *     error               -ERR no such key\r\n      (same)
 *     integer 42          :42\r\n                   (same)
 *     bulk "hi"           $2\r\nhi\r\n              (same)
 *     nil                 $-1\r\n                   _\r\n
 *     nil array (EXEC)    *-1\r\n                   _\r\n      (also a nil reply with array: true)
 *     array [1, "a"]      *2\r\n:1\r\n$1\r\na\r\n   (same)
 *     double 1.5          $3\r\n1.5\r\n             ,1.5\r\n     (inf, -inf, nan spelled so)
 *     boolean true        :1\r\n                    #t\r\n
 *     map {a: 1}          *2\r\n$1\r\na\r\n:1\r\n   %1\r\n$1\r\na\r\n:1\r\n
 *
 * Status and error texts cannot contain line breaks; like Redis, the writer turns any
 * \r or \n in them into a space. All texts are byte strings (one char per byte).
 *
 * The hottest replies, +OK, integers and short bulk strings, are written straight into
 * the buffer byte by byte, with no intermediate string or Buffer.
 */
import type { ByteString } from "../engine/bytes.js";
import type { Reply } from "../engine/reply.js";
import { assert, unreachable } from "../lib/assert.js";
import { WalnutError } from "../lib/errors.js";
import { formatDouble } from "./double.js";

export type ProtocolVersion = 2 | 3;

/** Size of a fresh output buffer, and the most the writer keeps while idle. */
const INITIAL_CAPACITY_BYTES = 16 * 1024;
/** The largest buffer a writer allocates up front after a large flush. */
const RETAINED_CAPACITY_BYTES_MAX = 256 * 1024;
/**
 * Strings up to this length are copied with a loop, which beats the native call of
 * Buffer.write for short values; longer ones go through Buffer.write.
 */
const SHORT_STRING_LENGTH_MAX = 64;
/** Room for a frame's type byte, a 64-bit length or integer and two \r\n. */
const FRAME_OVERHEAD_BYTES_MAX = 32;

const CRLF = "\r\n";
const PLUS = 0x2b;
const MINUS = 0x2d;
const COLON = 0x3a;
const DOLLAR = 0x24;
const ASTERISK = 0x2a;
const TILDE = 0x7e;
const GREATER_THAN = 0x3e;
const PERCENT = 0x25;
const CARRIAGE_RETURN = 0x0d;
const LINE_FEED = 0x0a;
const SPACE = 0x20;
const ZERO = 0x30;
const EMPTY = Buffer.alloc(0);

export class ReplyWriter {
  /** Holds the bytes written since the last take in [0, length); EMPTY until the first write. */
  private buffer = EMPTY;
  private length = 0;
  /** Size of the buffer allocated on the next write into an EMPTY one. */
  private nextCapacityBytes = INITIAL_CAPACITY_BYTES;

  /** Bytes written and not yet taken. */
  get pendingBytes(): number {
    return this.length;
  }

  /** Appends `reply` in the given protocol version. */
  write(reply: Reply, protocol: ProtocolVersion): void {
    switch (reply.type) {
      case "status":
        if (reply.text === "OK") return this.writeAscii("+OK\r\n");
        return this.writeLine(PLUS, reply.text);
      case "error":
        return this.writeLine(MINUS, reply.text);
      case "integer":
        return this.writeInteger(reply.value);
      case "bulk":
        return this.writeBulk(reply.value);
      case "nil":
        return this.writeAscii(protocol === 3 ? "_\r\n" : reply.array === true ? "*-1\r\n" : "$-1\r\n");
      case "array":
        if (reply.flatInResp2 === true && protocol === 2) return this.writeFlattened(reply.items);
        this.writeHeader(ASTERISK, reply.items.length);
        for (const item of reply.items) this.write(item, protocol);
        return;
      case "set":
        this.writeHeader(protocol === 3 ? TILDE : ASTERISK, reply.items.length);
        for (const item of reply.items) this.write(item, protocol);
        return;
      case "double":
        if (protocol === 3) return this.writeAscii("," + (reply.text ?? formatDouble(reply.value)) + CRLF);
        return this.writeBulk(reply.text ?? formatDouble(reply.value));
      case "boolean":
        if (protocol === 3) return this.writeAscii(reply.value ? "#t\r\n" : "#f\r\n");
        return this.writeAscii(reply.value ? ":1\r\n" : ":0\r\n");
      case "map":
        if (reply.pairsInResp2 === true && protocol === 2) return this.write({ type: "array", items: reply.entries.map(([key, value]) => ({ type: "array", items: [key, value] })) }, 2);
        return this.writeMap(reply.entries, protocol);
      default:
        unreachable(reply, "reply type");
    }
  }

  /** RESP2 of an array of arrays sent flat: one header, then every inner item. */
  private writeFlattened(groups: Reply[]): void {
    let count = 0;
    for (const group of groups) count += group.type === "array" ? group.items.length : 1;
    this.writeHeader(ASTERISK, count);
    for (const group of groups) {
      if (group.type === "array") for (const item of group.items) this.write(item, 2);
      else this.write(group, 2);
    }
  }

  /** Appends a pub/sub frame: a RESP3 push (>), a plain array in RESP2. */
  writePush(items: Reply[], protocol: ProtocolVersion): void {
    this.writeHeader(protocol === 3 ? GREATER_THAN : ASTERISK, items.length);
    for (const item of items) this.write(item, protocol);
  }

  /** Appends a nil array: what EXEC answers when a WATCHed key changed. */
  writeNilArray(protocol: ProtocolVersion): void {
    this.writeAscii(protocol === 3 ? "_\r\n" : "*-1\r\n");
  }

  /** Appends bytes that are already RESP. */
  writeRaw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  /**
   * Everything written since the last take, as one Buffer; the writer starts empty again.
   * A mostly full buffer is handed over as is (no copy), and the next one is allocated
   * on the next write, as large as this one up to RETAINED_CAPACITY_BYTES_MAX; a mostly
   * empty one is copied out, and kept only if it is small. So an idle connection holds
   * at most INITIAL_CAPACITY_BYTES, and a busy one does not regrow its buffer per flush.
   */
  take(): Buffer {
    const length = this.length;
    const capacity = this.buffer.length;
    this.length = 0;
    if (length > capacity / 2) {
      const output = this.buffer.subarray(0, length);
      this.buffer = EMPTY;
      this.nextCapacityBytes = Math.min(capacity, RETAINED_CAPACITY_BYTES_MAX);
      return output;
    }
    const output = Buffer.allocUnsafe(length);
    this.buffer.copy(output, 0, 0, length);
    if (capacity > INITIAL_CAPACITY_BYTES) {
      this.buffer = EMPTY;
      this.nextCapacityBytes = Math.min(RETAINED_CAPACITY_BYTES_MAX, Math.max(INITIAL_CAPACITY_BYTES, capacity / 2));
    }
    return output;
  }

  private writeMap(entries: ReadonlyArray<readonly [Reply, Reply]>, protocol: ProtocolVersion): void {
    if (protocol === 3) this.writeHeader(PERCENT, entries.length);
    else this.writeHeader(ASTERISK, entries.length * 2);
    for (const [key, value] of entries) {
      this.write(key, protocol);
      this.write(value, protocol);
    }
  }

  private writeBulk(value: ByteString): void {
    this.reserve(value.length + FRAME_OVERHEAD_BYTES_MAX);
    const buffer = this.buffer;
    let position = writeCountLine(buffer, this.length, DOLLAR, value.length);
    position = copyString(buffer, position, value);
    buffer[position++] = CARRIAGE_RETURN;
    buffer[position++] = LINE_FEED;
    this.length = position;
  }

  private writeInteger(value: number | bigint): void {
    if (typeof value === "bigint") return this.writeAscii(`:${value}\r\n`);
    if (!(Number.isSafeInteger(value))) assert(false, `an integer reply is a safe integer or a bigint, not ${value}`);
    this.writeHeader(COLON, value);
  }

  /** Writes `<typeByte><count>\r\n`: an aggregate header or an integer. */
  private writeHeader(typeByte: number, count: number): void {
    this.reserve(FRAME_OVERHEAD_BYTES_MAX);
    this.length = writeCountLine(this.buffer, this.length, typeByte, count);
  }

  /** A status or error line; \r and \n inside the text become spaces, as Redis does. */
  private writeLine(typeByte: number, text: string): void {
    this.reserve(text.length + FRAME_OVERHEAD_BYTES_MAX);
    const buffer = this.buffer;
    let position = this.length;
    buffer[position++] = typeByte;
    for (let index = 0; index < text.length; index++) {
      const code = text.charCodeAt(index);
      buffer[position++] = code === CARRIAGE_RETURN || code === LINE_FEED ? SPACE : code;
    }
    buffer[position++] = CARRIAGE_RETURN;
    buffer[position++] = LINE_FEED;
    this.length = position;
  }

  private writeAscii(text: string): void {
    this.reserve(text.length);
    this.length = copyString(this.buffer, this.length, text);
  }

  /** Makes room for `bytes` more bytes. */
  private reserve(bytes: number): void {
    const needed = this.length + bytes;
    if (needed <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(needed, this.buffer.length * 2, this.nextCapacityBytes));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
}

/** Writes a byte string at `position`; returns the position after it. */
function copyString(buffer: Buffer, position: number, text: string): number {
  if (text.length > SHORT_STRING_LENGTH_MAX) return position + buffer.write(text, position, "latin1");
  for (let index = 0; index < text.length; index++) buffer[position++] = text.charCodeAt(index);
  return position;
}

/** Writes a safe integer in decimal at `position`; returns the position after it. */
function writeDecimal(buffer: Buffer, position: number, value: number): number {
  if (value < 0) {
    buffer[position++] = MINUS;
    value = -value;
  }
  let digitCount = 1;
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digitCount++;
  let rest = value;
  for (let index = position + digitCount - 1; index >= position; index--) {
    buffer[index] = ZERO + (rest % 10);
    rest = Math.floor(rest / 10);
  }
  return position + digitCount;
}

/**
 * A command as a client sends it: a multibulk of its arguments.
 * Strings are byte strings (one char per byte, see engine/bytes.ts); encode user text
 * with `fromText` first. Example: `encodeCommand(["GET", "k"])` is "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n".
 */
export function encodeCommand(argv: ReadonlyArray<string | Buffer>): Buffer {
  let sizeBytes = FRAME_OVERHEAD_BYTES_MAX;
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index]!;
    if (typeof argument === "string" && !isByteString(argument)) {
      throw new WalnutError(
        "BAD_ARGUMENT",
        `Cannot encode command: argument ${index} has a character above \\xff (encode text with fromText)`,
      );
    }
    sizeBytes += argument.length + FRAME_OVERHEAD_BYTES_MAX;
  }
  const buffer = Buffer.allocUnsafe(sizeBytes);
  let position = writeCountLine(buffer, 0, ASTERISK, argv.length);
  for (const argument of argv) {
    position = writeCountLine(buffer, position, DOLLAR, argument.length);
    if (typeof argument === "string") position = copyString(buffer, position, argument);
    else position += argument.copy(buffer, position);
    buffer[position++] = CARRIAGE_RETURN;
    buffer[position++] = LINE_FEED;
  }
  return buffer.subarray(0, position);
}

/** Writes `<typeByte><count>\r\n` at `position`; returns the position after it. */
function writeCountLine(buffer: Buffer, position: number, typeByte: number, count: number): number {
  buffer[position++] = typeByte;
  position = writeDecimal(buffer, position, count);
  buffer[position++] = CARRIAGE_RETURN;
  buffer[position++] = LINE_FEED;
  return position;
}

function isByteString(text: string): boolean {
  if (text.length > SHORT_STRING_LENGTH_MAX) return !/[^\x00-\xff]/.test(text);
  for (let index = 0; index < text.length; index++) if (text.charCodeAt(index) > 0xff) return false;
  return true;
}
