/**
 * `node dist/bench/resp_cpu.js [options] [A/bin/walnut.js B/bin/walnut.js ...]`: the CPU
 * time a `walnut serve` process spends per command under redis-benchmark, for one build or
 * several side by side (A/B).
 *
 * Wall-clock throughput on a shared machine moves with everyone else's load; the CPU time
 * the server process itself used (utime + stime from /proc/<pid>/stat, read just before
 * and after each redis-benchmark run) moves much less: it is what one command costs the
 * server, whatever the machine's load did to the wait. Each build's server is started
 * once and warmed up; then the runs alternate between builds (A B A B ...), so a spell of
 * load falls on both alike, and the median and the least of each build's runs are shown.
 * The wall-clock rate is printed beside them, for what it is worth on a loaded machine.
 *
 * Options: --test set|get (set), --pipeline N (16), --clients N (50), --requests N
 * (100000), --rounds N (5), --fsync always|everysec|no (always), --data-size N (100).
 * With no build named, this build's bin/walnut.js alone.
 */
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { median } from "./measure.js";
import { startWalnut, type BenchServer } from "./resp_servers.js";

const THIS_BUILD = fileURLToPath(new URL("../../bin/walnut.js", import.meta.url));
/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these. */
const CLOCK_TICKS_PER_SECOND = 100;

interface Options {
  test: "set" | "get";
  pipeline: number;
  clients: number;
  requests: number;
  rounds: number;
  fsync: "always" | "everysec" | "no";
  dataSize: number;
  builds: string[];
}

function parseOptions(argv: string[]): Options {
  const options: Options = { test: "set", pipeline: 16, clients: 50, requests: 100_000, rounds: 5, fsync: "always", dataSize: 100, builds: [] };
  for (let at = 0; at < argv.length; at++) {
    const arg = argv[at] as string;
    const value = (): string => {
      const next = argv[++at];
      if (next === undefined) throw new Error(`Cannot run resp_cpu: ${arg} needs a value`);
      return next;
    };
    if (arg === "--test") options.test = value() === "get" ? "get" : "set";
    else if (arg === "--pipeline") options.pipeline = Number(value());
    else if (arg === "--clients") options.clients = Number(value());
    else if (arg === "--requests") options.requests = Number(value());
    else if (arg === "--rounds") options.rounds = Number(value());
    else if (arg === "--data-size") options.dataSize = Number(value());
    else if (arg === "--fsync") options.fsync = value() as Options["fsync"];
    else options.builds.push(arg);
  }
  if (options.builds.length === 0) options.builds.push(THIS_BUILD);
  return options;
}

/** CPU time the process has used so far (user + system), in microseconds. */
async function processCpuMicros(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces, so split after its closing parenthesis).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const userTicks = Number(fields[11]);
  const systemTicks = Number(fields[12]);
  return ((userTicks + systemTicks) * 1_000_000) / CLOCK_TICKS_PER_SECOND;
}

function benchmarkArgs(server: BenchServer, options: Options, requests: number): string[] {
  return [
    "-h", "127.0.0.1", "-p", String(server.port),
    "-t", options.test, "-c", String(options.clients), "-n", String(requests),
    "-P", String(options.pipeline), "-d", String(options.dataSize), "--csv",
  ];
}

/** Runs redis-benchmark; its requests per second. */
async function redisBenchmark(args: string[]): Promise<number> {
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn("redis-benchmark", args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.once("error", reject);
    child.once("close", (code) => (code === 0 ? resolve(stdout) : reject(new Error(`Cannot run redis-benchmark: exit ${code}`))));
  });
  const match = /^"[^"]+","([\d.]+)"/m.exec(output);
  if (match === null) throw new Error(`Cannot read redis-benchmark's rate from: ${output}`);
  return Number(match[1]);
}

interface Run {
  cpuMicrosPerCommand: number;
  requestsPerSecond: number;
}

async function measuredRun(server: BenchServer, options: Options): Promise<Run> {
  const before = await processCpuMicros(server.pid);
  const requestsPerSecond = await redisBenchmark(benchmarkArgs(server, options, options.requests));
  const after = await processCpuMicros(server.pid);
  return { cpuMicrosPerCommand: (after - before) / options.requests, requestsPerSecond };
}

export async function runRespCpu(options: Options): Promise<void> {
  const servers: BenchServer[] = [];
  try {
    for (const cli of options.builds) {
      const server = await startWalnut({ fsync: options.fsync, cli });
      servers.push(server);
      // Warm up (and, for GET, write the key redis-benchmark reads): both tests, unmeasured.
      await redisBenchmark([...benchmarkArgs(server, { ...options, test: "set" }, options.requests)]);
      await redisBenchmark([...benchmarkArgs(server, { ...options, test: "get" }, options.requests)]);
    }
    const runs: Run[][] = options.builds.map(() => []);
    for (let round = 0; round < options.rounds; round++) {
      for (let at = 0; at < servers.length; at++) runs[at]?.push(await measuredRun(servers[at] as BenchServer, options));
    }
    const what = `${options.test.toUpperCase()} -P ${options.pipeline} -c ${options.clients} -d ${options.dataSize} -n ${options.requests}, --fsync ${options.fsync}`;
    process.stdout.write(`server CPU per command, ${what}, ${options.rounds} alternating rounds:\n`);
    options.builds.forEach((cli, at) => {
      const cpu = (runs[at] ?? []).map((run) => run.cpuMicrosPerCommand);
      const rates = (runs[at] ?? []).map((run) => run.requestsPerSecond);
      process.stdout.write(
        `  ${cli}: median ${median(cpu).toFixed(2)} µs (least ${Math.min(...cpu).toFixed(2)}; runs ${cpu.map((c) => c.toFixed(2)).join(" ")}), ` +
          `${median(rates).toFixed(0)} rps median\n`,
      );
    });
  } finally {
    for (const server of servers) await server.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runRespCpu(parseOptions(process.argv.slice(2)));
