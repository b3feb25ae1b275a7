/**
 * The library examples users copy — README.md's and docs/*.md's ```ts blocks and the
 * example at the top of src/db.ts — type-check under the project's strict settings
 * against the package's published types: `import ... from "walnut"` resolves (by the
 * package's own name and its "exports") to dist/index.d.ts, what `npm install walnut`
 * gives a user. An API change that breaks an example fails here, not in a user's editor.
 */
import { readdir, readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import assert from "node:assert/strict";
import ts from "typescript";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const TYPES_ENTRY = join(ROOT, "dist", "index.d.ts");

interface Example {
  where: string;
  code: string;
}

/** The ```ts blocks of a markdown text. */
function markdownExamples(text: string, where: string): Example[] {
  return [...text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match, i) => ({ where: `${where} block ${i + 1}`, code: match[1] as string }));
}

/** The ```ts block of a source file's doc comment, without its " * " margins. */
function docCommentExamples(text: string, where: string): Example[] {
  const unindented = text
    .split("\n")
    .filter((line) => /^ \*( |$)/.test(line))
    .map((line) => line.replace(/^ \* ?/, ""))
    .join("\n");
  return markdownExamples(`${unindented}\n`, where);
}

async function allExamples(): Promise<Example[]> {
  const examples = markdownExamples(await readFile(join(ROOT, "README.md"), "utf8"), "README.md");
  for (const name of (await readdir(join(ROOT, "docs"))).filter((n) => n.endsWith(".md")).sort()) {
    examples.push(...markdownExamples(await readFile(join(ROOT, "docs", name), "utf8"), `docs/${name}`));
  }
  examples.push(...docCommentExamples(await readFile(join(ROOT, "src", "db.ts"), "utf8"), "src/db.ts"));
  return examples;
}

/** The project's compiler options (strict), checking only: examples need not use every name. */
function compilerOptions(): ts.CompilerOptions {
  const file = ts.readConfigFile(join(ROOT, "tsconfig.json"), (path) => ts.sys.readFile(path));
  assert.equal(file.error, undefined, "tsconfig.json parses");
  const parsed = ts.parseJsonConfigFileContent(file.config, ts.sys, ROOT);
  const { rootDir: _rootDir, outDir: _outDir, ...options } = parsed.options;
  return { ...options, noEmit: true, noUnusedLocals: false, declaration: false, sourceMap: false };
}

/** Type-checks each example as an ES module in the package's root; the diagnostics, formatted, per example. */
function typeCheck(examples: Example[]): Map<string, string> {
  const options = compilerOptions();
  const files = new Map(examples.map((example, i) => [join(ROOT, `doc-example-${i + 1}.mts`), example]));
  const host = ts.createCompilerHost(options);
  const { fileExists, readFile: readHostFile, getSourceFile } = host;
  host.fileExists = (path) => files.has(path) || fileExists.call(host, path);
  host.readFile = (path) => files.get(path)?.code ?? readHostFile.call(host, path);
  host.getSourceFile = (path, language, ...rest) => {
    const example = files.get(path);
    return example === undefined ? getSourceFile.call(host, path, language, ...rest) : ts.createSourceFile(path, example.code, language, true);
  };
  const program = ts.createProgram([...files.keys()], options, host);
  const byExample = new Map<string, string>();
  for (const [path, example] of files) {
    const source = program.getSourceFile(path);
    assert.ok(source !== undefined);
    const diagnostics = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)];
    byExample.set(example.where, ts.formatDiagnostics(diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => ROOT, getNewLine: () => "\n" }));
  }
  byExample.set("(options)", ts.formatDiagnostics(program.getOptionsDiagnostics(), host));
  return byExample;
}

test('"walnut" resolves, from the package root, to the built types', () => {
  const resolved = ts.resolveModuleName("walnut", join(ROOT, "doc-example.mts"), compilerOptions(), ts.sys);
  assert.equal(resolved.resolvedModule?.resolvedFileName, TYPES_ENTRY, "build first: npx tsc -p tsconfig.json");
});

test("README's and the docs' library examples type-check under strict", async () => {
  const examples = await allExamples();
  assert.ok(
    examples.some((e) => e.where.startsWith("README.md") && e.code.includes('from "walnut"')),
    "README.md has a ```ts example that imports walnut",
  );
  assert.ok(examples.some((e) => e.where.startsWith("src/db.ts")), "src/db.ts's doc comment has a ```ts example");
  for (const [where, errors] of typeCheck(examples)) assert.equal(errors, "", `${where} does not type-check:\n${errors}`);
});

test("the check fails on an example that misuses the API", () => {
  const misuse = [
    'import { open } from "walnut";',
    'const db = await open({ dir: "./data" });',
    'const version = await db.set("k", "v", { ifNotExists: true }); // number | null',
    'await db.set("k", "w", { ifVersion: version });',
    "",
  ].join("\n");
  const errors = typeCheck([{ where: "misuse", code: misuse }]).get("misuse") ?? "";
  assert.match(errors, /TS2322|TS2769/, "a possibly-null version is not a version");
});
