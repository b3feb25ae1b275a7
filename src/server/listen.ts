/**
 * Starting a listener: resolves with the port it got (the one asked for, or a free one
 * for port 0), or rejects with the bind error (EADDRINUSE, EACCES) instead of throwing
 * it on the server later.
 */
import type { Server } from "node:net";

export function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const address = server.address();
      resolve(typeof address === "object" && address !== null ? address.port : port);
    });
  });
}
