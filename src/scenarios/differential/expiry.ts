/**
 * Differential templates: expiry. Relative times are long (nothing runs out during a
 * sequence) or <= 0 (the key goes at once); absolute ones are far ahead or in the past.
 * TTL-like replies are compared within a second or two (compare.ts).
 */
import type { Family } from "./generator.js";
import type { Gen } from "./values.js";

function condition(gen: Gen): string[] {
  return gen.options(["NX", "XX", "GT", "LT"], gen.chance(0.8) ? 1 : 2);
}

export const expiry: Family = {
  name: "expiry",
  templates: [
    { name: "EXPIRE", build: (gen) => [["EXPIRE", gen.key(), gen.ttl("s"), ...condition(gen)]] },
    { name: "PEXPIRE", build: (gen) => [["PEXPIRE", gen.key(), gen.ttl("ms"), ...condition(gen)]] },
    { name: "EXPIREAT", build: (gen) => [["EXPIREAT", gen.key(), gen.unixTime("s"), ...condition(gen)]] },
    { name: "PEXPIREAT", build: (gen) => [["PEXPIREAT", gen.key(), gen.unixTime("ms"), ...condition(gen)]] },
    { name: "TTL", build: (gen) => [["TTL", gen.key()]] },
    { name: "PTTL", build: (gen) => [["PTTL", gen.key()]] },
    { name: "EXPIRETIME", build: (gen) => [["EXPIRETIME", gen.key()]] },
    { name: "PEXPIRETIME", build: (gen) => [["PEXPIRETIME", gen.key()]] },
    { name: "PERSIST", build: (gen) => [["PERSIST", gen.key()]] },
  ],
};
