/**
 * Redis replies into Lua values and Lua values into replies, as redis-server 7.0
 * converts them (script_lua.c). The direction into Lua depends on the script's protocol
 * (redis.setresp, 2 by default); the direction out reads the value whatever it is.
 *
 * Into Lua, RESP2: integer → number, bulk → string, nil (bulk or array) → false,
 * status → {ok=text}, error → {err=text}, array → table (pairs spliced flat as RESP2 sends
 * them), map → flat array, set → array, double → its bulk string, boolean → 1 or 0.
 * RESP3 adds: nil → nil, boolean → boolean, double → {double=n}, map → {map={k=v}},
 * set → {set={member=true}}, and pairs stay nested.
 *
 * Out of Lua: string → bulk, number → integer (truncated toward zero; out of range or NaN
 * gives C's cast result, -2^63), true → 1 (RESP3: #t), false and nil → nil (RESP3 false:
 * #f), a table with a string `err` → error, `ok` → status, `double`, `map`, `set` →
 * those types, `big_number` and `verbatim_string` → a bulk string (walnut's replies have no
 * RESP3 big number or verbatim type: what Redis sends a RESP2 client), any other table →
 * an array of t[1], t[2] ... up to the first nil.
 */
import type { ByteString } from "../../engine/bytes.js";
import { array, integer, map, NIL, set, status, type Reply } from "../../engine/reply.js";
import { formatDouble } from "../../lib/double_text.js";
import { lua, LuaType, pushBytes, rawGetField, rawSetField, toBytes } from "./lua_wasm.js";

export type ScriptProtocol = 2 | 3;

/** How deep a reply or a returned table may nest before the conversion stops (Lua's C stack is finite). */
const NESTING_MAX = 1000;

/** Pushes a command's reply as the Lua value a script gets from redis.call / redis.pcall. */
export function pushReply(L: number, reply: Reply, protocol: ScriptProtocol, depth = 0): void {
  if (depth > NESTING_MAX || lua._lua_checkstack(L, 4) === 0) {
    lua._lua_pushboolean(L, 0);
    return;
  }
  switch (reply.type) {
    case "integer":
      lua._lua_pushnumber(L, Number(reply.value));
      return;
    case "bulk":
      pushBytes(L, reply.value);
      return;
    case "nil":
      if (protocol === 3) lua._lua_pushnil(L);
      else lua._lua_pushboolean(L, 0);
      return;
    case "status":
      pushField(L, "ok", () => pushBytes(L, reply.text));
      return;
    case "error":
      pushField(L, "err", () => pushBytes(L, reply.text));
      return;
    case "double":
      if (protocol === 3) pushField(L, "double", () => lua._lua_pushnumber(L, reply.value));
      else pushBytes(L, reply.text ?? formatDouble(reply.value));
      return;
    case "boolean":
      if (protocol === 3) lua._lua_pushboolean(L, reply.value ? 1 : 0);
      else lua._lua_pushnumber(L, reply.value ? 1 : 0);
      return;
    case "array": {
      const items = reply.flatInResp2 === true && protocol === 2 ? reply.items.flatMap((pair) => (pair.type === "array" ? pair.items : [pair])) : reply.items;
      pushList(L, items, protocol, depth);
      return;
    }
    case "set":
      if (protocol === 2) {
        pushList(L, reply.items, protocol, depth);
        return;
      }
      pushField(L, "set", () => {
        lua._lua_createtable(L, 0, reply.items.length);
        for (const member of reply.items) {
          pushReply(L, member, protocol, depth + 1);
          lua._lua_pushboolean(L, 1);
          lua._lua_rawset(L, -3);
        }
      });
      return;
    case "map":
      if (protocol === 2) {
        // As the RESP2 writer does: XREAD's and XREADGROUP's streams are [key, entries] pairs.
        const items = reply.pairsInResp2 === true ? reply.entries.map(([key, value]) => array([key, value])) : reply.entries.flat();
        pushList(L, items, protocol, depth);
        return;
      }
      pushField(L, "map", () => {
        lua._lua_createtable(L, 0, reply.entries.length);
        for (const [key, value] of reply.entries) {
          pushReply(L, key, protocol, depth + 1);
          pushReply(L, value, protocol, depth + 1);
          lua._lua_rawset(L, -3);
        }
      });
      return;
  }
}

function pushList(L: number, items: readonly Reply[], protocol: ScriptProtocol, depth: number): void {
  lua._lua_createtable(L, items.length, 0);
  for (let at = 0; at < items.length; at++) {
    pushReply(L, items[at]!, protocol, depth + 1);
    lua._lua_rawseti(L, -2, at + 1);
  }
}

/** Pushes a table with one field, {name = value}, the value pushed by `pushValue`. */
export function pushField(L: number, name: string, pushValue: () => void): void {
  lua._lua_createtable(L, 0, 1);
  pushValue();
  rawSetField(L, -2, name);
}

/** C's (long long) cast of a double on x86-64: NaN and values out of range give -2^63. */
function truncatedInteger(value: number): Reply {
  if (!Number.isFinite(value) || value >= 9223372036854775808 || value < -9223372036854775808) return integer(-9223372036854775808n);
  const truncated = Math.trunc(value);
  return integer(Number.isSafeInteger(truncated) ? truncated : BigInt(truncated));
}

/** Redis writes errors and statuses on one line: CR and LF become spaces. */
function oneLine(text: ByteString): ByteString {
  return text.replace(/[\r\n]/g, " ");
}

/** The reply for the Lua value at `index` (a script's return value, or an element of it). */
export function replyOf(L: number, index: number, protocol: ScriptProtocol, depth = 0): Reply {
  const type = lua._lua_type(L, index) as LuaType;
  switch (type) {
    case LuaType.String:
      return { type: "bulk", value: toBytes(L, index) };
    case LuaType.Number:
      return truncatedInteger(lua._lua_tonumber(L, index));
    case LuaType.Boolean: {
      const truth = lua._lua_toboolean(L, index) !== 0;
      if (protocol === 3) return { type: "boolean", value: truth };
      return truth ? integer(1) : NIL;
    }
    case LuaType.Table:
      if (depth > NESTING_MAX || lua._lua_checkstack(L, 4) === 0) return { type: "error", text: "ERR reached lua stack limit" };
      return tableReply(L, index, protocol, depth);
    default:
      return NIL;
  }
}

function tableReply(L: number, index: number, protocol: ScriptProtocol, depth: number): Reply {
  const table = index < 0 ? lua._lua_gettop(L) + index + 1 : index;
  const special = specialTable(L, table, protocol, depth);
  if (special !== null) return special;
  const items: Reply[] = [];
  for (let position = 1; ; position++) {
    lua._lua_rawgeti(L, table, position);
    if (lua._lua_type(L, -1) === LuaType.Nil) {
      lua._lua_settop(L, -2);
      break;
    }
    items.push(replyOf(L, -1, protocol, depth + 1));
    lua._lua_settop(L, -2);
  }
  return array(items);
}

/** The reply of a table with an `err`, `ok`, `double`, `map` or `set` field; null for a plain array. */
function specialTable(L: number, table: number, protocol: ScriptProtocol, depth: number): Reply | null {
  const field = (name: string, wanted: LuaType, read: () => Reply): Reply | null => {
    const found = rawGetField(L, table, name) === wanted ? read() : null;
    lua._lua_settop(L, -2);
    return found;
  };
  return (
    field("err", LuaType.String, () => ({ type: "error", text: oneLine(toBytes(L, -1)) })) ??
    field("ok", LuaType.String, () => status(oneLine(toBytes(L, -1)))) ??
    field("double", LuaType.Number, () => ({ type: "double", value: lua._lua_tonumber(L, -1) })) ??
    field("big_number", LuaType.String, () => ({ type: "bulk", value: toBytes(L, -1) })) ??
    field("map", LuaType.Table, () => mapReply(L, protocol, depth)) ??
    field("set", LuaType.Table, () => setReply(L, protocol, depth)) ??
    field("verbatim_string", LuaType.Table, () => verbatimReply(L))
  );
}

/**
 * {verbatim_string = {format = "txt", string = "..."}}: the string. walnut's replies have
 * no RESP3 verbatim or big number type, so both reach a client as the bulk string a RESP2
 * client gets from Redis (docs/scripting.md).
 */
function verbatimReply(L: number): Reply {
  const found = rawGetField(L, -1, "string") === LuaType.String ? toBytes(L, -1) : null;
  lua._lua_settop(L, -2);
  return found === null ? array([]) : { type: "bulk", value: found };
}

/** The map at the top of the stack: every key and value, in the table's traversal order. */
function mapReply(L: number, protocol: ScriptProtocol, depth: number): Reply {
  const entries: Array<[Reply, Reply]> = [];
  forEachPair(L, () => entries.push([replyOf(L, -2, protocol, depth + 1), replyOf(L, -1, protocol, depth + 1)]));
  return map(entries);
}

function setReply(L: number, protocol: ScriptProtocol, depth: number): Reply {
  const members: Reply[] = [];
  forEachPair(L, () => members.push(replyOf(L, -2, protocol, depth + 1)));
  return set(members);
}

/** Calls `visit` with each key at -2 and value at -1 of the table on top of the stack. */
function forEachPair(L: number, visit: () => void): void {
  const table = lua._lua_gettop(L);
  lua._lua_pushnil(L);
  while (lua._lua_next(L, table) !== 0) {
    visit();
    lua._lua_settop(L, -2);
  }
}
