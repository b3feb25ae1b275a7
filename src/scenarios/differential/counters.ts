/** Differential templates: INCR, DECR, INCRBY, DECRBY and INCRBYFLOAT, at and past the 64-bit limits. */
import type { Family } from "./generator.js";

export const counters: Family = {
  name: "counters",
  templates: [
    { name: "INCR", build: (gen) => [["INCR", gen.key()]] },
    { name: "DECR", build: (gen) => [["DECR", gen.key()]] },
    { name: "INCRBY", build: (gen) => [["INCRBY", gen.key(), gen.integer()]] },
    { name: "DECRBY", build: (gen) => [["DECRBY", gen.key(), gen.integer()]] },
    { name: "INCRBYFLOAT", build: (gen) => [["INCRBYFLOAT", gen.key(), gen.float()]] },
    // A counter near the limit, then a step over it.
    {
      name: "SET",
      build: (gen) => [
        ["SET", gen.key(), gen.pick(["9223372036854775806", "-9223372036854775807", "0", "10", "1.5", "1e3", " 7"])],
      ],
    },
  ],
};
