import { test } from "node:test";
import assert from "node:assert/strict";
import { NIL, OK, WRONGTYPE, array, bulk, error, integer, status, type Reply } from "../engine/reply.js";
import { isWalnutError } from "../lib/errors.js";
import { formatDouble } from "./double.js";
import { ReplyWriter, encodeCommand, type ProtocolVersion } from "./writer.js";

function serialize(reply: Reply, protocol: ProtocolVersion): string {
  const writer = new ReplyWriter();
  writer.write(reply, protocol);
  return writer.take().toString("latin1");
}

function assertBothProtocols(reply: Reply, resp2: string, resp3: string): void {
  assert.equal(serialize(reply, 2), resp2, "RESP2");
  assert.equal(serialize(reply, 3), resp3, "RESP3");
}

test("status, error, integer and bulk replies are the same in both protocols", () => {
  assertBothProtocols(OK, "+OK\r\n", "+OK\r\n");
  assertBothProtocols(status("QUEUED"), "+QUEUED\r\n", "+QUEUED\r\n");
  assertBothProtocols(WRONGTYPE, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  assertBothProtocols(integer(0), ":0\r\n", ":0\r\n");
  assertBothProtocols(integer(-42), ":-42\r\n", ":-42\r\n");
  assertBothProtocols(integer(Number.MAX_SAFE_INTEGER), ":9007199254740991\r\n", ":9007199254740991\r\n");
  assertBothProtocols(integer(-(2n ** 63n)), ":-9223372036854775808\r\n", ":-9223372036854775808\r\n");
  assertBothProtocols(bulk(""), "$0\r\n\r\n", "$0\r\n\r\n");
  assertBothProtocols(bulk("hello"), "$5\r\nhello\r\n", "$5\r\nhello\r\n");
});

test("nil is $-1 in RESP2, also inside arrays, and _ in RESP3", () => {
  assertBothProtocols(NIL, "$-1\r\n", "_\r\n");
  assertBothProtocols(array([bulk("a"), NIL]), "*2\r\n$1\r\na\r\n$-1\r\n", "*2\r\n$1\r\na\r\n_\r\n");
});

test("a nil array is *-1 in RESP2 and _ in RESP3", () => {
  for (const [protocol, expected] of [[2, "*-1\r\n"], [3, "_\r\n"]] as const) {
    const writer = new ReplyWriter();
    writer.writeNilArray(protocol);
    assert.equal(writer.take().toString("latin1"), expected);
  }
});

test("arrays nest, and an empty array is *0", () => {
  const nested = array([integer(1), array([bulk("x"), array([])]), status("OK")]);
  const expected = "*3\r\n:1\r\n*2\r\n$1\r\nx\r\n*0\r\n+OK\r\n";
  assertBothProtocols(nested, expected, expected);
});

test("a double is a bulk string in RESP2 and a , frame in RESP3", () => {
  assertBothProtocols({ type: "double", value: 1.5 }, "$3\r\n1.5\r\n", ",1.5\r\n");
  assertBothProtocols({ type: "double", value: 3 }, "$1\r\n3\r\n", ",3\r\n");
  assertBothProtocols({ type: "double", value: Infinity }, "$3\r\ninf\r\n", ",inf\r\n");
  assertBothProtocols({ type: "double", value: -Infinity }, "$4\r\n-inf\r\n", ",-inf\r\n");
  assertBothProtocols({ type: "double", value: NaN }, "$3\r\nnan\r\n", ",nan\r\n");
});

test("a boolean is an integer 1 or 0 in RESP2 and #t or #f in RESP3", () => {
  assertBothProtocols({ type: "boolean", value: true }, ":1\r\n", "#t\r\n");
  assertBothProtocols({ type: "boolean", value: false }, ":0\r\n", "#f\r\n");
});

test("a map is a flat array in RESP2 and a % frame in RESP3", () => {
  const map: Reply = { type: "map", entries: [[bulk("a"), integer(1)], [bulk("b"), NIL]] };
  assertBothProtocols(map, "*4\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n$-1\r\n", "%2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n_\r\n");
});

test("line breaks inside status and error texts become spaces", () => {
  assertBothProtocols(error("ERR", "bad\r\nthing"), "-ERR bad  thing\r\n", "-ERR bad  thing\r\n");
  assertBothProtocols(status("a\nb"), "+a b\r\n", "+a b\r\n");
});

test("bulk strings are binary safe, short and long", () => {
  const everyByte = Buffer.from(Array.from({ length: 256 }, (_, byte) => byte)).toString("latin1");
  for (const value of ["\r\n\x00\xff", everyByte, everyByte.repeat(1000)]) {
    assert.equal(serialize(bulk(value), 2), `$${value.length}\r\n${value}\r\n`);
  }
});

test("many replies accumulate into one buffer that take() returns and resets", () => {
  const writer = new ReplyWriter();
  for (let index = 0; index < 10_000; index++) writer.write(index % 2 === 0 ? OK : bulk(`value${index}`), 2);
  const expectedBytes = 5000 * 5 + Array.from({ length: 5000 }, (_, half) => `$${`value${half * 2 + 1}`.length}\r\nvalue${half * 2 + 1}\r\n`).join("").length;
  assert.equal(writer.pendingBytes, expectedBytes);
  const output = writer.take();
  assert.equal(output.length, expectedBytes);
  assert.equal(output.subarray(0, 5).toString(), "+OK\r\n");
  assert.equal(writer.pendingBytes, 0);
  assert.equal(writer.take().length, 0);
});

test("a taken buffer is not changed by later writes", () => {
  const writer = new ReplyWriter();
  writer.write(bulk("first"), 2);
  const first = writer.take();
  writer.write(bulk("other"), 2);
  assert.equal(first.toString(), "$5\r\nfirst\r\n");
  writer.write(bulk("x".repeat(100_000)), 2);
  const big = writer.take();
  writer.write(bulk("y".repeat(100_000)), 2);
  assert.equal(big.toString("latin1", 0, 20), "$5\r\nother\r\n$100000\r\n");
  assert.equal(big.subarray(20, 100_020).every((byte) => byte === 0x78), true);
});

test("writeRaw appends bytes unchanged", () => {
  const writer = new ReplyWriter();
  writer.writeRaw(Buffer.from("+PONG\r\n"));
  writer.write(integer(1), 3);
  assert.equal(writer.take().toString(), "+PONG\r\n:1\r\n");
});

test("integer replies must be safe integers or bigints", () => {
  const writer = new ReplyWriter();
  assert.throws(() => writer.write(integer(1.5), 2), /invariant/);
  assert.throws(() => writer.write(integer(2 ** 60), 2), /invariant/);
});

test("encodeCommand writes a multibulk of the arguments", () => {
  assert.equal(encodeCommand(["GET", "k"]).toString(), "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
  assert.equal(encodeCommand([]).toString(), "*0\r\n");
  assert.equal(encodeCommand(["SET", Buffer.from([0, 255]), "\xe9"]).toString("latin1"), "*3\r\n$3\r\nSET\r\n$2\r\n\x00\xff\r\n$1\r\n\xe9\r\n");
});

test("encodeCommand refuses strings that are not byte strings", () => {
  assert.throws(
    () => encodeCommand(["SET", "k", "snow ☃"]),
    (thrown) => isWalnutError(thrown, "BAD_ARGUMENT") && /argument 2/.test(thrown.message),
  );
});

test("formatDouble prints doubles as Redis 7.0 does (%.17g, ties to even)", () => {
  const cases: Array<[number, string]> = [
    [0, "0"],
    [-0, "-0"],
    [1, "1"],
    [-3, "-3"],
    [1.5, "1.5"],
    [0.1, "0.10000000000000001"],
    [3.14, "3.1400000000000001"],
    [-2.5, "-2.5"],
    [1 / 3, "0.33333333333333331"],
    [123456.789, "123456.789"],
    [0.0001, "0.0001"],
    [0.000001, "9.9999999999999995e-07"],
    [1.5e-6, "1.5e-06"],
    [1e-7, "9.9999999999999995e-08"],
    [0.00012345678, "0.00012345678000000001"],
    [1234.5678901, "1234.5678901000001"],
    [2 ** 53, "9007199254740992"],
    [2 ** 60, "1.152921504606847e+18"],
    [2 ** 62, "4.6116860184273879e+18"],
    [2 ** 63, "9.2233720368547758e+18"],
    [1e16, "10000000000000000"],
    [1e17, "1e+17"],
    [1e19, "1e+19"],
    [1e21, "1e+21"],
    [1.5e300, "1.5000000000000001e+300"],
    [1.7976931348623157e308, "1.7976931348623157e+308"],
    [5e-324, "4.9406564584124654e-324"],
    [-1.25e-10, "-1.2500000000000001e-10"],
    [0.3, "0.29999999999999999"],
    [1250000000000000.25, "1250000000000000.2"],
    [Infinity, "inf"],
    [-Infinity, "-inf"],
    [NaN, "nan"],
  ];
  for (const [value, expected] of cases) assert.equal(formatDouble(value), expected, String(value));
});

test("formatDouble output reads back to the same double", () => {
  let seed = 12345;
  for (let index = 0; index < 10_000; index++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const bits = new DataView(new ArrayBuffer(8));
    bits.setUint32(0, seed);
    bits.setUint32(4, (seed * 2654435761) >>> 0);
    const value = bits.getFloat64(0);
    if (!Number.isFinite(value)) continue;
    assert.equal(Number(formatDouble(value)), value, formatDouble(value));
  }
});
