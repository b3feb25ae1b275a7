/**
 * Scripting, byte for byte: the same EVAL, EVALSHA, EVAL_RO and SCRIPT calls go to a real
 * redis-server 7.0 and to a walnut server, once in RESP2 and once after HELLO 3, and every
 * reply must be the same bytes: Lua-to-Redis conversions (integer truncation, nil-ended
 * arrays, ok/err tables, false as nil), redis.call's Redis-to-Lua conversions, errors and
 * where they are reported ("script: <sha>, on @user_script:N."), compile errors, the
 * read-only rules, the global protection, shebang flags, the script cache, and the
 * cjson, cmsgpack, bit and struct libraries. (math.random is left out: Redis' sequence
 * runs on across scripts, walnut's is seeded per log entry; docs/scripting.md.)
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startRedis } from "../bench/resp_servers.js";
import { startTestNode } from "./harness.js";
import { conversation } from "./server_fixtures.js";

/** One command a line, as JSON arrays: scripts hold spaces, quotes and newlines. */
const SCRIPT: string[][] = [
  ["flushall"],
  ["eval", "return 1.9", "0"],
  ["eval", "return {1,2,nil,3}", "0"],
  ["eval", "return {ok=\"fine\"}", "0"],
  ["eval", "return {err=\"bad thing\"}", "0"],
  ["eval", "return false", "0"],
  ["eval", "return true", "0"],
  ["eval", "return x", "0"],
  ["eval", "x = 1", "0"],
  ["eval", "return redis.call(\"nosuch\")", "0"],
  ["eval", "return redis.call(\"get\")", "0"],
  ["eval", "return redis.pcall(\"nosuch\")", "0"],
  ["eval", "error(\"hi\")", "0"],
  ["eval", "error({err=\"My Error\"})", "0"],
  ["eval", "return redis.call(\"eval\",\"return 1\",0)", "0"],
  ["eval", "syntax error here", "0"],
  ["evalsha", "0123456789012345678901234567890123456789", "0"],
  ["eval_ro", "return redis.call(\"set\",\"a\",\"b\")", "0"],
  ["eval", "#!lua flags=no-writes\nreturn redis.call(\"set\",\"a\",\"b\")", "0"],
  ["eval", "return redis.call(\"set\", KEYS[1], 1)", "0"],
  ["eval", "return redis.call(\"set\", KEYS[1], 1)", "1", "k"],
  ["get", "k"],
  ["eval", "return redis.call()", "0"],
  ["set", "s", "x"],
  ["eval", "return redis.call(\"incr\",\"s\")", "0"],
  ["eval", "return redis.pcall(\"incr\",\"s\")", "0"],
  ["eval", "return {1,{2,{3,nil,4}},\"a\",false,true}", "0"],
  ["eval", "return redis.call(\"ping\")", "0"],
  ["eval", "return 1e20", "0"],
  ["eval", "return redis.error_reply(\"x y\")", "0"],
  ["eval", "return redis.status_reply(\"FINE\")", "0"],
  ["eval", "return {double=3.5}", "0"],
  ["script", "load", "return 42"],
  ["evalsha", "1fa00e76656cc152ad327c13fe365858fd7be306", "0"],
  ["script", "exists", "1fa00e76656cc152ad327c13fe365858fd7be306", "ffff"],
  ["eval", "redis = nil", "0"],
  ["eval", "string.x = 1", "0"],
  ["eval", "return redis.setresp(4)", "0"],
  ["eval", "return redis.sha1hex()", "0"],
  ["eval", "return tostring(print)", "0"],
  ["eval", "return 1", "-1"],
  ["eval", "return 1", "5"],
  ["eval", "return 1", "x"],
  ["eval", "return unpack({1,2,3})", "0"],
  ["script", "flush"],
  ["script", "kill"],
  ["eval", "return redis.call(\"hgetall\",\"nope\")", "0"],
  ["rpush", "l", "a", "b"],
  ["eval", "return redis.call(\"lrange\",\"l\",0,-1)", "0"],
  ["eval", "redis.setresp(3) return redis.call(\"hgetall\",\"nope\")", "0"],
  ["eval", "local t = {} for i=1,10 do t[i] = redis.call(\"incr\", KEYS[1]) end return t", "1", "ctr"],
  ["eval", "return redis.call(\"set\",\"f\",0.1)", "0"],
  ["get", "f"],
  ["eval", "return redis.call(\"set\",\"f\",-0.0)", "0"],
  ["get", "f"],
  ["hset", "h", "a", "1", "b", "2"],
  ["eval", "return redis.call(\"hgetall\",\"h\")", "0"],
  ["zadd", "z", "1.5", "m"],
  ["eval", "return redis.call(\"zscore\",\"z\",\"m\")", "0"],
  ["eval", "return redis.call(\"zrange\",\"z\",0,-1,\"withscores\")", "0"],
  ["eval", "return redis.call(\"get\",\"nokey\")", "0"],
  ["eval", "return type(redis.call(\"get\",\"nokey\"))", "0"],
  ["eval", "return redis.call(\"type\",\"h\")", "0"],
  ["eval", "return redis.call(\"type\",\"h\").ok", "0"],
  ["eval", "return #KEYS + #ARGV", "2", "a", "b", "c"],
  ["eval", "return ARGV", "0", "x", "y", "z"],
  ["eval", "return tonumber(\"12\") + 1", "0"],
  ["eval", "return string.format(\"%s-%d\", \"a\", 5)", "0"],
  ["eval", "return table.concat({\"a\",\"b\"}, \",\")", "0"],
  ["eval", "return redis.call(\"GET\")", "0"],
  ["eval", "return redis.call(\"get\", {})", "0"],
  ["eval", "return pcall(redis.call, \"nosuch\")", "0"],
  ["eval", "local ok, e = pcall(redis.call, \"nosuch\") return e.err", "0"],
  ["eval", "local e = redis.pcall(\"nosuch\") return e", "0"],
  ["eval", "return redis.call(\"multi\")", "0"],
  ["eval", "#!lua\nreturn redis.call(\"set\",\"sb\",\"1\")", "0"],
  ["eval", "#!lua flags=no-writes,allow-oom\nreturn redis.call(\"get\",\"sb\")", "0"],
  ["eval", "#!lua flags=bogus\nreturn 1", "0"],
  ["eval", "#!python\nreturn 1", "0"],
  ["eval", "#!lua foo=bar\nreturn 1", "0"],
  ["eval", "return redis.call(\"echo\",\"hey\")", "0"],
  ["eval", "\n\nerror(\"line3\")", "0"],
  ["eval", "local function f() error(\"deep\") end\nf()", "0"],
  ["eval", "return 7", "0"],
  ["eval_ro", "return redis.call(\"get\",\"sb\")", "0"],
  ["evalsha_ro", "ffffffffffffffffffffffffffffffffffffffff", "0"],
  ["script", "help"],
  ["script", "bogus"],
  ["script", "flush", "bad"],
  ["eval", "return redis.call(\"lpush\",\"s\",\"x\")", "0"],
  ["eval", "return redis.pcall(\"lpush\",\"s\",\"x\")", "0"],
  ["eval", "return {err=1}", "0"],
  ["eval", "return {ok=1}", "0"],
  ["eval", "return 3.99", "0"],
  ["eval", "return -3.99", "0"],
  ["eval", "return 0", "0"],
  ["eval", "return -0.5", "0"],
  ["eval", "return 2^53", "0"],
  ["eval", "return 2^63", "0"],
  ["eval", "return -2^63", "0"],
  ["eval", "return \"a\\0b\"", "0"],
  ["eval", "return nil", "0"],
  ["eval", "return {}", "0"],
  ["eval", "return {{}}", "0"],
  ["eval", "return {nil, 1}", "0"],
  ["eval", "return redis.status_reply(\"a\\r\\nb\")", "0"],
  ["eval", "return {err=\"x\\r\\ny\"}", "0"],
  ["eval", "return loadstring(\"return 1+1\")()", "0"],
  ["eval", "local f = loadstring(\"x = 1\") return f()", "0"],
  ["eval", "return rawset(_G, \"x\", 1)", "0"],
  ["eval", "return _G.y", "0"],
  ["eval", "return redis.log(redis.LOG_WARNING, \"hi\")", "0"],
  ["eval", "return redis.log(99, \"hi\")", "0"],
  ["eval", "return redis.log(\"a\", \"hi\")", "0"],
  ["eval", "return redis.REDIS_VERSION_NUM > 0", "0"],
  ["eval", "return redis.replicate_commands()", "0"],
  ["eval", "return redis.set_repl(redis.REPL_ALL)", "0"],
  ["eval", "return redis.breakpoint()", "0"],
  ["eval", "return redis.debug(\"x\")", "0"],
  ["eval", "return select(\"#\", 1, 2)", "0"],
  ["eval", "return math.floor(3.7)", "0"],
  ["eval", "return string.rep(\"x\", 3)", "0"],
  ["eval", "return tostring(1/3)", "0"],
  ["eval", "return tostring(nil)", "0"],
  ["eval", "return type(collectgarbage)", "0"],
  ["eval", "return coroutine.status(coroutine.create(function() end))", "0"],
  ["eval", "local ok, e = pcall(redis.call, \"nosuch\") return {tostring(ok), type(e), tostring(e)}", "0"],
  ["eval", "local ok, e = pcall(redis.call, \"get\", \"a\", \"b\") return {type(e), tostring(e)}", "0"],
  ["set", "s", "x"],
  ["eval", "local ok, e = pcall(redis.call, \"incr\", \"s\") return {type(e), tostring(e), e.err}", "0"],
  ["eval", "local ok, e = pcall(error, {err=\"x\"}) return {type(e), e.err}", "0"],
  ["eval", "local ok, e = pcall(redis.call, \"get\", {}) return {type(e), tostring(e)}", "0"],
  ["eval", "local ok, e = pcall(redis.call) return {type(e), tostring(e)}", "0"],
  ["eval", "local ok, e = pcall(redis.sha1hex) return {type(e), tostring(e)}", "0"],
  ["script", "debug", "no"],
  ["script", "load"],
  ["script", "exists"],
  ["eval", "return pcall(function() return 1, 2 end)", "0"],
  ["eval", "local ok, e = pcall(error, \"plain\") return e", "0"]
];

async function replies(port: number, protocol: 2 | 3): Promise<string[]> {
  const prelude = protocol === 3 ? [["HELLO", "3"]] : [];
  const answered = await conversation(port, [...prelude, ...SCRIPT]);
  return answered.slice(prelude.length);
}

test("scripts answer redis-server 7.0's bytes, in RESP2 and in RESP3", async () => {
  const redis = await startRedis({ appendFsyncAlways: false });
  const node = await startTestNode();
  try {
    for (const protocol of [2, 3] as const) {
      const theirs = await replies(redis.port, protocol);
      const ours = await replies(node.respPort, protocol);
      for (let line = 0; line < SCRIPT.length; line++) {
        assert.equal(JSON.stringify(ours[line]), JSON.stringify(theirs[line]), `RESP${protocol}: ${JSON.stringify(SCRIPT[line])}`);
      }
    }
  } finally {
    await node.stop();
    await redis.stop();
  }
});
