/**
 * Starting a listener: resolves with the port it got (the one asked for, or a free one
 * for port 0), or rejects with the bind error (EADDRINUSE, EACCES) instead of throwing
 * it on the server later. The error names what listens, the address and the flag that
 * sets the port, so "address already in use" says which of a node's ports it was.
 */
import type { Server } from "node:net";
import { describeError, systemErrorCode, WalnutError } from "../lib/errors.js";

/** What a listener serves and the flag that sets its port, for errors. */
export interface ListenerName {
  /** "RESP", "HTTP". */
  name: string;
  /** "--port", "--http-port". */
  flag: string;
}

export function listen(server: Server, host: string, port: number, listener: ListenerName): Promise<number> {
  return new Promise((resolve, reject) => {
    const failed = (error: Error): void => {
      const where = `${listener.name} on ${host}:${port} (${listener.flag})`;
      const why = systemErrorCode(error) === "EADDRINUSE"
        ? `port ${port} is already in use by another process (EADDRINUSE); stop it or choose another ${listener.flag}`
        : describeError(error);
      reject(new WalnutError("BAD_CONFIG", `Cannot listen for ${where}: ${why}`, { cause: error }));
    };
    server.once("error", failed);
    server.listen(port, host, () => {
      server.off("error", failed);
      const address = server.address();
      resolve(typeof address === "object" && address !== null ? address.port : port);
    });
  });
}
