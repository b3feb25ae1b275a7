/**
 * Facts about Redis' commands, as redis-server answers COMMAND INFO and COMMAND DOCS
 * (redis_facts.ts, generated), in a compact tagged JSON that keeps the reply types:
 * "$text" a bulk string, "+text" a simple string, a number an integer, and arrays tagged by
 * their first element: ["*", ...] an array, ["~", ...] a set, ["%", key, value, ...] a map.
 * Keeping the types lets walnut answer RESP3 exactly as Redis does (flags are sets,
 * key specs maps).
 */
import type { Reply } from "../../engine/reply.js";
import { REDIS_COMMAND_FACTS } from "./redis_facts.js";

export type Fact = number | string | Fact[];

/** The reply a fact stands for. */
export function factReply(fact: Fact): Reply {
  if (typeof fact === "number") return { type: "integer", value: fact };
  if (typeof fact === "string") {
    return fact.startsWith("+") ? { type: "status", text: fact.slice(1) } : { type: "bulk", value: fact.slice(1) };
  }
  const [tag, ...items] = fact;
  if (tag === "~") return { type: "set", items: items.map(factReply) };
  if (tag === "*") return { type: "array", items: items.map(factReply) };
  const entries: Array<[Reply, Reply]> = [];
  for (let index = 0; index + 1 < items.length; index += 2) {
    entries.push([factReply(items[index] as Fact), factReply(items[index + 1] as Fact)]);
  }
  return { type: "map", entries };
}

/** The items of an array, set or map fact (a map's keys and values alternate). */
export function factItems(fact: Fact | undefined): Fact[] {
  return Array.isArray(fact) ? fact.slice(1) : [];
}

/** The text of a bulk or simple string fact. */
export function factText(fact: Fact | undefined): string {
  return typeof fact === "string" ? fact.slice(1) : "";
}

/** The value under `key` in a map fact. */
export function factField(map: Fact | undefined, key: string): Fact | undefined {
  const items = factItems(map);
  for (let index = 0; index + 1 < items.length; index += 2) {
    if (factText(items[index]) === key) return items[index + 1];
  }
  return undefined;
}

/** A map fact without the fields named in `drop`. */
export function factWithout(map: Fact, drop: readonly string[]): Fact[] {
  const items = factItems(map);
  const kept: Fact[] = ["%"];
  for (let index = 0; index + 1 < items.length; index += 2) {
    if (!drop.includes(factText(items[index]))) kept.push(items[index] as Fact, items[index + 1] as Fact);
  }
  return kept;
}

/** Redis' facts about the command (or "container|sub" subcommand) named `name`, lower case. */
export function redisFacts(name: string): { info: Fact; docs: Fact } | undefined {
  const [container, sub] = name.toLowerCase().split("|");
  const top = REDIS_COMMAND_FACTS[container ?? ""];
  if (top === undefined || sub === undefined) return top;
  const info = factItems(factItems(top.info)[9]).find((entry) => factText(factItems(entry)[0]) === name.toLowerCase());
  const docs = factField(factField(top.docs, "subcommands"), name.toLowerCase());
  return info === undefined || docs === undefined ? undefined : { info, docs };
}
