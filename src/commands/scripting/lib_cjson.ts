/**
 * The `cjson` library (lua-cjson 2.1 as Redis bundles it, default settings): encode and
 * decode, with cjson.null (a NULL light userdata) for JSON null.
 *
 * encode: numbers as "%.14g" (NaN and infinities refused); strings escaped as lua-cjson
 * escapes them ('/' as "\/", control bytes and DEL as \u00XX, other bytes as they are);
 * a table whose keys are all positive integers is an array (holes become null, unless it
 * is "excessively sparse": more than 10 slots and over twice as many slots as items),
 * any other table an object (number keys as "%.14g" text), an empty table "{}"; the
 * object's member order is Lua's table traversal order, which is the same Lua 5.1 as
 * Redis'. decode: JSON into Lua tables, \uXXXX escapes into UTF-8, numbers read as C's
 * strtod reads them (hex included), with lua-cjson's error texts ("Expected value but
 * found T_END at character 1"). Nesting is limited to 1000 levels both ways.
 */
import { formatG, lua, LuaType, pushBytes, toBytes } from "./lua_wasm.js";
import { LuaRaise } from "./redis_api.js";
import { checkString, typeName, type LibraryFunction } from "./lib_support.js";

const DEPTH_MAX = 1000;
const SPARSE_RATIO = 2;
const SPARSE_SAFE = 10;

function fail(message: string): LuaRaise {
  return new LuaRaise(message, true);
}

const ESCAPES: Record<number, string> = { 0x22: '\\"', 0x5c: "\\\\", 0x2f: "\\/", 0x08: "\\b", 0x0c: "\\f", 0x0a: "\\n", 0x0d: "\\r", 0x09: "\\t" };

function encodeString(text: string): string {
  let out = '"';
  for (let at = 0; at < text.length; at++) {
    const code = text.charCodeAt(at);
    const escape = ESCAPES[code];
    if (escape !== undefined) out += escape;
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += text[at];
  }
  return `${out}"`;
}

function encodeNumber(value: number): string {
  if (!Number.isFinite(value)) throw fail("Cannot serialise number: must not be NaN or Inf");
  return formatG(value, 14);
}

/** The array length of the table at `index` (its largest key), -1 when it is not an array; throws when too sparse. */
function arrayLength(L: number, index: number): number {
  let max = 0;
  let items = 0;
  lua._lua_pushnil(L);
  while (lua._lua_next(L, index) !== 0) {
    const key = lua._lua_type(L, -2) === LuaType.Number ? lua._lua_tonumber(L, -2) : NaN;
    lua._lua_settop(L, -2);
    if (!(Number.isInteger(key) && key >= 1)) {
      lua._lua_settop(L, -2);
      return -1;
    }
    if (key > max) max = key;
    items++;
  }
  if (SPARSE_RATIO > 0 && max > items * SPARSE_RATIO && max > SPARSE_SAFE) throw fail("Cannot serialise table: excessively sparse array");
  return max;
}

function encodeValue(L: number, index: number, depth: number): string {
  switch (lua._lua_type(L, index)) {
    case LuaType.String:
      return encodeString(toBytes(L, index));
    case LuaType.Number:
      return encodeNumber(lua._lua_tonumber(L, index));
    case LuaType.Boolean:
      return lua._lua_toboolean(L, index) !== 0 ? "true" : "false";
    case LuaType.Nil:
      return "null";
    case LuaType.LightUserdata:
      if (lua._lua_touserdata(L, index) === 0) return "null";
      break;
    case LuaType.Table:
      return encodeTable(L, index, depth + 1);
  }
  throw fail(`Cannot serialise ${typeName(L, index)}: type not supported`);
}

function encodeTable(L: number, index: number, depth: number): string {
  if (depth > DEPTH_MAX || lua._lua_checkstack(L, 4) === 0) throw fail(`Cannot serialise, excessive nesting (${depth})`);
  const table = index < 0 ? lua._lua_gettop(L) + index + 1 : index;
  const length = arrayLength(L, table);
  if (length > 0) {
    const parts: string[] = [];
    for (let at = 1; at <= length; at++) {
      lua._lua_rawgeti(L, table, at);
      parts.push(encodeValue(L, -1, depth));
      lua._lua_settop(L, -2);
    }
    return `[${parts.join(",")}]`;
  }
  const members: string[] = [];
  lua._lua_pushnil(L);
  while (lua._lua_next(L, table) !== 0) {
    const keyType = lua._lua_type(L, -2);
    let key: string;
    if (keyType === LuaType.String) key = encodeString(toBytes(L, -2));
    else if (keyType === LuaType.Number) key = `"${encodeNumber(lua._lua_tonumber(L, -2))}"`;
    else throw fail(`Cannot serialise ${typeName(L, -2)}: table key must be a number or string`);
    members.push(`${key}:${encodeValue(L, -1, depth)}`);
    lua._lua_settop(L, -2);
  }
  return `{${members.join(",")}}`;
}

/** A JSON decoder over a byte string that pushes what it reads onto the Lua stack. */
class Decoder {
  private at = 0;
  private depth = 0;

  constructor(
    private readonly L: number,
    private readonly text: string,
  ) {}

  decodeAll(): void {
    this.value("value");
    const token = this.peekToken();
    if (token !== "T_END") this.expected("the end", token);
  }

  private skipSpace(): void {
    while (this.at < this.text.length && " \t\n\r".includes(this.text[this.at]!)) this.at++;
  }

  /** lua-cjson's name for the token at the cursor (after whitespace). */
  private peekToken(): string {
    this.skipSpace();
    const c = this.text[this.at];
    if (c === undefined) return "T_END";
    const names: Record<string, string> = { "{": "T_OBJ_BEGIN", "}": "T_OBJ_END", "[": "T_ARR_BEGIN", "]": "T_ARR_END", ":": "T_COLON", ",": "T_COMMA", '"': "T_STRING" };
    if (names[c] !== undefined) return names[c]!;
    if (c === "-" || (c >= "0" && c <= "9")) return "T_NUMBER";
    if (this.text.startsWith("true", this.at) || this.text.startsWith("false", this.at)) return "T_BOOLEAN";
    if (this.text.startsWith("null", this.at)) return "T_NULL";
    return "invalid token";
  }

  private expected(what: string, found: string): never {
    throw fail(`Expected ${what} but found ${found} at character ${this.at + 1}`);
  }

  private value(what: string): void {
    const L = this.L;
    const token = this.peekToken();
    switch (token) {
      case "T_OBJ_BEGIN":
        return this.object();
      case "T_ARR_BEGIN":
        return this.array();
      case "T_STRING":
        pushBytes(L, this.string());
        return;
      case "T_NUMBER":
        return this.number();
      case "T_BOOLEAN": {
        const truth = this.text.startsWith("true", this.at);
        this.at += truth ? 4 : 5;
        lua._lua_pushboolean(L, truth ? 1 : 0);
        return;
      }
      case "T_NULL":
        this.at += 4;
        lua._lua_pushlightuserdata(L, 0);
        return;
      default:
        this.expected(what, token);
    }
  }

  private enter(): void {
    this.depth++;
    if (this.depth > DEPTH_MAX || lua._lua_checkstack(this.L, 4) === 0) {
      throw fail(`Found too many nested data structures (${this.depth}) at character ${this.at + 1}`);
    }
  }

  private object(): void {
    const L = this.L;
    this.enter();
    this.at++;
    lua._lua_createtable(L, 0, 0);
    if (this.peekToken() === "T_OBJ_END") {
      this.at++;
      this.depth--;
      return;
    }
    for (;;) {
      const keyToken = this.peekToken();
      if (keyToken !== "T_STRING") this.expected("object key string", keyToken);
      pushBytes(L, this.string());
      const colon = this.peekToken();
      if (colon !== "T_COLON") this.expected("colon", colon);
      this.at++;
      this.value("value");
      lua._lua_rawset(L, -3);
      const next = this.peekToken();
      this.at++;
      if (next === "T_OBJ_END") break;
      if (next !== "T_COMMA") {
        this.at--;
        this.expected("comma or object end", next);
      }
    }
    this.depth--;
  }

  private array(): void {
    const L = this.L;
    this.enter();
    this.at++;
    lua._lua_createtable(L, 0, 0);
    if (this.peekToken() === "T_ARR_END") {
      this.at++;
      this.depth--;
      return;
    }
    for (let position = 1; ; position++) {
      this.value("value");
      lua._lua_rawseti(L, -2, position);
      const next = this.peekToken();
      this.at++;
      if (next === "T_ARR_END") break;
      if (next !== "T_COMMA") {
        this.at--;
        this.expected("comma or array end", next);
      }
    }
    this.depth--;
  }

  private string(): string {
    const start = this.at;
    this.at++;
    let out = "";
    for (;;) {
      const c = this.text[this.at];
      if (c === undefined) {
        this.at = start;
        this.expected("value", "invalid token");
      }
      if (c === '"') break;
      if (c !== "\\") {
        out += c;
        this.at++;
        continue;
      }
      const escape = this.text[this.at + 1];
      const simple: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
      if (escape !== undefined && simple[escape] !== undefined) {
        out += simple[escape];
        this.at += 2;
      } else if (escape === "u") {
        out += this.unicodeEscape();
      } else {
        this.expected("value", "invalid escape code");
      }
    }
    this.at++;
    return out;
  }

  /** \uXXXX (a surrogate pair takes two) as UTF-8 bytes. */
  private unicodeEscape(): string {
    const read = (offset: number): number | null => {
      const hex = this.text.slice(offset, offset + 4);
      return /^[0-9a-fA-F]{4}$/.test(hex) ? parseInt(hex, 16) : null;
    };
    let code = read(this.at + 2);
    let length = 6;
    if (code !== null && code >= 0xd800 && code <= 0xdbff) {
      const low = this.text.startsWith("\\u", this.at + 6) ? read(this.at + 8) : null;
      code = low !== null && low >= 0xdc00 && low <= 0xdfff ? 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00) : null;
      length = 12;
    } else if (code !== null && code >= 0xdc00 && code <= 0xdfff) code = null;
    if (code === null) this.expected("value", "invalid unicode escape code");
    this.at += length;
    return Buffer.from(String.fromCodePoint(code), "utf8").toString("latin1");
  }

  /** A number as strtod reads it: decimal or hexadecimal, with an exponent. */
  private number(): void {
    const rest = this.text.slice(this.at);
    const match = /^-?(0[xX][0-9a-fA-F]+|(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)/.exec(rest);
    if (match === null) this.expected("value", "invalid number");
    const literal = match[0];
    const negative = literal.startsWith("-");
    const body = negative ? literal.slice(1) : literal;
    const magnitude = /^0[xX]/.test(body) ? parseInt(body.slice(2), 16) : Number(body);
    this.at += literal.length;
    lua._lua_pushnumber(this.L, negative ? -magnitude : magnitude);
  }
}

export const cjsonLibrary: Record<string, LibraryFunction> = {
  encode: (L) => {
    if (lua._lua_gettop(L) !== 1) throw new LuaRaise(`bad argument #1 to 'encode' (expected 1 argument)`, true);
    pushBytes(L, encodeValue(L, 1, 0));
    return 1;
  },
  decode: (L) => {
    if (lua._lua_gettop(L) !== 1) throw new LuaRaise(`bad argument #1 to 'decode' (expected 1 argument)`, true);
    const text = checkString(L, 1, "decode");
    new Decoder(L, text).decodeAll();
    return 1;
  },
};

/** Adds cjson.null to the cjson table on top of the stack. */
export function addJsonNull(L: number): void {
  pushBytes(L, "null");
  lua._lua_pushlightuserdata(L, 0);
  lua._lua_rawset(L, -3);
}
