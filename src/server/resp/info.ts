/**
 * INFO [section ...]: the server described in Redis' "# Section / key:value" text, with
 * the sections tools expect (server, clients, memory, persistence, stats, replication,
 * keyspace) plus walnut's own (wal, collections).
 */
import type { ByteString } from "../../engine/bytes.js";
import { bulk, type Reply } from "../../commands/reply.js";
import type { ClientHandle, ServerContext } from "../server_context.js";

type Section = [string, Array<[string, string | number]>];

function sections(context: ServerContext): Section[] {
  const node = context.executor.node;
  const status = node.status();
  const memory = process.memoryUsage();
  const wal = node.walStats();
  const segments = node.segments();
  const uptimeSeconds = Math.floor((Date.now() - context.stats.startedAtMs) / 1000);
  const collections = node.read((engine) => engine.listCollections());
  const defaultSize = collections.find((c) => c.name === "default")?.size ?? 0;
  return [
    ["Server", [["redis_version", "7.0.0"], ["walnut_version", "0.1.0"], ["redis_mode", "standalone"], ["os", `${process.platform} ${process.arch}`], ["process_id", process.pid], ["tcp_port", 0], ["uptime_in_seconds", uptimeSeconds], ["node_version", process.version]]],
    ["Clients", [["connected_clients", context.clients.size], ["maxclients", context.settings.maxClients]]],
    ["Memory", [["used_memory", memory.heapUsed], ["used_memory_rss", memory.rss], ["used_memory_heap_total", memory.heapTotal], ["used_memory_external", memory.external]]],
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
