/**
 * What the C libraries' functions share (bit, cjson, cmsgpack, struct): their arguments
 * checked with Lua's own wording ("bad argument #1 to 'band' (number expected, got
 * string)"), and a table of functions built in one go.
 */
import { lua, LuaType, rawSetField, toBytes } from "./lua_wasm.js";
import { guarded, LuaRaise } from "./redis_api.js";
import type { RunState } from "./script_vm.js";

const TYPE_NAMES = ["nil", "boolean", "userdata", "number", "string", "table", "function", "userdata", "thread"];

export function typeName(L: number, index: number): string {
  const type = lua._lua_type(L, index);
  return type < 0 ? "no value" : (TYPE_NAMES[type] ?? "?");
}

export function argumentError(position: number, functionName: string, message: string): LuaRaise {
  return new LuaRaise(`bad argument #${position} to '${functionName}' (${message})`, true);
}

/** luaL_checknumber: a number, or a string Lua reads as one. */
export function checkNumber(L: number, position: number, functionName: string): number {
  if (lua._lua_isnumber(L, position) === 0) throw argumentError(position, functionName, `number expected, got ${typeName(L, position)}`);
  return lua._lua_tonumber(L, position);
}

/** luaL_checklstring: a string, or a number converted as Lua converts it. */
export function checkString(L: number, position: number, functionName: string): string {
  const type = lua._lua_type(L, position);
  if (type !== LuaType.String && type !== LuaType.Number) throw argumentError(position, functionName, `string expected, got ${typeName(L, position)}`);
  return toBytes(L, position);
}

export type LibraryFunction = (L: number) => number;

/** Pushes a table of the given functions (each guarded: a LuaRaise becomes a Lua error). */
export function pushLibrary(L: number, stateOf: () => RunState, functions: Record<string, LibraryFunction>): void {
  lua._lua_createtable(L, 0, Object.keys(functions).length);
  for (const [name, body] of Object.entries(functions)) {
    lua._lua_pushcclosure(L, guarded(stateOf, body), 0);
    rawSetField(L, -2, name);
  }
}
