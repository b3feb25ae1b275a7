/**
 * The `bit` library (LuaBitOp 1.0, as Redis bundles it): 32-bit operations on Lua numbers.
 * Arguments are normalised as BitOp does (rounded to the nearest integer, ties to even,
 * then taken modulo 2^32) and results are signed 32-bit numbers.
 */
import { lua, pushBytes } from "./lua_wasm.js";
import { checkNumber, type LibraryFunction } from "./lib_support.js";

/** BitOp's tobit: round half to even, wrap to a signed 32-bit integer. */
export function toBit(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  const rounded = fraction > 0.5 || (fraction === 0.5 && floor % 2 !== 0) ? floor + 1 : floor;
  return Number(BigInt.asIntN(32, BigInt(Number.isFinite(rounded) ? rounded : 0)));
}

function bitArgument(L: number, position: number, name: string): number {
  return toBit(checkNumber(L, position, name));
}

function reduce(name: string, combine: (a: number, b: number) => number): LibraryFunction {
  return (L) => {
    let result = bitArgument(L, 1, name);
    for (let position = 2; position <= lua._lua_gettop(L); position++) result = combine(result, bitArgument(L, position, name));
    lua._lua_pushnumber(L, result | 0);
    return 1;
  };
}

function shift(name: string, operate: (value: number, count: number) => number): LibraryFunction {
  return (L) => {
    const value = bitArgument(L, 1, name);
    const count = bitArgument(L, 2, name) & 31;
    lua._lua_pushnumber(L, operate(value, count) | 0);
    return 1;
  };
}

export const bitLibrary: Record<string, LibraryFunction> = {
  tobit: (L) => {
    lua._lua_pushnumber(L, bitArgument(L, 1, "tobit"));
    return 1;
  },
  bnot: (L) => {
    lua._lua_pushnumber(L, ~bitArgument(L, 1, "bnot"));
    return 1;
  },
  band: reduce("band", (a, b) => a & b),
  bor: reduce("bor", (a, b) => a | b),
  bxor: reduce("bxor", (a, b) => a ^ b),
  lshift: shift("lshift", (value, count) => value << count),
  rshift: shift("rshift", (value, count) => value >>> count),
  arshift: shift("arshift", (value, count) => value >> count),
  rol: shift("rol", (value, count) => (value << count) | (value >>> (32 - count))),
  ror: shift("ror", (value, count) => (value >>> count) | (value << (32 - count))),
  bswap: (L) => {
    const value = bitArgument(L, 1, "bswap");
    lua._lua_pushnumber(L, ((value >>> 24) | ((value >> 8) & 0xff00) | ((value & 0xff00) << 8) | (value << 24)) | 0);
    return 1;
  },
  tohex: (L) => {
    const value = bitArgument(L, 1, "tohex");
    let digits = lua._lua_gettop(L) >= 2 ? bitArgument(L, 2, "tohex") : 8;
    const upper = digits < 0;
    if (upper) digits = -digits;
    if (digits > 8) digits = 8;
    const masked = digits === 8 ? value >>> 0 : (value >>> 0) & (2 ** (4 * digits) - 1);
    const text = masked.toString(16).padStart(digits, "0");
    pushBytes(L, upper ? text.toUpperCase() : text);
    return 1;
  },
};
