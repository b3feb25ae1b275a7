/**
 * INFO [section ...]: the server described in Redis' "# Section / key:value" text, with
 * the sections tools expect (server, clients, memory, persistence, stats, replication,
 * keyspace) plus walnut's own (wal, collections).
 */
import v8 from "node:v8";
import type { ByteString } from "../../engine/bytes.js";
import { MAXMEMORY_POLICY } from "../../commands/memory_limit.js";
import { bulk, type Reply } from "../../engine/reply.js";
import type { ClientHandle, ServerContext } from "../server_context.js";

type Section = [string, Array<[string, string | number]>];

/** Redis' bytesToHuman: 1023B, 1.00K, 11.75M, 2.00G, ... */
export function humanBytes(bytes: number): string {
  const units = ["K", "M", "G", "T", "P"];
  if (bytes < 1024) return `${bytes}B`;
  let scaled = bytes / 1024;
  let unit = 0;
  while (scaled >= 1024 && unit < units.length - 1) {
    scaled /= 1024;
    unit += 1;
  }
  return `${scaled.toFixed(2)}${units[unit]}`;
}

/** The memory section: Redis' names for what maxmemory compares (commands/memory_limit.ts), plus the V8 heap's own numbers. */
function memoryFields(context: ServerContext): Array<[string, string | number]> {
  const limit = context.executor.memory;
  const process_ = process.memoryUsage();
  const used = limit.usedBytes;
  const peak = limit.peakBytes;
  const heapLimit = v8.getHeapStatistics().heap_size_limit;
  return [
    ["used_memory", used],
    ["used_memory_human", humanBytes(used)],
    ["used_memory_rss", process_.rss],
    ["used_memory_rss_human", humanBytes(process_.rss)],
    ["used_memory_peak", peak],
    ["used_memory_peak_human", humanBytes(peak)],
    ["used_memory_heap_total", process_.heapTotal],
    ["used_memory_external", process_.external],
    ["heap_size_limit", heapLimit],
    ["heap_size_limit_human", humanBytes(heapLimit)],
    ["maxmemory", limit.maxmemory],
    ["maxmemory_human", humanBytes(limit.maxmemory)],
    ["maxmemory_policy", MAXMEMORY_POLICY],
  ];
}

function sections(context: ServerContext): Section[] {
  const node = context.executor.node;
  const status = node.status();
  const wal = node.walStats();
  const segments = node.segments();
  const uptimeSeconds = Math.floor((Date.now() - context.stats.startedAtMs) / 1000);
  const collections = node.read((engine) => engine.listCollections());
  const defaultSize = collections.find((c) => c.name === "default")?.size ?? 0;
  return [
    ["Server", [["redis_version", "7.0.0"], ["walnut_version", "0.1.0"], ["redis_mode", "standalone"], ["os", `${process.platform} ${process.arch}`], ["process_id", process.pid], ["tcp_port", 0], ["uptime_in_seconds", uptimeSeconds], ["node_version", process.version]]],
    ["Clients", [["connected_clients", context.clients.size], ["maxclients", context.settings.maxClients], ["blocked_clients", context.blocked.size]]],
    ["Memory", memoryFields(context)],
    ["Persistence", [["loading", 0], ["aof_enabled", 1], ["fsync", status.fsync], ["rdb_last_save_time", context.stats.lastSaveUnixSeconds], ["last_checkpoint_index", status.lastCheckpoint.index], ["last_checkpoint_id", status.lastCheckpoint.id], ["wal_write_error", status.writeError ?? ""]]],
    ["Stats", [["total_connections_received", context.stats.connectionsReceived], ["rejected_connections", context.stats.connectionsRejected], ["total_commands_processed", context.stats.commandsProcessed], ["total_error_replies", context.stats.commandErrors], ["protocol_errors", context.stats.protocolErrors]]],
    ["Replication", [["role", "master"], ["connected_slaves", 0], ["raft_role", status.role], ["raft_term", status.term], ["raft_commit_index", status.commitIndex], ["raft_applied_index", status.appliedIndex]]],
    ["WAL", [["wal_segments", segments.length], ["wal_bytes_written", wal.bytesWritten], ["wal_fsyncs", wal.fsyncs], ["wal_group_commit_mean", wal.batchesMeanSize.toFixed(2)], ["wal_last_fsync_ms", wal.lastFsyncMs.toFixed(3)]]],
    ["Collections", collections.map((c): [string, string] => [`collection_${c.name}`, `type=${c.type},keys=${c.size}`])],
    ["Keyspace", defaultSize > 0 ? [["db0", `keys=${defaultSize},expires=0,avg_ttl=0`]] : []],
  ];
}

export function infoReply(context: ServerContext, _client: ClientHandle, args: ByteString[]): Reply {
  const wanted = new Set(args.map((arg) => arg.toLowerCase()));
  const everything = wanted.size === 0 || wanted.has("all") || wanted.has("everything") || wanted.has("default");
  const text = sections(context)
    .filter(([name]) => everything || wanted.has(name.toLowerCase()))
    .map(([name, fields]) => `# ${name}\r\n${fields.map(([key, value]) => `${key}:${value}\r\n`).join("")}`)
    .join("\r\n");
  return bulk(text);
}
