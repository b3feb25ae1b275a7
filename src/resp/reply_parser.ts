/**
 * The client side of RESP replies: turns the bytes a server sends (RESP2 or RESP3) back
 * into Reply values, incrementally and without I/O. walnut cli and the tests use it.
 *
 * Frames (see writer.ts for the full table) map to Reply as follows:
 *
 *     +text  → status         -text  → error          :42 → integer (bigint past 2^53)
 *     $n     → bulk, $-1 → nil                         *n  → array, *-1 → nil
 *     _      → nil            ,1.5   → double         #t  → boolean
 *     %n     → map            ~n     → array (a set)  (n  → integer (bigint)
 *     !n     → error (blob)   =n     → bulk (verbatim, its "txt:" format prefix dropped)
 *
 *     "*2\r\n$1\r\na\r\n:1\r\n"  →  array [bulk "a", integer 1]
 *
 * Push (`>`) and attribute (`|`) frames are refused: walnut never sends them.
 *
 * Unlike the request parser it is strict: every line and bulk string must end in \r\n.
 * Bounds, as for requests: a line over maxLineBytes, a bulk string over maxBulkBytes,
 * an aggregate over maxElements or nested deeper than maxDepth is a ProtocolError as
 * soon as it is seen, and nothing is allocated for a claimed length before its bytes
 * arrive. Partially received aggregates are kept as a stack of open frames, so a large
 * reply arriving in many chunks is parsed once, not re-parsed from its start.
 */
import type { Reply } from "../engine/reply.js";
import { assert } from "../lib/assert.js";
import { limits } from "../lib/limits.js";
import { InputBuffer, byteStringAt } from "./input_buffer.js";
import { parseInteger } from "./parser.js";
import { ProtocolError } from "./protocol_error.js";

export interface ReplyParserOptions {
  /** Largest bulk string. */
  maxBulkBytes: number;
  /** Most elements in one array or set, or entries in one map. */
  maxElements: number;
  /** Longest line (status, error, number, header). */
  maxLineBytes: number;
  /** Deepest nesting of aggregates. */
  maxDepth: number;
}

export const DEFAULT_REPLY_PARSER_OPTIONS: Readonly<ReplyParserOptions> = Object.freeze({
  maxBulkBytes: limits.valueBytesMax,
  maxElements: 64 * 1024 * 1024,
  maxLineBytes: 64 * 1024,
  maxDepth: 64,
});

const CARRIAGE_RETURN = 0x0d;
const LINE_FEED = 0x0a;
/** The length of a verbatim string's format prefix ("txt:"). */
const VERBATIM_PREFIX_BYTES = 4;

type AggregateKind = "array" | "map" | "set";

/** An aggregate whose header has been read and whose elements are still arriving. */
interface OpenAggregate {
  kind: AggregateKind;
  /** Elements expected: twice the entry count for a map. */
  expected: number;
  items: Reply[];
}

/** A bulk-like frame whose header has been read and whose bytes are still arriving. */
interface PendingBulk {
  typeByte: string;
  length: number;
}

const NEED_MORE = null;
/** Returned by readFrame when it opened a non-empty aggregate rather than completing a value. */
const OPENED = "opened";

export class ReplyParser {
  private readonly options: ReplyParserOptions;
  private readonly input = new InputBuffer();
  private readonly open: OpenAggregate[] = [];
  private pendingBulk: PendingBulk | null = null;
  private searchedBytes = 0;
  private failure: ProtocolError | null = null;

  constructor(options: Partial<ReplyParserOptions> = {}) {
    this.options = { ...DEFAULT_REPLY_PARSER_OPTIONS, ...options };
    for (const [name, value] of Object.entries(this.options)) {
      assert(Number.isSafeInteger(value) && value > 0, `ReplyParser option ${name} is a positive integer`);
    }
  }

  /** Bytes received and not yet turned into replies (or parts of one). */
  get pendingBytes(): number {
    return this.input.length;
  }

  /** Size of the buffer holding the pending bytes. */
  get bufferCapacityBytes(): number {
    return this.input.capacityBytes;
  }

  /**
   * Adds bytes received from the server. Ignored once the parser has failed.
   * The parser may keep `chunk` itself until its bytes are consumed, so the caller must
   * not reuse it (Node's 'data' chunks are fresh; a socket's `onread` buffer is not).
   */
  feed(chunk: Buffer): void {
    if (this.failure === null) this.input.append(chunk);
  }

  /** The next complete reply, or null when more bytes are needed. Throws ProtocolError. */
  next(): Reply | null {
    if (this.failure !== null) throw this.failure;
    for (;;) {
      const frame = this.readFrame();
      if (frame === NEED_MORE) return null;
      if (frame === OPENED) continue;
      const reply = this.attach(frame);
      if (reply !== undefined) return reply;
    }
  }

  /** Adds a complete value to the innermost open aggregate; returns a completed top-level reply. */
  private attach(value: Reply): Reply | undefined {
    let completed = value;
    while (this.open.length > 0) {
      const innermost = this.open[this.open.length - 1]!;
      innermost.items.push(completed);
      if (innermost.items.length < innermost.expected) return undefined;
      this.open.pop();
      completed = closeAggregate(innermost.kind, innermost.items);
    }
    return completed;
  }

  /** Reads one frame: a complete value, OPENED, or NEED_MORE. */
  private readFrame(): Reply | typeof OPENED | typeof NEED_MORE {
    if (this.pendingBulk !== null) return this.readBulkBody(this.pendingBulk);
    const lineEnd = this.findLineEnd();
    if (lineEnd === -1) return NEED_MORE;
    // `bytes` stays readable after the line is consumed: only feed() writes into it.
    const { bytes, start } = this.input;
    const typeByte = String.fromCharCode(bytes[start]!);
    const contentStart = start + 1;
    this.input.consumeTo(lineEnd + 2);
    this.searchedBytes = 0;
    if (typeByte === "$" || typeByte === "!" || typeByte === "=") {
      return this.readBulkHeader(typeByte, this.parseLength(bytes, contentStart, lineEnd, "bulk"));
    }
    if (typeByte === "*" || typeByte === "~" || typeByte === "%") {
      return this.openAggregate(typeByte, this.parseLength(bytes, contentStart, lineEnd, "multibulk"));
    }
    const text = byteStringAt(bytes, contentStart, lineEnd);
    switch (typeByte) {
      case "+":
        return { type: "status", text };
      case "-":
        return { type: "error", text };
      case ":":
      case "(":
        return { type: "integer", value: this.parseInteger(text, typeByte === "(") };
      case "_":
        if (text !== "") throw this.fail("Protocol error: invalid null");
        return { type: "nil" };
      case ",":
        return { type: "double", value: this.parseDouble(text) };
      case "#":
        if (text !== "t" && text !== "f") throw this.fail("Protocol error: invalid boolean");
        return { type: "boolean", value: text === "t" };
      default:
        throw this.fail(`Protocol error: unexpected reply type byte ${JSON.stringify(typeByte)}`);
    }
  }

  private readBulkHeader(typeByte: string, length: number): Reply | typeof NEED_MORE {
    if (length === -1 && typeByte === "$") return { type: "nil" };
    if (length < 0 || length > this.options.maxBulkBytes) throw this.fail("Protocol error: invalid bulk length");
    if (typeByte === "=" && length < VERBATIM_PREFIX_BYTES) throw this.fail("Protocol error: invalid verbatim string");
    this.pendingBulk = { typeByte, length };
    return this.readBulkBody(this.pendingBulk);
  }

  private readBulkBody(pending: PendingBulk): Reply | typeof NEED_MORE {
    const { bytes, start, end } = this.input;
    const bodyEnd = start + pending.length;
    if (end - bodyEnd < 2) return NEED_MORE;
    if (bytes[bodyEnd] !== CARRIAGE_RETURN || bytes[bodyEnd + 1] !== LINE_FEED) {
      throw this.fail("Protocol error: expected CRLF after a bulk string");
    }
    const textStart = pending.typeByte === "=" ? start + VERBATIM_PREFIX_BYTES : start;
    const value = byteStringAt(bytes, textStart, bodyEnd);
    this.input.consumeTo(bodyEnd + 2);
    this.pendingBulk = null;
    return pending.typeByte === "!" ? { type: "error", text: value } : { type: "bulk", value };
  }

  private openAggregate(typeByte: string, count: number): Reply | typeof OPENED {
    if (count === -1 && typeByte === "*") return { type: "nil" };
    if (count < 0 || count > this.options.maxElements) throw this.fail("Protocol error: invalid multibulk length");
    const kind: AggregateKind = typeByte === "%" ? "map" : typeByte === "~" ? "set" : "array";
    if (count === 0) return closeAggregate(kind, []);
    if (this.open.length >= this.options.maxDepth) {
      throw this.fail(`Protocol error: reply nested deeper than ${this.options.maxDepth} levels`);
    }
    this.open.push({ kind, expected: kind === "map" ? count * 2 : count, items: [] });
    return OPENED;
  }

  /**
   * The position of the pending line's \r (its \n has arrived too), or -1.
   * Remembers how far it searched so that a slowly arriving line is scanned once.
   */
  private findLineEnd(): number {
    const { bytes, start, end } = this.input;
    const scanEnd = Math.min(end, start + this.options.maxLineBytes + 1);
    for (let position = start + this.searchedBytes; position < scanEnd; position++) {
      if (bytes[position] !== CARRIAGE_RETURN) continue;
      this.searchedBytes = position - start;
      if (position + 1 >= end) return -1;
      if (bytes[position + 1] !== LINE_FEED) throw this.fail("Protocol error: expected CRLF at the end of a line");
      return position;
    }
    if (end - start > this.options.maxLineBytes) throw this.fail("Protocol error: too long reply line");
    this.searchedBytes = end - start;
    return -1;
  }

  private parseLength(bytes: Buffer, start: number, end: number, what: "bulk" | "multibulk"): number {
    const length = parseInteger(bytes, start, end);
    if (length === null) throw this.fail(`Protocol error: invalid ${what} length`);
    return length;
  }

  private parseInteger(text: string, big: boolean): number | bigint {
    if (!/^-?(0|[1-9][0-9]*)$/.test(text) || text === "-0") throw this.fail("Protocol error: invalid integer");
    const value = Number(text);
    return big || !Number.isSafeInteger(value) ? BigInt(text) : value;
  }

  private parseDouble(text: string): number {
    if (text === "inf" || text === "+inf") return Infinity;
    if (text === "-inf") return -Infinity;
    if (text === "nan" || text === "-nan") return NaN;
    if (!/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(text)) {
      throw this.fail("Protocol error: invalid double");
    }
    return Number(text);
  }

  private fail(message: string): ProtocolError {
    this.failure = new ProtocolError(message);
    this.input.clear();
    this.open.length = 0;
    this.pendingBulk = null;
    return this.failure;
  }
}

function closeAggregate(kind: AggregateKind, items: Reply[]): Reply {
  if (kind === "array") return { type: "array", items };
  if (kind === "set") return { type: "set", items };
  const entries: Array<[Reply, Reply]> = [];
  for (let index = 0; index < items.length; index += 2) entries.push([items[index]!, items[index + 1]!]);
  return { type: "map", entries };
}
