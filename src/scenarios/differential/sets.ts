/**
 * Differential templates: the set family of Redis 7.0. SPOP without a count removes a
 * random member, so it is followed by DEL of its key: both servers are equal again after.
 */
import type { Family } from "./generator.js";
import type { Gen } from "./values.js";

function numkeysAndKeys(gen: Gen): string[] {
  const keys = gen.keys(1, 3);
  return [gen.chance(0.9) ? String(keys.length) : gen.pick(["0", "-1", "5", "x"]), ...keys];
}

export const sets: Family = {
  name: "sets",
  templates: [
    { name: "SADD", build: (gen) => [["SADD", gen.key(), ...gen.members(1, 5)]] },
    // Only integers: Redis keeps such a set as an intset.
    { name: "SADD", build: (gen) => [["SADD", gen.key(), ...Array.from({ length: gen.between(1, 5) }, () => gen.integer())]] },
    { name: "SREM", build: (gen) => [["SREM", gen.key(), ...gen.members(1, 3)]] },
    { name: "SCARD", build: (gen) => [["SCARD", gen.key()]] },
    { name: "SISMEMBER", build: (gen) => [["SISMEMBER", gen.key(), gen.member()]] },
    { name: "SMISMEMBER", build: (gen) => [["SMISMEMBER", gen.key(), ...gen.members(1, 4)]] },
    { name: "SMEMBERS", build: (gen) => [["SMEMBERS", gen.key()]] },
    {
      name: "SPOP",
      keepArguments: true,
      build: (gen) => {
        const key = gen.key();
        // A count of 0, a negative or non-number count, or one past any set's size is deterministic.
        if (gen.chance(0.5)) return [["SPOP", key, gen.pick(["0", "-1", "x", "100", "9223372036854775807"])]];
        return [["SPOP", key, ...(gen.chance(0.5) ? [gen.pick(["1", "2"])] : [])], ["DEL", key]];
      },
    },
    { name: "SRANDMEMBER", build: (gen) => [["SRANDMEMBER", gen.key(), ...(gen.chance(0.7) ? [gen.count()] : [])]] },
    { name: "SMOVE", build: (gen) => [["SMOVE", gen.key(), gen.key(), gen.member()]] },
    { name: "SINTER", build: (gen) => [["SINTER", ...gen.keys(1, 3)]] },
    { name: "SUNION", build: (gen) => [["SUNION", ...gen.keys(1, 3)]] },
    { name: "SDIFF", build: (gen) => [["SDIFF", ...gen.keys(1, 3)]] },
    { name: "SINTERSTORE", build: (gen) => [["SINTERSTORE", gen.key(), ...gen.keys(1, 3)]] },
    { name: "SUNIONSTORE", build: (gen) => [["SUNIONSTORE", gen.key(), ...gen.keys(1, 3)]] },
    { name: "SDIFFSTORE", build: (gen) => [["SDIFFSTORE", gen.key(), ...gen.keys(1, 3)]] },
    {
      name: "SINTERCARD",
      build: (gen) => [["SINTERCARD", ...numkeysAndKeys(gen), ...(gen.chance(0.4) ? [gen.option("LIMIT"), gen.count()] : [])]],
    },
    {
      name: "SSCAN",
      build: (gen) => [["SSCAN", gen.key(), gen.pick(["0", "0", "1", "x"]), ...(gen.chance(0.4) ? [gen.option("MATCH"), gen.pick(["*", "a*", "1?", ""])] : []), ...(gen.chance(0.3) ? [gen.option("COUNT"), gen.count()] : [])]],
    },
  ],
};
