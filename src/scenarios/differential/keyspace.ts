/**
 * Differential templates: the generic keyspace commands (DEL, EXISTS, TYPE, RENAME, COPY,
 * KEYS, SCAN, RANDOMKEY, DBSIZE, FLUSHDB, SORT) and numbered databases (SELECT, MOVE,
 * SWAPDB, COPY ... DB), the latter only once walnut has all three.
 */
import type { Family } from "./generator.js";
import type { Gen } from "./values.js";

const NUMBERED_DATABASES = ["SELECT", "MOVE", "SWAPDB"] as const;

function pattern(gen: Gen): string {
  return gen.pick(["*", "k*", "k?", "k[0-2]", "k[^0]", "*0", "\\k0", "k[", "[", "", "K*", "*\x00*", "k[a-z1]", "?", "h*llo"]);
}

function database(gen: Gen): string {
  return gen.pick(["0", "1", "2", "15", "16", "-1", "x", "1.5"]);
}

function scanOptions(gen: Gen): string[] {
  const options: string[] = [];
  if (gen.chance(0.4)) options.push(gen.option("MATCH"), pattern(gen));
  if (gen.chance(0.4)) options.push(gen.option("COUNT"), gen.pick(["1", "2", "10", "1000", "0", "-1", "x"]));
  if (gen.chance(0.3)) options.push(gen.option("TYPE"), gen.pick(["string", "list", "hash", "set", "zset", "STRING", "nosuch"]));
  return options;
}

function sortArguments(gen: Gen): string[] {
  const options: string[] = [];
  if (gen.chance(0.3)) options.push(gen.option("BY"), gen.pick(["nosort", "k*", "w_*", "k*->a", "#"]));
  if (gen.chance(0.3)) options.push(gen.option("LIMIT"), gen.index(), gen.count());
  if (gen.chance(0.3)) options.push(gen.option("GET"), gen.pick(["#", "k*", "k*->a"]));
  if (gen.chance(0.3)) options.push(gen.option(gen.pick(["ASC", "DESC"])));
  if (gen.chance(0.4)) options.push(gen.option("ALPHA"));
  return options;
}

export const keyspace: Family = {
  name: "keyspace",
  templates: [
    { name: "DEL", build: (gen) => [["DEL", ...gen.keys(1, 3)]] },
    { name: "UNLINK", build: (gen) => [["UNLINK", ...gen.keys(1, 3)]] },
    { name: "EXISTS", build: (gen) => [["EXISTS", ...gen.keys(1, 4)]] },
    { name: "TOUCH", build: (gen) => [["TOUCH", ...gen.keys(1, 3)]] },
    { name: "TYPE", build: (gen) => [["TYPE", gen.key()]] },
    { name: "RENAME", build: (gen) => [["RENAME", gen.key(), gen.key()]] },
    { name: "RENAMENX", build: (gen) => [["RENAMENX", gen.key(), gen.key()]] },
    { name: "COPY", build: (gen) => [["COPY", gen.key(), gen.key(), ...gen.options(["REPLACE"], 1)]] },
    {
      name: "COPY",
      requires: NUMBERED_DATABASES,
      build: (gen) => [["COPY", gen.key(), gen.key(), gen.option("DB"), database(gen), ...gen.options(["REPLACE"], 1)]],
    },
    { name: "DBSIZE", build: () => [["DBSIZE"]] },
    { name: "KEYS", build: (gen) => [["KEYS", pattern(gen)]] },
    { name: "SCAN", build: (gen) => [["SCAN", gen.pick(["0", "0", "0", "1", "7", "x", "-1", "18446744073709551616"]), ...scanOptions(gen)]] },
    { name: "RANDOMKEY", build: () => [["RANDOMKEY"]] },
    { name: "FLUSHDB", build: (gen) => [["FLUSHDB", ...gen.options(["ASYNC", "SYNC"], 1)]] },
    {
      name: "SORT",
      build: (gen) => {
        const options = sortArguments(gen);
        if (!gen.chance(0.2)) return [["SORT", gen.key(), ...options]];
        // Stored, BY <pattern> ALPHA would keep Redis' unordered ties: no ALPHA with a BY pattern.
        const byPattern = options.some((word, index) => word.toUpperCase() === "BY" && options[index + 1] !== "nosort");
        const stored = byPattern ? options.filter((word) => word.toUpperCase() !== "ALPHA") : options;
        return [["SORT", gen.key(), ...stored, gen.option("STORE"), gen.key()]];
      },
    },
    { name: "SORT_RO", build: (gen) => [["SORT_RO", gen.key(), ...sortArguments(gen)]] },
    { name: "SELECT", requires: NUMBERED_DATABASES, build: (gen) => [["SELECT", database(gen)]] },
    { name: "MOVE", requires: NUMBERED_DATABASES, build: (gen) => [["MOVE", gen.key(), database(gen)]] },
    { name: "SWAPDB", requires: NUMBERED_DATABASES, build: (gen) => [["SWAPDB", database(gen), database(gen)]] },
  ],
};
