/**
 * Starting and stopping walnut's network servers (RESP and HTTP) around an open db.
 */
import { readFileSync } from "node:fs";
import type { TlsOptions } from "node:tls";
import { CommandExecutor } from "../commands/executor.js";
import { WalnutError, describeError } from "../lib/errors.js";
import { loadAclFile } from "./acl_file.js";
import { startHttpServer, type HttpServer } from "./http/server.js";
import { startRespServer, type RespServer } from "./resp/server.js";
import { ServerContext, type ServedDb, type ServerSettings } from "./server_context.js";
import type { ShutdownRequest } from "./shutdown.js";

export interface ServersOptions extends ServerSettings {
  host: string;
  /** null disables the server; 0 picks a free port. */
  respPort: number | null;
  httpPort: number | null;
  tls?: { certPath: string; keyPath: string; caPath?: string };
  /** The ACL file (acl_file.ts); without one the default user is the only user. */
  aclFile?: string;
}

export interface RunningServers {
  context: ServerContext;
  resp: RespServer | null;
  http: HttpServer | null;
  /**
   * Resolves once a client's SHUTDOWN has closed the servers: the owner of the db closes
   * it (and `walnut serve` exits). Never resolves when nobody asks.
   */
  shutdownRequested: Promise<ShutdownRequest>;
  /** Stops both servers and ends every client; calling it again waits for the same close. */
  close(): Promise<void>;
}

function loadTls(tls: NonNullable<ServersOptions["tls"]>): TlsOptions {
  const read = (path: string, what: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (error) {
      throw new WalnutError("BAD_CONFIG", `Cannot read ${what} ${path}: ${describeError(error)}`);
    }
  };
  const options: TlsOptions = { cert: read(tls.certPath, "--tls-cert"), key: read(tls.keyPath, "--tls-key") };
  if (tls.caPath !== undefined) {
    options.ca = read(tls.caPath, "--tls-ca");
    options.requestCert = true;
    options.rejectUnauthorized = true;
  }
  return options;
}

function loadUsers(options: ServersOptions): ReturnType<typeof loadAclFile> {
  if (options.aclFile === undefined) return new Map();
  const users = loadAclFile(options.aclFile);
  if (users.has("default") && options.requirePass !== null) {
    throw new WalnutError("BAD_CONFIG", `Cannot use --requirepass with ACL file ${options.aclFile}: the file defines user default; keep one of them`);
  }
  return users;
}

/** What the servers read from files (users, certificates): loaded before anything starts. */
export interface PreparedServers {
  users: ReturnType<typeof loadAclFile>;
  tls: TlsOptions | undefined;
}

/** Loads and checks the ACL and TLS files, so that a bad one stops the start at once. */
export function prepareServers(options: ServersOptions): PreparedServers {
  return { users: loadUsers(options), tls: options.tls === undefined ? undefined : loadTls(options.tls) };
}

export async function startServers(
  db: ServedDb,
  options: ServersOptions,
  prepared: PreparedServers = prepareServers(options),
): Promise<RunningServers> {
  const settings = {
    requirePass: options.requirePass,
    maxRequestBytes: options.maxRequestBytes,
    maxClients: options.maxClients,
    idleTimeoutMs: options.idleTimeoutMs,
    outputBufferLimitBytes: options.outputBufferLimitBytes,
    ...(options.databases === undefined ? {} : { databases: options.databases }),
    ...(options.keyspaceEventFlags === undefined ? {} : { keyspaceEventFlags: options.keyspaceEventFlags }),
  };
  const context = new ServerContext(db, new CommandExecutor(db.node, db.memory), settings, prepared.users);
  const tls = prepared.tls;
  const listen = { host: options.host, ...(tls === undefined ? {} : { tls }) };
  const resp = options.respPort === null ? null : await startRespServer(context, { ...listen, port: options.respPort });
  let http: HttpServer | null = null;
  try {
    http = options.httpPort === null ? null : await startHttpServer(context, { ...listen, port: options.httpPort });
  } catch (error) {
    await resp?.close();
    context.channels.close();
    context.tracking.close();
    throw error;
  }
  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    // The registry stops listening to the engine, which outlives these servers (a db may be served again).
    closing ??= Promise.all([resp?.close(), http?.close()]).then(() => {
      context.channels.close();
      context.tracking.close();
    });
    return closing;
  };
  const shutdownRequested = context.shutdown.requested.then(async (request) => {
    await close();
    return request;
  });
  return { context, resp, http, shutdownRequested, close };
}
