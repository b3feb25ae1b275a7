/**
 * The differences between walnut and redis-server 7.0 that are deliberate: each is stated
 * in docs/commands.md, "Where walnut differs from Redis, on purpose" (generated from
 * src/commands/reference.ts). A difference the differential test finds passes only when one
 * of these entries matches it; anything else fails the test.
 *
 * Each entry also says how to make both servers hold the same data again (`resync`), since
 * after a deliberate difference in a write their data differ and every later reply would.
 *
 * Not here on purpose: TYPE (and SCAN ... TYPE) naming walnut's typed values (integer,
 * float, boolean, blob, hyperloglog). Redis compatibility over RESP means TYPE answers
 * "string" for them; that is being fixed, so such differences fail the test until it is.
 */
import type { Reply } from "../../engine/reply.js";
import { lookupCommand } from "../../commands/table.js";

/** What brings both servers back to equal data after a deliberate difference. */
export type Resync = { kind: "flushall" } | { kind: "delete"; keys: string[] };

export interface Observed {
  argv: readonly string[];
  redis: Reply;
  walnut: Reply;
  /**
   * Whether walnut or redis-server holds `key` as a HyperLogLog, asked on side connections
   * (the key exists and PFCOUNT counts it: TYPE cannot tell once walnut answers "string" as
   * Redis does). Redis is asked too because walnut undoes a failed transaction that made one.
   */
  isHyperLogLog(key: string): Promise<boolean>;
  /** For EXEC: the commands the transaction queued, in order. */
  queued: readonly string[][];
  /** Whether another entry explains a queued command's replies (EXEC's failing command, say). */
  isDeliberate(argv: readonly string[], redis: Reply, walnut: Reply): Promise<boolean>;
}

export interface Deliberate {
  id: string;
  /** Where the docs state it. */
  docs: string;
  matches(observed: Observed): Promise<boolean>;
  resync(observed: Observed): Promise<Resync>;
}

/** A float as Redis prints it, or null. */
function floatOf(reply: Reply): number | null {
  const text = reply.type === "bulk" ? reply.value : reply.type === "double" ? String(reply.value) : null;
  if (text === null || text.trim() !== text || text === "") return null;
  const value = Number(text);
  return Number.isNaN(value) ? null : value;
}

/** Relative distance allowed between a long double and a double result of one step. */
const LONG_DOUBLE_RELATIVE_TOLERANCE = 1e-13;
const DOUBLE_MAX = Number.MAX_VALUE;

/** The key an INCRBYFLOAT-like command wrote, and its increment argument. */
function floatStep(argv: readonly string[]): { key: string; increment: string } | null {
  const name = (argv[0] ?? "").toUpperCase();
  if (name === "INCRBYFLOAT" && argv.length === 3) return { key: argv[1]!, increment: argv[2]! };
  if (name === "HINCRBYFLOAT" && argv.length === 4) return { key: argv[1]!, increment: argv[3]! };
  return null;
}

const LONG_DOUBLES: Deliberate = {
  id: "floats-are-doubles",
  docs: 'docs/commands.md, "Where walnut differs from Redis, on purpose": Floats are IEEE doubles (Redis uses long doubles)',
  async matches({ argv, redis, walnut }) {
    const step = floatStep(argv);
    if (step === null) return false;
    const theirs = floatOf(redis);
    if (theirs === null) return false;
    const ours = floatOf(walnut);
    if (ours !== null) {
      const scale = Math.max(Math.abs(theirs), Math.abs(ours), Math.abs(Number(step.increment)) || 0, Number.MIN_VALUE);
      return Math.abs(theirs - ours) <= scale * LONG_DOUBLE_RELATIVE_TOLERANCE;
    }
    // Past a double's range but within a long double's: Redis answers a value, walnut refuses.
    const refused = walnut.type === "error" && /NaN or Infinity|not a valid float/.test(walnut.text);
    const increment = Number(step.increment);
    const beyondDoubles = Math.abs(theirs) > DOUBLE_MAX || (!/inf/i.test(step.increment) && !Number.isFinite(increment));
    return refused && beyondDoubles;
  },
  async resync({ argv }) {
    return { kind: "delete", keys: [argv[1]!] };
  },
};

const EXEC_ALL_OR_NOTHING: Deliberate = {
  id: "exec-all-or-nothing",
  docs: 'docs/commands.md, "Where walnut differs from Redis, on purpose": Transactions are all or nothing',
  async matches({ argv, redis, walnut, queued, isDeliberate }) {
    if ((argv[0] ?? "").toUpperCase() !== "EXEC" || redis.type !== "array" || walnut.type !== "error") return false;
    if (queued.length !== redis.items.length) return false;
    // walnut names the first failing command (1-based) and gives its error.
    const named = /^EXECABORT Transaction discarded: command ([0-9]+) \(([A-Z_]+)\) failed: (.*)$/s.exec(walnut.text);
    if (named === null) return false;
    const position = Number(named[1]) - 1;
    const command = queued[position];
    if (command === undefined || (command[0] ?? "").toUpperCase() !== named[2]) return false;
    // Every data command before it succeeded in walnut, so Redis must not have failed any of
    // them. (Connection commands such as SELECT run only once the batch commits: walnut never
    // ran those, and Redis may have failed them.)
    const ranInBatch = (index: number): boolean => lookupCommand(queued[index]?.[0] ?? "")?.scope !== "connection";
    if (redis.items.slice(0, position).some((item, index) => item.type === "error" && ranInBatch(index))) return false;
    const theirs = redis.items[position]!;
    const ours: Reply = { type: "error", text: named[3]! };
    if (theirs.type === "error" && theirs.text === ours.text) return true;
    // The failing command differs for a deliberate reason of its own (a HyperLogLog, say).
    return isDeliberate(command, theirs, ours);
  },
  async resync() {
    return { kind: "flushall" };
  },
};

/** Keys of `argv` (any argument after the name) that either server holds as HyperLogLogs. */
async function hyperLogLogKeys(observed: Observed): Promise<string[]> {
  const found: string[] = [];
  for (const argument of new Set(observed.argv.slice(1))) {
    if (await observed.isHyperLogLog(argument)) found.push(argument);
  }
  return found;
}

function containsHyperLogLogBytes(reply: Reply): boolean {
  if (reply.type === "bulk") return reply.value.startsWith("HYLL");
  if (reply.type === "array" || reply.type === "set") return reply.items.some(containsHyperLogLogBytes);
  return false;
}

const HYPERLOGLOG_TYPE: Deliberate = {
  id: "hyperloglog-is-its-own-type",
  docs: 'docs/commands.md, "Where walnut differs from Redis, on purpose": Typed values ("GET of a HyperLogLog answers WRONGTYPE")',
  async matches(observed) {
    const { redis, walnut } = observed;
    // Redis runs string commands on a HyperLogLog (or fails them as on any string); walnut refuses them all.
    const refusedByWalnut = walnut.type === "error" && walnut.text.startsWith("WRONGTYPE") && !(redis.type === "error" && redis.text.startsWith("WRONGTYPE"));
    // Redis answering a HyperLogLog's own bytes settles it (the key may be gone by now: GETDEL).
    if (containsHyperLogLogBytes(redis) && walnut.type !== "bulk") return true;
    return refusedByWalnut && (await hyperLogLogKeys(observed)).length > 0;
  },
  async resync(observed) {
    return { kind: "delete", keys: await hyperLogLogKeys(observed) };
  },
};

/** walnut's last expiry instant (src/commands/expire_time.ts). */
const INSTANT_MS_MAX = 2 ** 53;
/** Stands for "now" in relative times: later than any run of this test, so the check errs towards "beyond". */
const NOW_BOUND_MS = Date.UTC(2100, 0, 1);

/** Whether some integer argument of `argv`, taken as seconds or milliseconds from now, is past 2^53 ms. */
function beyondInstantLimit(argv: readonly string[]): boolean {
  const name = (argv[0] ?? "").toUpperCase();
  return argv.slice(1).some((argument, index) => {
    if (!/^-?[0-9]+$/.test(argument)) return false;
    const previous = (argv[index] ?? "").toUpperCase();
    const seconds = ["EXPIRE", "EXPIREAT", "SETEX"].includes(name) || previous === "EX" || previous === "EXAT";
    const value = Math.abs(Number(argument)) * (seconds ? 1000 : 1) + NOW_BOUND_MS;
    return value >= INSTANT_MS_MAX;
  });
}

const EXPIRY_INSTANT_LIMIT: Deliberate = {
  id: "expiry-instants-below-2^53-ms",
  docs: 'docs/commands.md, "Where walnut differs from Redis, on purpose": Expiry instants stop 2^53 ms after 1970',
  async matches({ argv, redis, walnut }) {
    const refused = walnut.type === "error" && /^ERR invalid expire time in '[a-z]+' command$/.test(walnut.text);
    return refused && redis.type !== "error" && beyondInstantLimit(argv);
  },
  async resync({ argv }) {
    return { kind: "delete", keys: [argv[1]!] };
  },
};

/** The allow-list: every deliberate difference, nothing else. */
export const DELIBERATE: readonly Deliberate[] = [LONG_DOUBLES, EXEC_ALL_OR_NOTHING, HYPERLOGLOG_TYPE, EXPIRY_INSTANT_LIMIT];

/** The deliberate difference that explains `observed`, or null. */
export async function deliberateDifference(observed: Observed): Promise<Deliberate | null> {
  for (const entry of DELIBERATE) {
    if (await entry.matches(observed)) return entry;
  }
  return null;
}
