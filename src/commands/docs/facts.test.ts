/**
 * The command facts agree with the command table: every table command has COMMAND DOCS
 * and key specs (Redis' generated facts, or a hand-written entry for walnut's own), and
 * where Redis has facts, the table's arity, flags and first/last/step key positions are
 * the ones Redis gives.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { commandTable } from "../table.js";
import { factField, factItems, factReply, factText, redisFacts } from "./facts.js";
import { REDIS_COMMAND_FACTS } from "./redis_facts.js";
import { WALNUT_ONLY_DOCS } from "./walnut_docs.js";
import { COMPLEXITY } from "./complexity.js";
import { commandDocs } from "./command_info.js";
import type { TableEntry } from "../spec.js";

const REGENERATE = "regenerate src/commands/docs/redis_facts.ts (scripts/generate_command_facts.mjs says how) or, for a walnut-only command, add its entry to src/commands/docs/walnut_docs.ts";

test("every command of the table has Redis' facts or a hand-written walnut entry", () => {
  const missing = [...commandTable.keys()].filter((name) => redisFacts(name) === undefined && WALNUT_ONLY_DOCS[name] === undefined);
  assert.deepEqual(missing, [], `commands without docs or key specs: ${REGENERATE}`);
  const stale = Object.keys(WALNUT_ONLY_DOCS).filter((name) => !commandTable.has(name) || redisFacts(name) !== undefined);
  assert.deepEqual(stale, [], "walnut_docs.ts entries for commands that are not walnut-only table commands");
});

test("complexity texts are walnut's, name only table commands, and come after the group as in Redis (commands merged later may lack one)", () => {
  const zadd = commandDocs(commandTable.get("ZADD") as TableEntry);
  const keys = zadd.type === "map" ? zadd.entries.map(([key]) => (key.type === "bulk" ? key.value : "")) : [];
  assert.deepEqual(keys.slice(0, 5), ["summary", "since", "group", "complexity", "history"]);
  assert.deepEqual(Object.keys(COMPLEXITY).filter((name) => !commandTable.has(name)), []);
  // Commands merged from other branches may lack one until complexity.ts gains it: they answer none.
  const without = [...commandTable.keys()].filter((name) => COMPLEXITY[name] === undefined);
  assert.ok(without.length < commandTable.size / 4, `commands without a complexity text: ${without.join(" ")}`);
});

test("the table's arity, flags and key positions are Redis' for every command Redis has facts about", () => {
  const differing: string[] = [];
  for (const spec of commandTable.values()) {
    const facts = redisFacts(spec.name);
    if (facts === undefined) continue;
    const [, arity, flags, firstKey, lastKey, keyStep, , , keySpecs, subcommands] = factItems(facts.info);
    const theirs = { arity, firstKey, lastKey, keyStep, flags: factItems(flags).map(factText) };
    const ours = { arity: spec.arity, firstKey: spec.firstKey, lastKey: spec.lastKey, keyStep: spec.keyStep, flags: [...(spec.info?.flags ?? spec.flags)] };
    // A container's flags are its subcommands' (MEMORY, OBJECT: walnut flags the container readonly, as every data command).
    // Its key positions too: walnut's table routes XGROUP by its key, Redis' subcommand entries carry the key specs.
    const container = factItems(subcommands).length > 0;
    if (container) Object.assign(theirs, { flags: ours.flags, firstKey: ours.firstKey, lastKey: ours.lastKey, keyStep: ours.keyStep });
    if (JSON.stringify(ours) !== JSON.stringify(theirs)) differing.push(`${spec.name}: table ${JSON.stringify(ours)}, Redis ${JSON.stringify(theirs)}`);
    if (spec.firstKey > 0 && !container) assert.ok(factItems(keySpecs).length > 0, `${spec.name} has keys but no key specs`);
  }
  assert.deepEqual(differing, []);
});

test("the facts decode to Redis' reply types: flags are sets of simple strings, docs maps", () => {
  const get = REDIS_COMMAND_FACTS["get"];
  assert.ok(get !== undefined);
  const info = factReply(get.info);
  assert.equal(info.type, "array");
  assert.deepEqual(info.type === "array" ? info.items[2] : undefined, { type: "set", items: [{ type: "status", text: "readonly" }, { type: "status", text: "fast" }] });
  assert.equal(factText(factField(get.docs, "group")), "string");
  assert.equal(factField(get.docs, "summary"), undefined, "Redis' summaries are not copied");
  assert.equal(factField(get.docs, "complexity"), undefined, "Redis' complexity texts are not copied");
  assert.equal(factText(factField(redisFacts("config|get")?.docs, "since")), "2.0.0");
});
