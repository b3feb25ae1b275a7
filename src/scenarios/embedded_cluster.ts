/**
 * A cluster of embedded nodes in one process, talking over loopback TCP: the fixture of
 * the in-process cluster tests. Each node has its own temp data directory and its own
 * captured log lines; nodes can be stopped (`db.close()`, then `dbs.delete(id)`) and
 * started again on the same directory. `leader()` waits until exactly one node leads and
 * every node knows it.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { open, type Db, type OpenOptions } from "../db.js";
import { freePort, waitUntil } from "./server_fixtures.js";

/** Tries of an action refused during an election, ELECTION_RETRY_MS apart. */
const ELECTION_RETRIES_MAX = 100;
const ELECTION_RETRY_MS = 50;

export interface EmbeddedCluster {
  dbs: Map<number, Db>;
  dirs: Map<number, string>;
  peers: Map<number, { host: string; port: number }>;
  /** Each node's log lines, across its restarts. */
  logs: Map<number, string[]>;
  /** The cluster secret every node was started with. */
  secret: string;
  /** Opens node `id` on its directory (again, after a stop). */
  start(id: number): Promise<Db>;
  leader(): Promise<number>;
  /** Closes every open node and removes the directories. */
  close(): Promise<void>;
}

export interface EmbeddedClusterOptions {
  size: number;
  /** Names the temp directories. */
  name: string;
  /** More open() options for every node (checkpoints are off unless given). */
  open?: Partial<OpenOptions>;
  /** Open nodes 1..size before returning (default true). */
  startAll?: boolean;
}

export async function startEmbeddedCluster(options: EmbeddedClusterOptions): Promise<EmbeddedCluster> {
  const peers = new Map<number, { host: string; port: number }>();
  const dirs = new Map<number, string>();
  for (let id = 1; id <= options.size; id++) {
    peers.set(id, { host: "127.0.0.1", port: await freePort() });
    dirs.set(id, await mkdtemp(join(tmpdir(), `walnut-${options.name}-${id}-`)));
  }
  const dbs = new Map<number, Db>();
  const logs = new Map<number, string[]>();
  const secret = `${options.name}-secret`;
  const cluster: EmbeddedCluster = {
    dbs,
    dirs,
    peers,
    logs,
    secret,
    async start(id) {
      const messages = logs.get(id) ?? [];
      logs.set(id, messages);
      const db = await open({
        dir: dirs.get(id) as string,
        nodeId: id,
        cluster: { listen: peers.get(id) as { host: string; port: number }, peers, secret },
        checkpointInterval: 0,
        checkpointWalBytes: 0,
        log: (message) => messages.push(message),
        ...options.open,
      });
      dbs.set(id, db);
      return db;
    },
    async leader() {
      let found = 0;
      await waitUntil("one leader that every node knows", () => {
        const views = [...dbs.values()].map((db) => db.node.status());
        const leaders = views.filter((s) => s.role === "leader");
        found = leaders.length === 1 && views.every((s) => s.leader === leaders[0]?.id) ? (leaders[0]?.id ?? 0) : 0;
        return found !== 0;
      });
      return found;
    },
    async close() {
      await Promise.all([...dbs.values()].map((db) => db.close()));
      dbs.clear();
      await Promise.all([...dirs.values()].map((dir) => rm(dir, { recursive: true, force: true })));
    },
  };
  try {
    if (options.startAll ?? true) for (let id = 1; id <= options.size; id++) await cluster.start(id);
  } catch (error) {
    await cluster.close();
    throw error;
  }
  return cluster;
}

/** Retries `action` while an election is under way ("no leader", "outcome unknown", a read not yet confirmed). */
export async function duringElections<T>(action: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await action();
    } catch (error) {
      if (attempt > ELECTION_RETRIES_MAX || !/leader|unknown|confirm/.test(String(error))) throw error;
      await new Promise((resolve) => setTimeout(resolve, ELECTION_RETRY_MS));
    }
  }
}

/** A write retried while an election is under way. */
export async function setEventually(db: Db, key: string, value: string): Promise<void> {
  await duringElections(() => db.set(key, value));
}
