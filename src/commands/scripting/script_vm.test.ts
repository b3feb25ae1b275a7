/**
 * The Lua state without a server: reply conversions both ways (in RESP2 and RESP3 script
 * modes), each bundled library (bit, cjson, cmsgpack, struct) on values whose Redis
 * answers were taken from redis-server 7.0, and the instruction limit stopping a runaway
 * script that tries to swallow the stop with pcall.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { array, bulk, integer, map, NIL, set, status, type Reply } from "../../engine/reply.js";
import { ScriptVm } from "./script_vm.js";
import { sha1hex } from "./sha1.js";

const vm = new ScriptVm({ instructionsMax: 1_000_000, heapBytesMax: 64 * 1024 * 1024 });

/** Runs `body`; redis.call answers `answer` whatever it is asked. */
function run(body: string, answer: Reply = NIL, args: string[] = []): Reply {
  const sha = sha1hex(body);
  assert.equal(vm.compileBody(sha, body), null, "compiles");
  return vm.runBody(sha, { keys: [], args, calls: { call: () => answer }, randomSeed: 1, name: sha });
}

test("Lua values become Redis replies as Redis converts them", () => {
  assert.deepEqual(run("return 3.99"), integer(3));
  assert.deepEqual(run("return -3.99"), integer(-3));
  assert.deepEqual(run("return 0/0"), integer(-9223372036854775808n));
  assert.deepEqual(run("return {1, 'a', nil, 2}"), array([integer(1), bulk("a")]));
  assert.deepEqual(run("return false"), NIL);
  assert.deepEqual(run("return true"), integer(1));
  assert.deepEqual(run("return {ok='FINE'}"), status("FINE"));
  assert.deepEqual(run("return {err='BAD thing'}"), { type: "error", text: "BAD thing" });
  assert.deepEqual(run("return {double=1.5}"), { type: "double", value: 1.5 });
  assert.deepEqual(run("redis.setresp(3) return true"), { type: "boolean", value: true });
  assert.deepEqual(run("return {map={a=1}}"), map([[bulk("a"), integer(1)]]));
  assert.deepEqual(run("return {set={x=true}}"), set([bulk("x")]));
  assert.deepEqual(run("return {big_number='123456789012345678901234567890'}"), bulk("123456789012345678901234567890"));
  assert.deepEqual(run("return {verbatim_string={format='txt', string='hello'}}"), bulk("hello"));
});

test("Redis replies become Lua values by the script's protocol", () => {
  const hash = map([[bulk("f"), bulk("v")]]);
  assert.deepEqual(run("return redis.call('HGETALL', 'h')", hash), array([bulk("f"), bulk("v")]));
  assert.deepEqual(run("redis.setresp(3) return redis.call('HGETALL', 'h').map.f", hash), bulk("v"));
  assert.deepEqual(run("return type(redis.call('GET', 'x'))", NIL), bulk("boolean"));
  assert.deepEqual(run("redis.setresp(3) return type(redis.call('GET', 'x'))", NIL), bulk("nil"));
  assert.deepEqual(run("return redis.call('ZSCORE', 'z', 'm')", { type: "double", value: 0.1 }), bulk("0.10000000000000001"));
  assert.deepEqual(run("redis.setresp(3) return redis.call('ZSCORE', 'z', 'm').double * 10", { type: "double", value: 0.1 }), integer(1));
  assert.deepEqual(run("return redis.call('TYPE', 'k').ok", status("hash")), bulk("hash"));
  assert.deepEqual(run("return redis.pcall('INCR', 'k').err", { type: "error", text: "ERR not an integer" }), bulk("ERR not an integer"));
  assert.deepEqual(run("return redis.call('SMEMBERS', 's')", set([bulk("a")])), array([bulk("a")]));
  assert.deepEqual(run("return redis.call('GET', 'k')", bulk("a\0b")), bulk("a\0b"));
});

test("bit: 32-bit operations as LuaBitOp", () => {
  assert.deepEqual(run("return bit.lshift(1, 31)"), integer(-2147483648));
  assert.deepEqual(run("return bit.rshift(-1, 28)"), integer(15));
  assert.deepEqual(run("return bit.tohex(-1, -4)"), bulk("FFFF"));
  assert.deepEqual(run("return bit.bswap(0x12345678)"), integer(2018915346));
  assert.deepEqual(run("return bit.tobit(2.5)"), integer(2));
});

test("cjson: encode and decode as lua-cjson", () => {
  assert.deepEqual(run("return cjson.encode({1, 2, {a = 'x/y'}})"), bulk('[1,2,{"a":"x\\/y"}]'));
  assert.deepEqual(run("return cjson.encode({[1] = 1, [3] = 3})"), bulk("[1,null,3]"));
  assert.deepEqual(run("return cjson.encode(1/3)"), bulk("0.33333333333333"));
  assert.deepEqual(run("return cjson.decode('[1, {\"k\": \"\\\\u00e9\"}]')[2].k"), bulk("\xc3\xa9"));
  assert.deepEqual(run("return tostring(cjson.decode('null') == cjson.null)"), bulk("true"));
  const failed = run("return cjson.decode('[1,2')");
  assert.equal(failed.type, "error");
  assert.match((failed as { text: string }).text, /Expected comma or array end but found T_END at character 5/);
});

test("cmsgpack: the smallest encodings, and back", () => {
  assert.deepEqual(run("return cmsgpack.pack(1, -1, 200, 1.5, 'abc', true, {1, 2}, {a = 1})"), bulk("\x01\xff\xcc\xc8\xca\x3f\xc0\x00\x00\xa3abc\xc3\x92\x01\x02\x81\xa1a\x01"));
  assert.deepEqual(run("return {cmsgpack.unpack(cmsgpack.pack(1, 'two', {3, {4}}))}"), array([integer(1), bulk("two"), array([integer(3), array([integer(4)])])]));
  assert.deepEqual(run("return {cmsgpack.unpack_one(cmsgpack.pack(7, 8))}"), array([integer(1), integer(7)]));
});

test("struct: pack, unpack and size as struct.c", () => {
  assert.deepEqual(run("return struct.pack('>I2', 258)"), bulk("\x01\x02"));
  assert.deepEqual(run("return {struct.unpack('<i4i4', struct.pack('<i4i4', -5, 7))}"), array([integer(-5), integer(7), integer(9)]));
  assert.deepEqual(run("return struct.size('!4 b i4')"), integer(8));
  assert.deepEqual(run("return {struct.unpack('Bc0', '\\3abc')}"), array([bulk("abc"), integer(5)]));
});

test("a runaway script is stopped at its instruction budget even when it pcalls around the stop", () => {
  const reply = run("while true do pcall(function() while true do end end) end");
  assert.equal(reply.type, "error");
  assert.match((reply as { text: string }).text, /ran more than 1000000 Lua instructions/);
  assert.equal(vm.wasStopped, true);
  assert.deepEqual(run("return 1"), integer(1), "the state serves the next script");
});

test("math.random draws the same numbers from the same seed", () => {
  const first = run("return {math.random(1000), math.random(1000), math.random(1000)}");
  assert.deepEqual(run("return {math.random(1000), math.random(1000), math.random(1000)}"), first);
});
