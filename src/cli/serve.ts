/**
 * `walnut serve`: open the data directory, start the servers, run until SIGINT/SIGTERM
 * or a client's SHUTDOWN,
 * then close cleanly (queued writes written, WAL synced and closed). It logs through
 * lib/log.ts as --log-format and --log-level say, every event carrying the node's id.
 */
import { open } from "../db.js";
import { serveOptions, formatOptions } from "../config/options.js";
import { readFileSync } from "node:fs";
import { parsePeers, type PeerAddress } from "../config/peers.js";
import { refuseSharedPorts, refuseTakenPorts, type PlannedPort } from "./port_plan.js";
import { prepareJoin, promoteWhenCaughtUp, undoJoin, type JoinClientOptions, type JoinPlan } from "./join.js";
import { resolveSettings, settingBoolean, settingNumber, settingString, type ResolvedSettings } from "../config/resolve.js";
import type { ClusterOptions } from "../node/node.js";
import { createLogger, linesTo, type LogFormat, type LogLevel } from "../lib/log.js";
import { WalnutError, describeError, isWalnutError } from "../lib/errors.js";
import { parseKeyspaceEvents } from "../engine/keyspace_events.js";
import { prepareServers, startServers, type RunningServers, type ServersOptions } from "../server/servers.js";
import type { ReadMode } from "../raft/types.js";
import { resolveMaxmemory } from "../commands/memory_limit.js";
import { DATABASES_MAX } from "../commands/databases.js";
import { heapSizeLimit } from "../lib/heap_usage.js";
import { applyHeapGrowthPercent } from "../lib/heap_growth.js";
import { formatBytes } from "../lib/units.js";
import type { MutualTlsOptions } from "../transport/dial.js";
import type { FsyncMode } from "../wal/wal.js";

/** The cluster this node joins, from --peers and friends; undefined for a single node. */
/** --notify-keyspace-events as flag bits (engine/keyspace_events.ts), or a clear refusal. */
function checkedKeyspaceEvents(text: string): number {
  const flags = parseKeyspaceEvents(text);
  if (flags === null) throw new WalnutError("BAD_CONFIG", `--notify-keyspace-events must be letters of Ag$lshzxeKEtmdn (got "${text}")`);
  return flags;
}

function clusterOptions(settings: ResolvedSettings, nodeId: number): ClusterOptions | undefined {
  const peersText = settingString(settings, "peers");
  if (peersText === undefined) return undefined;
  const peers = parsePeers(peersText);
  const self = peers.get(nodeId);
  if (self === undefined) throw new WalnutError("BAD_CONFIG", `--peers must include this node (--id ${nodeId})`);
  const peerPort = settings.values.get("peer-port");
  const listen = { host: self.host, port: typeof peerPort === "number" ? peerPort : self.port };
  const tls = peerTls(settings);
  return { listen, peers, secret: settingString(settings, "cluster-secret") ?? null, ...(tls === undefined ? {} : { tls }) };
}

function readFlagFile(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new WalnutError("BAD_CONFIG", `Cannot read ${flag} ${path}: ${describeError(error)}`);
  }
}

/** Mutual TLS between peers (--peer-tls-*), or undefined for plain TCP. */
function peerTls(settings: ResolvedSettings): MutualTlsOptions | undefined {
  const cert = settingString(settings, "peer-tls-cert");
  const key = settingString(settings, "peer-tls-key");
  const ca = settingString(settings, "peer-tls-ca");
  const given = [cert, key, ca].filter((value) => value !== undefined).length;
  if (given !== 0 && given !== 3) throw new WalnutError("BAD_CONFIG", "--peer-tls-cert, --peer-tls-key and --peer-tls-ca go together");
  if (cert === undefined || key === undefined || ca === undefined) return undefined;
  return { cert: readFlagFile(cert, "--peer-tls-cert"), key: readFlagFile(key, "--peer-tls-key"), ca: readFlagFile(ca, "--peer-tls-ca") };
}

/**
 * How --join reaches a member's RESP port: members share users, so with this node's
 * --requirepass; over TLS when this node serves TLS, presenting its own certificate (a
 * member with --tls-ca requires one) and checking the member's against --tls-ca.
 */
function joinClient(settings: ResolvedSettings): JoinClientOptions {
  const password = settingString(settings, "requirepass") ?? null;
  const cert = settingString(settings, "tls-cert");
  const key = settingString(settings, "tls-key");
  const ca = settingString(settings, "tls-ca");
  if (cert === undefined || key === undefined) return { password };
  return {
    password,
    tls: {
      cert: readFlagFile(cert, "--tls-cert"),
      key: readFlagFile(key, "--tls-key"),
      ...(ca === undefined ? {} : { ca: readFlagFile(ca, "--tls-ca") }),
    },
  };
}

/** Where a joining node listens for peers: --host:--peer-port. */
function joinListen(settings: ResolvedSettings): PeerAddress {
  if (settingString(settings, "peers") !== undefined) throw new WalnutError("BAD_CONFIG", "--join and --peers exclude each other");
  const peerPort = settings.values.get("peer-port");
  if (typeof peerPort !== "number") throw new WalnutError("BAD_CONFIG", "--join needs --peer-port: where this node listens for peers");
  return { host: settingString(settings, "host") ?? "127.0.0.1", port: peerPort };
}

/**
 * Refuses ports this node would use twice, or that another process holds, naming each
 * port and its flag, before anything is opened: found later, a taken RESP port stopped a
 * node only after it had replayed its WAL (and, with --join, been added to the cluster).
 */
async function refuseUnusablePorts(settings: ResolvedSettings, servers: ServersOptions, peerListen: PeerAddress | undefined): Promise<void> {
  const plan: PlannedPort[] = [];
  if (servers.respPort !== null) plan.push({ port: servers.respPort, what: "RESP", flag: "--port" });
  if (servers.httpPort !== null) plan.push({ port: servers.httpPort, what: "HTTP", flag: "--http-port" });
  const peerFlag = settings.values.get("peer-port") === undefined ? "--peers" : "--peer-port";
  const peer = peerListen === undefined ? [] : [{ port: peerListen.port, what: "Raft peers", flag: peerFlag }];
  refuseSharedPorts("start walnut serve", peerListen?.host === servers.host ? [...plan, ...peer] : plan);
  await refuseTakenPorts("start walnut serve", servers.host, plan);
  if (peerListen !== undefined) await refuseTakenPorts("start walnut serve", peerListen.host, peer);
}

/** --join: the membership comes from the cluster; this node listens on --host:--peer-port. */
async function joinOptions(settings: ResolvedSettings, nodeId: number, target: string, dataDir: string): Promise<JoinPlan> {
  const listen = joinListen(settings);
  const tls = peerTls(settings);
  return prepareJoin({
    target,
    nodeId,
    dataDir,
    listen,
    secret: settingString(settings, "cluster-secret") ?? null,
    client: joinClient(settings),
    ...(tls === undefined ? {} : { peerTls: tls }),
  });
}

export async function runServe(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`usage: walnut serve [flags]\n\n${formatOptions(serveOptions, "text")}\n\n` +
      "Every flag can also be set as WALNUT_<FLAG> in the environment or as <flag> = value in --config.\n");
    return 0;
  }
  const settings = resolveSettings(serveOptions, { argv, env: process.env, command: "serve" });
  if (settings.positionals.length > 0) {
    process.stderr.write(`walnut serve: unexpected argument "${settings.positionals[0]}" (see walnut serve --help)\n`);
    return 2;
  }
  const nodeId = settingNumber(settings, "id");
  const logger = createLogger({
    format: (settingString(settings, "log-format") ?? "auto") as LogFormat,
    level: (settingString(settings, "log-level") ?? "info") as LogLevel,
    bindings: { node: nodeId },
  });
  const log = logger.child({ component: "serve" });
  const dataDir = settingString(settings, "data-dir") ?? "./walnut-data";
  const host = settingString(settings, "host") ?? "127.0.0.1";
  const certPath = settingString(settings, "tls-cert");
  const keyPath = settingString(settings, "tls-key");
  const caPath = settingString(settings, "tls-ca");
  const aclFile = settingString(settings, "aclfile");
  if ((certPath === undefined) !== (keyPath === undefined)) {
    throw new WalnutError("BAD_CONFIG", "--tls-cert and --tls-key go together: give both or neither");
  }
  const serversOptions: ServersOptions = {
    host,
    respPort: settingNumber(settings, "port") || null, // 0 disables, as in Redis
    httpPort: settingNumber(settings, "http-port") || null,
    requirePass: settingString(settings, "requirepass") ?? null,
    maxRequestBytes: settingNumber(settings, "max-request-bytes"),
    maxClients: settingNumber(settings, "maxclients"),
    databases: checkedDatabases(settingNumber(settings, "databases")),
    idleTimeoutMs: settingNumber(settings, "timeout"),
    outputBufferLimitBytes: settingNumber(settings, "output-buffer-limit"),
    keyspaceEventFlags: checkedKeyspaceEvents(settingString(settings, "notify-keyspace-events") ?? ""),
    ...(aclFile === undefined ? {} : { aclFile }),
    ...(certPath !== undefined && keyPath !== undefined ? { tls: { certPath, keyPath, ...(caPath === undefined ? {} : { caPath }) } } : {}),
  };
  const prepared = prepareServers(serversOptions); // a bad ACL or TLS file stops us before the data dir is touched
  const maxmemory = resolveMaxmemory(settingNumber(settings, "maxmemory"), "--maxmemory"); // so does one the heap cannot hold
  applyHeapGrowthPercent(settingNumber(settings, "heap-growth-percent"));
  const joinTarget = settingString(settings, "join");
  const peersCluster = joinTarget === undefined ? clusterOptions(settings, nodeId) : undefined;
  // Every port is checked before the data dir is opened or a cluster is asked to add us.
  await refuseUnusablePorts(settings, serversOptions, peersCluster?.listen ?? (joinTarget === undefined ? undefined : joinListen(settings)));
  const join = joinTarget === undefined ? undefined : await joinOptions(settings, nodeId, joinTarget, dataDir);
  const cluster = join === undefined ? peersCluster : join.cluster;
  /** A node this run added that cannot start leaves the cluster again, and says so. */
  const failedAfterJoin = async (error: unknown): Promise<never> => {
    if (join === undefined || !join.added || joinTarget === undefined) throw error;
    const undone = await undoJoin({ target: joinTarget, nodeId, client: joinClient(settings) });
    if (isWalnutError(error)) throw new WalnutError(error.code, `${error.message}${undone}`, { cause: error });
    // A raw system error (the WAL's mkdir meeting a file lets EEXIST through): one clear line, the original as cause.
    throw new WalnutError("BAD_CONFIG", `Cannot start the joining node: ${describeError(error)}${undone}`, { cause: error });
  };
  const db = await open({
    dir: dataDir,
    fsync: settingString(settings, "fsync") as FsyncMode,
    segmentSize: settingNumber(settings, "segment-size"),
    checkpointInterval: settingNumber(settings, "checkpoint-interval"),
    checkpointWalBytes: settingNumber(settings, "checkpoint-wal-bytes"),
    archiveWal: settingBoolean(settings, "archive-wal"),
    log: logger,
    nodeId,
    readMode: settingString(settings, "read-mode") as ReadMode,
    logMemory: settingNumber(settings, "log-memory"),
    watchHistory: settingNumber(settings, "watch-history"),
    watchHistoryBytes: settingNumber(settings, "watch-history-bytes"),
    watchValueBytes: settingNumber(settings, "watch-value-bytes"),
    maxmemory,
    ...(cluster === undefined ? {} : { cluster }),
  }).catch((error: unknown) => failedAfterJoin(error));
  let servers: RunningServers;
  try {
    servers = await startServers(db, serversOptions, prepared);
  } catch (error) {
    await db.close();
    return failedAfterJoin(isWalnutError(error) ? error : new WalnutError("BAD_CONFIG", `Cannot start servers: ${describeError(error)}`, { cause: error }));
  }
  const openUser = servers.context.access.initialUser();
  if (openUser !== null) {
    const may = [...openUser.categories].join(", ");
    if (host === "127.0.0.1" || host === "localhost" || host === "::1") {
      log.info({ host }, "no password for the default user (--requirepass, --aclfile): listening on loopback only");
    } else {
      log.warn({ host }, `WARNING: no password for the default user (--requirepass, --aclfile) and listening on ${host}: anyone who can reach it may ${may}`);
    }
  }
  if (joinTarget !== undefined && cluster !== undefined) {
    const joinLog = logger.child({ component: "join" });
    promoteWhenCaughtUp({ target: joinTarget, client: joinClient(settings), node: db.node, listen: cluster.listen, log: linesTo(joinLog, "info") }).catch((error: unknown) =>
      joinLog.error({ target: joinTarget }, `joining as a voter failed: ${describeError(error)}`),
    );
  }
  const scheme = certPath !== undefined ? "tls" : "tcp";
  const listening = { dataDir, fsync: db.node.fsyncMode, respPort: servers.resp?.port ?? null, httpPort: servers.http?.port ?? null };
  log.info(
    listening,
    `walnut node ${db.node.id} ready: data in ${dataDir}, fsync ${db.node.fsyncMode}` +
      (servers.resp ? `, RESP on ${scheme}://${host}:${servers.resp.port}` : "") +
      (servers.http ? `, HTTP on ${scheme === "tls" ? "https" : "http"}://${host}:${servers.http.port}` : ""),
  );
  log.info(
    { maxmemory, heapSizeLimit: heapSizeLimit() },
    `maxmemory ${formatBytes(maxmemory)} of a ${formatBytes(heapSizeLimit())} V8 heap: writes that add data are refused (OOM) above it`,
  );
  // A signal often comes twice: Ctrl-C reaches a whole process group, and a supervisor
  // (`walnut cluster up`, systemd) may signal the node and its group both. The first one
  // closes; later ones must not cut that close short. SIGKILL still stops at once, and loses
  // nothing acknowledged.
  let closing = false;
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      log.info({ signal }, closing ? `${signal}: already closing (SIGKILL stops at once)` : `${signal}: closing`);
      closing = true;
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    // A client's SHUTDOWN [SAVE] (server/shutdown.ts) closes the node as a signal does.
    void servers.shutdownRequested.then(({ saved, client }) => {
      log.info({ client, saved }, `SHUTDOWN from ${client}${saved ? " (checkpoint taken)" : ""}: closing`);
      closing = true;
      resolve();
    });
  });
  await servers.close();
  await db.close();
  log.info("closed cleanly");
  process.removeAllListeners("SIGINT").removeAllListeners("SIGTERM");
  return 0;
}

/** --databases as Redis bounds it here: 1 to DATABASES_MAX. */
function checkedDatabases(count: number): number {
  if (!Number.isInteger(count) || count < 1 || count > DATABASES_MAX) {
    throw new WalnutError("BAD_CONFIG", `Cannot use --databases ${count}: it must be from 1 to ${DATABASES_MAX}`);
  }
  return count;
}
