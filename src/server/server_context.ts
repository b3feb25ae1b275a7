/**
 * What every server (RESP, HTTP) shares: the embedded db it serves, the command
 * executor, settings that change behaviour at run time (CONFIG SET), the users and what
 * they may do, the registry of connected clients, the counters INFO reports, and the node's
 * metrics (GET /metrics) the servers record into.
 */
import type { CommandExecutor } from "../commands/executor.js";
import type { MemoryLimit } from "../commands/memory_limit.js";
import type { CollectionType } from "../engine/collection.js";
import type { Node } from "../node/node.js";
import type { CheckpointInfo } from "../snapshot/writer.js";
import type { NodeMetrics } from "../metrics/node_metrics.js";
import { AccessControl, type AclUser } from "./acl.js";
import { BlockedClients } from "./resp/blocked_clients.js";
import { ShutdownSignal } from "./shutdown.js";

/**
 * What the servers need of the database they serve: db.ts's Db is one. Declared here, not
 * imported from db.ts, because the embedded API and the servers are peer faces over commands/.
 */
export interface ServedDb {
  readonly node: Node;
  readonly memory: MemoryLimit;
  /** CHECKPOINT, BGSAVE and GET /backup. */
  checkpoint(): Promise<CheckpointInfo>;
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
}

export interface ServerStats {
  startedAtMs: number;
  connectionsReceived: number;
  connectionsRejected: number;
  commandsProcessed: number;
  commandErrors: number;
  protocolErrors: number;
  /** Unix seconds of the last successful checkpoint (LASTSAVE). */
  lastSaveUnixSeconds: number;
}

/** What the CLIENT command needs to know about a connection. */
export interface ClientHandle {
  readonly id: number;
  name: string;
  readonly address: string;
  readonly connectedAtMs: number;
  lastCommandAtMs: number;
  lastCommand: string;
  collection: string;
  protocol: 2 | 3;
  close(reason: string): void;
}

export class ServerContext {
  readonly stats: ServerStats;
  readonly clients = new Map<number, ClientHandle>();
  readonly access: AccessControl;
  readonly metrics: NodeMetrics;
  /** Set by SHUTDOWN; servers.ts closes the servers, their owner the rest (shutdown.ts). */
  readonly shutdown = new ShutdownSignal();
  /** RESP clients blocked in BLPOP and friends, queued per key (resp/blocked_clients.ts). */
  readonly blocked: BlockedClients;
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
    const nowMs = Date.now();
    this.stats = {
      startedAtMs: nowMs,
      connectionsReceived: 0,
      connectionsRejected: 0,
      commandsProcessed: 0,
      commandErrors: 0,
      protocolErrors: 0,
      lastSaveUnixSeconds: Math.floor(nowMs / 1000),
    };
  }

  allocateClientId(): number {
    return this.nextClientId++;
  }
}
