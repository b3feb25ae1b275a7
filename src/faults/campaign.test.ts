/**
 * The quick fault campaign of `npm test`: three real `walnut serve` processes, clients on
 * RESP and HTTP, three watchers (two on RESP, one on HTTP) following every change through
 * every fault, and a seeded rotation of every nemesis (kill, pause, partition,
 * membership, torn WAL, corrupt checkpoint, full disk, slow fsync) for CAMPAIGN_MS; the
 * checker must find every key's history linearizable and nothing acknowledged lost, and
 * every watcher must have seen every committed change exactly once, in log order, and
 * nothing that did not commit (watch_check.ts).
 * WALNUT_DEEP=1 runs it for ten minutes, with a watch window of DEEP_WATCH_HISTORY
 * changes so that watchers stuck on a paused node fall behind every window and meet
 * "compacted"; WALNUT_FUZZ_SEED replays a seed's choices of faults, targets and
 * operations. On failure the history and the minimal failing sub-history stay in the
 * printed folder.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEEP, runSeed } from "../scenarios/server_fixtures.js";
import { runCampaign } from "./campaign.js";
import { NEMESES } from "./nemeses.js";
import { tableRow } from "./faults_table.js";

const CAMPAIGN_MS = DEEP ? 600_000 : 20_000;
const TEST_TIMEOUT_MS = CAMPAIGN_MS + 300_000;
/** So small that watchers meet compacted often (a stall, a burst of entries applied in one turn) while some stay gapless: 30 s of pause,kill with it gave 66 compacted answers, 22 gaps and one gapless watcher. */
const DEEP_WATCH_HISTORY = 4;

test(`a ${CAMPAIGN_MS / 1000} s campaign of rotating faults on 3 nodes stays linearizable and loses nothing acknowledged`, { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const seed = runSeed();
  const outDir = await mkdtemp(join(tmpdir(), "walnut-faults-test-"));
  const log: string[] = [];
  const result = await runCampaign({
    durationMs: CAMPAIGN_MS,
    nodes: 3,
    nemeses: [...NEMESES.keys()],
    clients: 4,
    watchers: 3,
    ...(DEEP ? { watchHistory: DEEP_WATCH_HISTORY } : {}),
    keys: 4,
    seed,
    readMode: "index",
    canary: null,
    outDir,
    log: (line) => log.push(line),
  });
  const report = result.judgement.report;
  const context = `seed ${seed} (WALNUT_FUZZ_SEED=${seed} replays); history in ${outDir}\n${log.join("\n")}\n${result.judgement.summary.join("\n")}`;
  assert.notEqual(report.verdict, "fail", context);
  assert.deepEqual(result.nemesisProblems, [], context);
  assert.deepEqual(result.watch.problems, [], context);
  assert.deepEqual(report.linearizability.failingKeys, [], context);
  assert.equal(report.finalState.acknowledgedWritesLost, 0, context);
  assert.ok(report.counts.total.ok > 0, `no operation succeeded: ${context}`);
  assert.ok(result.history.faults.length > 0, `no fault was thrown: ${context}`);
  t.diagnostic(tableRow(result));
  t.diagnostic(result.watch.summary);
  await rm(outDir, { recursive: true, force: true });
});
