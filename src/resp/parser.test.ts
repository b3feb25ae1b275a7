import { test } from "node:test";
import assert from "node:assert/strict";
import { ProtocolError, RequestParser, parseInteger, type RequestParserOptions } from "./parser.js";
import { encodeCommand } from "./writer.js";

const redisLimits: RequestParserOptions = {
  maxBulkBytes: 512 * 1024 * 1024,
  maxArguments: 1024 * 1024,
  maxInlineBytes: 64 * 1024,
};

/** Every complete command in `chunks`, fed in order; the parser is returned for inspection. */
function parse(chunks: Array<Buffer | string>, options = redisLimits): { commands: string[][]; parser: RequestParser } {
  const parser = new RequestParser(options);
  const commands: string[][] = [];
  for (const chunk of chunks) {
    parser.feed(typeof chunk === "string" ? Buffer.from(chunk, "latin1") : chunk);
    for (let command = parser.next(); command !== null; command = parser.next()) commands.push(command);
  }
  return { commands, parser };
}

function byteAtATime(bytes: Buffer): Buffer[] {
  return Array.from(bytes, (byte) => Buffer.from([byte]));
}

/** The ProtocolError message `input` produces, fed whole. */
function errorOf(input: string, options = redisLimits): string {
  const parser = new RequestParser(options);
  parser.feed(Buffer.from(input, "latin1"));
  try {
    while (parser.next() !== null);
  } catch (error) {
    assert.ok(error instanceof ProtocolError, `expected a ProtocolError, got ${String(error)}`);
    return error.message;
  }
  assert.fail(`no error for ${JSON.stringify(input)}`);
}

test("a command encoded by encodeCommand parses back to its arguments", () => {
  const argv = ["SET", "key:0001", "value", "", "x".repeat(1000)];
  assert.deepEqual(parse([encodeCommand(argv)]).commands, [argv]);
});

test("Buffer arguments are sent as their raw bytes", () => {
  const { commands } = parse([encodeCommand(["SET", Buffer.from([0xff, 0x00, 0x0d, 0x0a]), "v"])]);
  assert.deepEqual(commands, [["SET", "\xff\x00\r\n", "v"]]);
});

test("arguments are binary safe: all 256 byte values and CRLF inside a bulk string", () => {
  const everyByte = Buffer.from(Array.from({ length: 256 }, (_, byte) => byte)).toString("latin1");
  const argv = ["SET", everyByte, "a\r\nb\r\n", "\r\n*1\r\n$1\r\n"];
  assert.deepEqual(parse([encodeCommand(argv)]).commands, [argv]);
});

test("a pipeline of 10,000 commands in one chunk parses to 10,000 commands in order", () => {
  const commands: string[][] = [];
  for (let index = 0; index < 10_000; index++) {
    const key = `key:${String(index).padStart(4, "0")}`;
    commands.push(index % 2 === 0 ? ["SET", key, `value${index}`] : ["GET", key]);
  }
  const chunk = Buffer.concat(commands.map((argv) => encodeCommand(argv)));
  const { commands: parsed, parser } = parse([chunk]);
  assert.deepEqual(parsed, commands);
  assert.equal(parser.pendingBytes, 0);
  assert.equal(parser.bufferCapacityBytes, 0);
});

const mixedStream =
  "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n" +
  "*0\r\n" +
  "*-1\r\n" +
  "PING\r\n" +
  "   \t \r\n" +
  "\r\n" +
  "\n" +
  'SET k "a b"\n' +
  "*1\r\n$4\r\nPING\r\n" +
  "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n";
const mixedCommands = [["SET", "k", "hello"], ["PING"], ["SET", "k", "a b"], ["PING"], ["ECHO", ""]];

test("a stream fed one byte at a time gives the same commands as one chunk", () => {
  const bytes = Buffer.from(mixedStream, "latin1");
  assert.deepEqual(parse([bytes]).commands, mixedCommands);
  const { commands, parser } = parse(byteAtATime(bytes));
  assert.deepEqual(commands, mixedCommands);
  assert.equal(parser.pendingBytes, 0);
});

test("a stream split in two at every position gives the same commands", () => {
  const bytes = Buffer.from(mixedStream, "latin1");
  for (let split = 0; split <= bytes.length; split++) {
    const { commands } = parse([bytes.subarray(0, split), bytes.subarray(split)]);
    assert.deepEqual(commands, mixedCommands, `split at ${split}`);
  }
});

test("*0 and negative argument counts are skipped, as Redis does", () => {
  assert.deepEqual(parse(["*0\r\n*-1\r\n*-5\r\n*1\r\n$1\r\nX\r\n"]).commands, [["X"]]);
});

test("a partial command waits for the rest without returning anything", () => {
  const { commands, parser } = parse(["*2\r\n$3\r\nGET\r\n$3\r\nke"]);
  assert.deepEqual(commands, []);
  parser.feed(Buffer.from("y\r\n"));
  assert.deepEqual(parser.next(), ["GET", "key"]);
  assert.equal(parser.next(), null);
});

test("like Redis, the two bytes after a bulk string and after a header's \\r are skipped unchecked", () => {
  assert.deepEqual(parse(["*1\rX$1\rYaZZ"]).commands, [["a"]]);
});

test("inline commands split on blanks and accept \\n or \\r\\n", () => {
  const { commands } = parse(["SET a b\r\n", "GET   a\n", "\tDEL\ta  b \r\n"]);
  assert.deepEqual(commands, [["SET", "a", "b"], ["GET", "a"], ["DEL", "a", "b"]]);
});

test("inline double quotes take Redis' escapes", () => {
  const { commands } = parse(['SET "k 1" "a\\x41\\n\\r\\t\\b\\a\\"\\\\\\q"\r\n']);
  assert.deepEqual(commands, [["SET", "k 1", "aA\n\r\t\b\x07\"\\q"]]);
});

test("inline \\x escapes need two hex digits, otherwise the x stands for itself", () => {
  const { commands } = parse(['ECHO "\\xff\\xFf\\x4" "\\xg1"\r\n']);
  assert.deepEqual(commands, [["ECHO", "\xff\xffx4", "xg1"]]);
});

test("inline single quotes take only \\' as an escape", () => {
  const { commands } = parse(["ECHO 'it\\'s \\n \"x\"'\r\n"]);
  assert.deepEqual(commands, [["ECHO", "it's \\n \"x\""]]);
});

test("inline quotes may open mid-argument and empty quotes give an empty argument", () => {
  const { commands } = parse(['SET a"b c" "" \'\'\n']);
  assert.deepEqual(commands, [["SET", "ab c", "", ""]]);
});

test("inline lines treat \\v and \\f as blanks between arguments but not inside one", () => {
  const { commands } = parse(["\x0bGET\x0b a\x0cb\n"]);
  assert.deepEqual(commands, [["GET\x0b", "a\x0cb"]]);
});

test("a line of only whitespace is skipped", () => {
  assert.deepEqual(parse([" \t \r\n\r\n\nPING\n"]).commands, [["PING"]]);
});

test("unbalanced quotes in an inline command are a protocol error", () => {
  const message = "Protocol error: unbalanced quotes in request";
  for (const line of ['ECHO "a\n', "ECHO 'a\r\n", 'ECHO "a"x\n', "ECHO 'a'x\n", 'ECHO "a\\"\n', "ECHO 'a\\'\n"]) {
    assert.equal(errorOf(line), message, JSON.stringify(line));
  }
});

test("an invalid argument count is a protocol error", () => {
  for (const header of ["*x", "*", "*-", "*-0", "*01", "*+1", "* 1", "*1 ", "*99999999999999999999", "*1048577"]) {
    assert.equal(errorOf(`${header}\r\n`), "Protocol error: invalid multibulk length", header);
  }
});

test("an invalid bulk length is a protocol error", () => {
  for (const header of ["$x", "$", "$-1", "$-0", "$01", "$+1", "$1.5", "$536870913", "$9223372036854775808"]) {
    assert.equal(errorOf(`*1\r\n${header}\r\n`), "Protocol error: invalid bulk length", header);
  }
});

test("a bulk length over maxBulkBytes fails at once, before any of its bytes arrive", () => {
  const options = { ...redisLimits, maxBulkBytes: 100 };
  assert.equal(errorOf("*1\r\n$101\r\n", options), "Protocol error: invalid bulk length");
  const { commands } = parse(["*1\r\n$100\r\n", "x".repeat(100), "\r\n"], options);
  assert.deepEqual(commands, [["x".repeat(100)]]);
});

test("an argument count over maxArguments fails at once", () => {
  const options = { ...redisLimits, maxArguments: 3 };
  assert.equal(errorOf("*4\r\n", options), "Protocol error: invalid multibulk length");
  assert.deepEqual(parse(["*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"], options).commands, [["a", "b", "c"]]);
});

test("a bulk header that does not start with $ names the byte found", () => {
  assert.equal(errorOf("*1\r\n:1\r\n"), "Protocol error: expected '$', got ':'");
  assert.equal(errorOf("*2\r\n$1\r\na\r\nGET\r\n"), "Protocol error: expected '$', got 'G'");
  assert.equal(errorOf("*1\r\n\xff\r\n"), "Protocol error: expected '$', got '\xff'");
  // Redis turns line breaks in error replies into spaces.
  assert.equal(errorOf("*1\r\n\r\n"), "Protocol error: expected '$', got ' '");
  assert.equal(errorOf("*1\r\n\n\r\n"), "Protocol error: expected '$', got ' '");
});

test("lines longer than maxInlineBytes are errors, at Redis' 64 KiB boundary", () => {
  const limit = redisLimits.maxInlineBytes;
  const cases = [
    { before: "", line: "", filler: "x", message: "Protocol error: too big inline request" },
    { before: "", line: "*", filler: "0", message: "Protocol error: too big mbulk count string" },
    { before: "*1\r\n", line: "$", filler: "0", message: "Protocol error: too big bulk count string" },
  ];
  for (const { before, line, filler, message } of cases) {
    const atLimit = before + line + filler.repeat(limit - line.length);
    const { commands, parser } = parse([atLimit]);
    assert.deepEqual(commands, [], "a line of exactly the limit waits for more");
    assert.equal(parser.pendingBytes, limit);
    assert.equal(errorOf(atLimit + filler), message, "one byte more fails");
    assert.equal(errorOf(atLimit + filler + "\r\n"), message, "even when its end arrives in the same chunk");
  }
});

test("a header line of exactly the limit is still parsed once its end arrives", () => {
  const limit = redisLimits.maxInlineBytes;
  assert.equal(errorOf("*" + "0".repeat(limit - 1) + "\r\n"), "Protocol error: invalid multibulk length");
  const inline = "ECHO " + "x".repeat(limit - 6) + "\r\n";
  assert.deepEqual(parse([inline]).commands, [["ECHO", "x".repeat(limit - 6)]]);
});

test("after a protocol error the parser keeps failing with the same error and holds nothing", () => {
  const parser = new RequestParser(redisLimits);
  parser.feed(Buffer.from("*1\r\n$-2\r\n*1\r\n$4\r\nPING\r\n"));
  assert.throws(() => parser.next(), { name: "ProtocolError", message: "Protocol error: invalid bulk length" });
  parser.feed(Buffer.from("*1\r\n$4\r\nPING\r\n"));
  assert.throws(() => parser.next(), { name: "ProtocolError", message: "Protocol error: invalid bulk length" });
  assert.equal(parser.pendingBytes, 0);
});

test("a large bulk string arriving in small chunks keeps the buffer within twice its size", () => {
  const sizeBytes = 1024 * 1024;
  const parser = new RequestParser(redisLimits);
  parser.feed(Buffer.from(`*1\r\n$${sizeBytes}\r\n`));
  assert.equal(parser.next(), null);
  const piece = Buffer.alloc(1000, 0x61);
  let sent = 0;
  while (sent < sizeBytes) {
    const chunk = piece.subarray(0, Math.min(piece.length, sizeBytes - sent));
    parser.feed(chunk);
    sent += chunk.length;
    assert.equal(parser.next(), null);
    assert.ok(parser.bufferCapacityBytes <= Math.max(2 * parser.pendingBytes + 2 * piece.length, 16 * 1024));
  }
  parser.feed(Buffer.from("\r\n"));
  const command = parser.next();
  assert.equal(command?.[0]?.length, sizeBytes);
  assert.equal(parser.bufferCapacityBytes, 0, "the buffer is dropped once consumed");
});

test("a claimed bulk length allocates nothing until its bytes arrive", () => {
  const parser = new RequestParser(redisLimits);
  parser.feed(Buffer.from("*1\r\n$536870912\r\nabc"));
  assert.equal(parser.next(), null);
  assert.ok(parser.bufferCapacityBytes < 64 * 1024);
});

test("parseInteger follows Redis' string2ll", () => {
  const parseText = (text: string) => {
    const bytes = Buffer.from(text, "latin1");
    return parseInteger(bytes, 0, bytes.length);
  };
  assert.equal(parseText("0"), 0);
  assert.equal(parseText("-1"), -1);
  assert.equal(parseText("123"), 123);
  // Past 2^53 the value is approximate; it only has to be huge and of the right sign.
  assert.ok(parseText("9223372036854775807")! > 2 ** 62);
  assert.ok(parseText("-9223372036854775808")! < -(2 ** 62));
  for (const invalid of ["", "-", "-0", "00", "01", "+1", " 1", "1 ", "1a", "9223372036854775808", "-9223372036854775809", "99999999999999999999"]) {
    assert.equal(parseText(invalid), null, JSON.stringify(invalid));
  }
});
