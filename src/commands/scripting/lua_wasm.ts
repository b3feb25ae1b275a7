/**
 * The Lua 5.1 engine: real Lua 5.1 compiled to WebAssembly (the wasmoon-lua5.1 package),
 * driven through its raw C API. walnut uses none of the package's JS object bridging:
 * Redis values are byte strings, so every string crosses the boundary as bytes copied
 * into and out of the WASM heap (lua_pushlstring / lua_tolstring with a length), never
 * through UTF-8 text. JS functions become Lua C functions with addFunction; a JS function
 * raises a Lua error with lua_error (the build implements longjmp with JS exceptions,
 * so that unwinds correctly through the JS frame).
 *
 * The module is instantiated once per process, at import (top-level await): every Lua
 * state of every node lives in that one WASM memory.
 */
import wasmoon from "wasmoon-lua5.1";
import type { ByteString } from "../../engine/bytes.js";

/** The raw exports of the emscripten module that walnut calls (pointers are numbers). */
export interface LuaModule {
  HEAPU8: Uint8Array;
  HEAPU32: Uint32Array;
  _malloc(size: number): number;
  _free(pointer: number): void;
  addFunction(fn: (...args: number[]) => number | void, signature: string): number;
  _luaL_newstate(): number;
  _luaL_openlibs(L: number): void;
  _luaL_loadbuffer(L: number, buffer: number, size: number, name: number): number;
  _luaL_ref(L: number, table: number): number;
  _luaL_unref(L: number, table: number, ref: number): void;
  _lua_close(L: number): void;
  _lua_gettop(L: number): number;
  _lua_settop(L: number, index: number): void;
  _lua_pushvalue(L: number, index: number): void;
  _lua_remove(L: number, index: number): void;
  _lua_insert(L: number, index: number): void;
  _lua_type(L: number, index: number): number;
  _lua_pushnil(L: number): void;
  _lua_pushnumber(L: number, value: number): void;
  _lua_pushboolean(L: number, value: number): void;
  _lua_pushlstring(L: number, pointer: number, length: number): void;
  _lua_pushcclosure(L: number, fn: number, upvalues: number): void;
  _lua_tolstring(L: number, index: number, lengthPointer: number): number;
  _lua_tonumber(L: number, index: number): number;
  _lua_toboolean(L: number, index: number): number;
  _lua_objlen(L: number, index: number): number;
  _lua_createtable(L: number, arrayCount: number, recordCount: number): void;
  _lua_rawget(L: number, index: number): void;
  _lua_rawset(L: number, index: number): void;
  _lua_rawgeti(L: number, index: number, n: number): void;
  _lua_rawseti(L: number, index: number, n: number): void;
  _lua_next(L: number, index: number): number;
  _lua_pcall(L: number, argCount: number, resultCount: number, handlerIndex: number): number;
  _lua_error(L: number): number;
  _lua_sethook(L: number, fn: number, mask: number, count: number): void;
  _lua_gc(L: number, what: number, data: number): number;
  _lua_checkstack(L: number, extra: number): number;
  _lua_getmetatable(L: number, index: number): number;
  _lua_pushlightuserdata(L: number, pointer: number): void;
  _lua_getstack(L: number, level: number, debugRecord: number): number;
  _lua_getinfo(L: number, what: number, debugRecord: number): number;
  _lua_isnumber(L: number, index: number): number;
  _lua_touserdata(L: number, index: number): number;
  _lua_newthread(L: number): number;
  _lua_resume(L: number, argCount: number): number;
  _lua_yield(L: number, resultCount: number): number;
  _lua_status(L: number): number;
  _lua_xmove(from: number, to: number, count: number): void;
  _lua_tothread(L: number, index: number): number;
  _lua_iscfunction(L: number, index: number): number;
  _lua_tocfunction(L: number, index: number): number;
  _luaL_checkany(L: number, index: number): void;
  _lua_concat(L: number, count: number): void;
}

// The package is CommonJS with a UMD wrapper: its named exports are reached through the default import.
const { LuaApi } = wasmoon as unknown as { LuaApi: { initialize(): Promise<{ module: unknown }> } };
// The emscripten module's type in the package does not list the raw `_lua_*` exports; LuaModule does.
export const lua: LuaModule = (await LuaApi.initialize()).module as LuaModule;

export const LUA_REGISTRYINDEX = -10000;
export const LUA_GLOBALSINDEX = -10002;
export const LUA_MULTRET = -1;
export const LUA_MASKCOUNT = 8;
export const LUA_MASKLINE = 4;
export const LUA_GCCOUNT = 3;
export const LUA_GCCOLLECT = 2;
export const LUA_YIELD = 1;
export const LUA_ERRRUN = 2;

export const LUA_ERRMEM = 4;
/** Lua 5.1's LUAI_MAXCCALLS: nested C calls (pcall, resume) past it fail with "C stack overflow". */
export const LUA_MAX_C_CALLS = 200;

/**
 * Where lua_State keeps savedpc (the running Lua function's next instruction), and
 * nCcalls and baseCcalls (two unsigned shorts) in this build: Lua 5.1's lstate.h laid
 * out for wasm32 (next, tt, marked and status in 8 bytes, top, base, l_G, ci, then
 * savedpc; ten more 4-byte fields after it, then the two counters).
 * script_pause.test.ts depends on them: pausing inside a metamethod or a sort comparator
 * (counters unequal) would raise an error there.
 */
const SAVED_PC_OFFSET = 24;
const N_C_CALLS_OFFSET = 52;
const BASE_C_CALLS_OFFSET = 54;
/** ... and, after the hook mask bytes, basehookcount and hookcount (ints). */
const BASE_HOOK_COUNT_OFFSET = 60;
const HOOK_COUNT_OFFSET = 64;

/** The count the thread's count hook was last set to (lua_sethook's count). */
export function baseHookCount(L: number): number {
  return lua.HEAPU32[(L + BASE_HOOK_COUNT_OFFSET) >> 2]! | 0;
}

/** Instructions the thread still has to fetch before its count hook fires. */
export function hookCountLeft(L: number): number {
  return lua.HEAPU32[(L + HOOK_COUNT_OFFSET) >> 2]! | 0;
}


/**
 * True when the coroutine `L` runs no C call of its own below the running Lua code: no
 * pcall, metamethod, iterator, gsub or sort callback between it and where it was resumed.
 * Only then may a count hook yield it: lua_yield across a C call raises "attempt to yield
 * across metamethod/C-call boundary", an error the script could catch.
 */
export function yieldableNow(L: number): boolean {
  const heap = lua.HEAPU8;
  const calls = heap[L + N_C_CALLS_OFFSET]! | (heap[L + N_C_CALLS_OFFSET + 1]! << 8);
  const base = heap[L + BASE_C_CALLS_OFFSET]! | (heap[L + BASE_C_CALLS_OFFSET + 1]! << 8);
  return calls === base;
}

/** The thread's nested C calls (nCcalls). */
export function cCalls(L: number): number {
  const heap = lua.HEAPU8;
  return heap[L + N_C_CALLS_OFFSET]! | (heap[L + N_C_CALLS_OFFSET + 1]! << 8);
}

/** Sets a thread's nested C calls before it is resumed, as lua_setlevel does (so nesting is bounded across threads). */
export function setCCalls(L: number, calls: number): void {
  const heap = lua.HEAPU8;
  heap[L + N_C_CALLS_OFFSET] = calls & 0xff;
  heap[L + N_C_CALLS_OFFSET + 1] = calls >> 8;
}

/**
 * Moves the running Lua function of `L` back one instruction, for a count hook that
 * raises an error on behalf of the instruction before the one it fired at: the error is
 * then located at that instruction's line. Only for a thread the error will end.
 */
export function rewindOneInstruction(L: number): void {
  lua.HEAPU32[(L + SAVED_PC_OFFSET) >> 2] -= 4;
}

export const enum LuaType {
  None = -1,
  Nil = 0,
  Boolean = 1,
  LightUserdata = 2,
  Number = 3,
  String = 4,
  Table = 5,
  Function = 6,
  Userdata = 7,
  Thread = 8,
}

/** A scratch word for lua_tolstring's length out-parameter (one per process: Lua runs on one thread). */
const lengthWord = lua._malloc(4);
/** A scratch buffer reused for short strings pushed onto a Lua stack. */
let scratch = { pointer: lua._malloc(4096), size: 4096 };

function scratchOf(size: number): number {
  if (size > scratch.size) {
    lua._free(scratch.pointer);
    const grown = Math.max(size, scratch.size * 2);
    scratch = { pointer: lua._malloc(grown), size: grown };
  }
  return scratch.pointer;
}

/** Pushes a latin1 byte string (walnut's ByteString) as a Lua string, byte for byte. */
export function pushBytes(L: number, value: ByteString): void {
  const length = value.length;
  const pointer = scratchOf(length + 1);
  const heap = lua.HEAPU8;
  for (let at = 0; at < length; at++) heap[pointer + at] = value.charCodeAt(at);
  lua._lua_pushlstring(L, pointer, length);
}

/** The Lua string (or number, converted as Lua converts it) at `index` as a latin1 byte string. */
export function toBytes(L: number, index: number): ByteString {
  const pointer = lua._lua_tolstring(L, index, lengthWord);
  if (pointer === 0) return "";
  const length = lua.HEAPU32[lengthWord >> 2]!;
  return latin1(lua.HEAPU8, pointer, length);
}

function latin1(heap: Uint8Array, pointer: number, length: number): string {
  let text = "";
  const chunk = 8192;
  for (let at = 0; at < length; at += chunk) {
    text += String.fromCharCode(...heap.subarray(pointer + at, pointer + Math.min(length, at + chunk)));
  }
  return text;
}

/** Interned NUL-terminated C strings (field and chunk names): made once, never freed. */
const cStrings = new Map<string, number>();

export function cString(text: string): number {
  let pointer = cStrings.get(text);
  if (pointer === undefined) {
    pointer = lua._malloc(text.length + 1);
    for (let at = 0; at < text.length; at++) lua.HEAPU8[pointer + at] = text.charCodeAt(at) & 0xff;
    lua.HEAPU8[pointer + text.length] = 0;
    cStrings.set(text, pointer);
  }
  return pointer;
}

/** t[field] for the table at `index` (raw: no metamethods), pushed onto the stack. */
export function rawGetField(L: number, index: number, field: string): LuaType {
  const absolute = index < 0 && index > LUA_REGISTRYINDEX ? lua._lua_gettop(L) + index + 1 : index;
  pushBytes(L, field);
  lua._lua_rawget(L, absolute);
  return lua._lua_type(L, -1) as LuaType;
}

/** t[field] = the value on top of the stack (popped), raw, for the table at `index`. */
export function rawSetField(L: number, index: number, field: string): void {
  const absolute = index < 0 && index > LUA_REGISTRYINDEX ? lua._lua_gettop(L) + index + 1 : index;
  pushBytes(L, field);
  lua._lua_insert(L, -2);
  lua._lua_rawset(L, absolute);
}

/** Loads a chunk of bytes under `chunkName` ("@user_script"); 0 on success, else the error is on the stack. */
export function loadChunk(L: number, code: ByteString, chunkName: string): number {
  const pointer = lua._malloc(code.length + 1);
  const heap = lua.HEAPU8;
  for (let at = 0; at < code.length; at++) heap[pointer + at] = code.charCodeAt(at);
  try {
    return lua._luaL_loadbuffer(L, pointer, code.length, cString(chunkName));
  } finally {
    lua._free(pointer);
  }
}

/** A JS function callable from Lua: it reads its arguments off the stack and returns how many results it pushed. */
export type LuaCFunction = (L: number) => number;

/** Registers a JS function as a Lua C function (a pointer into the WASM function table). */
export function cFunction(fn: LuaCFunction): number {
  return lua.addFunction(fn, "ii");
}

/** Raises a Lua error with the value on top of the stack; never returns. */
export function raise(L: number): never {
  lua._lua_error(L);
  throw new Error("lua_error returned"); // unreachable: lua_error unwinds
}

/** C's printf("%.<precision>g", value), which Lua uses to turn numbers into text (LUA_NUMBER_FMT "%.14g"). */
export function formatG(value: number, precision: number): string {
  if (Number.isNaN(value)) return value < 0 ? "-nan" : "nan";
  if (!Number.isFinite(value)) return value < 0 ? "-inf" : "inf";
  if (value === 0) return Object.is(value, -0) ? "-0" : "0";
  const exponent = Number(value.toExponential(precision - 1).split("e")[1]);
  if (exponent < -4 || exponent >= precision) {
    const [mantissa, power] = value.toExponential(precision - 1).split("e") as [string, string];
    const trimmed = mantissa.includes(".") ? mantissa.replace(/0+$/, "").replace(/\.$/, "") : mantissa;
    const sign = power.startsWith("-") ? "-" : "+";
    const digits = power.replace(/^[+-]/, "").padStart(2, "0");
    return `${trimmed}e${sign}${digits}`;
  }
  const fixed = value.toFixed(Math.max(0, precision - 1 - exponent));
  return fixed.includes(".") ? fixed.replace(/0+$/, "").replace(/\.$/, "") : fixed;
}

/** A lua_Debug record (wasm32 layout: 9 words, short_src[60], i_ci: 100 bytes, rounded up). */
const debugRecord = lua._malloc(128);
const SHORT_SRC_OFFSET = 36;
const CURRENTLINE_OFFSET = 20;

const NAME_OFFSET = 4;
const NAMEWHAT_OFFSET = 8;
const SOURCE_OFFSET = 16;

/**
 * luaL_where(L, 1): "chunk:line: " of the Lua function that called the running C function,
 * or "" when that caller is C (as for pcall(f, ...)). C libraries prefix their errors so.
 * A caller from the sandbox's own chunk (`hidden`) counts as C: it stands in for one.
 */
export function callerWhere(L: number, hidden?: string): string {
  if (lua._lua_getstack(L, 1, debugRecord) === 0) return "";
  lua._lua_getinfo(L, cString("Sl"), debugRecord);
  const line = lua.HEAPU32[(debugRecord + CURRENTLINE_OFFSET) >> 2]! | 0;
  if (line <= 0) return "";
  if (hidden !== undefined && cText(lua.HEAPU32[(debugRecord + SOURCE_OFFSET) >> 2]!) === hidden) return "";
  const heap = lua.HEAPU8;
  let source = "";
  for (let at = debugRecord + SHORT_SRC_OFFSET; heap[at] !== 0 && at < debugRecord + SHORT_SRC_OFFSET + 60; at++) source += String.fromCharCode(heap[at]!);
  return `${source}:${line}: `;
}

/** Whether `L` has a function at `level` of its stack (0: the running one). */
export function hasFrame(L: number, level: number): boolean {
  return lua._lua_getstack(L, level, debugRecord) !== 0;
}

/**
 * luaL_argerror's text for the running C function of `L`: "bad argument #n to 'name'
 * (message)", named as its caller called it ('?' when called from C or from the sandbox's
 * chunk `hidden`), prefixed with where that caller is.
 */
export function argumentErrorText(L: number, argument: number, message: string, hidden: string): string {
  let name = "?";
  let method = false;
  if (lua._lua_getstack(L, 0, debugRecord) !== 0) {
    lua._lua_getinfo(L, cString("n"), debugRecord);
    const namePointer = lua.HEAPU32[(debugRecord + NAME_OFFSET) >> 2]!;
    if (namePointer !== 0) name = cText(namePointer);
    method = cText(lua.HEAPU32[(debugRecord + NAMEWHAT_OFFSET) >> 2]!) === "method";
  }
  const where = callerWhere(L, hidden);
  if (lua._lua_getstack(L, 1, debugRecord) !== 0) {
    lua._lua_getinfo(L, cString("S"), debugRecord);
    if (cText(lua.HEAPU32[(debugRecord + SOURCE_OFFSET) >> 2]!) === hidden) name = "?";
  }
  if (method && argument - 1 === 0) return `${where}calling '${name}' on bad self (${message})`;
  return `${where}bad argument #${method ? argument - 1 : argument} to '${name}' (${message})`;
}

function cText(pointer: number): string {
  if (pointer === 0) return "";
  const heap = lua.HEAPU8;
  let text = "";
  for (let at = pointer; heap[at] !== 0; at++) text += String.fromCharCode(heap[at]!);
  return text;
}
