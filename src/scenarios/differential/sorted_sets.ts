/** Differential templates: the sorted set family of Redis 7.0. */
import type { Family } from "./generator.js";
import type { Gen } from "./values.js";

function score(gen: Gen): string {
  return gen.chance(0.7) ? String(gen.between(-5, 5)) : gen.float();
}

/** A score range bound: inclusive, exclusive "(", infinities, malformed. */
function scoreBound(gen: Gen): string {
  if (gen.chance(0.5)) return String(gen.between(-5, 5));
  return gen.pick(["-inf", "+inf", "inf", "(1", "(-1", "(0", "(inf", "((1", "x", "", "1.5", "nan", "(nan"]);
}

/** A lex range bound: [x, (x, - and +, or malformed. */
function lexBound(gen: Gen): string {
  return gen.pick(["-", "+", "[a", "(a", "[b", "(c", "[", "(", "a", "[\x00", "+x", "[1"]);
}

function numkeysAndKeys(gen: Gen): string[] {
  const keys = gen.keys(1, 3);
  return [gen.chance(0.9) ? String(keys.length) : gen.pick(["0", "-1", "5", "x"]), ...keys];
}

function combineOptions(gen: Gen, keyCount: number, withScores: boolean): string[] {
  const options: string[] = [];
  if (gen.chance(0.3)) options.push(gen.option("WEIGHTS"), ...Array.from({ length: keyCount + (gen.chance(0.1) ? 1 : 0) }, () => score(gen)));
  if (gen.chance(0.3)) options.push(gen.option("AGGREGATE"), gen.option(gen.pick(["SUM", "MIN", "MAX", "AVG"])));
  if (withScores && gen.chance(0.4)) options.push(gen.option("WITHSCORES"));
  return options;
}

function combine(gen: Gen, name: string, store: boolean): string[] {
  const [numkeys, ...keys] = numkeysAndKeys(gen);
  const destination = store ? [gen.key()] : [];
  const diff = name.startsWith("ZDIFF");
  const options = diff ? (!store && gen.chance(0.4) ? [gen.option("WITHSCORES")] : []) : combineOptions(gen, keys.length, !store);
  return [name, ...destination, numkeys!, ...keys, ...options];
}

function rangeOptions(gen: Gen): string[] {
  const options: string[] = [];
  if (gen.chance(0.3)) options.push(gen.option("REV"));
  if (gen.chance(0.3)) options.push(gen.option("LIMIT"), gen.index(), gen.count());
  if (gen.chance(0.3)) options.push(gen.option("WITHSCORES"));
  return options;
}

/** ZRANGE's source key and range: by rank, by score, or by lex (on a score-0 key only). */
function zrange(gen: Gen): string[] {
  switch (gen.between(0, 2)) {
    case 0: return [gen.key(), gen.index(), gen.index()];
    case 1: return [gen.key(), scoreBound(gen), scoreBound(gen), gen.option("BYSCORE")];
    default: return [gen.lexKey(), lexBound(gen), lexBound(gen), gen.option("BYLEX")];
  }
}

function limit(gen: Gen): string[] {
  return gen.chance(0.3) ? [gen.option("LIMIT"), gen.index(), gen.count()] : [];
}

export const sortedSets: Family = {
  name: "sorted sets",
  templates: [
    {
      name: "ZADD",
      build: (gen) => [["ZADD", gen.key(), ...gen.options(["NX", "XX", "GT", "LT", "CH"], 2), ...gen.members(1, 4).flatMap((member) => [score(gen), member])]],
    },
    { name: "ZADD", build: (gen) => [["ZADD", gen.key(), gen.option("INCR"), ...gen.options(["NX", "XX", "GT", "LT"], 1), score(gen), gen.member()]] },
    // The lex keys' members, all at score 0 (sometimes another score, or another type: errors only).
    {
      name: "ZADD",
      build: (gen) => {
        if (gen.chance(0.05)) return [["SET", gen.lexKey(), gen.value()]];
        return [["ZADD", gen.lexKey(), ...gen.members(1, 4).flatMap((member) => [gen.chance(0.05) ? "x" : "0", member])]];
      },
    },
    { name: "ZINCRBY", build: (gen) => [["ZINCRBY", gen.key(), score(gen), gen.member()]] },
    { name: "ZREM", build: (gen) => [["ZREM", gen.key(), ...gen.members(1, 3)]] },
    { name: "ZCARD", build: (gen) => [["ZCARD", gen.key()]] },
    { name: "ZSCORE", build: (gen) => [["ZSCORE", gen.key(), gen.member()]] },
    { name: "ZMSCORE", build: (gen) => [["ZMSCORE", gen.key(), ...gen.members(1, 3)]] },
    { name: "ZRANK", build: (gen) => [["ZRANK", gen.key(), gen.member()]] },
    { name: "ZREVRANK", build: (gen) => [["ZREVRANK", gen.key(), gen.member()]] },
    { name: "ZCOUNT", build: (gen) => [["ZCOUNT", gen.key(), scoreBound(gen), scoreBound(gen)]] },
    { name: "ZLEXCOUNT", build: (gen) => [["ZLEXCOUNT", gen.lexKey(), lexBound(gen), lexBound(gen)]] },
    { name: "ZRANGE", build: (gen) => [["ZRANGE", ...zrange(gen), ...rangeOptions(gen)]] },
    { name: "ZRANGESTORE", build: (gen) => [["ZRANGESTORE", gen.key(), ...zrange(gen), ...rangeOptions(gen).filter((word) => word.toUpperCase() !== "WITHSCORES")]] },
    { name: "ZREVRANGE", build: (gen) => [["ZREVRANGE", gen.key(), gen.index(), gen.index(), ...gen.options(["WITHSCORES"], 1)]] },
    { name: "ZRANGEBYSCORE", build: (gen) => [["ZRANGEBYSCORE", gen.key(), scoreBound(gen), scoreBound(gen), ...gen.options(["WITHSCORES"], 1), ...limit(gen)]] },
    { name: "ZREVRANGEBYSCORE", build: (gen) => [["ZREVRANGEBYSCORE", gen.key(), scoreBound(gen), scoreBound(gen), ...gen.options(["WITHSCORES"], 1), ...limit(gen)]] },
    { name: "ZRANGEBYLEX", build: (gen) => [["ZRANGEBYLEX", gen.lexKey(), lexBound(gen), lexBound(gen), ...limit(gen)]] },
    { name: "ZREVRANGEBYLEX", build: (gen) => [["ZREVRANGEBYLEX", gen.lexKey(), lexBound(gen), lexBound(gen), ...limit(gen)]] },
    { name: "ZREMRANGEBYRANK", build: (gen) => [["ZREMRANGEBYRANK", gen.key(), gen.index(), gen.index()]] },
    { name: "ZREMRANGEBYSCORE", build: (gen) => [["ZREMRANGEBYSCORE", gen.key(), scoreBound(gen), scoreBound(gen)]] },
    { name: "ZREMRANGEBYLEX", build: (gen) => [["ZREMRANGEBYLEX", gen.lexKey(), lexBound(gen), lexBound(gen)]] },
    { name: "ZPOPMIN", build: (gen) => [["ZPOPMIN", gen.key(), ...(gen.chance(0.5) ? [gen.count()] : [])]] },
    { name: "ZPOPMAX", build: (gen) => [["ZPOPMAX", gen.key(), ...(gen.chance(0.5) ? [gen.count()] : [])]] },
    {
      name: "ZMPOP",
      build: (gen) => [["ZMPOP", ...numkeysAndKeys(gen), gen.option(gen.pick(["MIN", "MAX"])), ...(gen.chance(0.4) ? [gen.option("COUNT"), gen.count()] : [])]],
    },
    { name: "BZPOPMIN", blocking: true, build: (gen) => [["BZPOPMIN", ...gen.keys(1, 2), gen.pick(["0.01", "-1", "x"])]] },
    { name: "BZPOPMAX", blocking: true, build: (gen) => [["BZPOPMAX", ...gen.keys(1, 2), gen.pick(["0.01", "-1", "x"])]] },
    {
      name: "BZMPOP",
      blocking: true,
      build: (gen) => [["BZMPOP", gen.pick(["0.01", "-1", "x"]), ...numkeysAndKeys(gen), gen.option(gen.pick(["MIN", "MAX"])), ...(gen.chance(0.4) ? [gen.option("COUNT"), gen.count()] : [])]],
    },
    {
      name: "ZRANDMEMBER",
      build: (gen) => [["ZRANDMEMBER", gen.key(), ...(gen.chance(0.6) ? [gen.count(), ...gen.options(["WITHSCORES"], 1)] : [])]],
    },
    { name: "ZUNION", build: (gen) => [combine(gen, "ZUNION", false)] },
    { name: "ZINTER", build: (gen) => [combine(gen, "ZINTER", false)] },
    { name: "ZDIFF", build: (gen) => [combine(gen, "ZDIFF", false)] },
    { name: "ZUNIONSTORE", build: (gen) => [combine(gen, "ZUNIONSTORE", true)] },
    { name: "ZINTERSTORE", build: (gen) => [combine(gen, "ZINTERSTORE", true)] },
    { name: "ZDIFFSTORE", build: (gen) => [combine(gen, "ZDIFFSTORE", true)] },
    {
      name: "ZINTERCARD",
      build: (gen) => [["ZINTERCARD", ...numkeysAndKeys(gen), ...(gen.chance(0.4) ? [gen.option("LIMIT"), gen.count()] : [])]],
    },
    {
      name: "ZSCAN",
      build: (gen) => [["ZSCAN", gen.key(), gen.pick(["0", "0", "1", "x"]), ...(gen.chance(0.4) ? [gen.option("MATCH"), gen.pick(["*", "a*", "?", ""])] : []), ...(gen.chance(0.3) ? [gen.option("COUNT"), gen.count()] : [])]],
    },
  ],
};
