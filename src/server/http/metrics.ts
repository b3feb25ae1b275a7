/**
 * GET /metrics: Prometheus text exposition of what the node and servers count.
 */
import type { ServerContext } from "../server_context.js";

export function metricsText(context: ServerContext): string {
  const node = context.executor.node;
  const status = node.status();
  const wal = node.walStats();
  const lines: string[] = [];
  const metric = (name: string, type: "counter" | "gauge", help: string, value: number): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${value}`);
  };
  metric("walnut_commands_processed_total", "counter", "Commands received over RESP.", context.stats.commandsProcessed);
  metric("walnut_command_errors_total", "counter", "Commands answered with an error.", context.stats.commandErrors);
  metric("walnut_connected_clients", "gauge", "Connected RESP clients.", context.clients.size);
  metric("walnut_wal_bytes_written_total", "counter", "Bytes appended to the WAL.", wal.bytesWritten);
  metric("walnut_wal_fsyncs_total", "counter", "WAL fsyncs.", wal.fsyncs);
  metric("walnut_wal_fsync_seconds_total", "counter", "Time spent in WAL fsyncs.", wal.fsyncMsTotal / 1000);
  metric("walnut_wal_group_commit_mean_entries", "gauge", "Mean entries per WAL write batch.", wal.batchesMeanSize);
  metric("walnut_raft_term", "gauge", "Current Raft term.", status.term);
  metric("walnut_raft_commit_index", "gauge", "Highest committed log index.", status.commitIndex);
  metric("walnut_raft_applied_index", "gauge", "Highest applied log index.", status.appliedIndex);
  metric("walnut_keys", "gauge", "Keys across collections.", node.read((engine) => engine.size));
  metric("walnut_process_resident_memory_bytes", "gauge", "Resident set size.", process.memoryUsage().rss);
  return `${lines.join("\n")}\n`;
}
