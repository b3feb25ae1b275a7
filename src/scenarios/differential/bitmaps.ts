/** Differential templates: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and BITFIELD_RO. */
import type { Family } from "./generator.js";
import type { Gen } from "./values.js";

/** A bit offset: small, negative, at 2^32 (past Redis' limit), or not a number. Small enough never to allocate much. */
function bitOffset(gen: Gen): string {
  if (gen.chance(0.7)) return String(gen.between(0, 100));
  // Not 4294967295: valid, it would make a 512 MB string.
  return gen.pick(["-1", "4294967296", "x", "", "1.5", "1000"]);
}

function rangeUnit(gen: Gen): string[] {
  return gen.chance(0.3) ? [gen.option(gen.pick(["BYTE", "BIT", "WORD"]))] : [];
}

function fieldType(gen: Gen): string {
  return gen.pick(["u1", "i1", "u8", "i8", "i16", "u16", "u32", "i32", "u63", "i64", "u64", "i65", "x8", "U8", "i0"]);
}

function fieldOffset(gen: Gen): string {
  return gen.pick(["0", "1", "7", "8", "13", "#0", "#1", "#2", "-1", "x", "#-1"]);
}

function bitfieldOperations(gen: Gen, readOnly: boolean): string[] {
  const operations: string[] = [];
  const count = gen.between(1, 3);
  for (let index = 0; index < count; index++) {
    const kind = readOnly ? 0 : gen.between(0, 3);
    if (kind === 0) operations.push(gen.option("GET"), fieldType(gen), fieldOffset(gen));
    else if (kind === 1) operations.push(gen.option("SET"), fieldType(gen), fieldOffset(gen), gen.integer());
    else if (kind === 2) operations.push(gen.option("INCRBY"), fieldType(gen), fieldOffset(gen), gen.integer());
    else operations.push(gen.option("OVERFLOW"), gen.option(gen.pick(["WRAP", "SAT", "FAIL", "NONE"])));
  }
  return operations;
}

export const bitmaps: Family = {
  name: "bitmaps",
  templates: [
    { name: "SETBIT", build: (gen) => [["SETBIT", gen.key(), bitOffset(gen), gen.pick(["0", "1", "1", "2", "-1", "x"])]] },
    { name: "GETBIT", build: (gen) => [["GETBIT", gen.key(), bitOffset(gen)]] },
    { name: "BITCOUNT", build: (gen) => [["BITCOUNT", gen.key(), ...(gen.chance(0.6) ? [gen.index(), gen.index(), ...rangeUnit(gen)] : [])]] },
    {
      name: "BITPOS",
      build: (gen) => {
        const tail = gen.between(0, 3);
        const optional = [gen.index(), gen.index(), ...rangeUnit(gen)].slice(0, tail);
        return [["BITPOS", gen.key(), gen.pick(["0", "1", "1", "2", "x"]), ...optional]];
      },
    },
    {
      name: "BITOP",
      build: (gen) => [["BITOP", gen.option(gen.pick(["AND", "OR", "XOR", "NOT", "NAND"])), gen.key(), ...gen.keys(1, 3)]],
    },
    { name: "BITFIELD", build: (gen) => [["BITFIELD", gen.key(), ...bitfieldOperations(gen, false)]] },
    { name: "BITFIELD_RO", build: (gen) => [["BITFIELD_RO", gen.key(), ...bitfieldOperations(gen, gen.chance(0.9))]] },
  ],
};
