/** Differential templates: the hash family of Redis 7.0. */
import type { Family } from "./generator.js";
import type { Gen } from "./values.js";

function pairs(gen: Gen, min: number, max: number): string[] {
  return gen.members(min, max).flatMap((field) => [field, gen.value()]);
}

function scanOptions(gen: Gen): string[] {
  const options: string[] = [];
  if (gen.chance(0.4)) options.push(gen.option("MATCH"), gen.pick(["*", "a*", "?", "[ab]", "", "1*"]));
  if (gen.chance(0.4)) options.push(gen.option("COUNT"), gen.pick(["1", "2", "10", "1000", "0", "-1", "x"]));
  return options;
}

export const hashes: Family = {
  name: "hashes",
  templates: [
    { name: "HSET", build: (gen) => [["HSET", gen.key(), ...pairs(gen, 1, 4)]] },
    { name: "HMSET", build: (gen) => [["HMSET", gen.key(), ...pairs(gen, 1, 3)]] },
    { name: "HSETNX", build: (gen) => [["HSETNX", gen.key(), gen.member(), gen.value()]] },
    { name: "HGET", build: (gen) => [["HGET", gen.key(), gen.member()]] },
    { name: "HMGET", build: (gen) => [["HMGET", gen.key(), ...gen.members(1, 4)]] },
    { name: "HDEL", build: (gen) => [["HDEL", gen.key(), ...gen.members(1, 3)]] },
    { name: "HLEN", build: (gen) => [["HLEN", gen.key()]] },
    { name: "HSTRLEN", build: (gen) => [["HSTRLEN", gen.key(), gen.member()]] },
    { name: "HEXISTS", build: (gen) => [["HEXISTS", gen.key(), gen.member()]] },
    { name: "HKEYS", build: (gen) => [["HKEYS", gen.key()]] },
    { name: "HVALS", build: (gen) => [["HVALS", gen.key()]] },
    { name: "HGETALL", build: (gen) => [["HGETALL", gen.key()]] },
    { name: "HINCRBY", build: (gen) => [["HINCRBY", gen.key(), gen.member(), gen.integer()]] },
    { name: "HINCRBYFLOAT", build: (gen) => [["HINCRBYFLOAT", gen.key(), gen.member(), gen.float()]] },
    {
      name: "HRANDFIELD",
      build: (gen) => [["HRANDFIELD", gen.key(), ...(gen.chance(0.6) ? [gen.count(), ...gen.options(["WITHVALUES"], 1)] : [])]],
    },
    { name: "HSCAN", build: (gen) => [["HSCAN", gen.key(), gen.pick(["0", "0", "1", "x"]), ...scanOptions(gen)]] },
  ],
};
