/**
 * redis.register_function, the one thing a loading library may call (with redis.log and
 * the constants): `register_function(name, callback)` or `register_function{function_name
 * = ..., callback = ..., flags = {...}, description = ...}`, checked with Redis 7.0's
 * error texts. Each registration keeps a registry reference to its callback.
 */
import type { ByteString } from "../../engine/bytes.js";
import { LUA_REGISTRYINDEX, lua, LuaType, pushBytes, rawSetField, toBytes } from "./lua_wasm.js";
import { guarded, LuaRaise, REDIS_VERSION } from "./redis_api.js";
import type { RunState } from "./script_vm.js";
import { SCRIPT_FLAGS, type ScriptFlag } from "./shebang.js";

export interface RegisteredFunction {
  name: string;
  /** Registry reference of the callback. */
  reference: number;
  flags: ReadonlySet<ScriptFlag>;
  description: ByteString | null;
}

const NAME_SYNTAX = /^[A-Za-z0-9_]+$/;
export const BAD_NAME = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";

export function isValidName(name: string): boolean {
  return NAME_SYNTAX.test(name);
}

function readFlags(L: number, index: number): Set<ScriptFlag> {
  const flags = new Set<ScriptFlag>();
  if (lua._lua_type(L, index) !== LuaType.Table) throw new LuaRaise("flags argument to redis.register_function must be a table representing function flags");
  for (let position = 1; ; position++) {
    lua._lua_rawgeti(L, index, position);
    const type = lua._lua_type(L, -1);
    if (type === LuaType.Nil) {
      lua._lua_settop(L, -2);
      return flags;
    }
    const flag = type === LuaType.String ? toBytes(L, -1) : "";
    lua._lua_settop(L, -2);
    if (!(SCRIPT_FLAGS as readonly string[]).includes(flag)) throw new LuaRaise("unknown flag given");
    flags.add(flag as ScriptFlag);
  }
}

/** Reads the arguments of register_function: name, the stack index of the callback, flags, description. */
function readRegistration(L: number): { name: string; callback: number; flags: Set<ScriptFlag>; description: ByteString | null } {
  const count = lua._lua_gettop(L);
  if (count === 2) {
    if (lua._lua_type(L, 1) !== LuaType.String) throw new LuaRaise("first argument to redis.register_function must be a string");
    if (lua._lua_type(L, 2) !== LuaType.Function) throw new LuaRaise("second argument to redis.register_function must be a function");
    return { name: toBytes(L, 1), callback: 2, flags: new Set(), description: null };
  }
  if (count !== 1) throw new LuaRaise("wrong number of arguments to redis.register_function");
  if (lua._lua_type(L, 1) !== LuaType.Table) {
    throw new LuaRaise("calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).");
  }
  let name: string | null = null;
  let callback = 0;
  let flags = new Set<ScriptFlag>();
  let description: ByteString | null = null;
  lua._lua_pushnil(L);
  while (lua._lua_next(L, 1) !== 0) {
    const key = lua._lua_type(L, -2) === LuaType.String ? toBytes(L, -2) : "";
    const valueType = lua._lua_type(L, -1);
    if (key === "function_name" && valueType === LuaType.String) name = toBytes(L, -1);
    else if (key === "callback" && valueType === LuaType.Function) {
      lua._lua_pushvalue(L, -1);
      lua._lua_insert(L, 2); // keep the callback at index 2, under the iteration's key and value
      callback = 2;
    } else if (key === "flags") flags = readFlags(L, lua._lua_gettop(L));
    else if (key === "description" && valueType === LuaType.String) description = toBytes(L, -1);
    else if (key === "callback") throw new LuaRaise("callback argument given to redis.register_function must be a function");
    else throw new LuaRaise("unknown argument given to redis.register_function");
    lua._lua_settop(L, -2);
  }
  if (name === null) throw new LuaRaise("redis.register_function must get a function name argument");
  if (callback === 0) throw new LuaRaise("redis.register_function must get a callback argument");
  return { name, callback, flags, description };
}

/** Pushes the `redis` table a loading library sees. */
export function pushLoaderRedis(L: number, stateOf: () => RunState, register: (registration: RegisteredFunction) => void): void {
  lua._lua_createtable(L, 0, 8);
  lua._lua_pushcclosure(
    L,
    guarded(stateOf, (L) => {
      const { name, callback, flags, description } = readRegistration(L);
      if (!isValidName(name)) throw new LuaRaise(BAD_NAME);
      lua._lua_pushvalue(L, callback);
      const reference = lua._luaL_ref(L, LUA_REGISTRYINDEX);
      register({ name, reference, flags, description });
      return 0;
    }),
    0,
  );
  rawSetField(L, -2, "register_function");
  const constants: Array<[string, number | string]> = [
    ["LOG_DEBUG", 0],
    ["LOG_VERBOSE", 1],
    ["LOG_NOTICE", 2],
    ["LOG_WARNING", 3],
    ["REDIS_VERSION", REDIS_VERSION],
    ["REDIS_VERSION_NUM", 0x00070000],
  ];
  for (const [name, value] of constants) {
    if (typeof value === "number") lua._lua_pushnumber(L, value);
    else pushBytes(L, value);
    rawSetField(L, -2, name);
  }
}
