/**
 * Reading a V8 CPU profile (the `.cpuprofile` JSON that `node --cpu-prof` writes): the
 * functions that spent the most self time, i.e. time sampled in the function itself and
 * not in what it called.
 *
 * The profile is a call tree (`nodes`, each with a `callFrame` naming function, script URL
 * and 0-based line) plus a sample list: `samples[i]` is the node id on top of the stack at
 * sample i and `timeDeltas[i]` the microseconds since the sample before, so sample i
 * lasted `timeDeltas[i + 1]`. For example samples [2, 3, 2] with timeDeltas [0, 100, 250]
 * give node 2 250 us and node 3 250 us. Nodes for the same function (one per call path)
 * are added together.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  samples?: number[];
  timeDeltas?: number[];
}

export interface SelfTime {
  /** "encodeBulk", or V8's "(garbage collector)", "(program)". */
  functionName: string;
  /** "dist/server/resp/writer.js:42", "node:net:815", or "" for V8's own entries. */
  location: string;
  selfMs: number;
  /** Share of the busy time: every sample except "(idle)". */
  busyPercent: number;
}

export interface ProfileSummary {
  busyMs: number;
  idleMs: number;
  top: SelfTime[];
}

const IDLE = "(idle)";

export function summarizeCpuProfile(profile: CpuProfile, options: { top: number; projectRoot: string }): ProfileSummary {
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const selfMicros = new Map<string, { functionName: string; location: string; micros: number }>();
  let idleMicros = 0;
  let busyMicros = 0;
  for (let i = 0; i < samples.length; i++) {
    const frame = frames.get(samples[i] as number);
    const micros = deltas[i + 1] ?? 0;
    if (frame === undefined) continue;
    if (frame.functionName === IDLE) {
      idleMicros += micros;
      continue;
    }
    busyMicros += micros;
    const location = describeLocation(frame.url, frame.lineNumber, options.projectRoot);
    const functionName = frame.functionName === "" ? "(anonymous)" : frame.functionName;
    const key = `${functionName} ${location}`;
    const entry = selfMicros.get(key) ?? { functionName, location, micros: 0 };
    entry.micros += micros;
    selfMicros.set(key, entry);
  }
  const top = [...selfMicros.values()]
    .sort((a, b) => b.micros - a.micros)
    .slice(0, options.top)
    .map((entry) => ({
      functionName: entry.functionName,
      location: entry.location,
      selfMs: entry.micros / 1000,
      busyPercent: busyMicros > 0 ? (100 * entry.micros) / busyMicros : 0,
    }));
  return { busyMs: busyMicros / 1000, idleMs: idleMicros / 1000, top };
}

function describeLocation(url: string, lineNumber: number, projectRoot: string): string {
  if (url === "") return "";
  const rootUrl = `file://${projectRoot.endsWith("/") ? projectRoot : `${projectRoot}/`}`;
  const script = url.startsWith(rootUrl) ? url.slice(rootUrl.length) : url;
  return `${script}:${lineNumber + 1}`;
}

/** The one `.cpuprofile` that `node --cpu-prof --cpu-prof-dir <dir>` left in `dir`. */
export async function readOnlyCpuProfile(dir: string): Promise<CpuProfile> {
  const names = (await readdir(dir)).filter((name) => name.endsWith(".cpuprofile"));
  if (names.length !== 1) throw new Error(`Cannot read the CPU profile: expected one .cpuprofile in ${dir}, found ${names.length}`);
  return JSON.parse(await readFile(join(dir, names[0] as string), "utf8")) as CpuProfile;
}
