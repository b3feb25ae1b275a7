/**
 * The HTTP listener: authentication (Basic with user "default", or Bearer, against
 * --requirepass), routing, and JSON errors with proper status codes.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { TlsOptions } from "node:tls";
import type { ServerContext } from "../server_context.js";
import { HttpError, sendJson } from "./json.js";
import { route } from "./routes.js";

export interface HttpServer {
  readonly port: number;
  close(): Promise<void>;
}

function authorize(context: ServerContext, request: IncomingMessage): void {
  const required = context.settings.requirePass;
  if (required === null) return;
  const header = request.headers.authorization;
  if (header === undefined) {
    throw new HttpError(401, "Authentication required", { "www-authenticate": 'Basic realm="walnut"' });
  }
  let password: string | null = null;
  if (header.startsWith("Bearer ")) password = header.slice(7);
  else if (header.startsWith("Basic ")) {
    const decoded = Buffer.from(header.slice(6), "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon >= 0 && decoded.slice(0, colon) === "default") password = decoded.slice(colon + 1);
  }
  if (password !== required) throw new HttpError(403, "invalid username-password pair or user is disabled");
}

async function handle(context: ServerContext, request: IncomingMessage, response: ServerResponse): Promise<void> {
  try {
    authorize(context, request);
    await route(context, request, response);
  } catch (error) {
    if (response.headersSent) {
      response.destroy();
      return;
    }
    if (error instanceof HttpError) sendJson(response, error.status, { detail: error.message }, error.headers);
    else sendJson(response, 500, { detail: error instanceof Error ? error.message : String(error) });
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
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : options.port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
