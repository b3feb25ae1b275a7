/**
 * The `struct` library (Roberto Ierusalimschy's struct.c as Redis bundles it): binary
 * packing with a format string. struct.pack(fmt, ...) → string, struct.unpack(fmt, s [,
 * init]) → values then the next position, struct.size(fmt) → bytes.
 *
 * Format: '<' little endian, '>' big, '=' native (little), '![n]' alignment (default none),
 * ' ' ignored; 'x' a pad byte; 'b'/'B' char, 'h'/'H' short, 'l'/'L' long (8 bytes),
 * 'T' size_t (8), 'i'/'I'[n] an int of n bytes (default 4, at most 32), 'f' float,
 * 'd' double, 's' a zero-terminated string, 'c'[n] n chars (c0: the whole string when
 * packing, a length read just before when unpacking). Lower case is signed.
 */
import { lua, pushBytes } from "./lua_wasm.js";
import { LuaRaise } from "./redis_api.js";
import { argumentError, checkNumber, checkString, type LibraryFunction } from "./lib_support.js";

const INTEGRAL_SIZE_MAX = 32;
const NATIVE_ALIGNMENT = 8;

interface Options {
  little: boolean;
  alignment: number;
}

interface Item {
  option: string;
  size: number;
}

/** Reads the format into items, applying endianness and alignment options as they come. */
function* items(format: string, options: Options, functionName: string): Generator<Item> {
  let at = 0;
  const number = (fallback: number): number => {
    const match = /^\d+/.exec(format.slice(at));
    if (match === null) return fallback;
    at += match[0].length;
    return Number(match[0]);
  };
  while (at < format.length) {
    const option = format[at++]!;
    switch (option) {
      case " ":
        continue;
      case "<":
      case "=":
        options.little = true;
        continue;
      case ">":
        options.little = false;
        continue;
      case "!":
        options.alignment = number(NATIVE_ALIGNMENT);
        continue;
      case "x":
      case "b":
      case "B":
        yield { option, size: 1 };
        continue;
      case "h":
      case "H":
        yield { option, size: 2 };
        continue;
      case "l":
      case "L":
      case "T":
      case "d":
        yield { option, size: 8 };
        continue;
      case "f":
        yield { option, size: 4 };
        continue;
      case "i":
      case "I": {
        const size = number(4);
        if (size > INTEGRAL_SIZE_MAX) throw new LuaRaise(`integral size ${size} is larger than limit of ${INTEGRAL_SIZE_MAX}`, true);
        yield { option, size };
        continue;
      }
      case "c":
        yield { option, size: number(1) };
        continue;
      case "s":
        yield { option, size: 0 };
        continue;
      default:
        throw argumentError(1, functionName, `invalid format option '${option}'`);
    }
  }
}

/** Padding before an item at `offset` under the current alignment. */
function padding(item: Item, offset: number, options: Options): number {
  if (item.option === "c" || item.option === "s" || item.option === "x") return 0;
  const align = Math.min(item.size, options.alignment);
  if (align <= 1) return 0;
  if ((align & (align - 1)) !== 0) throw new LuaRaise("format asks for alignment not power of 2", true);
  return (align - (offset & (align - 1))) & (align - 1);
}

function integerBytes(value: number, size: number, little: boolean): string {
  let bits = BigInt.asUintN(64, BigInt(Math.trunc(value)));
  const negative = value < 0;
  const bytes: number[] = [];
  for (let i = 0; i < size; i++) {
    bytes.push(i < 8 ? Number(bits & 0xffn) : negative ? 0xff : 0);
    bits >>= 8n;
  }
  if (!little) bytes.reverse();
  return String.fromCharCode(...bytes);
}

function floatBytes(value: number, size: 4 | 8, little: boolean): string {
  const view = new DataView(new ArrayBuffer(size));
  if (size === 4) view.setFloat32(0, value, little);
  else view.setFloat64(0, value, little);
  return String.fromCharCode(...new Uint8Array(view.buffer));
}

function readInteger(data: string, at: number, size: number, little: boolean, signed: boolean): number {
  let value = 0n;
  for (let i = 0; i < size; i++) {
    const byte = BigInt(data.charCodeAt(little ? at + size - 1 - i : at + i));
    value = (value << 8n) | byte;
  }
  if (size <= 8) value = BigInt.asUintN(64, value);
  if (signed && size < 8) value = BigInt.asIntN(size * 8, value);
  else if (signed) value = BigInt.asIntN(64, value);
  return Number(value);
}

function readFloat(data: string, at: number, size: 4 | 8, little: boolean): number {
  const view = new DataView(new ArrayBuffer(size));
  for (let i = 0; i < size; i++) view.setUint8(i, data.charCodeAt(at + i));
  return size === 4 ? view.getFloat32(0, little) : view.getFloat64(0, little);
}

function pack(L: number): number {
  const format = checkString(L, 1, "pack");
  const options: Options = { little: true, alignment: 1 };
  let out = "";
  let position = 2;
  for (const item of items(format, options, "pack")) {
    out += "\0".repeat(padding(item, out.length, options));
    switch (item.option) {
      case "x":
        out += "\0";
        break;
      case "f":
      case "d":
        out += floatBytes(checkNumber(L, position++, "pack"), item.size as 4 | 8, options.little);
        break;
      case "c":
      case "s": {
        const text = checkString(L, position, "pack");
        let size = item.option === "s" ? text.length : item.size;
        if (item.option === "c" && size === 0) size = text.length;
        if (text.length < size) throw argumentError(position, "pack", "string too short");
        out += text.slice(0, size) + (item.option === "s" ? "\0" : "");
        position++;
        break;
      }
      default:
        out += integerBytes(checkNumber(L, position++, "pack"), item.size, options.little);
    }
  }
  pushBytes(L, out);
  return 1;
}

function unpack(L: number): number {
  const format = checkString(L, 1, "unpack");
  const data = checkString(L, 2, "unpack");
  let at = lua._lua_gettop(L) >= 3 ? Math.trunc(checkNumber(L, 3, "unpack")) - 1 : 0;
  if (at < 0 || at > data.length) throw argumentError(3, "unpack", "offset out of range");
  const options: Options = { little: true, alignment: 1 };
  let pushed = 0;
  let previous = 0;
  const need = (size: number): void => {
    if (at + size > data.length) throw argumentError(2, "unpack", "data string too short");
  };
  for (const item of items(format, options, "unpack")) {
    at += padding(item, at, options);
    lua._lua_checkstack(L, 2);
    switch (item.option) {
      case "x":
        need(1);
        at += 1;
        continue;
      case "f":
      case "d":
        need(item.size);
        previous = readFloat(data, at, item.size as 4 | 8, options.little);
        lua._lua_pushnumber(L, previous);
        at += item.size;
        break;
      case "c": {
        let size = item.size;
        if (size === 0) {
          // c0 takes its length from the value just read, which it replaces.
          if (pushed === 0) throw argumentError(2, "unpack", "format 'c0' needs a previous size");
          size = previous;
          lua._lua_settop(L, -2);
          pushed--;
        }
        need(size);
        pushBytes(L, data.slice(at, at + size));
        at += size;
        break;
      }
      case "s": {
        const end = data.indexOf("\0", at);
        if (end < 0) throw new LuaRaise("unfinished string in data", true);
        pushBytes(L, data.slice(at, end));
        at = end + 1;
        break;
      }
      default: {
        need(item.size);
        const signed = item.option === item.option.toLowerCase() && item.option !== "T";
        previous = readInteger(data, at, item.size, options.little, signed);
        lua._lua_pushnumber(L, previous);
        at += item.size;
      }
    }
    pushed++;
  }
  lua._lua_pushnumber(L, at + 1);
  return pushed + 1;
}

function size(L: number): number {
  const format = checkString(L, 1, "size");
  const options: Options = { little: true, alignment: 1 };
  let total = 0;
  for (const item of items(format, options, "size")) {
    if (item.option === "s" || (item.option === "c" && item.size === 0)) throw argumentError(1, "size", "options 'c0' - 's' have undefined sizes");
    total += padding(item, total, options) + item.size;
  }
  lua._lua_pushnumber(L, total);
  return 1;
}

export const structLibrary: Record<string, LibraryFunction> = { pack, unpack, size };
