import { test } from "node:test";
import assert from "node:assert/strict";
import { summarizeCpuProfile, type CpuProfile } from "./resp_profile.js";

const frame = (functionName: string, url = "", lineNumber = -1): { functionName: string; url: string; lineNumber: number } => ({
  functionName,
  url,
  lineNumber,
});

const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame("(root)") },
    { id: 2, callFrame: frame("encode", "file:///project/dist/server/resp/writer.js", 41) },
    { id: 3, callFrame: frame("(idle)") },
    { id: 4, callFrame: frame("encode", "file:///project/dist/server/resp/writer.js", 41) },
    { id: 5, callFrame: frame("", "node:net", 10) },
  ],
  samples: [2, 3, 4, 5, 2],
  timeDeltas: [0, 100, 400, 300, 200],
};

test("self time goes to the sampled function, summed over its call paths, idle apart", () => {
  const summary = summarizeCpuProfile(profile, { top: 10, projectRoot: "/project" });
  assert.equal(summary.idleMs, 0.4);
  assert.equal(summary.busyMs, 0.6);
  assert.deepEqual(summary.top.map((entry) => [entry.functionName, entry.location, entry.selfMs]), [
    ["encode", "dist/server/resp/writer.js:42", 0.4],
    ["(anonymous)", "node:net:11", 0.2],
  ]);
  assert.equal(Math.round(summary.top[0]?.busyPercent ?? 0), 67);
});

test("the summary keeps only the requested number of functions", () => {
  assert.equal(summarizeCpuProfile(profile, { top: 1, projectRoot: "/project/" }).top.length, 1);
});
