import { readFile } from "node:fs/promises";
import { test } from "node:test";
import assert from "node:assert/strict";
import { configurationReference } from "./reference.js";

test("docs/configuration.md is what the option table generates", async () => {
  const committed = await readFile(new URL("../../docs/configuration.md", import.meta.url), "utf8");
  assert.equal(committed, configurationReference(), "run: node dist/config/reference.js > docs/configuration.md");
});
