/**
 * The `cmsgpack` library (lua-cmsgpack as Redis bundles it): pack(...) encodes each
 * argument and concatenates them; unpack(s) answers every value in s; unpack_one(s [,
 * offset]) and unpack_limit(s, limit [, offset]) answer the next offset first.
 *
 * Encoding as lua-cmsgpack: a number with an integer value in 64-bit range is the
 * smallest msgpack integer that holds it, any other a float32 when that is exact, else a
 * float64; strings as str (fixstr, str8, str16, str32); a table whose keys are exactly
 * 1..n is an array, any other a map (in Lua's traversal order); nesting deeper than 16
 * encodes nil. Decoding reads every msgpack type but ext; bin becomes a string.
 */
import { lua, LuaType, pushBytes, toBytes } from "./lua_wasm.js";
import { LuaRaise } from "./redis_api.js";
import { checkNumber, checkString, type LibraryFunction } from "./lib_support.js";

const NESTING_MAX = 16;

function bytesOf(values: number[]): string {
  return String.fromCharCode(...values);
}

function uint(value: number, bytes: number): string {
  let out = "";
  for (let shift = (bytes - 1) * 8; shift >= 0; shift -= 8) out += String.fromCharCode(Number((BigInt(value) >> BigInt(shift)) & 0xffn));
  return out;
}

function bigUint(value: bigint, bytes: number): string {
  let out = "";
  for (let shift = (bytes - 1) * 8; shift >= 0; shift -= 8) out += String.fromCharCode(Number((value >> BigInt(shift)) & 0xffn));
  return out;
}

function encodeInteger(value: number): string {
  if (value >= 0) {
    if (value <= 127) return bytesOf([value]);
    if (value <= 0xff) return bytesOf([0xcc, value]);
    if (value <= 0xffff) return "\xcd" + uint(value, 2);
    if (value <= 0xffffffff) return "\xce" + uint(value, 4);
    return "\xcf" + bigUint(BigInt(value), 8);
  }
  if (value >= -32) return bytesOf([value & 0xff]);
  if (value >= -128) return bytesOf([0xd0, value & 0xff]);
  if (value >= -32768) return "\xd1" + uint(value & 0xffff, 2);
  if (value >= -2147483648) return "\xd2" + uint(value >>> 0, 4);
  return "\xd3" + bigUint(BigInt.asUintN(64, BigInt(value)), 8);
}

function encodeFloat(value: number): string {
  const single = Math.fround(value);
  if (single === value || Number.isNaN(value)) {
    const view = new DataView(new ArrayBuffer(4));
    view.setFloat32(0, value);
    return "\xca" + String.fromCharCode(...new Uint8Array(view.buffer));
  }
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  return "\xcb" + String.fromCharCode(...new Uint8Array(view.buffer));
}

function encodeNumber(value: number): string {
  const integral = Number.isInteger(value) && value >= -9223372036854775808 && value < 9223372036854775808;
  return integral ? encodeInteger(value) : encodeFloat(value);
}

function encodeString(text: string): string {
  const length = text.length;
  if (length < 32) return bytesOf([0xa0 | length]) + text;
  if (length <= 0xff) return bytesOf([0xd9, length]) + text;
  if (length <= 0xffff) return "\xda" + uint(length, 2) + text;
  return "\xdb" + uint(length, 4) + text;
}

function header(count: number, small: number, sixteen: number, thirtyTwo: number): string {
  if (count < 16) return bytesOf([small | count]);
  if (count <= 0xffff) return bytesOf([sixteen]) + uint(count, 2);
  return bytesOf([thirtyTwo]) + uint(count, 4);
}

/** The length n of a table whose keys are exactly 1..n, else -1. */
function arrayLength(L: number, table: number): number {
  let count = 0;
  let max = 0;
  lua._lua_pushnil(L);
  while (lua._lua_next(L, table) !== 0) {
    lua._lua_settop(L, -2);
    const key = lua._lua_type(L, -1) === LuaType.Number ? lua._lua_tonumber(L, -1) : NaN;
    if (!(Number.isInteger(key) && key >= 1)) {
      lua._lua_settop(L, -2);
      return -1;
    }
    max = Math.max(max, key);
    count++;
  }
  return max === count ? count : -1;
}

function encodeValue(L: number, index: number, depth: number): string {
  const absolute = index < 0 ? lua._lua_gettop(L) + index + 1 : index;
  switch (lua._lua_type(L, absolute)) {
    case LuaType.String:
      return encodeString(toBytes(L, absolute));
    case LuaType.Number:
      return encodeNumber(lua._lua_tonumber(L, absolute));
    case LuaType.Boolean:
      return lua._lua_toboolean(L, absolute) !== 0 ? "\xc3" : "\xc2";
    case LuaType.Table:
      if (depth >= NESTING_MAX || lua._lua_checkstack(L, 4) === 0) return "\xc0";
      return encodeTable(L, absolute, depth + 1);
    default:
      return "\xc0";
  }
}

function encodeTable(L: number, table: number, depth: number): string {
  const length = arrayLength(L, table);
  if (length >= 0) {
    let out = header(length, 0x90, 0xdc, 0xdd);
    for (let at = 1; at <= length; at++) {
      lua._lua_rawgeti(L, table, at);
      out += encodeValue(L, -1, depth);
      lua._lua_settop(L, -2);
    }
    return out;
  }
  let count = 0;
  let body = "";
  lua._lua_pushnil(L);
  while (lua._lua_next(L, table) !== 0) {
    body += encodeValue(L, -2, depth) + encodeValue(L, -1, depth);
    lua._lua_settop(L, -2);
    count++;
  }
  return header(count, 0x80, 0xde, 0xdf) + body;
}

class Unpacker {
  constructor(
    private readonly L: number,
    private readonly data: string,
    public at: number,
  ) {}

  private byte(): number {
    if (this.at >= this.data.length) throw new LuaRaise("Missing bytes in input.", true);
    return this.data.charCodeAt(this.at++);
  }

  private take(count: number): string {
    if (this.at + count > this.data.length) throw new LuaRaise("Missing bytes in input.", true);
    const out = this.data.slice(this.at, this.at + count);
    this.at += count;
    return out;
  }

  private unsigned(count: number): bigint {
    let value = 0n;
    for (const c of this.take(count)) value = (value << 8n) | BigInt(c.charCodeAt(0));
    return value;
  }

  private float(count: 4 | 8): number {
    const view = new DataView(new ArrayBuffer(count));
    const raw = this.take(count);
    for (let i = 0; i < count; i++) view.setUint8(i, raw.charCodeAt(i));
    return count === 4 ? view.getFloat32(0) : view.getFloat64(0);
  }

  /** Pushes the next value. */
  value(depth = 0): void {
    const L = this.L;
    if (lua._lua_checkstack(L, 4) === 0 || depth > 1000) throw new LuaRaise("Too many nested values.", true);
    const type = this.byte();
    const number = (value: number | bigint): void => lua._lua_pushnumber(L, Number(value));
    if (type <= 0x7f) return number(type);
    if (type >= 0xe0) return number(type - 256);
    if (type >= 0xa0 && type <= 0xbf) return pushBytes(L, this.take(type & 0x1f));
    if (type >= 0x90 && type <= 0x9f) return this.array(type & 0x0f, depth);
    if (type >= 0x80 && type <= 0x8f) return this.map(type & 0x0f, depth);
    switch (type) {
      case 0xc0:
        return lua._lua_pushnil(L);
      case 0xc2:
      case 0xc3:
        return lua._lua_pushboolean(L, type === 0xc3 ? 1 : 0);
      case 0xcc:
      case 0xcd:
      case 0xce:
      case 0xcf:
        return number(this.unsigned(2 ** (type - 0xcc)));
      case 0xd0:
      case 0xd1:
      case 0xd2:
      case 0xd3: {
        const bytes = 2 ** (type - 0xd0);
        return number(BigInt.asIntN(bytes * 8, this.unsigned(bytes)));
      }
      case 0xca:
        return number(this.float(4));
      case 0xcb:
        return number(this.float(8));
      case 0xd9:
      case 0xc4:
        return pushBytes(L, this.take(Number(this.unsigned(1))));
      case 0xda:
      case 0xc5:
        return pushBytes(L, this.take(Number(this.unsigned(2))));
      case 0xdb:
      case 0xc6:
        return pushBytes(L, this.take(Number(this.unsigned(4))));
      case 0xdc:
        return this.array(Number(this.unsigned(2)), depth);
      case 0xdd:
        return this.array(Number(this.unsigned(4)), depth);
      case 0xde:
        return this.map(Number(this.unsigned(2)), depth);
      case 0xdf:
        return this.map(Number(this.unsigned(4)), depth);
      default:
        throw new LuaRaise("Bad data format in input.", true);
    }
  }

  private array(count: number, depth: number): void {
    lua._lua_createtable(this.L, Math.min(count, 1024), 0);
    for (let at = 1; at <= count; at++) {
      this.value(depth + 1);
      lua._lua_rawseti(this.L, -2, at);
    }
  }

  private map(count: number, depth: number): void {
    lua._lua_createtable(this.L, 0, Math.min(count, 1024));
    for (let at = 0; at < count; at++) {
      this.value(depth + 1);
      this.value(depth + 1);
      if (lua._lua_type(this.L, -2) === LuaType.Nil) lua._lua_settop(this.L, -3); // a nil key cannot be stored
      else lua._lua_rawset(this.L, -3);
    }
  }
}

/** Pushes up to `limit` values (0: all) from `offset`; answers how many were pushed and where it stopped. */
function unpackValues(L: number, data: string, offset: number, limit: number): { count: number; next: number } {
  const unpacker = new Unpacker(L, data, offset);
  let count = 0;
  while (unpacker.at < data.length && (limit <= 0 || count < limit)) {
    unpacker.value();
    count++;
  }
  return { count, next: unpacker.at };
}

function unpackFrom(L: number, name: string, limit: number, offsetPosition: number): number {
  const data = checkString(L, 1, name);
  const offset = lua._lua_gettop(L) >= offsetPosition ? Math.trunc(checkNumber(L, offsetPosition, name)) : 0;
  if (offset < 0 || offset > data.length) throw new LuaRaise(`Start offset ${offset} greater than input length ${data.length}.`, true);
  const base = lua._lua_gettop(L);
  const { count, next } = unpackValues(L, data, offset, limit);
  lua._lua_pushnumber(L, next < data.length ? next : -1);
  lua._lua_insert(L, base + 1);
  return count + 1;
}

export const cmsgpackLibrary: Record<string, LibraryFunction> = {
  pack: (L) => {
    const count = lua._lua_gettop(L);
    if (count === 0) throw new LuaRaise("MessagePack pack needs input.", true);
    let out = "";
    for (let position = 1; position <= count; position++) out += encodeValue(L, position, 0);
    pushBytes(L, out);
    return 1;
  },
  unpack: (L) => {
    const data = checkString(L, 1, "unpack");
    const base = lua._lua_gettop(L);
    const { count } = unpackValues(L, data, 0, 0);
    return lua._lua_gettop(L) - base === count ? count : 0;
  },
  unpack_one: (L) => unpackFrom(L, "unpack_one", 1, 2),
  unpack_limit: (L) => unpackFrom(L, "unpack_limit", Math.trunc(checkNumber(L, 2, "unpack_limit")), 3),
};
