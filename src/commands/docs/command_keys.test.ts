/**
 * Key specs find the keys of commands whose keys move, for commands other engineers are
 * adding (streams, scripting): what redis-server 7.0's COMMAND GETKEYSANDFLAGS answers for
 * the same lines. (The commands walnut already has are compared with a live redis-server
 * in scenarios/command_docs_differential.test.ts.)
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { keysBySpecs, keySpecsOfInfo } from "./command_keys.js";
import { redisFacts } from "./facts.js";

function keys(name: string, argv: string[]): Array<[string, string[]]> | null {
  const facts = redisFacts(name);
  assert.ok(facts !== undefined, name);
  const found = keysBySpecs(argv, keySpecsOfInfo(facts.info));
  return found === null ? null : found.map(({ key, flags }) => [key, flags]);
}

test("XREAD and XREADGROUP find their keys after STREAMS, half of what follows it", () => {
  assert.deepEqual(keys("xread", ["XREAD", "COUNT", "1", "STREAMS", "a", "b", "0", "0"]), [["a", ["RO", "access"]], ["b", ["RO", "access"]]]);
  assert.deepEqual(keys("xread", ["XREAD", "STREAMS", "a", "b", "0"]), [["a", ["RO", "access"]]]);
  assert.deepEqual(keys("xreadgroup", ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "a", "0"]), [["a", ["RO", "access"]]]);
});

test("EVAL and FCALL find numkeys keys; XGROUP CREATE its subcommand's key", () => {
  assert.deepEqual(keys("eval", ["EVAL", "s", "2", "a", "b", "c"]), [["a", ["RW", "access", "update"]], ["b", ["RW", "access", "update"]]]);
  assert.deepEqual(keys("fcall", ["FCALL", "f", "1", "a", "x"]), [["a", ["RW", "access", "update"]]]);
  assert.equal(keys("eval", ["EVAL", "s", "3", "a"]), null);
  assert.deepEqual(keys("xgroup|create", ["XGROUP", "CREATE", "s", "g", "$"]), [["s", ["RW", "insert"]]]);
});
