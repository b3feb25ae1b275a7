/**
 * Test harness: a walnut node with its servers on ephemeral loopback ports, in a fresh
 * temporary data directory, torn down afterwards.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { open, type Db, type OpenOptions } from "../db.js";
import { startServers, type RunningServers, type ServersOptions } from "../server/servers.js";
import type { ServedDb } from "../server/server_context.js";

export interface TestNode {
  db: Db;
  servers: RunningServers;
  respPort: number;
  httpPort: number;
  dir: string;
  stop(): Promise<void>;
}

/** RESP and HTTP servers for `db` on ephemeral loopback ports, with roomy limits and no password. */
export function serveOnLoopback(db: ServedDb, overrides: Partial<ServersOptions> = {}): Promise<RunningServers> {
  return startServers(db, {
    host: "127.0.0.1",
    respPort: 0,
    httpPort: 0,
    requirePass: null,
    maxRequestBytes: 64 * 1024 * 1024,
    maxClients: 1000,
    idleTimeoutMs: 0,
    outputBufferLimitBytes: 256 * 1024 * 1024,
    ...overrides,
  });
}

export async function startTestNode(
  options: { db?: Partial<OpenOptions>; servers?: Partial<ServersOptions>; dir?: string } = {},
): Promise<TestNode> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), "walnut-server-")));
  const db = await open({ dir, checkpointInterval: 0, ...options.db });
  const servers = await serveOnLoopback(db, options.servers);
  return {
    db,
    servers,
    dir,
    respPort: servers.resp?.port ?? 0,
    httpPort: servers.http?.port ?? 0,
    async stop() {
      await servers.close();
      await db.close();
      if (options.dir === undefined) await rm(dir, { recursive: true, force: true });
    },
  };
}
