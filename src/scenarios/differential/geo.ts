/**
 * Differential templates: the geo family of Redis 7.0. Points cluster around one place
 * so that searches find some; coordinates past the valid range are errors.
 */
import type { Family } from "./generator.js";
import type { Gen } from "./values.js";

function longitude(gen: Gen): string {
  if (gen.chance(0.9)) return (13 + gen.between(0, 5000) / 10_000).toFixed(6);
  return gen.pick(["180", "-180", "180.1", "x", "", "inf", "nan"]);
}

function latitude(gen: Gen): string {
  if (gen.chance(0.9)) return (38 + gen.between(0, 5000) / 10_000).toFixed(6);
  return gen.pick(["85.05112878", "85.06", "-85.06", "x", "90"]);
}

function unit(gen: Gen): string {
  return gen.option(gen.pick(["m", "km", "ft", "mi", "km", "yd"]));
}

function radius(gen: Gen): string {
  return gen.pick(["1", "10", "50", "200", "0", "-1", "x", "100000"]);
}

function origin(gen: Gen): string[] {
  return gen.chance(0.5) ? [gen.option("FROMMEMBER"), gen.member()] : [gen.option("FROMLONLAT"), longitude(gen), latitude(gen)];
}

function shape(gen: Gen): string[] {
  return gen.chance(0.5) ? [gen.option("BYRADIUS"), radius(gen), unit(gen)] : [gen.option("BYBOX"), radius(gen), radius(gen), unit(gen)];
}

function countOption(gen: Gen): string[] {
  if (!gen.chance(0.4)) return [];
  return [gen.option("COUNT"), gen.pick(["1", "2", "5", "0", "-1", "x"]), ...(gen.chance(0.3) ? [gen.option("ANY")] : [])];
}

function withOptions(gen: Gen): string[] {
  return gen.options(["WITHCOORD", "WITHDIST", "WITHHASH"], 2);
}

function order(gen: Gen): string[] {
  return gen.chance(0.6) ? [gen.option(gen.pick(["ASC", "DESC"]))] : [];
}

export const geo: Family = {
  name: "geo",
  templates: [
    {
      name: "GEOADD",
      build: (gen) => [["GEOADD", gen.key(), ...gen.options(["NX", "XX", "CH"], 1), ...gen.members(1, 3).flatMap((member) => [longitude(gen), latitude(gen), member])]],
    },
    { name: "GEOPOS", build: (gen) => [["GEOPOS", gen.key(), ...gen.members(0, 3)]] },
    { name: "GEODIST", build: (gen) => [["GEODIST", gen.key(), gen.member(), gen.member(), ...(gen.chance(0.5) ? [unit(gen)] : [])]] },
    { name: "GEOHASH", build: (gen) => [["GEOHASH", gen.key(), ...gen.members(0, 3)]] },
    { name: "GEOSEARCH", build: (gen) => [["GEOSEARCH", gen.key(), ...origin(gen), ...shape(gen), ...order(gen), ...countOption(gen), ...withOptions(gen)]] },
    {
      name: "GEOSEARCHSTORE",
      build: (gen) => [["GEOSEARCHSTORE", gen.key(), gen.key(), ...origin(gen), ...shape(gen), ...order(gen), ...countOption(gen), ...gen.options(["STOREDIST"], 1)]],
    },
    {
      name: "GEORADIUS",
      build: (gen) => [["GEORADIUS", gen.key(), longitude(gen), latitude(gen), radius(gen), unit(gen), ...withOptions(gen), ...countOption(gen), ...order(gen), ...(gen.chance(0.15) ? [gen.option(gen.pick(["STORE", "STOREDIST"])), gen.key()] : [])]],
    },
    {
      name: "GEORADIUSBYMEMBER",
      build: (gen) => [["GEORADIUSBYMEMBER", gen.key(), gen.member(), radius(gen), unit(gen), ...withOptions(gen), ...countOption(gen), ...order(gen), ...(gen.chance(0.15) ? [gen.option(gen.pick(["STORE", "STOREDIST"])), gen.key()] : [])]],
    },
    { name: "GEORADIUS_RO", build: (gen) => [["GEORADIUS_RO", gen.key(), longitude(gen), latitude(gen), radius(gen), unit(gen), ...withOptions(gen), ...countOption(gen), ...order(gen)]] },
    { name: "GEORADIUSBYMEMBER_RO", build: (gen) => [["GEORADIUSBYMEMBER_RO", gen.key(), gen.member(), radius(gen), unit(gen), ...withOptions(gen), ...countOption(gen), ...order(gen)]] },
  ],
};
