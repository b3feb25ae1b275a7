/**
 * Running redis-benchmark and redis-cli from the RESP benchmarks: a tool run to completion
 * (its stdout, or an error with its output), and redis-benchmark's requests per second by
 * test, read from its `--csv` rows, and the median of several runs. redis-benchmark 7 exits at the first error reply, so a
 * run whose rows are all present was answered without errors.
 */
import { spawn } from "node:child_process";
import { open as openFile } from "node:fs/promises";

/** What redis-benchmark drives: a server's RESP port, and its name for error messages. */
export interface BenchmarkTarget {
  readonly label: string;
  readonly port: number;
}

export interface BenchmarkArgs {
  /** redis-benchmark -t: "set,get". */
  tests: string;
  clients: number;
  requests: number;
  pipeline: number;
  /** redis-benchmark -d: bytes per SET value (redis-benchmark's default, 3, unless given). */
  dataBytes?: number;
}

/** Requests per second by test name ("SET", "GET"). */
export async function redisBenchmark(target: BenchmarkTarget, args: BenchmarkArgs): Promise<Map<string, number>> {
  const output = await runTool("redis-benchmark", [
    "-h", "127.0.0.1", "-p", String(target.port),
    "-t", args.tests, "-c", String(args.clients), "-n", String(args.requests), "-P", String(args.pipeline),
    ...(args.dataBytes === undefined ? [] : ["-d", String(args.dataBytes)]),
    "--csv",
  ]);
  const rates = parseBenchmarkCsv(output);
  for (const test of args.tests.toUpperCase().split(",")) {
    if (!rates.has(test)) throw new Error(`Cannot read redis-benchmark's output: no ${test} row for ${target.label}:\n${output}`);
  }
  return rates;
}

/**
 * `redis-benchmark --csv` prints a header and one row per test:
 *   "test","rps","avg_latency_ms",...
 *   "SET","16583.75","2.931",...
 */
export function parseBenchmarkCsv(output: string): Map<string, number> {
  const rates = new Map<string, number>();
  for (const text of output.split("\n")) {
    const match = /^"([^"]+)","([\d.]+)"/.exec(text.trim());
    if (match !== null) rates.set(match[1] as string, Number(match[2]));
  }
  return rates;
}

/** The median rate of each test over the rounds. */
export function medians(rounds: Array<Map<string, number>>): Map<string, number> {
  const result = new Map<string, number>();
  for (const test of rounds[0]?.keys() ?? []) {
    const rates = rounds.map((rates) => rates.get(test) ?? 0).sort((a, b) => a - b);
    result.set(test, rates[Math.floor(rates.length / 2)] as number);
  }
  return result;
}

/** Runs a tool to completion; its stdout, or an error with its stderr. */
export async function runTool(program: string, args: string[], options: { stdinPath?: string } = {}): Promise<string> {
  const stdin = options.stdinPath === undefined ? null : await openFile(options.stdinPath, "r");
  try {
    return await new Promise<string>((resolve, reject) => {
      const child = spawn(program, args, { stdio: [stdin === null ? "ignore" : stdin.fd, "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
      child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
      child.once("error", reject);
      child.once("close", (code) => {
        if (code === 0) resolve(stdout);
        else reject(new Error(`Cannot run ${program} ${args.join(" ")}: exit ${code}\n${stderr.trim()}${stdout.trim()}`));
      });
    });
  } finally {
    await stdin?.close();
  }
}
