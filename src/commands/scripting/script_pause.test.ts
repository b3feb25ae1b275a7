/**
 * Pausing a script never changes what it does: with a run pausing at every chance it has
 * (pauseAfterMs 0: at every count hook outside C calls), scripts that spend their time
 * inside pcall, a metamethod, a coroutine of their own, a sort comparator or a gsub
 * callback end with the same replies as unpaused runs (a yield across those C calls would
 * raise an error the script could catch). Scripts that loop only inside pcall, xpcall (its
 * function or its handler), a coroutine resumed or wrapped, or these nested, pause there
 * (script_threads.ts) and still end as unpaused, errors and where they are reported
 * included. The instruction budget stops a script at the same instruction whether it
 * paused or not, its loop at its own level or inside those, so every replica agrees; and
 * a killed run cannot be carried on by pcall in a loop, and is killed inside pcall, xpcall
 * and coroutines too, at its next new line as Redis kills.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { integer, type Reply } from "../../engine/reply.js";
import { ScriptVm } from "./script_vm.js";
import { sha1hex } from "./sha1.js";

const HEAP_BYTES = 64 * 1024 * 1024;

function runner(vm: ScriptVm): (body: string, pausable: boolean) => Reply | Promise<Reply> {
  return (body, pausable) => {
    const sha = sha1hex(body);
    assert.equal(vm.compileBody(sha, body), null, "compiles");
    return vm.runBody(sha, { keys: [], args: [], calls: { call: () => ({ type: "nil" }) }, randomSeed: 1, name: sha }, pausable);
  };
}

const SCRIPTS: Array<{ name: string; body: string }> = [
  {
    name: "a long loop inside pcall",
    body: "local ok, n = pcall(function() local c = 0 for i = 1, 300000 do c = c + 1 end return c end) return {ok and 1 or 0, n}",
  },
  {
    name: "many pcalls, each a loop",
    body: "local c = 0 for r = 1, 30 do local ok = pcall(function() for i = 1, 10000 do c = c + 1 end end) if not ok then return -1 end end return c",
  },
  {
    name: "a metamethod that loops",
    body: "local t = setmetatable({}, {__index = function(_, k) local c = 0 for i = 1, 200000 do c = c + 1 end return c + k end}) local v = t[5] for i = 1, 5000 do end return v",
  },
  {
    name: "a coroutine of the script's own",
    body: "local co = coroutine.create(function(a) local c = a for i = 1, 200000 do c = c + 1 end local b = coroutine.yield(c) return c + b end) local _, x = coroutine.resume(co, 1) local _, y = coroutine.resume(co, 10) for i = 1, 5000 do end return {x, y, coroutine.status(co)}",
  },
  {
    name: "a sort comparator",
    body: "local t = {} for i = 1, 3000 do t[i] = (i * 7919) % 3001 end table.sort(t, function(a, b) return a < b end) for i = 1, 5000 do end return {t[1], t[1500], t[3000]}",
  },
  {
    name: "a gsub callback",
    body: "local s = string.rep('ab', 20000) local n = 0 local out = s:gsub('a', function() n = n + 1 return 'c' end) for i = 1, 5000 do end return {n, out:sub(1, 6)}",
  },
  {
    name: "an error inside pcall after a pause is due",
    body: "local c = 0 for i = 1, 200000 do c = c + 1 end local ok, e = pcall(function() for i = 1, 200000 do c = c + 1 end error('boom') end) return {ok and 1 or 0, e, c}",
  },
];

test("a paused script ends as an unpaused one: no yield inside pcall, metamethods, coroutines, sort or gsub", async () => {
  const pausing = runner(new ScriptVm({ instructionsMax: 1e9, heapBytesMax: HEAP_BYTES, pauseAfterMs: 0 }));
  const straight = runner(new ScriptVm({ instructionsMax: 1e9, heapBytesMax: HEAP_BYTES }));
  for (const { name, body } of SCRIPTS) {
    const expected = straight(body, false);
    assert.ok(!(expected instanceof Promise));
    assert.notEqual(expected.type, "error", `${name}: ${JSON.stringify(expected)}`);
    const outcome = pausing(body, true);
    // Each script ends with a loop at its own level, where a pause due inside a C call happens at the latest.
    assert.ok(outcome instanceof Promise, `${name}: the run paused at least once`);
    assert.deepEqual(await outcome, expected, name);
  }
});

/** Scripts whose only long loop runs inside pcall, xpcall or a coroutine: nothing at their own level could pause them. */
const INSIDE: Array<{ name: string; body: string }> = [
  { name: "pcall", body: "return {pcall(function(a) local c = a for i = 1, 300000 do c = c + 1 end return c, 'x' end, 5)}" },
  { name: "pcall, then an error", body: "return {pcall(function() local c = 0 for i = 1, 300000 do c = c + 1 end error('late ' .. c) end)}" },
  { name: "pcall, then redis.call's error table", body: "return {pcall(function() for i = 1, 300000 do end return redis.call('nosuch') end)}" },
  { name: "xpcall's function", body: "return {xpcall(function() for i = 1, 300000 do end error({err='tbl'}) end, function(e) return 'handled ' .. e.err end)}" },
  { name: "xpcall's handler", body: "return {xpcall(function() error('x') end, function(e) local c = 0 for i = 1, 300000 do c = c + 1 end return e .. c end)}" },
  {
    name: "a coroutine resumed, yielding between loops",
    body: "local co = coroutine.create(function(a) local c = a for i = 1, 200000 do c = c + 1 end local b = coroutine.yield(c) for i = 1, 200000 do c = c + 1 end return c + b end) local r1 = {coroutine.resume(co, 1)} local r2 = {coroutine.resume(co, 10)} return {r1, r2, coroutine.status(co)}",
  },
  { name: "a coroutine wrapped", body: "local g = coroutine.wrap(function() for i = 1, 300000 do end coroutine.yield(1) for i = 1, 300000 do end return 2 end) return {g(), g()}" },
  { name: "a wrapped coroutine's error, caught", body: "local g = coroutine.wrap(function() for i = 1, 300000 do end error('late') end) return {pcall(g)}" },
  { name: "a wrapped coroutine's error, uncaught", body: "local g = coroutine.wrap(function() for i = 1, 300000 do end error('late') end)\nlocal x = g()\nreturn x" },
  { name: "a wrapped coroutine's error table, uncaught", body: "local g = coroutine.wrap(function() for i = 1, 300000 do end error({err='ERR mine'}) end)\nlocal x = g()\nreturn x" },
  {
    name: "pcall inside a coroutine inside pcall",
    body: "return {pcall(function() local co = coroutine.wrap(function() local ok, v = pcall(function() local c = 0 for i = 1, 300000 do c = c + 1 end return c end) coroutine.yield(v) return 'done' end) return co(), co(), coroutine.running() end)}",
  },
  { name: "status and running seen across a pause", body: "local co co = coroutine.create(function() return pcall(function() for i = 1, 300000 do end return coroutine.status(co), coroutine.running() == co end) end) return {coroutine.resume(co)}" },
];

test("a script looping only inside pcall, xpcall or coroutines pauses there and ends as an unpaused one", async () => {
  const pausing = runner(new ScriptVm({ instructionsMax: 1e9, heapBytesMax: HEAP_BYTES, pauseAfterMs: 0 }));
  const straight = runner(new ScriptVm({ instructionsMax: 1e9, heapBytesMax: HEAP_BYTES }));
  for (const { name, body } of INSIDE) {
    const expected = straight(body, false);
    assert.ok(!(expected instanceof Promise));
    const outcome = pausing(body, true);
    assert.ok(outcome instanceof Promise, `${name}: the run paused`);
    assert.deepEqual(await outcome, expected, name);
  }
});

test("the instruction budget stops a script at the same instruction whether it paused or not, inside pcall and coroutines too", async () => {
  const budget = 50_000;
  const straight = runner(new ScriptVm({ instructionsMax: budget, heapBytesMax: HEAP_BYTES }));
  const pausing = runner(new ScriptVm({ instructionsMax: budget, heapBytesMax: HEAP_BYTES, pauseAfterMs: 0 }));
  const loop = (n: number): string => `local c = 0 for i = 1, ${n} do c = c + 1 end return c`;
  const shapes: Array<{ name: string; body: (n: number) => string }> = [
    { name: "at its own level", body: loop },
    { name: "inside pcall", body: (n) => `local ok, c = pcall(function() ${loop(n)} end) return c` },
    { name: "inside xpcall", body: (n) => `local ok, c = xpcall(function() ${loop(n)} end, function(e) return e end) return c` },
    { name: "inside a wrapped coroutine", body: (n) => `return coroutine.wrap(function() ${loop(n)} end)()` },
    { name: "inside pcall inside a coroutine", body: (n) => `local co = coroutine.create(function() local ok, c = pcall(function() ${loop(n)} end) return c end) local ok, c = coroutine.resume(co) return c` },
  ];
  const stopped = (reply: Reply): boolean => reply.type === "error" && reply.text.startsWith("ERR Script stopped");
  for (const shape of shapes) {
    // The longest loop the budget lets finish, found without pausing.
    let low = 1;
    let high = budget;
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      if (stopped(straight(shape.body(middle), false) as Reply)) high = middle - 1;
      else low = middle;
    }
    assert.ok(low > budget / 3 && low < budget, `${shape.name}: the longest loop that finishes: ${low}`);
    const finished = pausing(shape.body(low), true);
    assert.ok(finished instanceof Promise, `${shape.name}: the run paused`);
    assert.deepEqual(await finished, integer(low), shape.name);
    assert.ok(stopped(await pausing(shape.body(low + 1), true)), `${shape.name}: one iteration more is stopped, paused or not`);
  }
});

test("a run looping inside pcall, xpcall or a coroutine is killed there, as Redis kills: at its next new line", async () => {
  const vm = new ScriptVm({ instructionsMax: 1e10, heapBytesMax: HEAP_BYTES, pauseAfterMs: 0 });
  const killed = async (body: string): Promise<Reply> => {
    const outcome = runner(vm)(body, true);
    assert.ok(outcome instanceof Promise, body);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(vm.killPausedRun(), true, body);
    return outcome;
  };
  const cases: Array<{ body: string; line: number }> = [
    { body: "local ok = pcall(function() while true do end end)\nreturn 'carried on'", line: 2 },
    { body: "local ok = xpcall(function() while true do end end, function(e) return e end)\nreturn 'carried on'", line: 2 },
    { body: "local co = coroutine.wrap(function() while true do end end)\nco()", line: 2 },
    { body: "local co = coroutine.create(function() pcall(function() while true do end end) end)\nlocal ok = coroutine.resume(co)\nreturn 'carried on'", line: 3 },
  ];
  for (const { body, line } of cases) {
    const reply = await killed(body);
    assert.equal(reply.type, "error", body);
    assert.match((reply as { text: string }).text, new RegExp(`^ERR Script killed by user with SCRIPT KILL\\.\\.\\. script: \\w+, on @user_script:${line}\\.$`), body);
  }
  // The pcall that caught the kill and the rest of its line carry on, as in Redis (no new line to raise at).
  assert.deepEqual(await killed("return pcall(function() while true do end end)"), { type: "nil" });
  assert.deepEqual(runner(vm)("return select(2, pcall(function() return 7 end))", true), integer(7), "the state serves the next script");
});

test("a killed run raises at every new line, so pcall cannot carry on in a loop", async () => {
  const vm = new ScriptVm({ instructionsMax: 1e10, heapBytesMax: HEAP_BYTES, pauseAfterMs: 0 });
  const outcome = runner(vm)("while true do pcall(function() for i = 1, 1000 do end end) end", true);
  assert.ok(outcome instanceof Promise);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(vm.hasPausedRun, true);
  assert.equal(vm.killPausedRun(), true);
  const reply = await outcome;
  assert.equal(reply.type, "error");
  assert.match((reply as { text: string }).text, /^ERR Script killed by user with SCRIPT KILL\.\.\. script: \w+, on @user_script:1\.$/);
  assert.equal(vm.hasPausedRun, false);
  assert.equal(vm.killPausedRun(), false);
});
