/**
 * What every server (RESP, HTTP) shares: the embedded db it serves, the command
 * executor, settings that change behaviour at run time (CONFIG SET), the users and what
 * they may do, the registry of connected clients, the counters INFO reports, and the node's
 * metrics (GET /metrics) the servers record into.
 */
import type { Reply } from "../engine/reply.js";
import type { CommandExecutor } from "../commands/executor.js";
import { DATABASES_DEFAULT } from "../commands/databases.js";
import type { MemoryLimit } from "../commands/memory_limit.js";
import type { CollectionType } from "../engine/collection.js";
import type { Node } from "../node/node.js";
import type { CheckpointInfo } from "../snapshot/writer.js";
import type { NodeMetrics } from "../metrics/node_metrics.js";
import { AccessControl, type AclUser } from "./acl.js";
import { BlockedClients } from "./resp/blocked_clients.js";
import { ChannelRegistry } from "./resp/pubsub.js";
import { ClusterPubsub } from "./resp/pubsub_cluster.js";
import { ClientTracking, type InvalidationReceiver } from "./resp/client_tracking.js";
import { ShutdownSignal } from "./shutdown.js";
import { CommandStats } from "./command_stats.js";
import { randomBytes } from "node:crypto";

/**
 * What the servers need of the database they serve: db.ts's Db is one. Declared here, not
 * imported from db.ts, because the embedded API and the servers are peer faces over commands/.
 */
export interface ServedDb {
  readonly node: Node;
  readonly memory: MemoryLimit;
  /** CHECKPOINT, BGSAVE and GET /backup. */
  /** `full`: one self-contained file (a backup), never a delta. */
  checkpoint(options?: { full?: boolean }): Promise<CheckpointInfo>;
  /** COLLECTION EXPORT name path. */
  exportCollection(name: string, path: string): Promise<void>;
  /** COLLECTION IMPORT path name type. */
  importCollection(path: string, options: { name: string; type: CollectionType }): Promise<unknown>;
}

export interface ServerSettings {
  /** The default user's password (unless the ACL file defines one); null: none required. */
  requirePass: string | null;
  /** Largest request (one command), in bytes. */
  maxRequestBytes: number;
  /** Most connected clients. */
  maxClients: number;
  /** Close a client idle this long (0: never). */
  idleTimeoutMs: number;
  /** Close a client whose unsent replies exceed this many bytes. */
  outputBufferLimitBytes: number;
  /** Redis databases a client may SELECT (commands/databases.ts); DATABASES_DEFAULT when not given. */
  databases?: number;
  /** notify-keyspace-events at start (engine/keyspace_events.ts bits); CONFIG SET changes the engine's. */
  keyspaceEventFlags?: number;
}

export interface ServerStats {
  startedAtMs: number;
  connectionsReceived: number;
  connectionsRejected: number;
  commandsProcessed: number;
  /** Bytes read from and written to RESP clients, and the reads and writes that moved them. */
  netInputBytes: number;
  netOutputBytes: number;
  readsProcessed: number;
  writesProcessed: number;
  /** Used memory when the servers started (INFO used_memory_startup). */
  startupMemoryBytes: number;
  /** Checkpoints taken by SAVE and BGSAVE, and whether the last one failed. */
  saves: number;
  lastSaveFailed: boolean;
  protocolErrors: number;
  /** Unix seconds of the last successful checkpoint (LASTSAVE). */
  lastSaveUnixSeconds: number;
}

/** A connection's state in CLIENT LIST's terms (Redis 7.0's field names). */
export interface ClientState {
  /** The socket's file descriptor, -1 when the platform does not tell. */
  fd: number;
  /** Redis' flags: "x" in MULTI, "P" subscribed, "N" for nothing special. */
  flags: string;
  /** Commands queued since MULTI, -1 outside a transaction. */
  multi: number;
  /** Bytes received and not yet parsed into a command (qbuf). */
  queryBufferBytes: number;
  /** Replies waiting for earlier ones, not yet written (oll). */
  pendingReplies: number;
  /** Bytes written to the socket and not yet sent (omem). */
  unsentBytes: number;
  /** Channels, patterns and shard channels subscribed to (sub, psub, ssub). */
  subscriptions: { channels: number; patterns: number; shardChannels: number };
  /** "r" while reading, "rw" while output waits to drain. */
  events: string;
  user: string;
}

/** What the CLIENT command needs to know about a connection. */
export interface ClientHandle {
  readonly id: number;
  name: string;
  readonly address: string;
  readonly connectedAtMs: number;
  lastCommandAtMs: number;
  /** The last command as INFO commandstats names it ("get", "client|list"); "NULL" for an unknown one, as Redis shows it. */
  lastCommand: string;
  /** The server's end of the connection, "host:port" (CLIENT LIST laddr). */
  readonly localAddress: string;
  /** What CLIENT LIST and CLIENT INFO show of the connection's state. */
  describeState(): ClientState;
  collection: string;
  protocol: 2 | 3;
  close(reason: string): void;
  /** CLIENT UNBLOCK: ends the blocking command the client waits in; false when it waits in none. */
  unblock?(how: "timeout" | "error"): boolean;
  /** Sends out-of-band frames (WALNUT.WATCH events) after every reply owed so far: RESP3 pushes, RESP2 arrays. */
  push?(frames: Reply[][]): void;
  /** Queues a push frame caused by the entry at log index `index`, ordered among the replies by it (pub/sub, invalidations). */
  deliver?(frame: Reply[], index: number): void;
}

export class ServerContext {
  readonly stats: ServerStats;
  readonly clients = new Map<number, ClientHandle>();
  /** INFO commandstats and errorstats. */
  readonly commandStats = new CommandStats();
  /** Redis' run_id: 40 random hex digits, new at every start. */
  readonly runId = randomBytes(20).toString("hex");
  readonly access: AccessControl;
  readonly metrics: NodeMetrics;
  /** Set by SHUTDOWN; servers.ts closes the servers, their owner the rest (shutdown.ts). */
  readonly shutdown = new ShutdownSignal();
  /** RESP clients blocked in BLPOP and friends, queued per key (resp/blocked_clients.ts). */
  readonly blocked: BlockedClients;
  /** Who subscribes to which channels on this node (resp/pubsub.ts). */
  readonly channels: ChannelRegistry;
  /** PUBSUB's counts over every member of a cluster (resp/pubsub_cluster.ts). */
  readonly pubsub: ClusterPubsub;
  /** CLIENT TRACKING: who may cache which keys, and their invalidations (resp/client_tracking.ts). */
  readonly tracking: ClientTracking;
  /** The RESP server's port once it listens (INFO tcp_port, CONFIG GET port); 0 without one. */
  respPort = 0;
  private nextClientId = 1;

  /** @param users the ACL file's users by name (acl_file.ts); none without --aclfile */
  constructor(
    readonly db: ServedDb,
    readonly executor: CommandExecutor,
    readonly settings: ServerSettings,
    users: ReadonlyMap<string, AclUser> = new Map(),
  ) {
    this.access = new AccessControl(users, () => this.settings.requirePass);
    this.metrics = executor.node.metrics;
    this.blocked = new BlockedClients(executor);
    const published = executor.node.read((engine) => engine.published);
    this.channels = new ChannelRegistry(published);
    this.pubsub = new ClusterPubsub(this.channels, executor.node);
    if (settings.keyspaceEventFlags !== undefined) published.keyspaceEventFlags = settings.keyspaceEventFlags;
    this.tracking = new ClientTracking(executor.node.read((engine) => engine), (id) => this.invalidationReceiver(id));
    const nowMs = Date.now();
    this.stats = {
      startedAtMs: nowMs,
      connectionsReceived: 0,
      connectionsRejected: 0,
      commandsProcessed: 0,
      netInputBytes: 0,
      netOutputBytes: 0,
      readsProcessed: 0,
      writesProcessed: 0,
      startupMemoryBytes: executor.memory.usedBytes,
      saves: 0,
      lastSaveFailed: false,
      protocolErrors: 0,
      lastSaveUnixSeconds: Math.floor(nowMs / 1000),
    };
  }

  /** How many databases SELECT, MOVE and SWAPDB accept. */
  get databases(): number {
    return this.settings.databases ?? DATABASES_DEFAULT;
  }

  /** The connection of client `id` as client tracking sends to it; undefined when gone (or not a RESP connection). */
  private invalidationReceiver(id: number): InvalidationReceiver | undefined {
    const client = this.clients.get(id);
    const deliver = client?.deliver?.bind(client);
    if (client === undefined || deliver === undefined) return undefined;
    return { id, protocol: client.protocol, deliver, subscribed: () => client.describeState().flags.includes("P") };
  }

  allocateClientId(): number {
    return this.nextClientId++;
  }
}
