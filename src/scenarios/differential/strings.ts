/** Differential templates: the string family of Redis 7.0 (GET, SET and its options, ranges, LCS). */
import type { Family } from "./generator.js";
import type { Gen } from "./values.js";

/** SET's options in a random order and case, conflicting ones and duplicates included. */
function setOptions(gen: Gen): string[] {
  const options: string[] = [];
  const count = gen.between(0, 3);
  for (let index = 0; index < count; index++) {
    switch (gen.between(0, 8)) {
      case 0: options.push(gen.option("NX")); break;
      case 1: options.push(gen.option("XX")); break;
      case 2: options.push(gen.option("GET")); break;
      case 3: options.push(gen.option("EX"), gen.ttl("s")); break;
      case 4: options.push(gen.option("PX"), gen.ttl("ms")); break;
      case 5: options.push(gen.option("EXAT"), gen.unixTime("s")); break;
      case 6: options.push(gen.option("PXAT"), gen.unixTime("ms")); break;
      case 7: options.push(gen.option("KEEPTTL")); break;
      default: options.push(gen.option(gen.pick(["EX", "PX", "EXAT", "PXAT"]))); // its value missing
    }
  }
  return options;
}

function getexOptions(gen: Gen): string[] {
  switch (gen.between(0, 6)) {
    case 0: return [gen.option("EX"), gen.ttl("s")];
    case 1: return [gen.option("PX"), gen.ttl("ms")];
    case 2: return [gen.option("EXAT"), gen.unixTime("s")];
    case 3: return [gen.option("PXAT"), gen.unixTime("ms")];
    case 4: return [gen.option("PERSIST")];
    case 5: return [gen.option("PERSIST"), gen.option("EX"), gen.ttl("s")];
    default: return [];
  }
}

export const strings: Family = {
  name: "strings",
  templates: [
    { name: "GET", build: (gen) => [["GET", gen.key()]] },
    { name: "SET", build: (gen) => [["SET", gen.key(), gen.value(), ...setOptions(gen)]] },
    { name: "SETNX", build: (gen) => [["SETNX", gen.key(), gen.value()]] },
    { name: "SETEX", build: (gen) => [["SETEX", gen.key(), gen.ttl("s"), gen.value()]] },
    { name: "PSETEX", build: (gen) => [["PSETEX", gen.key(), gen.ttl("ms"), gen.value()]] },
    { name: "GETSET", build: (gen) => [["GETSET", gen.key(), gen.value()]] },
    { name: "GETDEL", build: (gen) => [["GETDEL", gen.key()]] },
    { name: "GETEX", build: (gen) => [["GETEX", gen.key(), ...getexOptions(gen)]] },
    { name: "MGET", build: (gen) => [["MGET", ...gen.keys(1, 4)]] },
    {
      name: "MSET",
      build: (gen) => [["MSET", ...gen.keys(1, 3).flatMap((key) => [key, gen.value()]), ...(gen.chance(0.1) ? [gen.key()] : [])]],
    },
    { name: "MSETNX", build: (gen) => [["MSETNX", ...gen.keys(1, 3).flatMap((key) => [key, gen.value()])]] },
    { name: "APPEND", build: (gen) => [["APPEND", gen.key(), gen.value()]] },
    { name: "STRLEN", build: (gen) => [["STRLEN", gen.key()]] },
    { name: "GETRANGE", build: (gen) => [["GETRANGE", gen.key(), gen.index(), gen.index()]] },
    { name: "SUBSTR", build: (gen) => [["SUBSTR", gen.key(), gen.index(), gen.index()]] },
    {
      name: "SETRANGE",
      // Offsets stay small enough not to allocate hundreds of megabytes; 536870912 is Redis' limit (an error).
      build: (gen) => [["SETRANGE", gen.key(), gen.pick(["0", "1", "3", "10", "-1", "100", "536870912", "x"]), gen.value()]],
    },
    {
      name: "LCS",
      build: (gen) => [["LCS", gen.key(), gen.key(), ...gen.options(["LEN", "IDX", "WITHMATCHLEN"], 2), ...(gen.chance(0.3) ? [gen.option("MINMATCHLEN"), gen.count()] : [])]],
    },
  ],
};
