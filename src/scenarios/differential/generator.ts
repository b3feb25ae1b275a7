/**
 * Seeded random command sequences for the differential test (runner.ts sends each to
 * redis-server 7.0 and to walnut and compares the replies).
 *
 * Each command family of Redis 7.0 is a file of templates beside this one. A template
 * names the command it builds; templates whose command walnut does not have (its
 * `COMMAND LIST`) are left out before a run, so coverage grows by itself as families land.
 * A sequence focuses on two families (so values of one type pile up on the shared keys)
 * and mixes in any other command now and then (so they collide and hit wrong types).
 * A few commands lose their last argument or gain an extra one.
 *
 * Same seed and same available commands: same sequence.
 */
import { Random } from "../../lib/seeded_random.js";
import { Gen } from "./values.js";
import { strings } from "./strings.js";
import { counters } from "./counters.js";
import { expiry } from "./expiry.js";
import { keyspace } from "./keyspace.js";
import { lists } from "./lists.js";
import { hyperloglog } from "./hyperloglog.js";
import { hashes } from "./hashes.js";
import { sets } from "./sets.js";
import { sortedSets } from "./sorted_sets.js";
import { bitmaps } from "./bitmaps.js";
import { geo } from "./geo.js";
import { transactions } from "./transactions.js";
import { streamsFamily } from "./streams.js";

/** One command of a family, and how to build it (possibly with the commands that must surround it). */
export interface Template {
  /** The command walnut must have for this template to be used (upper case). */
  name: string;
  /** Other commands that must exist too: numbered databases are SELECT, MOVE and SWAPDB together. */
  requires?: readonly string[];
  /** Blocks when no data is there: never queued in MULTI, never mutated (a shifted argument could turn into a timeout of 0). */
  blocking?: boolean;
  /** Never mutated: the commands only work as built (SPOP's random pick followed by DEL of its key). */
  keepArguments?: boolean;
  /** The commands to send (usually one). `context` gives transactions other families' commands. */
  build(gen: Gen, context: BuildContext): string[][];
}

export interface Family {
  name: string;
  templates: readonly Template[];
}

export interface BuildContext {
  /** One command of any non-transaction family walnut has (what MULTI queues). */
  anyCommand(): string[];
}

/** Every family of Redis 7.0 the generator knows, transactions last. */
export const FAMILIES: readonly Family[] = [
  strings, counters, expiry, keyspace, lists, hyperloglog, hashes, sets, sortedSets, bitmaps, geo, streamsFamily, transactions,
];

/** Which templates a server with `available` commands can run, and which commands were left out. */
export interface Coverage {
  families: Family[];
  used: string[];
  skipped: string[];
}

export function coverageFor(available: ReadonlySet<string>): Coverage {
  const used = new Set<string>();
  const skipped = new Set<string>();
  const families: Family[] = [];
  for (const family of FAMILIES) {
    const templates = family.templates.filter((template) => {
      const ok = [template.name, ...(template.requires ?? [])].every((name) => available.has(name));
      (ok ? used : skipped).add(template.name);
      return ok;
    });
    if (templates.length > 0) families.push({ name: family.name, templates });
  }
  for (const name of used) skipped.delete(name);
  return { families, used: [...used].sort(), skipped: [...skipped].sort() };
}

/** The probability that a command loses its last argument, and that it gains an extra one. */
const TRUNCATE_PROBABILITY = 0.03;
const EXTEND_PROBABILITY = 0.03;
/** How often a command comes from outside the sequence's two focus families. */
const STRAY_PROBABILITY = 0.2;

/** The commands of one sequence: `length` or a few more (a template may give several). */
export function generateSequence(seed: number, coverage: Coverage, length: number): string[][] {
  const gen = new Gen(new Random(seed));
  const { families } = coverage;
  if (families.length === 0) return [];
  const focus = [gen.pick(families), gen.pick(families)];
  const plain = families.filter((family) => family.name !== "transactions");
  const context: BuildContext = {
    anyCommand: () => {
      for (;;) {
        const template = gen.pick(gen.pick(plain).templates);
        if (template.blocking === true) continue;
        const built = template.build(gen, context);
        if (built.length === 1) return mutate(gen, built[0]!);
      }
    },
  };
  const commands: string[][] = [];
  while (commands.length < length) {
    const family = gen.chance(STRAY_PROBABILITY) ? gen.pick(families) : gen.pick(focus);
    const template = gen.pick(family.templates);
    for (const command of template.build(gen, context)) {
      commands.push(template.blocking === true || template.keepArguments === true ? command : mutate(gen, command));
    }
  }
  return commands;
}

function mutate(gen: Gen, command: string[]): string[] {
  if (command.length > 1 && gen.chance(TRUNCATE_PROBABILITY)) return command.slice(0, -1);
  if (gen.chance(EXTEND_PROBABILITY)) return [...command, gen.junk()];
  return command;
}

/** Derives the seed of sequence `index` of a run from the run's seed (what a failure prints). */
export function sequenceSeed(runSeed: number, index: number): number {
  return new Random((runSeed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0).nextUint32();
}
