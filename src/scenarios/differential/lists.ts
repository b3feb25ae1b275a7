/**
 * Differential templates: the list family of Redis 7.0. Blocking commands use timeouts of
 * at most 10 ms (or invalid ones) and are never mutated: a timeout of 0 would block forever.
 */
import type { Family } from "./generator.js";
import type { Gen } from "./values.js";

function end(gen: Gen): string {
  return gen.option(gen.pick(["LEFT", "RIGHT"]));
}

function timeout(gen: Gen): string {
  return gen.pick(["0.01", "0.001", "0.01", "-1", "x", "-0.5"]);
}

function lposOptions(gen: Gen): string[] {
  const options: string[] = [];
  const count = gen.between(0, 3);
  for (let index = 0; index < count; index++) {
    const word = gen.pick(["RANK", "COUNT", "MAXLEN"]);
    options.push(gen.option(word), word === "RANK" ? gen.index() : gen.count());
  }
  return options;
}

function mpopArguments(gen: Gen): string[] {
  const keys = gen.keys(1, 3);
  const numkeys = gen.chance(0.9) ? String(keys.length) : gen.pick(["0", "-1", "5", "x"]);
  return [numkeys, ...keys, end(gen), ...(gen.chance(0.4) ? [gen.option("COUNT"), gen.count()] : [])];
}

export const lists: Family = {
  name: "lists",
  templates: [
    { name: "LPUSH", build: (gen) => [["LPUSH", gen.key(), ...gen.members(1, 4)]] },
    { name: "RPUSH", build: (gen) => [["RPUSH", gen.key(), ...gen.members(1, 4)]] },
    { name: "LPUSHX", build: (gen) => [["LPUSHX", gen.key(), ...gen.members(1, 3)]] },
    { name: "RPUSHX", build: (gen) => [["RPUSHX", gen.key(), ...gen.members(1, 3)]] },
    { name: "LPOP", build: (gen) => [["LPOP", gen.key(), ...(gen.chance(0.4) ? [gen.count()] : [])]] },
    { name: "RPOP", build: (gen) => [["RPOP", gen.key(), ...(gen.chance(0.4) ? [gen.count()] : [])]] },
    { name: "LLEN", build: (gen) => [["LLEN", gen.key()]] },
    { name: "LRANGE", build: (gen) => [["LRANGE", gen.key(), gen.index(), gen.index()]] },
    { name: "LINDEX", build: (gen) => [["LINDEX", gen.key(), gen.index()]] },
    { name: "LSET", build: (gen) => [["LSET", gen.key(), gen.index(), gen.member()]] },
    {
      name: "LINSERT",
      build: (gen) => [["LINSERT", gen.key(), gen.option(gen.pick(["BEFORE", "AFTER", "MIDDLE"])), gen.member(), gen.member()]],
    },
    { name: "LREM", build: (gen) => [["LREM", gen.key(), gen.pick(["0", "1", "-1", "2", "-2", "100", "x"]), gen.member()]] },
    { name: "LTRIM", build: (gen) => [["LTRIM", gen.key(), gen.index(), gen.index()]] },
    { name: "LPOS", build: (gen) => [["LPOS", gen.key(), gen.member(), ...lposOptions(gen)]] },
    { name: "RPOPLPUSH", build: (gen) => [["RPOPLPUSH", gen.key(), gen.key()]] },
    { name: "LMOVE", build: (gen) => [["LMOVE", gen.key(), gen.key(), end(gen), end(gen)]] },
    { name: "LMPOP", build: (gen) => [["LMPOP", ...mpopArguments(gen)]] },
    { name: "BLPOP", blocking: true, build: (gen) => [["BLPOP", ...gen.keys(1, 3), timeout(gen)]] },
    { name: "BRPOP", blocking: true, build: (gen) => [["BRPOP", ...gen.keys(1, 3), timeout(gen)]] },
    { name: "BRPOPLPUSH", blocking: true, build: (gen) => [["BRPOPLPUSH", gen.key(), gen.key(), timeout(gen)]] },
    { name: "BLMOVE", blocking: true, build: (gen) => [["BLMOVE", gen.key(), gen.key(), end(gen), end(gen), timeout(gen)]] },
    { name: "BLMPOP", blocking: true, build: (gen) => [["BLMPOP", timeout(gen), ...mpopArguments(gen)]] },
  ],
};
