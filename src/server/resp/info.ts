/**
 * INFO [section ...]: the server described in Redis 7.0's "# Section / field:value" text.
 *
 * Redis' sections come first, in Redis' order and with Redis 7.0's field names, so that
 * clients and tools that parse them find every field (src/scenarios/
 * connection_differential.test.ts compares the names with a real redis-server's). Values
 * are walnut's own where walnut has the thing (ports, pids, clients, memory, checkpoints
 * as RDB saves, the WAL as the AOF, command and error statistics, keyspace hits, the
 * databases) and the value Redis shows for a feature that is absent or idle otherwise
 * (no forks, no Lua, no replicas of Redis' kind: 0, -1, "ok"). walnut's own sections
 * (Raft, WAL, Collections, Walnut) follow Keyspace.
 *
 * Sections as in Redis 7.0: none or "default" gives the default ones (not commandstats),
 * "all" and "everything" every one, otherwise the named ones in Redis' order; an unknown
 * name gives nothing.
 */
import os from "node:os";
import v8 from "node:v8";
import type { ByteString } from "../../engine/bytes.js";
import { MAXMEMORY_POLICY } from "../../commands/memory_limit.js";
import { databaseCollection, databaseIndex } from "../../commands/databases.js";
import { bulk, type Reply } from "../../engine/reply.js";
import type { Engine } from "../../engine/engine.js";
import type { ClientHandle, ServerContext } from "../server_context.js";

type Field = [string, string | number];
interface Section {
  name: string;
  /** Shown by INFO without arguments (and "default"). */
  inDefault: boolean;
  fields: (context: ServerContext) => Field[];
}

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

/** A ratio as Redis prints one ("%.2f"), 0 when the divisor is. */
function ratio(numerator: number, denominator: number): string {
  return (denominator === 0 ? 0 : numerator / denominator).toFixed(2);
}

/** Microseconds as Redis prints CPU seconds ("%ld.%06ld"). */
function cpuSeconds(micros: number): string {
  return `${Math.floor(micros / 1_000_000)}.${String(Math.floor(micros % 1_000_000)).padStart(6, "0")}`;
}

function serverFields(context: ServerContext): Field[] {
  const nowMs = Date.now();
  const uptimeSeconds = Math.floor((nowMs - context.stats.startedAtMs) / 1000);
  return [
    ["redis_version", "7.0.0"],
    ["redis_git_sha1", "00000000"],
    ["redis_git_dirty", 0],
    ["redis_build_id", "0"],
    ["redis_mode", "standalone"],
    ["os", `${os.type()} ${os.release()} ${os.machine()}`],
    ["arch_bits", process.arch.endsWith("64") ? 64 : 32],
    ["monotonic_clock", "POSIX clock_gettime"],
    ["multiplexing_api", process.platform === "linux" ? "epoll" : "kqueue"],
    ["atomicvar_api", "c11-builtin"],
    ["gcc_version", "0.0.0"],
    ["process_id", process.pid],
    ["process_supervised", "no"],
    ["run_id", context.runId],
    ["tcp_port", context.respPort],
    ["server_time_usec", Math.round((performance.timeOrigin + performance.now()) * 1000)],
    ["uptime_in_seconds", uptimeSeconds],
    ["uptime_in_days", Math.floor(uptimeSeconds / 86400)],
    ["hz", 10],
    ["configured_hz", 10],
    ["lru_clock", Math.floor(nowMs / 1000) & 0xffffff],
    ["executable", process.argv[1] ?? process.execPath],
    ["config_file", ""],
    ["io_threads_active", 0],
  ];
}

function clientFields(context: ServerContext): Field[] {
  return [
    ["connected_clients", context.clients.size],
    ["cluster_connections", 0],
    ["maxclients", context.settings.maxClients],
    ["client_recent_max_input_buffer", 0],
    ["client_recent_max_output_buffer", 0],
    ["blocked_clients", context.blocked.size],
    ["tracking_clients", context.tracking.clientCount],
    ["clients_in_timeout_table", 0],
  ];
}

/** Redis' names for what maxmemory compares (commands/memory_limit.ts) and the process' own figures. */
function memoryFields(context: ServerContext): Field[] {
  const limit = context.executor.memory;
  const usage = process.memoryUsage();
  const used = limit.usedBytes;
  const peak = limit.peakBytes;
  const startup = Math.min(context.stats.startupMemoryBytes, used);
  const allocated = usage.heapUsed + usage.external;
  const active = usage.heapTotal + usage.external;
  const total = os.totalmem();
  return [
    ["used_memory", used],
    ["used_memory_human", humanBytes(used)],
    ["used_memory_rss", usage.rss],
    ["used_memory_rss_human", humanBytes(usage.rss)],
    ["used_memory_peak", peak],
    ["used_memory_peak_human", humanBytes(peak)],
    ["used_memory_peak_perc", `${ratio(used * 100, peak)}%`],
    ["used_memory_overhead", startup],
    ["used_memory_startup", startup],
    ["used_memory_dataset", used - startup],
    ["used_memory_dataset_perc", `${ratio((used - startup) * 100, used)}%`],
    ["allocator_allocated", allocated],
    ["allocator_active", active],
    ["allocator_resident", usage.rss],
    ["total_system_memory", total],
    ["total_system_memory_human", humanBytes(total)],
    ["used_memory_lua", 0],
    ["used_memory_vm_eval", 0],
    ["used_memory_lua_human", "0B"],
    ["used_memory_scripts_eval", 0],
    ["number_of_cached_scripts", 0],
    ["number_of_functions", 0],
    ["number_of_libraries", 0],
    ["used_memory_vm_functions", 0],
    ["used_memory_vm_total", 0],
    ["used_memory_vm_total_human", "0B"],
    ["used_memory_functions", 0],
    ["used_memory_scripts", 0],
    ["used_memory_scripts_human", "0B"],
    ["maxmemory", limit.maxmemory],
    ["maxmemory_human", humanBytes(limit.maxmemory)],
    ["maxmemory_policy", MAXMEMORY_POLICY],
    ["allocator_frag_ratio", ratio(active, allocated)],
    ["allocator_frag_bytes", active - allocated],
    ["allocator_rss_ratio", ratio(usage.rss, active)],
    ["allocator_rss_bytes", usage.rss - active],
    ["rss_overhead_ratio", ratio(usage.rss, usage.rss)],
    ["rss_overhead_bytes", 0],
    ["mem_fragmentation_ratio", ratio(usage.rss, used)],
    ["mem_fragmentation_bytes", usage.rss - used],
    ["mem_not_counted_for_evict", 0],
    ["mem_replication_backlog", 0],
    ["mem_total_replication_buffers", 0],
    ["mem_clients_slaves", 0],
    ["mem_clients_normal", 0],
    ["mem_cluster_links", 0],
    ["mem_aof_buffer", 0],
    ["mem_allocator", `v8-${process.versions.v8}`],
    ["active_defrag_running", 0],
    ["lazyfree_pending_objects", 0],
    ["lazyfreed_objects", 0],
  ];
}

/** Checkpoints are walnut's RDB saves, its WAL the AOF (always on). */
function persistenceFields(context: ServerContext): Field[] {
  const status = context.executor.node.status();
  const walBytes = context.executor.node.segments().reduce((sum, segment) => sum + segment.sizeBytes, 0);
  return [
    ["loading", 0],
    ["async_loading", 0],
    ["current_cow_peak", 0],
    ["current_cow_size", 0],
    ["current_cow_size_age", 0],
    ["current_fork_perc", "0.00"],
    ["current_save_keys_processed", 0],
    ["current_save_keys_total", 0],
    ["rdb_changes_since_last_save", Math.max(0, status.appliedIndex - status.lastCheckpoint.index)],
    ["rdb_bgsave_in_progress", 0],
    ["rdb_last_save_time", context.stats.lastSaveUnixSeconds],
    ["rdb_last_bgsave_status", context.stats.lastSaveFailed ? "err" : "ok"],
    ["rdb_last_bgsave_time_sec", -1],
    ["rdb_current_bgsave_time_sec", -1],
    ["rdb_saves", context.stats.saves],
    ["rdb_last_cow_size", 0],
    ["rdb_last_load_keys_expired", 0],
    ["rdb_last_load_keys_loaded", 0],
    ["aof_enabled", 1],
    ["aof_rewrite_in_progress", 0],
    ["aof_rewrite_scheduled", 0],
    ["aof_last_rewrite_time_sec", -1],
    ["aof_current_rewrite_time_sec", -1],
    ["aof_last_bgrewrite_status", "ok"],
    ["aof_rewrites", 0],
    ["aof_rewrites_consecutive_failures", 0],
    ["aof_last_write_status", status.writeError === null ? "ok" : "err"],
    ["aof_last_cow_size", 0],
    ["module_fork_in_progress", 0],
    ["module_fork_last_cow_size", 0],
    ["aof_current_size", walBytes],
    ["aof_base_size", 0],
    ["aof_pending_rewrite", 0],
    ["aof_buffer_length", 0],
    ["aof_pending_bio_fsync", 0],
    ["aof_delayed_fsync", 0],
  ];
}

function statsFields(context: ServerContext): Field[] {
  const stats = context.stats;
  const lookups = context.executor.keyspace;
  return [
    ["total_connections_received", stats.connectionsReceived],
    ["total_commands_processed", stats.commandsProcessed],
    ["instantaneous_ops_per_sec", 0],
    ["total_net_input_bytes", stats.netInputBytes],
    ["total_net_output_bytes", stats.netOutputBytes],
    ["total_net_repl_input_bytes", 0],
    ["total_net_repl_output_bytes", 0],
    ["instantaneous_input_kbps", "0.00"],
    ["instantaneous_output_kbps", "0.00"],
    ["instantaneous_input_repl_kbps", "0.00"],
    ["instantaneous_output_repl_kbps", "0.00"],
    ["rejected_connections", stats.connectionsRejected],
    ["sync_full", 0],
    ["sync_partial_ok", 0],
    ["sync_partial_err", 0],
    ["expired_keys", 0],
    ["expired_stale_perc", "0.00"],
    ["expired_time_cap_reached_count", 0],
    ["expire_cycle_cpu_milliseconds", 0],
    ["evicted_keys", 0],
    ["evicted_clients", 0],
    ["total_eviction_exceeded_time", 0],
    ["current_eviction_exceeded_time", 0],
    ["keyspace_hits", lookups.hits],
    ["keyspace_misses", lookups.misses],
    ["pubsub_channels", context.channels.counts.channels],
    ["pubsub_patterns", context.channels.counts.patterns],
    ["pubsubshard_channels", context.channels.counts.shardChannels],
    ["latest_fork_usec", 0],
    ["total_forks", 0],
    ["migrate_cached_sockets", 0],
    ["slave_expires_tracked_keys", 0],
    ["active_defrag_hits", 0],
    ["active_defrag_misses", 0],
    ["active_defrag_key_hits", 0],
    ["active_defrag_key_misses", 0],
    ["total_active_defrag_time", 0],
    ["current_active_defrag_time", 0],
    ["tracking_total_keys", context.tracking.totals.keys],
    ["tracking_total_items", context.tracking.totals.items],
    ["tracking_total_prefixes", context.tracking.totals.prefixes],
    ["unexpected_error_replies", 0],
    ["total_error_replies", context.commandStats.errorReplies],
    ["dump_payload_sanitizations", 0],
    ["total_reads_processed", stats.readsProcessed],
    ["total_writes_processed", stats.writesProcessed],
    ["io_threaded_reads_processed", 0],
    ["io_threaded_writes_processed", 0],
    ["reply_buffer_shrinks", 0],
    ["reply_buffer_expands", 0],
  ];
}

/** walnut replicates by Raft, not as Redis does: it is a master with no Redis replicas. */
function replicationFields(context: ServerContext): Field[] {
  return [
    ["role", "master"],
    ["connected_slaves", 0],
    ["master_failover_state", "no-failover"],
    ["master_replid", context.runId],
    ["master_replid2", "0".repeat(40)],
    ["master_repl_offset", context.executor.node.status().appliedIndex],
    ["second_repl_offset", -1],
    ["repl_backlog_active", 0],
    ["repl_backlog_size", 0],
    ["repl_backlog_first_byte_offset", 0],
    ["repl_backlog_histlen", 0],
  ];
}

function cpuFields(): Field[] {
  const usage = process.cpuUsage();
  return [
    ["used_cpu_sys", cpuSeconds(usage.system)],
    ["used_cpu_user", cpuSeconds(usage.user)],
    ["used_cpu_sys_children", cpuSeconds(0)],
    ["used_cpu_user_children", cpuSeconds(0)],
    ["used_cpu_sys_main_thread", cpuSeconds(usage.system)],
    ["used_cpu_user_main_thread", cpuSeconds(usage.user)],
  ];
}

/** Most keys with an expiry one INFO looks at per database for avg_ttl (Redis samples too). */
const AVG_TTL_SAMPLE_MAX = 1000;

/** One line per database that holds keys: keys (expired not yet swept included), keys with a TTL, their mean remaining TTL in ms. */
function keyspaceFields(context: ServerContext, engine: Engine): Field[] {
  const nowMs = context.executor.node.now();
  const fields: Field[] = [];
  for (let index = 0; index < context.databases; index++) {
    const collection = engine.collection(databaseCollection(index));
    if (collection === undefined || collection.size === 0) continue;
    let sampled = 0;
    let ttlSum = 0;
    for (const key of collection.volatileKeys) {
      if (sampled >= AVG_TTL_SAMPLE_MAX) break;
      const item = collection.get(key);
      if (item === undefined) continue;
      sampled += 1;
      ttlSum += Math.max(0, item.expiresAtMs - nowMs);
    }
    const averageTtl = sampled === 0 ? 0 : Math.round(ttlSum / sampled);
    fields.push([`db${index}`, `keys=${collection.size},expires=${collection.volatileKeys.size},avg_ttl=${averageTtl}`]);
  }
  return fields;
}

function raftFields(context: ServerContext): Field[] {
  const status = context.executor.node.status();
  return [
    ["raft_role", status.role],
    ["raft_term", status.term],
    ["raft_leader", status.leader],
    ["raft_commit_index", status.commitIndex],
    ["raft_applied_index", status.appliedIndex],
    ["last_checkpoint_index", status.lastCheckpoint.index],
    ["last_checkpoint_id", status.lastCheckpoint.id],
  ];
}

function walFields(context: ServerContext): Field[] {
  const node = context.executor.node;
  const wal = node.walStats();
  const status = node.status();
  return [
    ["fsync", status.fsync],
    ["wal_segments", node.segments().length],
    ["wal_bytes_written", wal.bytesWritten],
    ["wal_fsyncs", wal.fsyncs],
    ["wal_group_commit_mean", wal.batchesMeanSize.toFixed(2)],
    ["wal_last_fsync_ms", wal.lastFsyncMs.toFixed(3)],
    ["wal_write_error", status.writeError ?? ""],
  ];
}

/** Every collection, numbered databases included, with its type and size. */
function collectionFields(engine: Engine): Field[] {
  return engine.listCollections().map((c): Field => {
    const database = databaseIndex(c.name);
    return [`collection_${c.name}`, `type=${c.type},keys=${c.size}${database === null ? "" : `,db=${database}`}`];
  });
}

function walnutFields(context: ServerContext): Field[] {
  const usage = process.memoryUsage();
  const heapLimit = v8.getHeapStatistics().heap_size_limit;
  return [
    ["walnut_version", "0.1.0"],
    ["node_version", process.version],
    ["databases", context.databases],
    ["protocol_errors", context.stats.protocolErrors],
    ["used_memory_heap_total", usage.heapTotal],
    ["used_memory_external", usage.external],
    ["heap_size_limit", heapLimit],
    ["heap_size_limit_human", humanBytes(heapLimit)],
  ];
}

const SECTIONS: readonly Section[] = [
  { name: "Server", inDefault: true, fields: serverFields },
  { name: "Clients", inDefault: true, fields: clientFields },
  { name: "Memory", inDefault: true, fields: memoryFields },
  { name: "Persistence", inDefault: true, fields: persistenceFields },
  { name: "Stats", inDefault: true, fields: statsFields },
  { name: "Replication", inDefault: true, fields: replicationFields },
  { name: "CPU", inDefault: true, fields: cpuFields },
  { name: "Modules", inDefault: true, fields: () => [] },
  { name: "Commandstats", inDefault: false, fields: (context) => context.commandStats.commandLines() },
  { name: "Errorstats", inDefault: true, fields: (context) => context.commandStats.errorLines() },
  { name: "Cluster", inDefault: true, fields: () => [["cluster_enabled", 0]] },
  { name: "Keyspace", inDefault: true, fields: (context) => context.executor.node.read((engine) => keyspaceFields(context, engine)) },
  { name: "Raft", inDefault: true, fields: raftFields },
  { name: "WAL", inDefault: true, fields: walFields },
  { name: "Collections", inDefault: true, fields: (context) => context.executor.node.read(collectionFields) },
  { name: "Walnut", inDefault: true, fields: walnutFields },
];

export function infoReply(context: ServerContext, _client: ClientHandle, args: ByteString[]): Reply {
  const wanted = new Set(args.map((arg) => arg.toLowerCase()));
  const everything = wanted.has("all") || wanted.has("everything");
  const defaults = wanted.size === 0 || wanted.has("default");
  const text = SECTIONS.filter((section) => everything || (defaults && section.inDefault) || wanted.has(section.name.toLowerCase()))
    .map((section) => `# ${section.name}\r\n${section.fields(context).map(([key, value]) => `${key}:${value}\r\n`).join("")}`)
    .join("\r\n");
  return bulk(text);
}
