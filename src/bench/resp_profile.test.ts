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
    { id: 2, callFrame: frame("encode", "file:///project/dist/resp/writer.js", 41) },
    { id: 3, callFrame: frame("(idle)") },
    { id: 4, callFrame: frame("encode", "file:///project/dist/resp/writer.js", 41) },
    { id: 5, callFrame: frame("", "node:net", 10) },
  ],
  startTime: 1000,
  samples: [2, 3, 4, 5, 2],
  timeDeltas: [0, 100, 400, 300, 200],
};

test("self time goes to the sampled function, summed over its call paths, idle apart", () => {
  const summary = summarizeCpuProfile(profile, { top: 10, projectRoot: "/project" });
  assert.equal(summary.idleMs, 0.4);
  assert.equal(summary.busyMs, 0.6);
  assert.deepEqual(summary.top.map((entry) => [entry.functionName, entry.location, entry.selfMs]), [
    ["encode", "dist/resp/writer.js:42", 0.4],
    ["(anonymous)", "node:net:11", 0.2],
  ]);
  assert.equal(Math.round(summary.top[0]?.busyPercent ?? 0), 67);
});

test("self time adds up per script, native code apart", () => {
  const withNative: CpuProfile = { ...profile, nodes: [...profile.nodes, { id: 6, callFrame: frame("writeBuffer") }], samples: [2, 6, 5, 6, 2] };
  const summary = summarizeCpuProfile(withNative, { top: 10, projectRoot: "/project" });
  assert.deepEqual(summary.byScript.map((entry) => [entry.script, entry.selfMs]), [
    ["(native)", 0.6],
    ["node:net", 0.3],
    ["dist/resp/writer.js", 0.1],
  ]);
});

test("a window keeps only the samples taken inside it", () => {
  // Samples are taken at 1000, 1100, 1500, 1800 and 2000 microseconds.
  const summary = summarizeCpuProfile(profile, { top: 10, projectRoot: "/project", window: { startMicros: 1400, endMicros: 1900 } });
  assert.equal(summary.idleMs, 0);
  assert.deepEqual(summary.top.map((entry) => [entry.functionName, entry.selfMs]), [
    ["encode", 0.3],
    ["(anonymous)", 0.2],
  ]);
});

test("the summary keeps only the requested number of functions", () => {
  assert.equal(summarizeCpuProfile(profile, { top: 1, projectRoot: "/project/" }).top.length, 1);
});
