import { test } from "node:test";
import assert from "node:assert/strict";
import { parseNodeFlagSets } from "./memory_resp.js";

test("node flag sets are split on ';' and blanks, empty sets dropped", () => {
  assert.deepEqual(parseNodeFlagSets(""), []);
  assert.deepEqual(parseNodeFlagSets("--heap-growing-percent=50"), [["--heap-growing-percent=50"]]);
  assert.deepEqual(parseNodeFlagSets(" --max-semi-space-size=4  --heap-growing-percent=50 ;; --optimize-for-size ;"), [
    ["--max-semi-space-size=4", "--heap-growing-percent=50"],
    ["--optimize-for-size"],
  ]);
});
