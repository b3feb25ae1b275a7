/**
 * Imports flow one way. This test reads every non-test .ts file under src/, parses its relative
 * imports (`import ... from`, `import type ... from`, `export ... from`) with the TypeScript parser,
 * maps each file to its layer (its top-level folder under src/; files directly in src/ are the
 * embedded face) and fails on every import against the direction in LAYERS below.
 *
 * It lives in lib/ because it imports nothing of walnut's: it checks the tree, it is not part of it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

/**
 * The allowed order, top to bottom. A file may import files of its own folder and of any folder in a
 * LOWER tier. Importing a higher tier is an upward import; importing a different folder of the SAME
 * tier is a sideways import (peers stay independent, so two folders can never import each other).
 * "src" is the files directly in src/ (db.ts, index.ts, db_replies.ts: the embedded face).
 */
const LAYERS: readonly (readonly string[])[] = [
  ["bench", "faults", "sim"], // tools: load generators, fault campaigns, the Raft simulator
  ["scenarios"], // test fixtures: real servers and clusters for tests (never shipped)
  ["processes"], // real walnut processes and clusters, a partitioning TCP proxy: for faults/ and scenarios/
  ["check"], // history checkers shared by sim/ and faults/
  ["cli"], // the outermost face: `walnut ...` starts servers, opens data dirs, talks to nodes
  ["src", "server", "client"], // faces: embedded library, RESP/HTTP servers, the RESP client
  ["resp"], // the RESP wire codec that server/, client/ and the tools all speak
  ["commands"], // the Redis command set over one node
  ["node"], // one replicated node: Raft + WAL + checkpoints + state machine
  ["metrics", "transport"], // what a node records; how nodes talk to each other
  ["raft", "wal", "snapshot"], // consensus, the log on disk, checkpoints on disk
  ["engine"], // the in-memory keyspace and its value types
  ["config"], // options, peers, resolution of flags and environment
  ["lib"], // errors, logging, units, durable files: imports nothing of walnut's
];

/** Imports forbidden even though the tiers would allow them: shipped tools must not use test fixtures. */
const FORBIDDEN: readonly (readonly [from: string, to: string])[] = [
  ["faults", "scenarios"],
  ["bench", "scenarios"],
];

/**
 * Violations accepted for now, each "importer -> imported" (paths under src/). Remove an entry when
 * its import is fixed; the test fails if an entry no longer exists, so this list only shrinks, and
 * it fails on any violation not listed here. Empty: every import flows down. (The 25 found when this
 * test was written were removed one by one; see the git history of this file.)
 */
const KNOWN_VIOLATIONS: readonly string[] = [];

const srcRoot = fileURLToPath(new URL("../../src/", import.meta.url));

function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(path));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") && !entry.name.endsWith(".d.ts")) files.push(path);
  }
  return files;
}

/** Relative specifiers of every static import and re-export in `text` (type-only ones included). */
function relativeImports(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, false);
  const specifiers: string[] = [];
  for (const statement of source.statements) {
    const specifier =
      ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement) ? statement.moduleSpecifier : undefined;
    if (specifier !== undefined && ts.isStringLiteral(specifier) && specifier.text.startsWith(".")) {
      specifiers.push(specifier.text);
    }
  }
  return specifiers;
}

/** `path` under src/, with / separators, and the .js of an ESM specifier read as the .ts it names. */
function underSrc(path: string): string {
  return relative(srcRoot, path).split(sep).join("/").replace(/\.js$/, ".ts");
}

function layerOf(pathUnderSrc: string): string {
  const parts = pathUnderSrc.split("/");
  return parts.length === 1 ? "src" : (parts[0] as string);
}

function tierOf(layer: string): number {
  const tier = LAYERS.findIndex((names) => names.includes(layer));
  assert.notEqual(tier, -1, `Cannot check layering: src/${layer}/ is in no tier of LAYERS; add it where it belongs`);
  return tier;
}

interface Violation {
  edge: string; // "node/node.ts -> commands/entry.ts"
  why: string;
}

/** Why `from` (a path under src/) may not import `to`, or undefined when it may. */
function against(from: string, to: string): string | undefined {
  const fromLayer = layerOf(from);
  const toLayer = layerOf(to);
  if (toLayer === fromLayer) return undefined;
  // Tiers are listed top first, so a higher layer has a smaller index.
  const fromTier = tierOf(fromLayer);
  const toTier = tierOf(toLayer);
  if (toTier < fromTier) return `${fromLayer} imports ${toLayer}, a higher layer`;
  if (toTier === fromTier) return `${fromLayer} imports ${toLayer}, a peer in the same tier`;
  if (FORBIDDEN.some(([a, b]) => a === fromLayer && b === toLayer)) {
    return `${fromLayer} is shipped and must not import the test fixtures in ${toLayer}`;
  }
  return undefined;
}

function violations(): Violation[] {
  const found: Violation[] = [];
  for (const file of sourceFiles(srcRoot)) {
    const from = underSrc(file);
    for (const specifier of relativeImports(file, readFileSync(file, "utf8"))) {
      const to = underSrc(join(dirname(file), specifier));
      const why = against(from, to);
      const edge = `${from} -> ${to}`;
      // A file may import the same module twice (a value import and a type import): one violation.
      if (why !== undefined && !found.some((violation) => violation.edge === edge)) found.push({ edge, why });
    }
  }
  return found;
}

test("every import flows down the layers (no new violations)", () => {
  const known = new Set(KNOWN_VIOLATIONS);
  const fresh = violations().filter((violation) => !known.has(violation.edge));
  assert.deepEqual(
    fresh.map((violation) => `${violation.edge}   (${violation.why})`),
    [],
    "imports against the layer order (see LAYERS in src/lib/layering.test.ts)",
  );
});

test("every known violation still exists (the known list is not stale)", () => {
  const current = new Set(violations().map((violation) => violation.edge));
  const stale = KNOWN_VIOLATIONS.filter((edge) => !current.has(edge));
  assert.deepEqual(stale, [], "fixed violations still listed in KNOWN_VIOLATIONS: delete them");
});

test("the checker parses every kind of static import and classifies edges by the table", () => {
  // Guards against a checker that finds nothing and so can never fail.
  const text = [
    'import { a } from "../commands/reply.js";',
    'import type { B } from "./b.js";',
    'import "node:fs";',
    'export { c } from "../lib/c.js";',
    'export * from "../node/d.js";',
    "const e = 1;",
    "export { e };",
  ].join("\n");
  assert.deepEqual(relativeImports("x.ts", text), ["../commands/reply.js", "./b.js", "../lib/c.js", "../node/d.js"]);
  assert.match(against("engine/engine.ts", "commands/table.ts") ?? "", /higher layer/);
  assert.match(against("client/resp_client.ts", "server/resp/connection.ts") ?? "", /same tier/);
  assert.match(against("server/servers.ts", "db.ts") ?? "", /same tier/);
  assert.match(against("faults/nemesis.ts", "scenarios/tcp_proxy.ts") ?? "", /test fixtures/);
  assert.equal(against("sim/node_cluster.ts", "scenarios/harness.ts"), undefined);
  assert.equal(against("commands/apply.ts", "engine/engine.ts"), undefined);
  assert.equal(against("server/resp/connection.ts", "server/resp/info.ts"), undefined);
  assert.match(against("lib/errors.ts", "config/options.ts") ?? "", /higher layer/);
});
