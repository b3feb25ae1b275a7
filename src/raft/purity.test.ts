import { test } from "node:test";
import * as assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

// The compiled core (dist/raft/*.js beside this test), tests excluded.
const directory = dirname(fileURLToPath(import.meta.url));
const FORBIDDEN: ReadonlyArray<[RegExp, string]> = [
  [/from\s+["']node:/, 'an import of a "node:" module'],
  [/import\(\s*["']node:/, 'a dynamic import of a "node:" module'],
  [/\brequire\s*\(/, "require()"],
  [/\bsetTimeout\b/, "setTimeout"],
  [/\bsetInterval\b/, "setInterval"],
  [/\bsetImmediate\b/, "setImmediate"],
  [/\bDate\.now\b/, "Date.now"],
  [/\bnew Date\b/, "new Date"],
  [/\bMath\.random\b/, "Math.random"],
  [/\basync\b/, "async"],
  [/\bawait\b/, "await"],
];

/** Source without comments, so that the files' own documentation may name what they avoid. */
function code(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:])\/\/.*$/gm, "$1");
}

function coreFiles(): string[] {
  return readdirSync(directory).filter((name) => name.endsWith(".js") && !name.endsWith(".test.js"));
}

test("the raft core has compiled files to check", () => {
  assert.ok(coreFiles().includes("raft.js"), `raft.js not found in ${directory}`);
});

test("no file of the raft core imports node: modules or uses timers, clocks, Math.random or async", () => {
  for (const name of coreFiles()) {
    const source = code(readFileSync(join(directory, name), "utf8"));
    for (const [pattern, what] of FORBIDDEN) assert.doesNotMatch(source, pattern, `${name} uses ${what}`);
  }
});

test("the purity check catches what it is meant to catch", () => {
  assert.match(code('import { readFile } from "node:fs";'), FORBIDDEN[0]?.[0] as RegExp);
  assert.match(code("const at = Date.now();"), /\bDate\.now\b/);
  assert.doesNotMatch(code("/* no Date.now() here */ // nor Math.random()"), /Date\.now|Math\.random/);
});
