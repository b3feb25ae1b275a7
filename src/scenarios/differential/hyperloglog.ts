/** Differential templates: PFADD, PFCOUNT and PFMERGE (duplicates, no elements, wrong types). */
import type { Family } from "./generator.js";

export const hyperloglog: Family = {
  name: "hyperloglog",
  templates: [
    { name: "PFADD", build: (gen) => [["PFADD", gen.key(), ...gen.members(0, 5)]] },
    // Many distinct elements: enough to turn a sparse HyperLogLog dense.
    {
      name: "PFADD",
      build: (gen) => {
        const base = gen.between(0, 1_000_000);
        return [["PFADD", gen.key(), ...Array.from({ length: gen.between(50, 400) }, (_, index) => `e${base + index}`)]];
      },
    },
    { name: "PFCOUNT", build: (gen) => [["PFCOUNT", ...gen.keys(1, 3)]] },
    { name: "PFMERGE", build: (gen) => [["PFMERGE", ...gen.keys(1, 3)]] },
  ],
};
