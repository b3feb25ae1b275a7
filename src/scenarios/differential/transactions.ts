/**
 * Differential templates: MULTI/EXEC/DISCARD/WATCH/UNWATCH around commands of the other
 * families, misplaced ones included (EXEC without MULTI, MULTI inside MULTI, WATCH inside
 * MULTI), and a watched key written before EXEC (by the same client: EXEC answers nil).
 */
import type { BuildContext, Family } from "./generator.js";
import type { Gen } from "./values.js";

function transaction(gen: Gen, context: BuildContext): string[][] {
  const commands: string[][] = [];
  if (gen.chance(0.4)) {
    commands.push(["WATCH", ...gen.keys(1, 2)]);
    if (gen.chance(0.5)) commands.push(context.anyCommand());
    if (gen.chance(0.2)) commands.push(["UNWATCH"]);
  }
  commands.push(["MULTI"]);
  const queued = gen.between(0, 4);
  for (let index = 0; index < queued; index++) {
    if (gen.chance(0.05)) commands.push(gen.pick([["MULTI"], ["WATCH", gen.key()]]));
    else commands.push(context.anyCommand());
  }
  commands.push([gen.chance(0.85) ? "EXEC" : "DISCARD"]);
  return commands;
}

export const transactions: Family = {
  name: "transactions",
  templates: [
    { name: "MULTI", requires: ["EXEC", "DISCARD", "WATCH", "UNWATCH"], build: transaction },
    { name: "EXEC", build: () => [["EXEC"]] },
    { name: "DISCARD", build: () => [["DISCARD"]] },
    { name: "UNWATCH", build: () => [["UNWATCH"]] },
  ],
};
