import { test } from "node:test";
import assert from "node:assert/strict";
import { NIL, OK, array, bulk, error, integer, set, status, type Reply } from "../engine/reply.js";
import { ProtocolError } from "./protocol_error.js";
import { ReplyParser, type ReplyParserOptions } from "./reply_parser.js";
import { ReplyWriter, type ProtocolVersion } from "./writer.js";

function parseReplies(chunks: Buffer[], options: Partial<ReplyParserOptions> = {}): Reply[] {
  const parser = new ReplyParser(options);
  const replies: Reply[] = [];
  for (const chunk of chunks) {
    parser.feed(chunk);
    for (let reply = parser.next(); reply !== null; reply = parser.next()) replies.push(reply);
  }
  assert.equal(parser.pendingBytes, 0, "nothing left over");
  return replies;
}

function serialize(replies: Reply[], protocol: ProtocolVersion): Buffer {
  const writer = new ReplyWriter();
  for (const reply of replies) writer.write(reply, protocol);
  return writer.take();
}

function errorOf(input: string, options: Partial<ReplyParserOptions> = {}): string {
  const parser = new ReplyParser(options);
  parser.feed(Buffer.from(input, "latin1"));
  try {
    while (parser.next() !== null);
  } catch (thrown) {
    assert.ok(thrown instanceof ProtocolError, `expected a ProtocolError, got ${String(thrown)}`);
    return thrown.message;
  }
  assert.fail(`no error for ${JSON.stringify(input)}`);
}

const everyByte = Buffer.from(Array.from({ length: 256 }, (_, byte) => byte)).toString("latin1");
const double = (value: number): Reply => ({ type: "double", value });
const boolean = (value: boolean): Reply => ({ type: "boolean", value });
const map = (entries: Array<[Reply, Reply]>): Reply => ({ type: "map", entries });

/** Every Reply type, with what a RESP2 client reads back where RESP2 has no such type. */
const cases: Array<{ reply: Reply; resp2: Reply }> = [
  { reply: OK, resp2: OK },
  { reply: status("QUEUED"), resp2: status("QUEUED") },
  { reply: error("ERR", "unknown command"), resp2: error("ERR", "unknown command") },
  { reply: integer(-7), resp2: integer(-7) },
  { reply: integer(2n ** 63n - 1n), resp2: integer(2n ** 63n - 1n) },
  { reply: bulk(""), resp2: bulk("") },
  { reply: bulk(everyByte + "\r\n"), resp2: bulk(everyByte + "\r\n") },
  { reply: NIL, resp2: NIL },
  { reply: array([]), resp2: array([]) },
  { reply: array([bulk("a"), NIL, array([integer(1)])]), resp2: array([bulk("a"), NIL, array([integer(1)])]) },
  { reply: double(1.5), resp2: bulk("1.5") },
  { reply: double(-Infinity), resp2: bulk("-inf") },
  { reply: double(1e-7), resp2: bulk("9.9999999999999995e-08") }, // Redis 7.0 writes doubles with %.17g
  { reply: boolean(true), resp2: integer(1) },
  { reply: boolean(false), resp2: integer(0) },
  { reply: map([]), resp2: array([]) },
  {
    reply: map([[bulk("k"), map([[status("x"), boolean(true)]])]]),
    resp2: array([bulk("k"), array([status("x"), integer(1)])]),
  },
];

test("every reply type written in RESP3 parses back to itself", () => {
  for (const { reply } of cases) assert.deepEqual(parseReplies([serialize([reply], 3)]), [reply]);
});

test("every reply type written in RESP2 parses back to its RESP2 form", () => {
  for (const { reply, resp2 } of cases) assert.deepEqual(parseReplies([serialize([reply], 2)]), [resp2]);
});

test("a RESP3 NaN double parses back to NaN", () => {
  const [reply] = parseReplies([serialize([double(NaN)], 3)]);
  assert.equal(reply?.type, "double");
  assert.ok(reply?.type === "double" && Number.isNaN(reply.value));
});

test("replies fed one byte at a time parse the same as one chunk", () => {
  for (const protocol of [2, 3] as const) {
    const bytes = serialize(cases.map(({ reply }) => reply), protocol);
    const whole = parseReplies([bytes]);
    const byteByByte = parseReplies(Array.from(bytes, (byte) => Buffer.from([byte])));
    assert.deepEqual(byteByByte, whole);
    assert.equal(whole.length, cases.length);
  }
});

test("a nil array written by writeNilArray parses back to nil", () => {
  for (const protocol of [2, 3] as const) {
    const writer = new ReplyWriter();
    writer.writeNilArray(protocol);
    assert.deepEqual(parseReplies([writer.take()]), [NIL]);
  }
});

test("10,000 pipelined replies parse in order", () => {
  const replies = Array.from({ length: 10_000 }, (_, index) => (index % 3 === 0 ? OK : bulk(`value:${index}`)));
  assert.deepEqual(parseReplies([serialize(replies, 2)]), replies);
});

test("RESP3 sets, and frames walnut does not write (big numbers, blob errors, verbatim strings), parse", () => {
  const input = "~2\r\n:1\r\n:2\r\n(12345678901234567890\r\n!10\r\nERR oops\r\n\r\n=8\r\ntxt:line\r\n";
  assert.deepEqual(parseReplies([Buffer.from(input)]), [
    set([integer(1), integer(2)]),
    integer(12345678901234567890n),
    { type: "error", text: "ERR oops\r\n" },
    bulk("line"),
  ]);
});

test("integers beyond 2^53 become bigints", () => {
  assert.deepEqual(parseReplies([Buffer.from(":9007199254740993\r\n:9007199254740991\r\n")]), [
    integer(9007199254740993n),
    integer(9007199254740991),
  ]);
});

test("malformed replies are protocol errors", () => {
  const cases: Array<[string, string]> = [
    ["?x\r\n", 'Protocol error: unexpected reply type byte "?"'],
    [">1\r\n+a\r\n", 'Protocol error: unexpected reply type byte ">"'],
    ["+OK\rX", "Protocol error: expected CRLF at the end of a line"],
    ["$3\r\nabcXY", "Protocol error: expected CRLF after a bulk string"],
    ["$-2\r\n", "Protocol error: invalid bulk length"],
    ["$x\r\n", "Protocol error: invalid bulk length"],
    ["!-1\r\n", "Protocol error: invalid bulk length"],
    ["*-2\r\n", "Protocol error: invalid multibulk length"],
    ["%-1\r\n", "Protocol error: invalid multibulk length"],
    [":1.5\r\n", "Protocol error: invalid integer"],
    [":-0\r\n", "Protocol error: invalid integer"],
    [",abc\r\n", "Protocol error: invalid double"],
    ["#x\r\n", "Protocol error: invalid boolean"],
    ["_x\r\n", "Protocol error: invalid null"],
    ["=2\r\nab\r\n", "Protocol error: invalid verbatim string"],
  ];
  for (const [input, message] of cases) assert.equal(errorOf(input), message, JSON.stringify(input));
});

test("reply limits fail as soon as a header exceeds them", () => {
  assert.equal(errorOf("$11\r\n", { maxBulkBytes: 10 }), "Protocol error: invalid bulk length");
  assert.equal(errorOf("*11\r\n", { maxElements: 10 }), "Protocol error: invalid multibulk length");
  assert.equal(errorOf("%11\r\n", { maxElements: 10 }), "Protocol error: invalid multibulk length");
  assert.equal(errorOf("+" + "x".repeat(11), { maxLineBytes: 10 }), "Protocol error: too long reply line");
  assert.equal(errorOf("*1\r\n*1\r\n*1\r\n:1\r\n", { maxDepth: 2 }), "Protocol error: reply nested deeper than 2 levels");
  assert.deepEqual(parseReplies([Buffer.from("*1\r\n*1\r\n:1\r\n")], { maxDepth: 2 }), [array([array([integer(1)])])]);
});

test("a huge claimed aggregate allocates nothing for the elements that have not arrived", () => {
  const parser = new ReplyParser();
  parser.feed(Buffer.from("*50000000\r\n:1\r\n"));
  assert.equal(parser.next(), null);
  assert.ok(parser.bufferCapacityBytes < 64 * 1024);
});

test("after a protocol error the reply parser keeps failing", () => {
  const parser = new ReplyParser();
  parser.feed(Buffer.from("?\r\n"));
  assert.throws(() => parser.next(), ProtocolError);
  parser.feed(Buffer.from("+OK\r\n"));
  assert.throws(() => parser.next(), ProtocolError);
});
