/**
 * The RESP listener: accepts TCP (or TLS) connections, enforces maxclients, and hands
 * each socket to a Connection. close() stops accepting and ends every client.
 */
import { createServer as createTcpServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer, type TlsOptions } from "node:tls";
import type { ServerContext } from "../server_context.js";
import { Connection } from "./connection.js";
import { listen } from "../listen.js";

export interface RespServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Answers a connection over --maxclients with Redis' error and closes it. The socket is
 * never read, so it is destroyed once the reply is sent rather than left waiting for the
 * peer's FIN; and a reset from the peer must not become an uncaught 'error'.
 */
function refuse(socket: Socket): void {
  socket.on("error", () => socket.destroy());
  socket.end("-ERR max number of clients reached\r\n", () => socket.destroy());
}

export async function startRespServer(
  context: ServerContext,
  options: { host: string; port: number; tls?: TlsOptions },
): Promise<RespServer> {
  const accept = (socket: Socket): void => {
    context.stats.connectionsReceived += 1;
    if (context.clients.size >= context.settings.maxClients) {
      refuse(socket);
      context.stats.connectionsRejected += 1;
      return;
    }
    const connection = new Connection(socket, context);
    context.clients.set(connection.id, connection);
  };
  const server: Server = options.tls === undefined ? createTcpServer(accept) : createTlsServer(options.tls, accept);
  if (options.tls !== undefined) {
    server.on("tlsClientError", () => {
      context.stats.connectionsRejected += 1;
    });
  }
  const port = await listen(server, options.host, options.port, { name: "RESP", flag: "--port" });
  context.respPort = port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const client of context.clients.values()) client.close("server shutting down");
      }),
  };
}
