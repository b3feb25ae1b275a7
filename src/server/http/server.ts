/**
 * The HTTP listener: authentication and permissions, routing, and JSON errors with
 * proper status codes.
 *
 * Users are those of the RESP server (server/acl.ts): Basic user:password, or Bearer with
 * the default user's password. Without credentials a request acts as the default user
 * when it needs no password, else gets 401 with WWW-Authenticate; a wrong pair or a
 * category the user lacks (GET and HEAD read, other methods write) gets 403.
 *
 * Every answered request is counted (metrics.ts), and so are open sockets.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Socket } from "node:net";
import type { TlsOptions } from "node:tls";
import type { ByteString } from "../../engine/bytes.js";
import { permits, requiredCategory, type AclUser } from "../acl.js";
import type { ServerContext } from "../server_context.js";
import { HttpError, sendJson } from "./json.js";
import { countRequest } from "./metrics.js";
import { requestUrl, route } from "./routes.js";
import { listen } from "../listen.js";

export interface HttpServer {
  readonly port: number;
  close(): Promise<void>;
}

const SIGN_IN_REQUIRED = { "www-authenticate": 'Basic realm="walnut", charset="UTF-8"' };

/** The name/password pair of an Authorization header: Basic user:password, or Bearer <default user's password>. */
function credentials(header: string): { username: ByteString; password: ByteString } | null {
  const [scheme = "", value = ""] = header.trim().split(/\s+/, 2);
  // Node hands header values over as latin1: already a byte string.
  if (scheme.toLowerCase() === "bearer") return { username: "default", password: value };
  if (scheme.toLowerCase() !== "basic") return null;
  const decoded = Buffer.from(value, "base64").toString("latin1");
  const colon = decoded.indexOf(":");
  return colon < 0 ? null : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The user a request acts as: 401 without credentials when one is needed, 403 for a wrong pair. */
async function signIn(context: ServerContext, request: IncomingMessage): Promise<AclUser> {
  const header = request.headers.authorization;
  if (header === undefined) {
    const user = context.access.initialUser();
    if (user === null) throw new HttpError(401, "Authentication required", SIGN_IN_REQUIRED);
    return user;
  }
  const pair = credentials(header);
  if (pair === null) throw new HttpError(401, "The Authorization header must be Basic or Bearer", SIGN_IN_REQUIRED);
  const user = await context.access.authenticate(pair.username, pair.password);
  if (user === null) throw new HttpError(403, "invalid username-password pair or user is disabled");
  return user;
}

/** Checks the request's user may make it (server/acl.ts decides the category). */
async function authorize(context: ServerContext, request: IncomingMessage): Promise<void> {
  const user = await signIn(context, request);
  const method = request.method ?? "GET";
  const path = requestUrl(request).pathname;
  const category = requiredCategory({ protocol: "http", method, path });
  if (!permits(user, category)) {
    throw new HttpError(403, `User ${user.name} has no permissions to ${category} (${method} ${path})`);
  }
}

async function handle(context: ServerContext, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const startedMs = performance.now();
  try {
    await authorize(context, request);
    await route(context, request, response);
  } catch (error) {
    if (response.headersSent) {
      response.destroy();
      return;
    }
    if (error instanceof HttpError) sendJson(response, error.status, { detail: error.message }, error.headers);
    else sendJson(response, 500, { detail: error instanceof Error ? error.message : String(error) });
  } finally {
    countRequest(context, request, response, startedMs);
  }
}

export async function startHttpServer(
  context: ServerContext,
  options: { host: string; port: number; tls?: TlsOptions },
): Promise<HttpServer> {
  const listener = (request: IncomingMessage, response: ServerResponse): void => void handle(context, request, response);
  const server: Server = options.tls === undefined ? createHttpServer(listener) : createHttpsServer(options.tls, listener);
  server.maxHeadersCount = 100;
  server.headersTimeout = 10_000;
  server.requestTimeout = 60_000;
  server.on("connection", (socket: Socket) => {
    context.metrics.servers.connectionOpened("http");
    socket.once("close", () => context.metrics.servers.connectionClosed("http"));
  });
  const port = await listen(server, options.host, options.port, { name: "HTTP", flag: "--http-port" });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
