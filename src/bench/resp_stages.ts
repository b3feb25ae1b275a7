/**
 * `node dist/bench/resp_stages.js [--test set|get] [--pipeline N] [--requests N] [build/bin/walnut.js]`:
 * where a command's CPU goes in `walnut serve --fsync always`, stage by stage, in µs per
 * command (docs/benchmarks.md, "Where a SET's time goes").
 *
 * The server runs under `node --cpu-prof`; after a warm-up, redis-benchmark sends the
 * measured requests and only the samples taken meanwhile count. Each sample goes to the
 * innermost walnut frame on its stack (so node's own code counts for the walnut function
 * that called it: a socket write for Connection.flush), and that frame to a stage by its
 * file, or for a few functions by name. Samples with no walnut frame are V8's garbage
 * collector, V8 and native code not attributed ("(program)"), or node's own work (socket
 * reads, microtasks, timers).
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readOnlyCpuProfile, type CpuProfile } from "./resp_profile.js";
import { startWalnut } from "./resp_servers.js";

const THIS_BUILD = fileURLToPath(new URL("../../bin/walnut.js", import.meta.url));
const WARM_UP_REQUESTS = 50_000;

/** Stages by function, for the few functions whose file holds several stages. */
const STAGE_BY_FUNCTION: Record<string, Record<string, string>> = {
  "connection.js": { flush: "socket write", scheduleFlush: "socket write", drainSlots: "reply: slots and encoding", writeReply: "reply: slots and encoding", fill: "reply: slots and encoding", answered: "reply: slots and encoding" },
  "node.js": { propose: "propose", proposeTo: "propose", proposeNow: "propose", applyOne: "apply: node driver", applyCommitted: "apply: node driver" },
};

/** Stages by file, the first match winning. */
const STAGE_BY_FILE: Array<[RegExp, string]> = [
  [/dist\/resp\/(parser|input_buffer|inline)\.js$/, "parse"],
  [/dist\/resp\/writer\.js$/, "reply: slots and encoding"],
  [/dist\/server\/resp\/write_session\.js$/, "session"],
  [/dist\/(server\/resp\/connection(_commands)?|commands\/table|commands\/dispatch_checks|commands\/access_check|server\/command_stats|server\/acl|server\/resp\/client_tracking|server\/resp\/pubsub_commands|commands\/databases|commands\/scripting\/script_busy)\.js$|dist\/metrics\//, "dispatch"],
  [/dist\/(commands\/executor|commands\/memory_limit|node\/proposals|node\/write_admission|node\/session_numbers|lib\/environment)\.js$/, "propose"],
  [/dist\/node\/entry\.js$/, "encode the log entry"],
  [/dist\/raft\//, "Raft core"],
  [/dist\/wal\//, "WAL"],
  [/dist\/engine\/session_table\.js$/, "apply: session table"],
  [/dist\/(commands|engine)\//, "apply: command and engine"],
  [/dist\/node\//, "Ready loop and durable log"],
];

function stageOfFrame(url: string, functionName: string): string | null {
  if (!url.includes("/dist/")) return null;
  const file = url.slice(url.lastIndexOf("/") + 1);
  const byName = STAGE_BY_FUNCTION[file]?.[functionName];
  if (byName !== undefined) return byName;
  for (const [pattern, stage] of STAGE_BY_FILE) if (pattern.test(url)) return stage;
  return `other walnut: ${url.slice(url.indexOf("/dist/") + 6)}`;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

/** µs of CPU per command by stage, and the idle µs, from the samples in [startMicros, endMicros). */
export function stagesOf(profile: CpuProfile, window: { startMicros: number; endMicros: number }, commands: number): { stages: Array<[string, number]>; idle: number } {
  const nodes = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes as ProfileNode[]) {
    nodes.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const stageOfSample = new Map<number, string>();
  const classify = (id: number): string => {
    const known = stageOfSample.get(id);
    if (known !== undefined) return known;
    const leaf = (nodes.get(id) as ProfileNode).callFrame.functionName;
    let stage: string | null = leaf === "(garbage collector)" ? "garbage collection" : leaf === "(program)" ? "V8 and native code, not attributed" : null;
    const names: string[] = [];
    for (let at: number | undefined = id; stage === null && at !== undefined; at = parent.get(at)) {
      const frame = (nodes.get(at) as ProfileNode).callFrame;
      stage = stageOfFrame(frame.url, frame.functionName);
      names.push(frame.functionName);
    }
    stage ??= names.some((name) => /onStreamRead|readableAddChunk/.test(name)) ? "socket read (node)" : "node: microtasks, timers, other";
    stageOfSample.set(id, stage);
    return stage;
  };
  const micros = new Map<string, number>();
  let idle = 0;
  let takenAt = profile.startTime;
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    takenAt += deltas[i] ?? 0;
    if (takenAt < window.startMicros || takenAt >= window.endMicros) continue;
    const lasted = deltas[i + 1] ?? 0;
    const id = samples[i] as number;
    if ((nodes.get(id) as ProfileNode).callFrame.functionName === "(idle)") idle += lasted;
    else micros.set(classify(id), (micros.get(classify(id)) ?? 0) + lasted);
  }
  const stages = [...micros].map(([stage, total]): [string, number] => [stage, total / commands]).sort((a, b) => b[1] - a[1]);
  return { stages, idle: idle / commands };
}

function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

export async function runRespStages(argv: string[]): Promise<void> {
  const option = (name: string, fallback: string): string => {
    const at = argv.indexOf(name);
    return at >= 0 && argv[at + 1] !== undefined ? (argv[at + 1] as string) : fallback;
  };
  const test = option("--test", "set");
  const pipeline = option("--pipeline", "16");
  const requests = Number(option("--requests", "300000"));
  const cli = argv.find((arg, at) => arg.endsWith(".js") && !argv[at - 1]?.startsWith("--")) ?? THIS_BUILD;
  const profileDir = await mkdtemp(join(tmpdir(), "walnut-resp-stages-"));
  try {
    const server = await startWalnut({ fsync: "always", cli, cpuProfileDir: profileDir });
    let window = { startMicros: 0, endMicros: 0 };
    try {
      const bench = (name: string, count: number): void => {
        const run = spawnSync("redis-benchmark", ["-p", String(server.port), "-t", name, "-c", "50", "-d", "100", "-n", String(count), "-P", pipeline, "-q"], { stdio: "ignore" });
        if (run.status !== 0) throw new Error(`Cannot run redis-benchmark -t ${name}: exit ${run.status}`);
      };
      bench("set", WARM_UP_REQUESTS);
      bench("get", WARM_UP_REQUESTS);
      const startMicros = monotonicMicros();
      bench(test, requests);
      window = { startMicros, endMicros: monotonicMicros() };
    } finally {
      await server.stop(); // writes the profile
    }
    const { stages, idle } = stagesOf(await readOnlyCpuProfile(profileDir), window, requests);
    const busy = stages.reduce((sum, [, micros]) => sum + micros, 0);
    process.stdout.write(`${test.toUpperCase()} -P ${pipeline} -c 50 -d 100, ${requests} requests, ${cli}: busy ${busy.toFixed(2)} µs per command, idle ${idle.toFixed(2)}\n`);
    for (const [stage, micros] of stages) process.stdout.write(`${micros.toFixed(3).padStart(8)} µs ${((100 * micros) / busy).toFixed(1).padStart(5)}%  ${stage}\n`);
  } finally {
    await rm(profileDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runRespStages(process.argv.slice(2));
