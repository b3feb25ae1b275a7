/**
 * Reading a benchmarked server's memory, for the RESP and memory benchmarks: its live bytes
 * (redis: INFO used_memory; walnut: heap used + external after full GCs), and, under
 * walnut's --fsync no, waiting until its WAL holds every applied entry so that what is
 * measured is not a queue of unwritten entries. Every question goes through redis-cli.
 */
import { runTool } from "./redis_benchmark.js";
import type { BenchServer } from "./resp_servers.js";

const WAL_CATCH_UP_TIMEOUT_MS = 120_000;
const WAL_CATCH_UP_POLL_MS = 100;

export async function redisCli(server: BenchServer, args: string[]): Promise<string> {
  return runTool("redis-cli", ["-h", "127.0.0.1", "-p", String(server.port), ...args]);
}

/** redis: INFO used_memory; walnut: heap used + external after full GCs. */
export async function liveBytes(server: BenchServer): Promise<number> {
  if (server.collectGarbage !== undefined) {
    const usage = await server.collectGarbage();
    return usage.heapUsed + usage.external;
  }
  const match = /^used_memory:(\d+)/m.exec(await redisCli(server, ["INFO", "memory"]));
  if (match === null) throw new Error(`Cannot read used_memory from ${server.label}'s INFO memory`);
  return Number(match[1]);
}

/**
 * walnut: applied entries not yet written to the WAL (INFO raft_applied_index minus
 * raft_commit_index; under --fsync no walnut applies and acknowledges first). null for
 * servers without those fields (redis).
 */
export async function unwrittenEntries(server: BenchServer): Promise<number | null> {
  const info = await redisCli(server, ["INFO", "replication"]);
  const commit = /^raft_commit_index:(\d+)/m.exec(info);
  const applied = /^raft_applied_index:(\d+)/m.exec(info);
  if (commit === null || applied === null) return null;
  return Number(applied[1]) - Number(commit[1]);
}

export async function waitForWalCatchUp(server: BenchServer): Promise<void> {
  const deadline = Date.now() + WAL_CATCH_UP_TIMEOUT_MS;
  for (;;) {
    const unwritten = await unwrittenEntries(server);
    if (unwritten === null || unwritten <= 0) return;
    if (Date.now() > deadline) throw new Error(`Cannot measure memory of ${server.label}: ${unwritten} entries still unwritten after ${WAL_CATCH_UP_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, WAL_CATCH_UP_POLL_MS));
  }
}
