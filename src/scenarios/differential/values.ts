/**
 * The arguments the differential generator draws from: a small key space (so that commands
 * of every family collide on the same keys and hit wrong types), and edge values (empty
 * and binary strings, integers at and past the 64-bit limits, inf/nan and malformed floats,
 * negative and out-of-range indexes, option words in any letter case).
 *
 * Every draw comes from one seeded Random (lib/seeded_random.ts): the same seed gives the
 * same commands. Byte strings are latin1 JS strings, one char per byte (engine/bytes.ts).
 */
import { Random } from "../../lib/seeded_random.js";

/** Far enough ahead that nothing expires while a sequence runs: 2100-01-01 in Unix seconds. */
export const FAR_FUTURE_SECONDS = 4_102_444_800;

const KEYS = ["k0", "k1", "k2", "k3", "k4", "k5"] as const;
/** Keys rarely drawn: another hash slot's worth of names, a binary name, the empty name. */
const RARE_KEYS = ["", "k\x00\xff", "{k0}x", "K0"] as const;

/**
 * Sorted sets for lexicographic ranges, whose members all have the score 0: Redis leaves a
 * lex range over different scores unspecified (its answer depends on the skiplist's random
 * levels), so only the lex templates and a score-0 ZADD touch these.
 */
const LEX_KEYS = ["z0", "z1"] as const;

/** Every key a sequence can name. */
export const ALL_KEYS: readonly string[] = [...KEYS, ...RARE_KEYS, ...LEX_KEYS];

const STRINGS = [
  "", "a", "foo", "bar", "hello world", "\x00", "\x00\xff\r\n\x01", "\xc3\xa9t\xc3\xa9",
  "10", "-1", "0", " 1", "1 ", "1.5", "-0", "+5", "007", "0x10", "1e3", "inf", "-inf", "nan",
  "9223372036854775807", "-9223372036854775808", "9223372036854775808", "18446744073709551616",
  "3.0", "0.1", "1e308", "abc\r\ndef", "*1\r\n$4\r\nPING\r\n", "x".repeat(70), "y".repeat(300),
] as const;

const INTEGERS = [
  "0", "1", "-1", "2", "3", "5", "7", "10", "100", "-100", "12345", "2147483647", "2147483648", "-2147483649",
  "9007199254740993", "9223372036854775807", "-9223372036854775808", "9223372036854775806", "-9223372036854775807",
  "9223372036854775808", "-9223372036854775809", "99999999999999999999", "", "abc", "1.0", "1.5", " 1", "1 ",
  "+1", "-0", "01", "0x1", "1e2", "\x00",
] as const;

const FLOATS = [
  "0", "1", "-1", "0.1", "0.2", "-0.5", "1.5", "3", "2.5e3", "1e-5", "1e308", "-1e308", "1e309", "1e400",
  "inf", "-inf", "+inf", "Inf", "INF", "infinity", "nan", "NaN", "-nan", "abc", "", " 1", "1 ", ".5", "5.",
  "0x1p3", "1e", "-0", "+0.25", "123456789.123456789", "9223372036854775807", "5e-324", "1.7976931348623157e308",
] as const;

const INDEXES = [
  "0", "1", "2", "3", "-1", "-2", "-3", "5", "-5", "100", "-100", "9223372036854775807", "-9223372036854775808",
  "9223372036854775808", "x", "", "1.5",
] as const;

const MEMBERS = ["a", "b", "c", "d", "1", "2", "10", "-1", "", "\x00\xff", "a b", "m".repeat(70)] as const;

export class Gen {
  constructor(readonly random: Random) {}

  chance(probability: number): boolean {
    return this.random.chance(probability);
  }

  pick<T>(items: readonly T[]): T {
    return this.random.pick(items);
  }

  between(min: number, max: number): number {
    return this.random.between(min, max);
  }

  /** A key of the small shared key space (rarely an odd one). */
  key(): string {
    return this.chance(0.03) ? this.pick(RARE_KEYS) : this.pick(KEYS);
  }

  /** A key of a sorted set whose scores are all 0 (see LEX_KEYS). */
  lexKey(): string {
    return this.pick(LEX_KEYS);
  }

  /** `count` keys, duplicates allowed (Redis accepts them). */
  keys(min: number, max: number): string[] {
    return Array.from({ length: this.between(min, max) }, () => this.key());
  }

  /** A string value: short, empty, binary, numeric-looking or long. */
  value(): string {
    if (this.chance(0.05)) return this.random.bytes(this.between(1, 8)).toString("latin1");
    return this.pick(STRINGS);
  }

  /** A 64-bit integer argument, valid most of the time, at or past the limits some of the time. */
  integer(): string {
    if (this.chance(0.5)) return String(this.between(-20, 20));
    return this.pick(INTEGERS);
  }

  /** A float argument: plain, exponent, inf/nan in any spelling, out of range, malformed. */
  float(): string {
    if (this.chance(0.4)) return String(this.between(-50, 50) / 4);
    return this.pick(FLOATS);
  }

  /** A list/string/bit index: small, negative, at the 64-bit limits, or not a number. */
  index(): string {
    if (this.chance(0.6)) return String(this.between(-6, 6));
    return this.pick(INDEXES);
  }

  /** A count argument: mostly small and positive, sometimes zero, negative or absurd. */
  count(): string {
    if (this.chance(0.7)) return String(this.between(0, 5));
    return this.pick(["-1", "-5", "100", "9223372036854775807", "-9223372036854775808", "x", "1.5", ""]);
  }

  /** A member, field or element of a collection (small pool, so that they repeat). */
  member(): string {
    return this.pick(MEMBERS);
  }

  members(min: number, max: number): string[] {
    return Array.from({ length: this.between(min, max) }, () => this.member());
  }

  /** A relative expiry (seconds or milliseconds): long enough never to run out during a sequence, or <= 0, or invalid. */
  ttl(unit: "s" | "ms"): string {
    const scale = unit === "s" ? 1 : 1000;
    if (this.chance(0.6)) return String(this.between(100, 100_000) * scale);
    return this.pick(["0", "-1", "-100", "x", "", "1.5", "9223372036854775807", "-9223372036854775808", "9223372036854775806", String(2 ** 53)]);
  }

  /** An absolute expiry: in the far future, in the past (deletes the key), or invalid. */
  unixTime(unit: "s" | "ms"): string {
    const scale = unit === "s" ? 1 : 1000;
    if (this.chance(0.5)) return String((FAR_FUTURE_SECONDS + this.between(0, 1000)) * scale);
    return this.pick(["0", "1", "-1", String(1_000_000_000 * scale), "x", "9223372036854775807", "-9223372036854775808"]);
  }

  /** `word` in upper, lower or mixed case: Redis' options are case-insensitive. */
  option(word: string): string {
    const form = this.between(0, 3);
    if (form === 0) return word.toLowerCase();
    if (form === 1) return [...word].map((char, index) => (index % 2 === 0 ? char.toLowerCase() : char.toUpperCase())).join("");
    return word.toUpperCase();
  }

  /** An argument that no command accepts as an option. */
  junk(): string {
    return this.pick(["NOSUCHOPTION", "x", "", "-1", "EXTRA", "\x00"]);
  }

  /** A few of `words`, each with its own case, shuffled: repeated and conflicting options included. */
  options(words: readonly string[], max: number): string[] {
    const chosen: string[] = [];
    const count = this.between(0, max);
    for (let index = 0; index < count; index++) chosen.push(this.option(this.pick(words)));
    return chosen;
  }
}
