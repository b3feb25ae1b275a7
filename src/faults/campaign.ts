/**
 * One fault campaign: start a cluster of real `walnut serve` processes, run the clients
 * and the watchers (change feeds that follow every key through every fault, watchers.ts),
 * throw faults on a seeded schedule, heal everything, wait until every node holds the
 * same log and every watcher has been told all of it, read each node's own final state,
 * judge the history and what the watchers saw (watch_check.ts), and write history.json
 * (and the checker's artifacts) into the output directory.
 *
 * The schedule alternates quiet and faulty periods: QUIET_MS_MIN..MAX of calm, then one
 * nemesis (picked by the seed from those asked) held for FAULT_MS_MIN..MAX and healed;
 * one fault in SHORT_FAULT_ONE_IN is held only SHORT_FAULT_MS_MIN..MAX instead, around
 * walnut's election timeout (1-2 s), where a leader that is paused or cut off may or may
 * not have been replaced when it comes back: the case lease reads must get right.
 * One fault at a time: the faults that damage a disk are only sound one at a time (see
 * storage_damage_nemesis.ts), and single faults make a failing run easy to read.
 * The same seed picks the same faults and targets; process timing still varies.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RecordedHistory } from "../check/history.js";
import { ProcessCluster } from "../processes/cluster_processes.js";
import { Random } from "../lib/seeded_random.js";
import { CampaignClients, HistoryRecorder } from "./clients.js";
import { FileSystemFaultSwitch } from "./file_system_fault_switch.js";
import { replaceNode, type Nemesis, type NemesisContext } from "./nemesis.js";
import { nemesesNamed } from "./nemeses.js";
import { judge, type Judgement } from "./verdict.js";
import { checkWatchers, type WatchJudgement } from "./watch_check.js";
import { CampaignWatcher } from "./watchers.js";

const QUIET_MS_MIN = 1_000;
const QUIET_MS_MAX = 3_000;
const FAULT_MS_MIN = 2_000;
const FAULT_MS_MAX = 6_000;
const SHORT_FAULT_ONE_IN = 3;
const SHORT_FAULT_MS_MIN = 300;
const SHORT_FAULT_MS_MAX = 2_000;
/** A client gives up on an operation after this long: its outcome is unknown (or failed, for a read). */
export const OPERATION_TIMEOUT_MS = 2_000;
/**
 * Small segments and frequent checkpoints, so that a short campaign also rolls segments,
 * checkpoints, compacts the log and sends checkpoints to nodes that fell behind.
 */
const SERVE_ARGS = ["--checkpoint-wal-bytes", "256KiB", "--segment-size", "256KiB"];

export interface CampaignOptions {
  durationMs: number;
  nodes: number;
  nemeses: string[];
  clients: number;
  /** Change-feed watchers, alternately on RESP and HTTP, each starting on its own node. */
  watchers: number;
  /**
   * Each node's watch window (--watch-history, changes); undefined: the default. A small
   * one makes watchers that were stuck on a paused node fall behind every window, so the
   * campaign also checks compacted answers and the gaps they leave.
   */
  watchHistory?: number;
  keys: number;
  seed: number;
  /** How leaders prove reads current (walnut serve --read-mode). */
  readMode: "index" | "lease";
  /**
   * "stale-reads" makes the HTTP clients read with ?consistency=stale: a deliberate bug
   * that shows the checker catches stale reads (such a campaign should fail).
   */
  canary: "stale-reads" | null;
  /** Where history.json and the checker's artifacts go; created if missing. */
  outDir: string;
  /** Progress lines. */
  log: (line: string) => void;
}

export interface CampaignResult {
  options: CampaignOptions;
  history: RecordedHistory;
  /** Each node's own keyspace after the heal (key → value). */
  finalStates: Map<number, Map<string, string>>;
  judgement: Judgement;
  /** What the watchers saw, checked against the history: problems fail the campaign. */
  watch: WatchJudgement;
  /** Checks the nemeses made themselves that failed (garbage let through): each fails the campaign. */
  nemesisProblems: string[];
  /** Wall time from the first operation to the end of the checks. */
  elapsedMs: number;
}

export async function runCampaign(options: CampaignOptions): Promise<CampaignResult> {
  const nemeses = nemesesNamed(options.nemeses);
  const switchDirectory = await mkdtemp(join(tmpdir(), "walnut-faults-switch-"));
  const fileSystemFaults = nemeses.some((n) => n.needsFileSystemFaults === true) ? new FileSystemFaultSwitch(switchDirectory) : null;
  const cluster = await ProcessCluster.start({
    size: options.nodes,
    proxied: true,
    extraArgs: [...SERVE_ARGS, "--read-mode", options.readMode, ...(options.watchHistory === undefined ? [] : ["--watch-history", String(options.watchHistory)])],
    ...(fileSystemFaults === null ? {} : { memberEnv: (id: number, dataDir: string) => fileSystemFaults.environment(id, dataDir) }),
  });
  const startedMs = performance.now();
  let watchers: CampaignWatcher[] = [];
  try {
    for (const id of cluster.ids) await fileSystemFaults?.clear(id);
    await cluster.waitForLeader();
    options.log(`cluster of ${options.nodes} up (${options.readMode} reads); seed ${options.seed}; nemeses ${options.nemeses.join(",")}`);
    const recorder = new HistoryRecorder();
    const nodes = new Map(cluster.ids.map((id) => [id, { respPort: cluster.respPort(id), httpPort: cluster.httpPort(id) }]));
    const clients = new CampaignClients({ count: options.clients, keys: options.keys, seed: options.seed, nodes, operationTimeoutMs: OPERATION_TIMEOUT_MS, recorder, staleReads: options.canary === "stale-reads" });
    watchers = Array.from({ length: options.watchers }, (_, n) =>
      new CampaignWatcher(cluster, n % 2 === 0 ? "resp" : "http", new Random((options.seed + (n + 1) * 104_729) >>> 0), cluster.ids[n % cluster.ids.length] as number),
    );
    const nemesisProblems: string[] = [];
    const context: NemesisContext = {
      cluster,
      random: new Random(options.seed),
      fileSystemFaults,
      log: options.log,
      reportProblem: (line) => (nemesisProblems.push(line), options.log(`PROBLEM: ${line}`)),
    };
    try {
      await throwFaults(context, nemeses, recorder, options);
    } finally {
      await healEverything(context);
      await clients.stop();
    }
    options.log(`${recorder.operations.length} operations; waiting for the nodes to converge`);
    let finalStates: Map<number, Map<string, string>>;
    try {
      const converged = await readFinalStates(cluster);
      finalStates = converged.states;
      const waitedFromMs = performance.now();
      for (const watcher of watchers) await watcher.caughtUp(converged.index);
      options.log(`watchers told everything through index ${converged.index} ${Math.round(performance.now() - waitedFromMs)} ms after the nodes converged`);
    } finally {
      for (const watcher of watchers) watcher.stop();
    }
    const history = recorder.history();
    const watch = checkWatchers(history.operations, watchers.map((watcher) => watcher.log), finalStates.get(cluster.ids[0] as number) ?? null);
    options.log(watch.summary);
    for (const problem of watch.problems) options.log(`WATCH PROBLEM: ${problem}`);
    await mkdir(options.outDir, { recursive: true });
    await writeFile(join(options.outDir, "history.json"), JSON.stringify({ ...history, finalStates: Object.fromEntries([...finalStates].map(([id, state]) => [id, Object.fromEntries(state)])) }));
    await writeFile(join(options.outDir, "watchers.json"), JSON.stringify(watchers.map((watcher) => watcher.log)));
    const judgement = await judge(history, finalStates, options.outDir);
    return { options, history, finalStates, judgement, watch, nemesisProblems, elapsedMs: performance.now() - startedMs };
  } catch (error) {
    await mkdir(options.outDir, { recursive: true });
    for (const id of cluster.ids) await writeFile(join(options.outDir, `node-${id}.log`), cluster.stderr(id));
    throw new Error(`campaign with seed ${options.seed} failed: ${String(error)}; every node's log is in ${options.outDir}`, { cause: error });
  } finally {
    for (const watcher of watchers) watcher.stop();
    await cluster.close();
    await rm(switchDirectory, { recursive: true, force: true });
  }
}

async function throwFaults(context: NemesisContext, nemeses: Nemesis[], recorder: HistoryRecorder, options: CampaignOptions): Promise<void> {
  const { random } = context;
  const endMs = recorder.now() + options.durationMs;
  const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(ms, endMs - recorder.now()))));
  while (recorder.now() < endMs) {
    await pause(QUIET_MS_MIN + random.below(QUIET_MS_MAX - QUIET_MS_MIN));
    if (recorder.now() >= endMs || nemeses.length === 0) continue;
    const nemesis = random.pick(nemeses);
    const startedAtMs = recorder.now();
    const fault = await nemesis.inject(context);
    options.log(`${nemesis.kind}: ${fault.description}`);
    const short = random.below(SHORT_FAULT_ONE_IN) === 0;
    await pause(short ? SHORT_FAULT_MS_MIN + random.below(SHORT_FAULT_MS_MAX - SHORT_FAULT_MS_MIN) : FAULT_MS_MIN + random.below(FAULT_MS_MAX - FAULT_MS_MIN));
    const note = await fault.heal();
    const description = note === null ? fault.description : `${fault.description}; ${note}`;
    recorder.faults.push({ kind: nemesis.kind, description, startedAtMs, endedAtMs: recorder.now() });
    options.log(`healed ${nemesis.kind}${note === null ? "" : ` (${note})`}`);
  }
}

/** Whatever is still broken (a fault interrupted by an error): mend it. */
async function healEverything(context: NemesisContext): Promise<void> {
  const { cluster } = context;
  cluster.network?.heal();
  for (const id of cluster.ids) {
    await context.fileSystemFaults?.clear(id);
    if (cluster.isPaused(id)) cluster.resume(id);
  }
  for (const id of cluster.ids) {
    if (cluster.isRunning(id)) continue;
    await cluster.restart(id).catch(() => replaceNode(cluster, id));
  }
}

/** Waits until every node holds the same log, then reads each one's own state; and the index they converged on. */
async function readFinalStates(cluster: ProcessCluster): Promise<{ index: number; states: Map<number, Map<string, string>> }> {
  await cluster.waitForLeader();
  const index = await cluster.waitConverged();
  const states = new Map<number, Map<string, string>>();
  for (const id of cluster.ids) {
    const state = await cluster.ownState(id);
    states.set(id, new Map([...state].map(([key, value]) => [key, String(value)])));
  }
  return { index, states };
}
