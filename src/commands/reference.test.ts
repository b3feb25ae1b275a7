import { readFile } from "node:fs/promises";
import { test } from "node:test";
import assert from "node:assert/strict";
import { commandsReference } from "./reference.js";

test("docs/commands.md is what the command table generates", async () => {
  const committed = await readFile(new URL("../../docs/commands.md", import.meta.url), "utf8");
  assert.equal(committed, commandsReference(), "run: node dist/commands/reference.js > docs/commands.md");
});
