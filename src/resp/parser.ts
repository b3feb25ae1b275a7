/**
 * The request side of RESP: turns the bytes a client sends into commands (argument
 * lists of byte strings), incrementally and without I/O, the way redis-server's
 * processMultibulkBuffer and processInlineBuffer do.
 *
 * A request is either a multibulk (what every client library sends):
 *
 *     *<argument count>\r\n  then, per argument,  $<byte length>\r\n<bytes>\r\n
 *
 *     "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n"  →  ["SET", "k", "hello"]
 *
 * or, when the first byte is not '*', an inline command: one line ending in \n (an
 * optional \r before it is dropped), split with Redis' quoting rules (see inline.ts):
 *
 *     "SET k \"hello world\"\r\n"  →  ["SET", "k", "hello world"]
 *
 * As in Redis: `*0` and negative counts, and inline lines of only blanks, are skipped;
 * a header line is read up to its \r and the byte after it is skipped unchecked, as are
 * the two bytes after a bulk string; integers follow string2ll (an optional '-', no '+',
 * no leading zeros, within 64 bits).
 *
 * Usage: `feed(chunk)` whatever arrived, then call `next()` until it returns null (more
 * bytes needed). A ProtocolError from `next()` carries Redis' exact message; the server
 * replies `-ERR <message>` and closes the connection.
 *
 * Bounds: a line (header or inline command) longer than maxInlineBytes, a bulk length
 * over maxBulkBytes and an argument count over maxArguments are errors as soon as they
 * are seen (an inline command's arguments are bounded by its line length alone).
 * Nothing is allocated for a claimed length: memory holds what was received,
 * so when `next()` returns null at most one partial line or one partial bulk string is
 * pending. Where Redis' answer depends on how bytes were split into reads (a line longer
 * than the limit that arrives whole), walnut applies the limit to the line itself, so
 * the result never depends on chunking.
 */
import type { ByteString } from "../engine/bytes.js";
import { assert } from "../lib/assert.js";
import { InputBuffer, byteStringAt } from "./input_buffer.js";
import { splitInlineArguments } from "./inline.js";
import { ProtocolError } from "./protocol_error.js";

export { ProtocolError } from "./protocol_error.js";

export interface RequestParserOptions {
  /** Largest bulk string argument (Redis' proto-max-bulk-len, 512 MiB by default). */
  maxBulkBytes: number;
  /** Most arguments in one multibulk command. */
  maxArguments: number;
  /** Longest inline command or header line (Redis' PROTO_INLINE_MAX_SIZE, 64 KiB). */
  maxInlineBytes: number;
}

const ASTERISK = 0x2a;
const DOLLAR = 0x24;
const MINUS = 0x2d;
const ZERO = 0x30;
const CARRIAGE_RETURN = 0x0d;
const LINE_FEED = 0x0a;

/** The largest 64-bit integers, as digits: string2ll refuses anything beyond. */
const INT64_MAX_DIGITS = "9223372036854775807";
const INT64_MIN_DIGITS = "9223372036854775808";

/** Returned by the read steps when the bytes they need have not arrived. */
const NEED_MORE = -1;

export class RequestParser {
  private readonly options: RequestParserOptions;
  private readonly input = new InputBuffer();
  /** Arguments the current multibulk command still expects; 0 between commands. */
  private argumentsExpected = 0;
  /** Length of the bulk string whose header has been read, or -1. */
  private bulkLength = -1;
  private argv: ByteString[] = [];
  /** Bytes after input.start already searched for the current line's end. */
  private searchedBytes = 0;
  private failure: ProtocolError | null = null;

  constructor(options: RequestParserOptions) {
    for (const [name, value] of Object.entries(options)) {
      assert(Number.isSafeInteger(value) && value > 0, `RequestParser option ${name} is a positive integer`);
    }
    this.options = { ...options };
  }

  /** Bytes received and not yet turned into commands. */
  get pendingBytes(): number {
    return this.input.length;
  }

  /** Size of the buffer holding the pending bytes. */
  get bufferCapacityBytes(): number {
    return this.input.capacityBytes;
  }

  /**
   * Adds bytes received from the client. Ignored once the parser has failed.
   * The parser may keep `chunk` itself until its bytes are consumed, so the caller must
   * not reuse it (Node's 'data' chunks are fresh; a socket's `onread` buffer is not).
   */
  feed(chunk: Buffer): void {
    if (this.failure === null) this.input.append(chunk);
  }

  /**
   * The next complete command, or null when more bytes are needed.
   * Throws ProtocolError (then always the same one) when the client broke the protocol.
   */
  next(): ByteString[] | null {
    if (this.failure !== null) throw this.failure;
    const input = this.input;
    while (input.start < input.end) {
      if (this.argumentsExpected === 0) {
        if (input.bytes[input.start] !== ASTERISK) {
          const argv = this.readInline();
          if (argv === null) return null;
          if (argv.length > 0) return argv;
          continue;
        }
        const count = this.readArgumentCount();
        if (count === null) return null;
        if (count <= 0) continue;
        this.argumentsExpected = count;
      }
      if (!this.readArguments()) return null;
      const argv = this.argv;
      this.argv = [];
      return argv;
    }
    return null;
  }

  /** Reads `*<count>\r\n`; null when incomplete. */
  private readArgumentCount(): number | null {
    const input = this.input;
    const lineEnd = this.findLineEnd(CARRIAGE_RETURN, "Protocol error: too big mbulk count string");
    if (lineEnd === NEED_MORE || lineEnd + 1 >= input.end) return null;
    const count = parseInteger(input.bytes, input.start + 1, lineEnd);
    if (count === null || count > this.options.maxArguments) {
      throw this.fail("Protocol error: invalid multibulk length");
    }
    this.consumeTo(lineEnd + 2);
    return count;
  }

  /** Reads bulk string arguments until the command is complete (true) or bytes run out. */
  private readArguments(): boolean {
    const input = this.input;
    while (this.argumentsExpected > 0) {
      if (this.bulkLength < 0) {
        const length = this.readBulkLength();
        if (length === NEED_MORE) return false;
        this.bulkLength = length;
      }
      const start = input.start;
      const end = start + this.bulkLength;
      if (input.end - end < 2) return false;
      this.argv.push(byteStringAt(input.bytes, start, end));
      this.consumeTo(end + 2);
      this.bulkLength = -1;
      this.argumentsExpected--;
    }
    return true;
  }

  /** Reads `$<length>\r\n`; NEED_MORE when incomplete. */
  private readBulkLength(): number {
    const input = this.input;
    const lineEnd = this.findLineEnd(CARRIAGE_RETURN, "Protocol error: too big bulk count string");
    if (lineEnd === NEED_MORE || lineEnd + 1 >= input.end) return NEED_MORE;
    const first = input.bytes[input.start]!;
    if (first !== DOLLAR) {
      throw this.fail(`Protocol error: expected '$', got '${printableByte(first)}'`);
    }
    const length = parseInteger(input.bytes, input.start + 1, lineEnd);
    if (length === null || length < 0 || length > this.options.maxBulkBytes) {
      throw this.fail("Protocol error: invalid bulk length");
    }
    this.consumeTo(lineEnd + 2);
    return length;
  }

  /** Reads one inline command line; null when its \n has not arrived. */
  private readInline(): ByteString[] | null {
    const input = this.input;
    const lineEnd = this.findLineEnd(LINE_FEED, "Protocol error: too big inline request");
    if (lineEnd === NEED_MORE) return null;
    let contentEnd = lineEnd;
    if (contentEnd > input.start && input.bytes[contentEnd - 1] === CARRIAGE_RETURN) contentEnd--;
    const argv = splitInlineArguments(input.bytes, input.start, contentEnd);
    if (argv === null) throw this.fail("Protocol error: unbalanced quotes in request");
    this.consumeTo(lineEnd + 1);
    return argv;
  }

  /**
   * The position of the first `terminator` byte of the pending line, or NEED_MORE.
   * Throws `tooLongMessage` when more than maxInlineBytes bytes precede it. Remembers how
   * far it searched, so a line that arrives a byte at a time is still scanned once.
   */
  private findLineEnd(terminator: number, tooLongMessage: string): number {
    const { bytes, start, end } = this.input;
    const scanEnd = Math.min(end, start + this.options.maxInlineBytes + 1);
    for (let position = start + this.searchedBytes; position < scanEnd; position++) {
      if (bytes[position] === terminator) {
        this.searchedBytes = position - start;
        return position;
      }
    }
    if (end - start > this.options.maxInlineBytes) throw this.fail(tooLongMessage);
    this.searchedBytes = end - start;
    return NEED_MORE;
  }

  private consumeTo(position: number): void {
    this.input.consumeTo(position);
    this.searchedBytes = 0;
  }

  private fail(message: string): ProtocolError {
    this.failure = new ProtocolError(message);
    this.input.clear();
    this.argv = [];
    return this.failure;
  }
}

/**
 * The integer in `bytes[start, end)` under Redis' string2ll rules, or null. Values past
 * 2^53 lose precision, which is harmless: callers compare them with far smaller limits.
 */
export function parseInteger(bytes: Uint8Array, start: number, end: number): number | null {
  const negative = start < end && bytes[start] === MINUS;
  const digitsStart = negative ? start + 1 : start;
  const digitCount = end - digitsStart;
  if (digitCount <= 0 || digitCount > INT64_MAX_DIGITS.length) return null;
  if (bytes[digitsStart] === ZERO) return digitCount === 1 && !negative ? 0 : null;
  let value = 0;
  for (let position = digitsStart; position < end; position++) {
    const digit = bytes[position]! - ZERO;
    if (digit < 0 || digit > 9) return null;
    value = value * 10 + digit;
  }
  if (digitCount === INT64_MAX_DIGITS.length) {
    const digits = Buffer.from(bytes.buffer, bytes.byteOffset + digitsStart, digitCount).toString("latin1");
    if (digits > (negative ? INT64_MIN_DIGITS : INT64_MAX_DIGITS)) return null;
  }
  return negative ? -value : value;
}

/** The byte as Redis prints it with %c in an error reply, where \r and \n become spaces. */
function printableByte(byte: number): string {
  return byte === CARRIAGE_RETURN || byte === LINE_FEED ? " " : String.fromCharCode(byte);
}
