import { test } from "node:test";
import assert from "node:assert/strict";
import { silentLogger } from "../lib/log.js";
import { createReplayProgress } from "./replay_progress.js";

/** A terminal that records what the bar writes. */
function recordingTerminal(): { terminal: NodeJS.WriteStream; lines(): string[] } {
  let written = "";
  const terminal = { write: (text: string) => ((written += text), true) } as unknown as NodeJS.WriteStream;
  return { terminal, lines: () => written.split("\r").filter((line) => line !== "") };
}

test("the replay bar shows 100% only once replay is over, and says it is applying entries after the last byte", () => {
  const { terminal, lines } = recordingTerminal();
  const progress = createReplayProgress({ log: silentLogger, terminal });
  progress.update({ bytesRead: 500, bytesTotal: 1000 });
  progress.update({ bytesRead: 999, bytesTotal: 1000 });
  progress.update({ bytesRead: 1000, bytesTotal: 1000 });
  const beforeFinish = lines();
  assert.equal(beforeFinish.length, 3);
  assert.match(beforeFinish[0]!, /\] {2}50% of/);
  assert.match(beforeFinish[1]!, /\] {2}99% of/);
  assert.match(beforeFinish[2]!, /\] {2}99% of .*: applying entries$/, "every byte read is not the end of replay");
  for (const line of beforeFinish) assert.doesNotMatch(line, /100%/);
  const widths = new Set(beforeFinish.map((line) => line.length));
  assert.equal(widths.size, 1, "every state of the bar is as wide, so none leaves characters behind");
  progress.finish({ entries: 10, keys: 5, elapsedMs: 20 });
  const last = lines().at(-1)!;
  assert.match(last, /^replaying WAL \[#{30}\] 100% of .*\n$/);
  assert.equal(last.length - 1, beforeFinish[0]!.length);
});
