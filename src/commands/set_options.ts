/**
 * The options of SET and GETEX, parsed the way Redis parses them: option words in any
 * case, in any order; conflicting words (NX with XX, two different expiries, KEEPTTL
 * with an expiry) are a syntax error, while a word repeated is not (`EX 10 EX 20` expires
 * in 20 seconds, as in Redis 7.0); the expiry's number is checked only once the words are
 * known to be valid, so a bad word wins over a bad number, as in Redis.
 *
 * walnut adds `AS string|blob|integer|float|boolean` to SET: the value is stored typed
 * (`SET n 42 AS integer` stores the integer 42) and refused when its text does not fit
 * the type.
 */
import type { ByteString } from "../engine/bytes.js";
import type { StoredValue } from "../engine/values.js";
import { assert } from "../lib/assert.js";
import { NOT_A_FLOAT, NOT_AN_INTEGER, SYNTAX_ERROR } from "./access.js";
import { EXPIRY_OPTIONS, positiveExpiryInstantMs } from "./expire_time.js";
import { parseBoolean, parseFloatStrict, parseInteger } from "./numbers.js";
import { error, type Reply } from "../engine/reply.js";

/** What a write does to the key's expiry. */
export type ExpiryChange = { type: "clear" } | { type: "keep" } | { type: "set"; instantMs: number };

export interface SetOptions {
  condition: "NX" | "XX" | null;
  /** GET: answer the previous value. */
  answerPrevious: boolean;
  expiry: ExpiryChange;
  kind: TypedKind;
}

const TYPED_KINDS = ["string", "blob", "integer", "float", "boolean"] as const;
export type TypedKind = (typeof TYPED_KINDS)[number];

/** SET's options after the key and the value, e.g. ["NX", "EX", "10"]. */
export function parseSetOptions(args: readonly ByteString[], nowMs: number): SetOptions | Reply {
  let condition: SetOptions["condition"] = null;
  let answerPrevious = false;
  let keepTtl = false;
  let expiryWord: string | null = null;
  let expiryText = "";
  let kindText: ByteString | null = null;
  for (let at = 0; at < args.length; at++) {
    const word = args[at].toUpperCase();
    const next = args[at + 1];
    if ((word === "NX" && condition !== "XX") || (word === "XX" && condition !== "NX")) condition = word;
    else if (word === "GET") answerPrevious = true;
    else if (word === "KEEPTTL" && expiryWord === null) keepTtl = true;
    // The same expiry word again is allowed, as in Redis: the last one's time counts.
    else if (EXPIRY_OPTIONS.has(word) && (expiryWord === null || expiryWord === word) && !keepTtl && next !== undefined) {
      expiryWord = word;
      expiryText = next;
      at++;
    } else if (word === "AS" && kindText === null && next !== undefined) {
      kindText = next;
      at++;
    } else return SYNTAX_ERROR;
  }
  const kind = kindText === null ? "string" : parseKind(kindText);
  if (kind === null) return unknownKind(kindText ?? "");
  if (expiryWord === null) return { condition, answerPrevious, kind, expiry: { type: keepTtl ? "keep" : "clear" } };
  const form = EXPIRY_OPTIONS.get(expiryWord);
  if (!(form !== undefined)) assert(false, `expiry option ${expiryWord} was checked`);
  const instantMs = positiveExpiryInstantMs({ text: expiryText, form, nowMs, command: "set" });
  if (typeof instantMs !== "number") return instantMs;
  return { condition, answerPrevious, kind, expiry: { type: "set", instantMs } };
}

/**
 * GETEX's options after the key: none, one of EX/PX/EXAT/PXAT with a time, or PERSIST.
 * As in Redis 7.0 the same word may come again (`EX 5 EX 10`: the last time wins).
 */
export function parseGetExOptions(args: readonly ByteString[], nowMs: number): ExpiryChange | null | Reply {
  let persist = false;
  let expiryWord: string | null = null;
  let expiryText = "";
  // Repeating PERSIST, or the same expiry word (the last time counts), is allowed, as in Redis.
  for (let at = 0; at < args.length; at++) {
    const word = args[at].toUpperCase();
    const next = args[at + 1];
    if (word === "PERSIST" && expiryWord === null) persist = true;
    else if (EXPIRY_OPTIONS.has(word) && (expiryWord === null || expiryWord === word) && !persist && next !== undefined) {
      expiryWord = word;
      expiryText = next;
      at++;
    } else return SYNTAX_ERROR;
  }
  if (expiryWord === null) return persist ? { type: "clear" } : null;
  const form = EXPIRY_OPTIONS.get(expiryWord);
  if (!(form !== undefined)) assert(false, `expiry option ${expiryWord} was checked`);
  const instantMs = positiveExpiryInstantMs({ text: expiryText, form, nowMs, command: "getex" });
  return typeof instantMs === "number" ? { type: "set", instantMs } : instantMs;
}

function parseKind(text: ByteString): TypedKind | null {
  const lower = text.toLowerCase();
  return TYPED_KINDS.find((kind) => kind === lower) ?? null;
}

function unknownKind(text: ByteString): Reply {
  return error("ERR", `unknown value type '${text}' (use ${TYPED_KINDS.join(", ")})`);
}

/** `text` stored as `kind`, or the error for text that is not a value of that kind. */
export function typedValue(kind: TypedKind, text: ByteString): StoredValue | Reply {
  switch (kind) {
    case "string":
    case "blob":
      return { kind, value: text };
    case "integer": {
      const value = parseInteger(text);
      return value === null ? NOT_AN_INTEGER : { kind, value };
    }
    case "float": {
      const value = parseFloatStrict(text);
      return value === null || !Number.isFinite(value) ? NOT_A_FLOAT : { kind, value: value === 0 ? 0 : value };
    }
    case "boolean": {
      const value = parseBoolean(text);
      return value === null ? error("ERR", "value is not a valid boolean") : { kind, value };
    }
  }
}
