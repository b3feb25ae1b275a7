/**
 * The nemesis contract: a fault the campaign injects into a running cluster and later
 * heals, plus the helpers several nemeses share (choosing a target node, asking the
 * leader for a membership change). Each kind of fault lives in its own file; the
 * registry in nemeses.ts maps the CLI's names to them.
 */
import type { Reply } from "../engine/reply.js";
import type { ProcessCluster } from "../processes/cluster_processes.js";
import type { Random } from "../lib/seeded_random.js";
import { waitUntil } from "../processes/waiting.js";
import type { FileSystemFaultSwitch } from "./file_system_fault_switch.js";

/** Tries at a membership change whose leader moved under it. */
const MEMBERSHIP_ATTEMPTS = 10;

export interface NemesisContext {
  cluster: ProcessCluster;
  random: Random;
  /** Per-node switches of the file-system preload; null when nodes run without it. */
  fileSystemFaults: FileSystemFaultSwitch | null;
  log(line: string): void;
  /** A check a nemesis made itself failed (e.g. a server let garbage through): fails the campaign. */
  reportProblem(line: string): void;
}

/** A fault in place: what it did, and how to undo it. */
export interface ActiveFault {
  description: string;
  /** Undoes the fault; returns notes on what healing took (e.g. "node refused to start: wiped and re-added"). */
  heal(): Promise<string | null>;
}

export interface Nemesis {
  /** The CLI's name, also the RecordedFault kind. */
  kind: string;
  /** True when the nodes must run with the file-system preload. */
  needsFileSystemFaults?: boolean;
  inject(context: NemesisContext): Promise<ActiveFault>;
}

/** The current leader, or a random node (half each, unless `leader` asks for the leader): faults on leaders find the most bugs. */
export async function leaderOrRandom(context: NemesisContext, options: { leader?: boolean } = {}): Promise<{ node: number; isLeader: boolean }> {
  const leader = await context.cluster.waitForLeader();
  if (options.leader === true || context.random.below(2) === 0) return { node: leader, isLeader: true };
  const node = context.random.pick(context.cluster.ids);
  return { node, isLeader: node === leader };
}

/** A random node that is not the leader now. */
export async function randomFollower(context: NemesisContext): Promise<number> {
  const leader = await context.cluster.waitForLeader();
  return context.random.pick(context.cluster.ids.filter((id) => id !== leader));
}

/** Sends a RAFT command to the leader until one accepts it (the leader may move meanwhile). */
export async function changeMembership(cluster: ProcessCluster, argv: string[]): Promise<void> {
  let last: Reply | null = null;
  for (let attempt = 1; attempt <= MEMBERSHIP_ATTEMPTS; attempt++) {
    const leader = await cluster.waitForLeader(cluster.ids.filter((id) => cluster.isRunning(id)));
    last = await cluster.command(leader, argv).catch((error: unknown) => ({ type: "error", text: String(error) }) as Reply);
    if (last.type !== "error") return;
    await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
  }
  throw new Error(`${argv.join(" ")} was refused ${MEMBERSHIP_ATTEMPTS} times; last: ${last?.type === "error" ? last.text : "?"}`);
}

/** Waits until `node` has applied what the leader had committed when the wait began. */
export async function waitCaughtUp(cluster: ProcessCluster, node: number): Promise<void> {
  const leader = await cluster.waitForLeader(cluster.ids.filter((id) => id !== node && cluster.isRunning(id)));
  const target = (await cluster.status(leader))?.commitIndex ?? 0;
  await waitUntil(`node ${node} caught up to index ${target}`, async () => ((await cluster.status(node))?.appliedIndex ?? -1) >= target);
}

/**
 * Replaces `node` (stopping it first) as an operator replaces a node whose disk is lost:
 * removes it from the group, then brings the id back on an empty data directory
 * (rejoin). Until the group adds it, the empty node only knows its --peers; the others
 * do not count it as a voter, so the votes it lost with its disk cannot elect anyone.
 */
export async function replaceNode(cluster: ProcessCluster, node: number): Promise<void> {
  if (cluster.isRunning(node)) await cluster.stop(node, "SIGKILL");
  await changeMembership(cluster, ["RAFT", "REMOVE", String(node)]);
  await rejoin(cluster, node);
}

/**
 * Brings removed `node`'s id back as a new, empty member: stops whatever still runs
 * under the id, wipes its data directory, adds the id as a learner, and only then starts
 * the process, which catches up and is made a voter (addBack's second half).
 *
 * The order is etcd's (`member add`, then start the member) and it matters: a member
 * that applied the removal refuses a dialing node of that id as "removed" until the
 * re-adding change reaches its log, and a node told so stops for good (node/removal.ts:
 * it stops campaigning and serves nothing, as etcd's removed members do). Started before
 * the ADD, the new process heard that refusal, stayed a silent voter once promoted, and
 * a later fault on another node left no leader (seed 4293867938: "no leader among 1,3").
 *
 * docs/operations.md has operators start the replacement with a new id through
 * `walnut serve --join`, as etcd never reuses a removed member's id. The campaign keeps
 * the id because its members sit behind per-id proxies that --join cannot advertise and
 * its clients address nodes by id; reusing it is sound only because nothing ever runs
 * under the id between its removal and its re-adding, and the new process starts empty.
 */
export async function rejoin(cluster: ProcessCluster, node: number): Promise<void> {
  if (cluster.isRunning(node)) await cluster.stop(node, "SIGKILL");
  await cluster.wipe(node);
  const address = cluster.peerAddress(node);
  await changeMembership(cluster, ["RAFT", "ADD", String(node), address, "LEARNER"]);
  await cluster.restart(node);
  await waitCaughtUp(cluster, node);
  await changeMembership(cluster, ["RAFT", "ADD", String(node), address]);
  await expectTakingPart(cluster, node);
}

/** Throws if `node` reports the role "removed": it was re-added but will never campaign or serve. */
export async function expectTakingPart(cluster: ProcessCluster, node: number): Promise<void> {
  const role = (await cluster.status(node))?.role;
  if (role === "removed") throw new Error(`node ${node} was added back but reports the role "removed": it will never campaign or serve`);
}

/**
 * Restarts stopped `node` on its data directory and waits until it has caught up; if it
 * refuses to start or does not catch up, replaces it (replaceNode). Returns a note on
 * what it took, null when a restart was enough.
 */
export async function restartOrReplace(context: NemesisContext, node: number): Promise<string | null> {
  let problem: string;
  try {
    await context.cluster.restart(node);
  } catch (error) {
    problem = `refused to start (${refusal(String(error))})`;
    return replaceWithNote(context, node, problem);
  }
  try {
    await waitCaughtUp(context.cluster, node);
    return null;
  } catch (error) {
    problem = `started but did not catch up (${String(error).slice(0, 200)})`;
    return replaceWithNote(context, node, problem);
  }
}

async function replaceWithNote(context: NemesisContext, node: number, problem: string): Promise<string> {
  context.log(`node ${node} ${problem}: replacing it`);
  await replaceNode(context.cluster, node);
  return `node ${node} ${problem}; wiped and re-added`;
}

/** The line of the last run's stderr that says why it exited ("walnut serve: Cannot ..."). */
function refusal(text: string): string {
  const lastRun = text.slice(text.lastIndexOf("=== started with"));
  const lines = lastRun.split("\n");
  const line = lines.find((candidate) => candidate.startsWith("walnut serve:")) ?? lines.find((candidate) => /Cannot/.test(candidate));
  return (line ?? lines[1] ?? "").trim().slice(0, 200);
}
