import { test } from "node:test";
import assert from "node:assert/strict";
import { applyHeapGrowthPercent, HEAP_GROWTH_PERCENT_MAX } from "./heap_growth.js";

test("--heap-growth-percent is refused outside 0 to 300 with one line naming the flag", () => {
  for (const bad of [-1, 1.5, HEAP_GROWTH_PERCENT_MAX + 1, Number.NaN]) {
    assert.throws(() => applyHeapGrowthPercent(bad), (error: Error) => {
      assert.match(error.message, /^Cannot use --heap-growth-percent .*: it must be from 0 \(V8's own choice\) to 300$/);
      return true;
    });
  }
  assert.doesNotThrow(() => applyHeapGrowthPercent(0));
});
