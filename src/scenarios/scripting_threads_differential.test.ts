/**
 * pcall, xpcall and the coroutine library, byte for byte against redis-server 7.0: walnut
 * runs them in Lua threads of its own so that a script can pause inside them
 * (commands/scripting/script_threads.ts), and none of that may show. Results, error
 * values (texts, error tables, redis.call's errors), where errors are reported, yields
 * across a protected call, coroutine.status and running seen from inside a pcall,
 * xpcall's handler failing once or always, wrap's "where: " prefix, argument errors and
 * Lua's bound of 200 nested C calls.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startRedis } from "../bench/resp_servers.js";
import { startTestNode } from "./harness.js";
import { conversation } from "./server_fixtures.js";

const SCRIPTS: string[] = [
  "return {pcall()}",
  "return {pcall(nil)}",
  "return {pcall(1)}",
  "return {pcall(error)}",
  "return {pcall(error, 'x')}",
  "return {pcall(error, 'x', 0)}",
  "return {pcall(error, {err='E x'})}",
  "return {pcall(error, {err=5})}",
  "local ok, e = pcall(error, {code=1}) return {tostring(ok), type(e), e.code}",
  "return {pcall(redis.call, 'nosuch')}",
  "return {pcall(function() return redis.call('incr', KEYS[1]) end)}",
  "return {pcall(function() local x = nil return x.y end)}",
  "return {pcall(function() error('inner') end)}",
  "return {pcall(function() error('x', 2) end)}",
  "return {pcall(function(a, b) return a + b, a * b end, 3, 4)}",
  "return {pcall(pcall, error, 'x')}",
  "return {pcall(pcall, function() return 7 end)}",
  "return {pcall(setmetatable({}, {__call = function(self, a) return a * 2 end}), 21)}",
  "return {pcall(setmetatable({}, {}))}",
  "return {xpcall(function() error('x') end)}",
  "return {xpcall(function() return 1, 2 end, print)}",
  "return {xpcall(function() error('x') end, function(e) return 'handled: ' .. e end)}",
  "return {xpcall(function() error({err='tbl'}) end, function(e) return type(e) .. ' ' .. e.err end)}",
  "return {xpcall(function() return redis.call('nosuch') end, function(e) return type(e) end)}",
  "return {xpcall(function() error('x') end, function(e) error('y') end)}",
  "local n = 0 return {xpcall(function() error('x') end, function(e) n = n + 1 if n == 1 then error('again') end return 'h ' .. e end)}",
  "return {xpcall(function() error('x') end, 5)}",
  "return {xpcall(function() error('x') end, function() end)}",
  "return {xpcall(pcall, function(e) return e end)}",
  "return coroutine.resume(1)",
  "return {pcall(coroutine.resume, 1)}",
  "return coroutine.wrap(1)",
  "return coroutine.status(1)",
  "return coroutine.yield(1)",
  "return {pcall(coroutine.yield, 1)}",
  "return type(coroutine.running())",
  "return type(coroutine.isyieldable)",
  "local co = coroutine.create(function(a) local b = coroutine.yield(a + 1) return b * 2 end) local r1 = {coroutine.resume(co, 1)} local r2 = {coroutine.resume(co, 10)} local r3 = {coroutine.resume(co)} return {r1, r2, r3, coroutine.status(co)}",
  "local co co = coroutine.create(function() return coroutine.status(co), type(coroutine.running()), coroutine.running() == co end) return {coroutine.resume(co)}",
  "local co co = coroutine.create(function() return pcall(function() return coroutine.status(co), coroutine.running() == co end) end) return {coroutine.resume(co)}",
  "local outer outer = coroutine.create(function() local inner = coroutine.create(function() return coroutine.status(outer) end) return coroutine.resume(inner) end) return {coroutine.resume(outer)}",
  "local co co = coroutine.create(function() return coroutine.resume(co) end) return {coroutine.resume(co)}",
  "return {coroutine.resume(coroutine.create(function() pcall(function() coroutine.yield(1) end) return 'end' end))}",
  "return {coroutine.resume(coroutine.create(function() return pcall(coroutine.yield, 1) end))}",
  "return {coroutine.resume(coroutine.create(function() local t = setmetatable({}, {__index = function() return coroutine.yield(1) end}) return t.x end))}",
  "return {coroutine.resume(coroutine.create(function() error('in co') end))}",
  "return {coroutine.resume(coroutine.create(function() error({err='tbl'}) end))}",
  "return {coroutine.resume(coroutine.create(function() return redis.call('nosuch') end))}",
  "local g = coroutine.wrap(function(a) local b = coroutine.yield(a + 1) return b * 2 end) return {g(1), g(10)}",
  "local g = coroutine.wrap(function() error('boom') end) return {pcall(g)}",
  "local g = coroutine.wrap(function() error('boom') end) return g()",
  "local g = coroutine.wrap(function() error('boom') end)\ng()\nreturn 1",
  "local g = coroutine.wrap(function() error({err='wrapped'}) end) return g()",
  "local g = coroutine.wrap(function() end) g() g()",
  "local g = coroutine.wrap(function() end) g() return {pcall(g)}",
  "local g = coroutine.wrap(function() return redis.call('nosuch') end) return {pcall(g)}",
  "local function f(n) local ok, e = pcall(f, n + 1) if not ok then return {n, e} end return e end return f(1)",
  "local function f(n) local co = coroutine.create(f) local ok, e = coroutine.resume(co, n + 1) if not ok then return {n, e} end return e end return f(1)",
  "local t = {} for i = 1, 20 do t[i] = select('#', pcall(function() return unpack({1, 2, 3}, 1, i) end)) end return t",
];

test("pcall, xpcall and coroutines answer redis-server 7.0's bytes", async () => {
  const redis = await startRedis({ appendFsyncAlways: false });
  const node = await startTestNode();
  try {
    const commands = SCRIPTS.map((body) => ["eval", body, "1", "counter"]);
    const theirs = await conversation(redis.port, commands);
    const ours = await conversation(node.respPort, commands);
    for (let line = 0; line < SCRIPTS.length; line++) {
      assert.equal(JSON.stringify(ours[line]), JSON.stringify(theirs[line]), SCRIPTS[line]);
    }
  } finally {
    await node.stop();
    await redis.stop();
  }
});
