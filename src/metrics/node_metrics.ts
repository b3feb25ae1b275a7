/**
 * One node's metrics: a prom-client Registry of its own (never the global default one:
 * several nodes may share a process, as in tests and the embedded API), and the objects
 * the node's parts record into. The node creates it (or is handed one) and exposes it as
 * `node.metrics`; GET /metrics answers `await node.metrics.text()`.
 *
 *   commands      command_meter.ts       per-command counts and latency (RESP and HTTP)
 *   wal           wal_metrics.ts         bytes, fsync latency, group-commit batch size
 *   checkpoints   checkpoint_metrics.ts  duration, size, outcomes
 *   raft          raft_metrics.ts        elections, leader changes, snapshot transfers
 *   state         node_state_metrics.ts  term, indexes, lag, segments, keys (read at scrape)
 *   servers       server_metrics.ts      connected clients, HTTP requests
 *   memory        memory_metrics.ts      used memory, maxmemory, OOM refusals (watched by the db)
 *
 * plus prom-client's process metrics (CPU, memory, event loop lag, GC), prefixed walnut_.
 * Those describe the process, not a node, and collecting them starts a GC observer and an
 * event-loop delay monitor that cannot be stopped, so they live in one registry per
 * process, created at the first scrape, and are appended to every node's text.
 */
import { Registry, collectDefaultMetrics } from "prom-client";
import { CheckpointMetrics } from "./checkpoint_metrics.js";
import { CommandMeter } from "./command_meter.js";
import { NodeStateMetrics } from "./node_state_metrics.js";
import { RaftMetrics } from "./raft_metrics.js";
import { MemoryMetrics } from "./memory_metrics.js";
import { ServerMetrics } from "./server_metrics.js";
import { WalMetrics } from "./wal_metrics.js";

export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

let processRegistry: Registry | null = null;

/** The process's own metrics (walnut_process_*, walnut_nodejs_*), collected from the first call on. */
function processMetrics(): Registry {
  if (processRegistry === null) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, prefix: "walnut_" });
  }
  return processRegistry;
}

export class NodeMetrics {
  readonly registry = new Registry();
  readonly commands = new CommandMeter(this.registry);
  readonly wal = new WalMetrics(this.registry);
  readonly checkpoints = new CheckpointMetrics(this.registry);
  readonly raft = new RaftMetrics(this.registry);
  readonly state = new NodeStateMetrics(this.registry);
  readonly servers = new ServerMetrics(this.registry);
  readonly memory = new MemoryMetrics(this.registry);

  /** The Prometheus text exposition of this node's metrics and the process's. */
  async text(): Promise<string> {
    const own = await this.registry.metrics();
    return `${own}\n${await processMetrics().metrics()}`;
  }
}
