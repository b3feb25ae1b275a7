/**
 * What `walnut cluster up` keeps in its data directory, so that running it again restarts
 * the same cluster on the same data:
 *
 *   cluster.toml   its settings and the cluster secret (nodes, port, http-port, peer-port,
 *                  fsync, cluster-secret), written when the cluster is made
 *   node-<i>.toml  the `walnut serve --config` file node i runs with, so restarting one
 *                  node by hand (`walnut serve --config walnut-cluster/node-2.toml`) runs
 *                  exactly what cluster up ran
 *
 * Both hold the secret, so both are readable by their owner only (0600). A node's cluster
 * id is derived from the peer list and the secret: a run with a new secret (before this
 * file, every run made one up) or another peer list would find every node's data
 * "belongs to cluster ...", so those settings cannot change; the client ports and fsync can.
 */
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parse, stringify } from "smol-toml";
import { describeError, systemErrorCode, WalnutError } from "../lib/errors.js";
import { writeFileDurably } from "../lib/durable_file.js";
import { readControlFile } from "../node/control_file.js";

export const CLUSTER_RECORD_FILE = "cluster.toml";

export interface ClusterSettings {
  nodes: number;
  /** RESP port of node 1 (node i: port + i - 1); likewise httpPort and peerPort. */
  port: number;
  httpPort: number;
  peerPort: number;
  fsync: string;
  secret: string;
}

/** The settings a fresh cluster gets when no flag says otherwise. */
export const CLUSTER_DEFAULTS: Omit<ClusterSettings, "secret"> = { nodes: 3, port: 6380, httpPort: 8380, peerPort: 7380, fsync: "always" };

/** Settings that cannot change once the nodes hold data: the cluster id derives from them. */
const FIXED: ReadonlyArray<{ key: "nodes" | "peerPort" | "secret"; flag: string }> = [
  { key: "nodes", flag: "--nodes" },
  { key: "peerPort", flag: "--peer-port" },
  { key: "secret", flag: "--cluster-secret" },
];

export function nodeDataDir(dataDir: string, id: number): string {
  return join(dataDir, `node-${id}`);
}

export function nodeConfigPath(dataDir: string, id: number): string {
  return join(dataDir, `node-${id}.toml`);
}

async function readRecord(dataDir: string): Promise<ClusterSettings | null> {
  const path = join(dataDir, CLUSTER_RECORD_FILE);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if (systemErrorCode(error) === "ENOENT") return null;
    throw new WalnutError("BAD_CONFIG", `Cannot read ${path}: ${describeError(error)}`);
  }
  try {
    const table = parse(text);
    const number = (key: string): number => {
      const value = table[key];
      if (typeof value !== "number" || !Number.isSafeInteger(value)) throw new Error(`${key} must be an integer`);
      return value;
    };
    const string = (key: string): string => {
      const value = table[key];
      if (typeof value !== "string") throw new Error(`${key} must be a string`);
      return value;
    };
    return { nodes: number("nodes"), port: number("port"), httpPort: number("http-port"), peerPort: number("peer-port"), fsync: string("fsync"), secret: string("cluster-secret") };
  } catch (error) {
    throw new WalnutError("BAD_CONFIG", `Cannot read ${path}: ${describeError(error).split("\n")[0]}`);
  }
}

/** Ids of node-<i> directories that already hold a node's data. */
async function nodesWithData(dataDir: string, count: number): Promise<number[]> {
  const ids: number[] = [];
  for (let id = 1; id <= Math.max(count, 9); id++) {
    const control = await readControlFile(nodeDataDir(dataDir, id)).catch(() => null);
    if (control !== null) ids.push(id);
  }
  return ids;
}

/**
 * The settings this run uses: the recorded ones, with what the flags change; or, for a new
 * cluster, the flags over the defaults and a fresh secret. Refuses a flag that would give
 * the recorded cluster's nodes another cluster id, and node data with no record (made
 * before cluster up kept one: only the secret it ran with, given again, can open it).
 */
export async function settleClusterSettings(dataDir: string, given: Partial<ClusterSettings>): Promise<{ settings: ClusterSettings; restart: boolean }> {
  const recorded = await readRecord(dataDir);
  const recordPath = join(dataDir, CLUSTER_RECORD_FILE);
  if (recorded === null) {
    const withData = await nodesWithData(dataDir, given.nodes ?? CLUSTER_DEFAULTS.nodes);
    if (withData.length > 0 && given.secret === undefined) {
      throw new WalnutError(
        "BAD_CONFIG",
        `Cannot start the cluster in ${dataDir}: it holds data of node${withData.length > 1 ? "s" : ""} ${withData.join(", ")} but no ${CLUSTER_RECORD_FILE} ` +
          "(made by an older walnut cluster up, which did not keep its secret); give the --cluster-secret it ran with, or another --data-dir for a new cluster",
      );
    }
    const settings: ClusterSettings = { ...CLUSTER_DEFAULTS, ...given, secret: given.secret ?? randomBytes(16).toString("hex") };
    return { settings, restart: withData.length > 0 };
  }
  for (const { key, flag } of FIXED) {
    const asked = given[key];
    if (asked === undefined || asked === recorded[key]) continue;
    const was = key === "secret" ? "another --cluster-secret" : `${flag} ${recorded[key]}`;
    throw new WalnutError(
      "BAD_CONFIG",
      `Cannot start the cluster in ${dataDir} with ${key === "secret" ? "this --cluster-secret" : `${flag} ${asked}`}: it was made with ${was} (${recordPath}), ` +
        `and its nodes' data belongs to that cluster; leave out ${flag}, or give another --data-dir for a new cluster`,
    );
  }
  const settings: ClusterSettings = {
    ...recorded,
    port: given.port ?? recorded.port,
    httpPort: given.httpPort ?? recorded.httpPort,
    fsync: given.fsync ?? recorded.fsync,
  };
  return { settings, restart: true };
}

/** The peer list every node starts with. */
export function peerList(settings: ClusterSettings): string {
  return Array.from({ length: settings.nodes }, (_, i) => `${i + 1}=127.0.0.1:${settings.peerPort + i}`).join(",");
}

/** Writes cluster.toml and each node's serve config (owner-only: they hold the secret). */
export async function writeClusterRecord(dataDir: string, settings: ClusterSettings): Promise<void> {
  const record = { nodes: settings.nodes, port: settings.port, "http-port": settings.httpPort, "peer-port": settings.peerPort, fsync: settings.fsync, "cluster-secret": settings.secret };
  await writeFileDurably(join(dataDir, CLUSTER_RECORD_FILE), `# walnut cluster up: this cluster's settings; running it again on this directory reuses them\n${stringify(record)}\n`, { mode: 0o600 });
  for (let id = 1; id <= settings.nodes; id++) {
    const config = {
      id,
      peers: peerList(settings),
      "cluster-secret": settings.secret,
      "data-dir": resolve(nodeDataDir(dataDir, id)),
      port: settings.port + id - 1,
      "http-port": settings.httpPort + id - 1,
      fsync: settings.fsync,
    };
    await writeFileDurably(nodeConfigPath(dataDir, id), `# node ${id} of the cluster in ${resolve(dataDir)}: walnut serve --config ${nodeConfigPath(dataDir, id)}\n${stringify(config)}\n`, { mode: 0o600 });
  }
}
