/**
 * Expiry, as Redis defines it: EXPIRE PEXPIRE EXPIREAT PEXPIREAT (with NX XX GT LT), TTL
 * PTTL EXPIRETIME PEXPIRETIME PERSIST; and how expired keys leave the engine.
 *
 * Every instant is judged against ctx.nowMs, the entry's clock: an item whose expiry is
 * at or before it does not exist for any command, and an expiry set in the past deletes
 * the key at once. Expired keys that nobody touches are removed by the node: it calls
 * findExpiredKeys() periodically and proposes walnut's internal write
 * `EXPIRESWEEP key [key ...]`, which deletes those of the keys that are expired at the
 * entry's nowMs (a key given a new expiry meanwhile stays), so removal goes through the
 * log like any write and every replica removes the same keys.
 */
import type { ByteString } from "../engine/bytes.js";
import type { Collection } from "../engine/collection.js";
import type { Engine } from "../engine/engine.js";
import { NO_EXPIRY } from "../engine/values.js";
import { changeExpiry, isErrorReply, liveItem, NOT_AN_INTEGER } from "./access.js";
import { defineCommand } from "./define.js";
import { expiryInstantMs, invalidExpireTime, type ExpiryForm } from "./expire_time.js";
import { parseInteger } from "./numbers.js";
import { error, integer, type Reply } from "../engine/reply.js";
import type { CommandContext, CommandSpec } from "./spec.js";

/** Keys findExpiredKeys() looks at per call, expired or not: the bound on its work. */
export const SWEEP_KEYS_EXAMINED_MAX = 20_000;

type ExpireCondition = "NX" | "XX" | "GT" | "LT";

function parseExpireConditions(words: ByteString[]): Set<ExpireCondition> | Reply {
  const conditions = new Set<ExpireCondition>();
  for (const word of words) {
    const upper = word.toUpperCase();
    if (upper !== "NX" && upper !== "XX" && upper !== "GT" && upper !== "LT") {
      // Redis formats the word as a C string: its message ends at the word's first NUL byte.
      const nul = word.indexOf("\x00");
      return error("ERR", `Unsupported option ${nul === -1 ? word : word.slice(0, nul)}`);
    }
    conditions.add(upper);
  }
  if (conditions.has("NX") && conditions.size > 1) {
    return error("ERR", "NX and XX, GT or LT options at the same time are not compatible");
  }
  if (conditions.has("GT") && conditions.has("LT")) {
    return error("ERR", "GT and LT options at the same time are not compatible");
  }
  return conditions;
}

/** Whether NX/XX/GT/LT let an expiry at `instantMs` replace `currentMs` (NO_EXPIRY: none, i.e. infinite). */
function conditionsAllow(conditions: Set<ExpireCondition>, currentMs: number, instantMs: number): boolean {
  const volatile = currentMs !== NO_EXPIRY;
  if (conditions.has("NX") && volatile) return false;
  if (conditions.has("XX") && !volatile) return false;
  if (conditions.has("GT") && (!volatile || instantMs <= currentMs)) return false;
  if (conditions.has("LT") && volatile && instantMs >= currentMs) return false;
  return true;
}

/** EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT. */
function expireCommand(name: string, form: ExpiryForm) {
  return (ctx: CommandContext, [key, amountText, ...words]: ByteString[]): Reply => {
    const conditions = parseExpireConditions(words);
    if (isErrorReply(conditions)) return conditions;
    const amount = parseInteger(amountText);
    if (amount === null) return NOT_AN_INTEGER;
    const instantMs = expiryInstantMs(amount, form, ctx.nowMs);
    if (instantMs === null) return invalidExpireTime(name);
    const item = liveItem(ctx, key);
    if (item === undefined || !conditionsAllow(conditions, item.expiresAtMs, instantMs)) return integer(0);
    changeExpiry(ctx, key, instantMs);
    return integer(1);
  };
}

type TimeAnswer = "ttl" | "pttl" | "expiretime" | "pexpiretime";

/** TTL, PTTL, EXPIRETIME and PEXPIRETIME: -2 when absent, -1 without expiry. */
function timeCommand(answer: TimeAnswer) {
  return (ctx: CommandContext, [key]: ByteString[]): Reply => {
    const item = liveItem(ctx, key);
    if (item === undefined) return integer(-2);
    if (item.expiresAtMs === NO_EXPIRY) return integer(-1);
    const absolute = answer === "expiretime" || answer === "pexpiretime";
    const milliseconds = Math.max(0, absolute ? item.expiresAtMs : item.expiresAtMs - ctx.nowMs);
    const inMilliseconds = answer === "pttl" || answer === "pexpiretime";
    // Redis rounds seconds to the nearest: (ms + 500) / 1000.
    return integer(inMilliseconds ? milliseconds : Math.floor((milliseconds + 500) / 1000));
  };
}

function persist(ctx: CommandContext, [key]: ByteString[]): Reply {
  const item = liveItem(ctx, key);
  if (item === undefined || item.expiresAtMs === NO_EXPIRY) return integer(0);
  changeExpiry(ctx, key, NO_EXPIRY);
  return integer(1);
}

function expiresweep(ctx: CommandContext, keys: ByteString[]): Reply {
  let deleted = 0;
  for (const key of keys) {
    if (ctx.collection.get(key)?.isExpiredAt(ctx.nowMs) === true) {
      ctx.collection.delete(key);
      deleted++;
    }
  }
  return integer(deleted);
}

/** Where the sweep stands in one engine: the collection it is in, and in each its place. */
interface SweepState {
  collectionPosition: number;
  volatileKeys: WeakMap<Collection, Iterator<ByteString>>;
}

const sweepStates = new WeakMap<Engine, SweepState>();

/**
 * Up to `maxKeys` keys expired at `nowMs`, for the node to propose in EXPIRESWEEP
 * entries. Each call continues where the previous one stopped, like a clock hand going
 * round every collection's volatile keys, and examines at most SWEEP_KEYS_EXAMINED_MAX
 * keys, so a large keyspace is swept over several calls, never all at once.
 */
export function findExpiredKeys(
  engine: Engine,
  nowMs: number,
  maxKeys: number,
): Array<{ collection: string; key: ByteString }> {
  let state = sweepStates.get(engine);
  if (state === undefined) {
    state = { collectionPosition: 0, volatileKeys: new WeakMap() };
    sweepStates.set(engine, state);
  }
  const names = engine.collectionNames();
  const found: Array<{ collection: string; key: ByteString }> = [];
  let examined = 0;
  for (let visited = 0; visited < names.length; visited++) {
    const collection = engine.collection(names[state.collectionPosition % names.length]);
    if (collection === undefined) break;
    let keys = state.volatileKeys.get(collection);
    if (keys === undefined) {
      keys = collection.volatileKeys.values();
      state.volatileKeys.set(collection, keys);
    }
    while (found.length < maxKeys && examined < SWEEP_KEYS_EXAMINED_MAX) {
      const step = keys.next();
      if (step.done) {
        state.volatileKeys.delete(collection); // the next round starts this collection afresh
        break;
      }
      examined++;
      if (collection.get(step.value)?.isExpiredAt(nowMs) === true) {
        found.push({ collection: collection.name, key: step.value });
      }
    }
    if (found.length >= maxKeys || examined >= SWEEP_KEYS_EXAMINED_MAX) break;
    state.collectionPosition = (state.collectionPosition + 1) % names.length;
  }
  return found;
}

const expireForms: Array<[string, ExpiryForm, string]> = [
  ["EXPIRE", { unit: "seconds", relative: true }, "Expire a key in seconds [NX|XX|GT|LT]"],
  ["PEXPIRE", { unit: "milliseconds", relative: true }, "Expire a key in milliseconds [NX|XX|GT|LT]"],
  ["EXPIREAT", { unit: "seconds", relative: false }, "Expire a key at a Unix time in seconds [NX|XX|GT|LT]"],
  [
    "PEXPIREAT",
    { unit: "milliseconds", relative: false },
    "Expire a key at a Unix time in milliseconds [NX|XX|GT|LT]",
  ],
];

const timeAnswers: Array<[TimeAnswer, string]> = [
  ["ttl", "Seconds until a key expires (-1: no expiry, -2: no key)"],
  ["pttl", "Milliseconds until a key expires (-1: no expiry, -2: no key)"],
  ["expiretime", "The Unix time in seconds at which a key expires (-1: no expiry, -2: no key)"],
  ["pexpiretime", "The Unix time in milliseconds at which a key expires (-1: no expiry, -2: no key)"],
];

export const expiryCommands: CommandSpec[] = [
  ...expireForms.map(([name, form, summary]) =>
    defineCommand({ name, arity: -3, flags: ["write", "fast"], summary, run: expireCommand(name, form) }),
  ),
  ...timeAnswers.map(([answer, summary]) =>
    defineCommand({
      name: answer.toUpperCase(),
      arity: 2,
      flags: ["readonly", "fast"],
      summary,
      run: timeCommand(answer),
    }),
  ),
  defineCommand({ name: "PERSIST", arity: 2, flags: ["write", "fast"], summary: "Remove a key's expiry", run: persist }),
  defineCommand({
    name: "EXPIRESWEEP",
    arity: -2,
    flags: ["write"],
    lastKey: -1,
    summary: "walnut internal: delete those of the keys that have expired",
    run: expiresweep,
  }),
];
