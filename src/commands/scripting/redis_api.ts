/**
 * The `redis` table a script sees (Redis 7.0's scripting API), and Redis' math.random.
 *
 * redis.call / redis.pcall run a command through `ScriptCalls` (script_calls.ts: the
 * command table, against the same engine and clock as the script). call raises a failed
 * command's error as a table {err=...}; pcall returns that table. The other functions:
 * error_reply, status_reply, sha1hex, log (accepted, written nowhere a client sees),
 * setresp (2 or 3: how replies convert into Lua), set_repl and replicate_commands
 * (accepted: walnut replicates the script itself, see docs/scripting.md), breakpoint and
 * debug (no-ops outside the debugger, as in Redis), and the LOG_* and REPL_* constants.
 *
 * math.random is Redis' (the 48-bit lrand48 generator), seeded per run from the log entry
 * (script_host.ts), so every replica draws the same numbers.
 */
import type { ByteString } from "../../engine/bytes.js";
import { isError, type Reply } from "../../engine/reply.js";
import { formatDouble } from "../../lib/double_text.js";
import { callerWhere, cFunction, LUA_GLOBALSINDEX, LUA_REGISTRYINDEX, lua, LuaType, pushBytes, raise, rawGetField, rawSetField, toBytes } from "./lua_wasm.js";
import { pushField, pushReply } from "./lua_replies.js";
import type { RunState } from "./script_vm.js";
import { sha1hex } from "./sha1.js";

/** Who answers a script's redis.call: the command table over the script's engine and clock. */
export interface ScriptCalls {
  call(argv: ByteString[]): Reply;
}

export const REDIS_VERSION = "7.0.0";
const REDIS_VERSION_NUM = 0x00070000;

/** Reads the arguments of redis.call: strings as they are, numbers as "%.17g"; null after raising/pushing the error. */
function commandArguments(L: number): ByteString[] | string {
  const count = lua._lua_gettop(L);
  if (count === 0) return "ERR Please specify at least one argument for this redis lib call";
  const argv: ByteString[] = [];
  for (let at = 1; at <= count; at++) {
    const type = lua._lua_type(L, at);
    if (type === LuaType.String) argv.push(toBytes(L, at));
    else if (type === LuaType.Number) argv.push(formatDouble(lua._lua_tonumber(L, at)));
    else return "ERR Lua redis lib command arguments must be strings or integers";
  }
  return argv;
}

/** What a guarded function returns to raise the value it left on top of the stack as a Lua error. */
const RAISE = -1;

/**
 * A JS function as a Lua one. It returns how many results it pushed, or RAISE; a thrown
 * LuaRaise raises its message. lua_error is called here, outside any try: it unwinds by
 * throwing through this frame (emscripten's longjmp), which no catch may intercept. A
 * thrown bug is kept for the run to rethrow once Lua has unwound.
 */
export function guarded(stateOf: () => RunState, body: (L: number) => number): number {
  return cFunction((L) => {
    let results: number;
    try {
      results = body(L);
    } catch (thrown) {
      if (!(thrown instanceof LuaRaise)) {
        try {
          stateOf().bug = thrown;
        } catch {
          // no run is current: the Lua error below is all there is
        }
      }
      // Redis raises its API's errors as tables {err="ERR ..."} (pcall, script_threads.ts, gives scripts the text).
      if (thrown instanceof LuaRaise && thrown.plain) pushBytes(L, callerWhere(L) + thrown.message);
      else {
        const message = thrown instanceof LuaRaise ? `ERR ${thrown.message}` : "ERR internal error in a walnut script function";
        pushField(L, "err", () => pushBytes(L, message));
      }
      results = RAISE;
    }
    return results === RAISE ? raise(L) : results;
  });
}

/** Thrown inside a guarded function to raise a plain Lua error string. */
export class LuaRaise extends Error {
  /** plain: raised as a bare string, as a C library's luaL_error raises (cjson, struct ...); else as Redis' {err="ERR ..."}. */
  constructor(
    message: string,
    readonly plain = false,
  ) {
    super(message);
  }
}

function commandFunction(stateOf: () => RunState, raising: boolean): number {
  return guarded(stateOf, (L) => {
    const state = stateOf();
    const argv = commandArguments(L);
    const reply: Reply = typeof argv === "string" ? { type: "error", text: argv } : state.run.calls.call(argv);
    if (isError(reply)) {
      pushField(L, "err", () => pushBytes(L, reply.text));
      return raising ? RAISE : 1;
    }
    pushReply(L, reply, state.protocol);
    return 1;
  });
}

/** The one string argument of error_reply, status_reply and sha1hex, or a raised error. */
function oneString(L: number): ByteString {
  if (lua._lua_gettop(L) !== 1 || (lua._lua_type(L, 1) !== LuaType.String && lua._lua_type(L, 1) !== LuaType.Number)) {
    throw new LuaRaise("wrong number or type of arguments");
  }
  return toBytes(L, 1);
}

export function installRedisApi(L: number, stateOf: () => RunState): void {
  lua._lua_createtable(L, 0, 24);
  const fn = (name: string, body: (L: number) => number): void => {
    lua._lua_pushcclosure(L, guarded(stateOf, body), 0);
    rawSetField(L, -2, name);
  };
  const constant = (name: string, value: number | string): void => {
    if (typeof value === "number") lua._lua_pushnumber(L, value);
    else pushBytes(L, value);
    rawSetField(L, -2, name);
  };
  lua._lua_pushcclosure(L, commandFunction(stateOf, true), 0);
  rawSetField(L, -2, "call");
  lua._lua_pushcclosure(L, commandFunction(stateOf, false), 0);
  rawSetField(L, -2, "pcall");
  fn("error_reply", (L) => {
    const text = oneString(L);
    pushField(L, "err", () => pushBytes(L, text.startsWith("-") ? text.slice(1) : text));
    return 1;
  });
  fn("status_reply", (L) => {
    const text = oneString(L);
    pushField(L, "ok", () => pushBytes(L, text));
    return 1;
  });
  fn("sha1hex", (L) => {
    if (lua._lua_gettop(L) !== 1) throw new LuaRaise("wrong number of arguments");
    pushBytes(L, sha1hex(toBytes(L, 1)));
    return 1;
  });
  fn("log", (L) => {
    if (lua._lua_gettop(L) < 2) throw new LuaRaise("redis.log() requires two arguments or more.");
    if (lua._lua_type(L, 1) !== LuaType.Number) throw new LuaRaise("First argument must be a number (log level).");
    const level = lua._lua_tonumber(L, 1);
    if (level < 0 || level > 3) throw new LuaRaise("Invalid debug level.");
    return 0; // Redis writes it to its own log file; walnut's scripts have no log of their own
  });
  fn("setresp", (L) => {
    if (lua._lua_gettop(L) !== 1) throw new LuaRaise("redis.setresp() requires one argument.");
    const version = lua._lua_tonumber(L, 1);
    if (version !== 2 && version !== 3) throw new LuaRaise("RESP version must be 2 or 3.");
    stateOf().protocol = version;
    return 0;
  });
  fn("set_repl", (L) => {
    if (lua._lua_gettop(L) !== 1) throw new LuaRaise("redis.set_repl() requires one argument.");
    const flags = lua._lua_tonumber(L, 1);
    if (!(flags >= 0 && flags <= 3)) throw new LuaRaise("Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.");
    return 0;
  });
  fn("replicate_commands", (L) => {
    lua._lua_pushboolean(L, 1);
    return 1;
  });
  fn("breakpoint", (L) => {
    lua._lua_pushboolean(L, 0);
    return 1;
  });
  fn("debug", () => 0);
  rawGetField(L, LUA_GLOBALSINDEX, "rawset");
  rawSetField(L, LUA_REGISTRYINDEX, "walnut_rawset");
  constant("LOG_DEBUG", 0);
  constant("LOG_VERBOSE", 1);
  constant("LOG_NOTICE", 2);
  constant("LOG_WARNING", 3);
  constant("REPL_NONE", 0);
  constant("REPL_AOF", 1);
  constant("REPL_SLAVE", 2);
  constant("REPL_REPLICA", 2);
  constant("REPL_ALL", 3);
  constant("REDIS_VERSION", REDIS_VERSION);
  constant("REDIS_VERSION_NUM", REDIS_VERSION_NUM);
  rawSetField(L, LUA_GLOBALSINDEX, "redis");
  installRandom(L, stateOf);
  installRawset(L, stateOf);
}

const LRAND48_MAX = 2147483647; // Redis' REDIS_LRAND48_MAX: INT32_MAX
const MULTIPLIER = 0x5deece66dn;
const MASK48 = 0xffffffffffffn;

function nextRandom(state: RunState): number {
  state.random = (state.random * MULTIPLIER + 0xbn) & MASK48;
  return Number(state.random >> 17n);
}

/** math.random and math.randomseed over lrand48, with Lua 5.1's argument rules. */
function installRandom(L: number, stateOf: () => RunState): void {
  rawGetField(L, LUA_GLOBALSINDEX, "math");
  lua._lua_pushcclosure(
    L,
    guarded(stateOf, (L) => {
      const state = stateOf();
      const r = (nextRandom(state) % LRAND48_MAX) / LRAND48_MAX;
      const count = lua._lua_gettop(L);
      if (count === 0) {
        lua._lua_pushnumber(L, r);
        return 1;
      }
      const low = count === 1 ? 1 : Math.floor(checkNumber(L, 1));
      const high = Math.floor(checkNumber(L, count === 1 ? 1 : 2));
      if (count > 2) throw new LuaRaise("wrong number of arguments");
      if (low > high) throw new LuaRaise(`bad argument #${count === 1 ? 1 : 2} to 'random' (interval is empty)`);
      lua._lua_pushnumber(L, Math.floor(r * (high - low + 1)) + low);
      return 1;
    }),
    0,
  );
  rawSetField(L, -2, "random");
  lua._lua_pushcclosure(
    L,
    guarded(stateOf, (L) => {
      stateOf().random = ((BigInt(Math.trunc(checkNumber(L, 1)) >>> 0) << 16n) | 0x330en) & MASK48;
      return 0;
    }),
    0,
  );
  rawSetField(L, -2, "randomseed");
  lua._lua_settop(L, -2);
}

function checkNumber(L: number, index: number): number {
  const type = lua._lua_type(L, index);
  if (type !== LuaType.Number && type !== LuaType.String) throw new LuaRaise(`bad argument #${index} (number expected)`);
  return lua._lua_tonumber(L, index);
}

/**
 * rawset that refuses the sandbox's read-only tables (their metatable has the field
 * walnut_readonly), as Redis' read-only tables refuse it. A C function, so that an error
 * names the script's line even in `return rawset(...)`.
 */
function installRawset(L: number, stateOf: () => RunState): void {
  lua._lua_pushcclosure(
    L,
    guarded(stateOf, (L) => {
      if (lua._lua_type(L, 1) !== LuaType.Table) throw new LuaRaise("bad argument #1 to 'rawset' (table expected)");
      if (lua._lua_getmetatable(L, 1) !== 0) {
        const readonly = rawGetField(L, -1, "walnut_readonly") !== LuaType.Nil;
        lua._lua_settop(L, -3);
        if (readonly) throw new LuaRaise("Attempt to modify a readonly table");
      }
      if (lua._lua_type(L, 2) === LuaType.Nil) throw new LuaRaise("bad argument #2 to 'rawset' (value expected)");
      lua._lua_settop(L, 3);
      lua._lua_rawset(L, 1);
      lua._lua_settop(L, 1);
      return 1;
    }),
    0,
  );
  rawSetField(L, LUA_GLOBALSINDEX, "rawset");
}
