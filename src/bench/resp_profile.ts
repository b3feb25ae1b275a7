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
 * are added together. Sample i was taken at `startTime + timeDeltas[0] + ... +
 * timeDeltas[i]`, in microseconds of the monotonic clock that process.hrtime reads too
 * (on Linux), so a window measured by another process can select the samples of a load.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  startTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface SelfTime {
  /** "encodeBulk", or V8's "(garbage collector)", "(program)". */
  functionName: string;
  /** "dist/resp/writer.js:42", "node:net:815", or "" for native code and V8's own entries. */
  location: string;
  selfMs: number;
  /** Share of the busy time: every sample except "(idle)". */
  busyPercent: number;
}

export interface ProfileSummary {
  busyMs: number;
  idleMs: number;
  /** The functions with the most self time, most first. */
  top: SelfTime[];
  /** Self time added up per script, most first (native code and V8's own entries, which have no script, under "(native)"). */
  byScript: Array<{ script: string; selfMs: number; busyPercent: number }>;
}

export interface SummaryOptions {
  top: number;
  /** Script URLs under this directory are shown relative to it. */
  projectRoot: string;
  /** Only samples taken in [startMicros, endMicros) on the profile's clock. */
  window?: { startMicros: number; endMicros: number };
}

const IDLE = "(idle)";
const NATIVE = "(native)";

export function summarizeCpuProfile(profile: CpuProfile, options: SummaryOptions): ProfileSummary {
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const functions = new Map<string, { functionName: string; location: string; micros: number }>();
  const scripts = new Map<string, number>();
  let idleMicros = 0;
  let busyMicros = 0;
  let takenAtMicros = profile.startTime;
  for (let i = 0; i < samples.length; i++) {
    takenAtMicros += deltas[i] ?? 0;
    const frame = frames.get(samples[i] as number);
    const micros = deltas[i + 1] ?? 0;
    if (frame === undefined || !inWindow(takenAtMicros, options.window)) continue;
    if (frame.functionName === IDLE) {
      idleMicros += micros;
      continue;
    }
    busyMicros += micros;
    const script = describeScript(frame.url, options.projectRoot);
    const location = frame.url === "" ? "" : `${script}:${frame.lineNumber + 1}`;
    const functionName = frame.functionName === "" ? "(anonymous)" : frame.functionName;
    const key = `${functionName} ${location}`;
    const entry = functions.get(key) ?? { functionName, location, micros: 0 };
    entry.micros += micros;
    functions.set(key, entry);
    scripts.set(script, (scripts.get(script) ?? 0) + micros);
  }
  const share = (micros: number): number => (busyMicros > 0 ? (100 * micros) / busyMicros : 0);
  const top = [...functions.values()]
    .sort((a, b) => b.micros - a.micros)
    .slice(0, options.top)
    .map((entry) => ({
      functionName: entry.functionName,
      location: entry.location,
      selfMs: entry.micros / 1000,
      busyPercent: share(entry.micros),
    }));
  const byScript = [...scripts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, options.top)
    .map(([script, micros]) => ({ script, selfMs: micros / 1000, busyPercent: share(micros) }));
  return { busyMs: busyMicros / 1000, idleMs: idleMicros / 1000, top, byScript };
}

function inWindow(takenAtMicros: number, window: SummaryOptions["window"]): boolean {
  return window === undefined || (takenAtMicros >= window.startMicros && takenAtMicros < window.endMicros);
}

function describeScript(url: string, projectRoot: string): string {
  if (url === "") return NATIVE;
  const rootUrl = `file://${projectRoot.endsWith("/") ? projectRoot : `${projectRoot}/`}`;
  return url.startsWith(rootUrl) ? url.slice(rootUrl.length) : url;
}

/** The one `.cpuprofile` that `node --cpu-prof --cpu-prof-dir <dir>` left in `dir`. */
export async function readOnlyCpuProfile(dir: string): Promise<CpuProfile> {
  const names = (await readdir(dir)).filter((name) => name.endsWith(".cpuprofile"));
  if (names.length !== 1) throw new Error(`Cannot read the CPU profile: expected one .cpuprofile in ${dir}, found ${names.length}`);
  return JSON.parse(await readFile(join(dir, names[0] as string), "utf8")) as CpuProfile;
}
