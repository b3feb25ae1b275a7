/**
 * Differential templates: the stream family of Redis 7.0, consumer groups included. IDs are
 * explicit (or `ms-*`): an auto ID `*` comes from each server's clock. Idle times (XPENDING's
 * extended rows, XINFO CONSUMERS) are compared by shape (compare.ts); XINFO STREAM FULL,
 * whose delivery and seen times are clock readings, is left out, and so is `~` trimming
 * (Redis trims whole nodes of about 100 entries: docs/commands.md). The blocking forms wait
 * at most 1 ms and are never mutated (a shifted argument could turn into BLOCK 0). One
 * template WATCHes a stream before a write to it (which of them abort EXEC).
 */
import type { Family, Template } from "./generator.js";
import type { Gen } from "./values.js";

function id(gen: Gen): string {
  return gen.pick([`${gen.between(0, 20)}-${gen.between(0, 3)}`, String(gen.between(0, 20)), `${gen.between(0, 20)}-${gen.between(0, 3)}`, "0", "0-0", "x", "-", "+"]);
}

function addId(gen: Gen): string {
  return gen.pick([`${gen.between(0, 20)}-${gen.between(0, 3)}`, `${gen.between(0, 20)}-*`, String(gen.between(0, 20)), "0-0", "x"]);
}

function rangeEnd(gen: Gen): string {
  return gen.pick([id(gen), "-", "+", `(${gen.between(0, 20)}`, `(${gen.between(0, 20)}-${gen.between(0, 3)}`]);
}

function group(gen: Gen): string {
  return gen.pick(["g1", "g2", "g1", "g2", "nogroup"]);
}

function consumer(gen: Gen): string {
  return gen.pick(["c1", "c2", "c3"]);
}

function trimming(gen: Gen): string[] {
  if (gen.chance(0.6)) return [];
  const strategy = gen.pick(["MAXLEN", "MINID"]);
  const threshold = strategy === "MAXLEN" ? gen.pick(["0", "1", "2", "3", "5", "-1", "x"]) : `${gen.between(0, 20)}`;
  return [gen.option(strategy), ...(gen.chance(0.3) ? ["="] : []), threshold];
}

function readCount(gen: Gen): string[] {
  return gen.chance(0.5) ? [gen.option("COUNT"), gen.pick(["0", "1", "2", "3", "-1", "x"])] : [];
}

/** STREAMS key ... id ...: one or two keys, each with an ID (or a wrong number of IDs, now and then). */
function streams(gen: Gen, ids: () => string): string[] {
  const keys = gen.keys(1, 2);
  const given = keys.map(ids);
  return [gen.option("STREAMS"), ...keys, ...(gen.chance(0.05) ? given.slice(1) : given)];
}

function xreadgroup(gen: Gen, block: boolean): string[] {
  return [
    "XREADGROUP",
    gen.option("GROUP"),
    group(gen),
    consumer(gen),
    ...readCount(gen),
    ...(gen.chance(0.2) ? [gen.option("NOACK")] : []),
    ...(block ? [gen.option("BLOCK"), gen.pick(["1", "1", "-1", "x"])] : []),
    ...streams(gen, () => gen.pick([">", ">", ">", "0", id(gen), "$"])),
  ];
}

/** The stream writes whose effect on a WATCH of their key WATCHED_WRITE tries. */
const STREAM_WRITES = new Set(["XADD", "XTRIM", "XDEL", "XGROUP", "XREADGROUP", "XACK", "XCLAIM", "XAUTOCLAIM", "XSETID"]);

/** The stream key a built stream command names first (XGROUP: after the subcommand; XREADGROUP: after STREAMS). */
function streamKeyOf(command: string[]): string | undefined {
  const name = command[0]!.toUpperCase();
  if (name === "XGROUP") return command[2];
  if (name === "XREADGROUP") return command[command.findIndex((word) => word.toUpperCase() === "STREAMS") + 1];
  return command[1];
}

/**
 * A stream with group g1 and an entry pending for c1 (when the key allows), a WATCH of it,
 * one stream write to it by the same client, then MULTI / XLEN / EXEC:
 * EXEC is nil only for what Redis counts as a modification of the key (XADD, XDEL and
 * XTRIM that removed entries, XGROUP CREATE MKSTREAM of a new key), not for a change of
 * the stream's groups alone (XREADGROUP, XACK, XCLAIM, XAUTOCLAIM, other XGROUPs, XSETID).
 */
const WATCHED_WRITE: Template = {
  name: "WATCH",
  requires: ["MULTI", "EXEC", "XLEN"],
  keepArguments: true,
  build: (gen, context) => {
    const writes = streamsFamily.templates.filter((template) => STREAM_WRITES.has(template.name) && template.blocking !== true);
    const command = gen.pick(writes).build(gen, context)[0]!;
    const key = streamKeyOf(command) ?? gen.key();
    const setup = [
      ["XGROUP", "CREATE", key, "g1", "0", "MKSTREAM"],
      ["XADD", key, `${gen.between(0, 40)}-*`, gen.member(), gen.value()],
      ["XREADGROUP", "GROUP", "g1", "c1", "COUNT", "1", "STREAMS", key, ">"],
    ];
    return [...setup, ["WATCH", key], command, ["MULTI"], ["XLEN", key], ["EXEC"]];
  },
};

export const streamsFamily: Family = {
  name: "streams",
  templates: [
    { name: "XADD", build: (gen) => [["XADD", gen.key(), ...(gen.chance(0.1) ? [gen.option("NOMKSTREAM")] : []), ...trimming(gen), addId(gen), ...gen.members(1, 2).flatMap((field) => [field, gen.value()])]] },
    { name: "XADD", build: (gen) => [["XADD", gen.key(), addId(gen), gen.member(), gen.value()]] },
    { name: "XTRIM", build: (gen) => [["XTRIM", gen.key(), ...(trimming(gen).length > 0 ? trimming(gen) : ["MAXLEN", gen.pick(["0", "2", "x"])])]] },
    { name: "XDEL", build: (gen) => [["XDEL", gen.key(), id(gen), ...(gen.chance(0.4) ? [id(gen)] : [])]] },
    { name: "XLEN", build: (gen) => [["XLEN", gen.key()]] },
    { name: "XRANGE", build: (gen) => [["XRANGE", gen.key(), rangeEnd(gen), rangeEnd(gen), ...readCount(gen)]] },
    { name: "XREVRANGE", build: (gen) => [["XREVRANGE", gen.key(), rangeEnd(gen), rangeEnd(gen), ...readCount(gen)]] },
    { name: "XREAD", build: (gen) => [["XREAD", ...readCount(gen), ...streams(gen, () => gen.pick(["0", "$", id(gen)]))]] },
    { name: "XREAD", blocking: true, build: (gen) => [["XREAD", ...readCount(gen), "BLOCK", gen.pick(["1", "-1", "x"]), ...streams(gen, () => gen.pick(["0", "$", id(gen)]))]] },
    {
      name: "XGROUP",
      build: (gen) => {
        const sub = gen.pick(["CREATE", "CREATE", "SETID", "DESTROY", "CREATECONSUMER", "DELCONSUMER"]);
        const key = gen.key();
        if (sub === "CREATE" || sub === "SETID") {
          const options = sub === "CREATE" && gen.chance(0.5) ? [gen.option("MKSTREAM")] : gen.chance(0.2) ? [gen.option("ENTRIESREAD"), gen.pick(["0", "2", "-1", "x"])] : [];
          return [["XGROUP", gen.option(sub), key, group(gen), gen.pick(["$", "0", id(gen)]), ...options]];
        }
        if (sub === "DESTROY") return [["XGROUP", gen.option(sub), key, group(gen)]];
        return [["XGROUP", gen.option(sub), key, group(gen), consumer(gen)]];
      },
    },
    { name: "XREADGROUP", build: (gen) => [xreadgroup(gen, false)] },
    { name: "XREADGROUP", build: (gen) => [xreadgroup(gen, false)] },
    { name: "XREADGROUP", blocking: true, build: (gen) => [xreadgroup(gen, true)] },
    { name: "XACK", build: (gen) => [["XACK", gen.key(), group(gen), id(gen), ...(gen.chance(0.5) ? [id(gen)] : [])]] },
    {
      name: "XPENDING",
      build: (gen) => {
        if (gen.chance(0.5)) return [["XPENDING", gen.key(), group(gen)]];
        const idle = gen.chance(0.2) ? [gen.option("IDLE"), gen.pick(["0", "100000000"])] : [];
        return [["XPENDING", gen.key(), group(gen), ...idle, rangeEnd(gen), rangeEnd(gen), gen.pick(["10", "1", "0", "-1"]), ...(gen.chance(0.4) ? [consumer(gen)] : [])]];
      },
    },
    {
      name: "XCLAIM",
      build: (gen) => [["XCLAIM", gen.key(), group(gen), consumer(gen), gen.pick(["0", "0", "100000000"]), id(gen), ...(gen.chance(0.5) ? [id(gen)] : []), ...gen.options(["JUSTID", "FORCE"], 2)]],
    },
    {
      name: "XAUTOCLAIM",
      build: (gen) => [["XAUTOCLAIM", gen.key(), group(gen), consumer(gen), gen.pick(["0", "0", "100000000"]), gen.pick(["0", "0-0", id(gen), `(${gen.between(0, 20)}`]), ...(gen.chance(0.5) ? [gen.option("COUNT"), gen.pick(["1", "2", "5", "0"])] : []), ...(gen.chance(0.3) ? [gen.option("JUSTID")] : [])]],
    },
    { name: "XSETID", build: (gen) => [["XSETID", gen.key(), `${gen.between(0, 25)}-${gen.between(0, 3)}`]] },
    { name: "XINFO", build: (gen) => [["XINFO", gen.option("STREAM"), gen.key()]] },
    { name: "XINFO", build: (gen) => [["XINFO", gen.option("GROUPS"), gen.key()]] },
    { name: "XINFO", build: (gen) => [["XINFO", gen.option("CONSUMERS"), gen.key(), group(gen)]] },
    WATCHED_WRITE,
  ],
};
