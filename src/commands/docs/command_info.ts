/**
 * COMMAND INFO's ten fields and COMMAND DOCS's map for a command of walnut's table, as
 * redis-server 7.0 gives them. Name, arity, flags, key positions and ACL categories come
 * from the table (it decides what the dispatcher does); tips, key specifications,
 * subcommands, arguments, since, group and history are Redis' facts (redis_facts.ts).
 * Summaries (the table's) and complexity texts (complexity.ts) are walnut's own words.
 * A walnut-only command (no Redis facts) gets a key spec derived from its key positions.
 */
import { aclCategories } from "../acl_categories.js";
import type { TableEntry } from "../spec.js";
import { array, bulk, integer, map, set, status, type Reply } from "../../engine/reply.js";
import { factItems, factReply, factWithout, redisFacts, type Fact } from "./facts.js";
import { WALNUT_ONLY_DOCS } from "./walnut_docs.js";
import { COMPLEXITY } from "./complexity.js";

/** The key flags of a command walnut derives a key spec for: read (RO access) or write (RW access update). */
export function derivedKeyFlags(spec: TableEntry): string[] {
  return spec.flags.includes("write") ? ["RW", "access", "update"] : ["RO", "access"];
}

/** One key spec from first/last/step: begin at `firstKey`, a range to `lastKey` every `keyStep`. */
function derivedKeySpecs(spec: TableEntry): Reply {
  if (spec.firstKey <= 0) return set([]);
  const lastKey = spec.lastKey < 0 ? spec.lastKey : spec.lastKey - spec.firstKey;
  const named = (entries: Array<[string, Reply]>): Reply => map(entries.map(([key, value]): [Reply, Reply] => [bulk(key), value]));
  return set([
    named([
      ["flags", set(derivedKeyFlags(spec).map((flag) => status(flag)))],
      ["begin_search", named([["type", bulk("index")], ["spec", named([["index", integer(spec.firstKey)]])]])],
      ["find_keys", named([["type", bulk("range")], ["spec", named([["lastkey", integer(lastKey)], ["keystep", integer(spec.keyStep)], ["limit", integer(0)]])]])],
    ]),
  ]);
}

/** COMMAND INFO's entry for a table command. */
export function commandInfo(spec: TableEntry): Reply {
  const facts = redisFacts(spec.name);
  const redis = facts === undefined ? [] : factItems(facts.info);
  const factOr = (index: number, otherwise: Reply): Reply => (redis[index] === undefined ? otherwise : factReply(redis[index] as Fact));
  // A container (MEMORY, OBJECT, XGROUP) is described by Redis without flags or keys of its own, its
  // subcommands carrying them; walnut's table flags it readonly, as every data command is.
  const container = factItems(redis[9]).length > 0;
  // `info` states Redis' flags where walnut's routing flags differ (EVAL is routed as a write, Redis flags it by what it may do).
  const flags = set((spec.info?.flags ?? spec.flags).map((flag) => status(flag)));
  const categories = set(aclCategories(spec).map((category) => status(category)));
  return array([
    bulk(spec.name.toLowerCase()),
    integer(spec.arity),
    container ? factOr(2, flags) : flags,
    container ? factOr(3, integer(spec.firstKey)) : integer(spec.firstKey),
    container ? factOr(4, integer(spec.lastKey)) : integer(spec.lastKey),
    container ? factOr(5, integer(spec.keyStep)) : integer(spec.keyStep),
    container ? factOr(6, categories) : categories,
    factOr(7, set([])),
    factOr(8, derivedKeySpecs(spec)),
    factOr(9, array([])),
  ]);
}

/** The subcommand names ("config|get") Redis lists for a table command. */
export function subcommandNames(spec: TableEntry): string[] {
  const facts = redisFacts(spec.name);
  if (facts === undefined) return [];
  return factItems(factItems(facts.info)[9]).map((entry) => {
    const name = factItems(entry)[0];
    return typeof name === "string" ? name.slice(1) : "";
  });
}

/** COMMAND DOCS's map for a table command: walnut's summary, then Redis' facts (or walnut's own, for its commands). */
export function commandDocs(spec: TableEntry): Reply {
  const facts = redisFacts(spec.name);
  const rest = facts === undefined ? WALNUT_ONLY_DOCS[spec.name] : factWithout(facts.docs, []);
  const entries: Array<[Reply, Reply]> = [[bulk("summary"), bulk(spec.summary)]];
  const restReply = rest === undefined ? map([[bulk("since"), bulk("0.1.0")], [bulk("group"), bulk("walnut")]]) : factReply(rest);
  const complexity = COMPLEXITY[spec.name];
  for (const entry of restReply.type === "map" ? restReply.entries : []) {
    entries.push(entry);
    // Redis' order: summary, since, group, complexity, then the rest.
    if (complexity !== undefined && entry[0].type === "bulk" && entry[0].value === "group") entries.push([bulk("complexity"), bulk(complexity)]);
  }
  return map(entries);
}
