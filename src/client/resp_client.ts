/**
 * A small RESP client: one connection, commands answered in order. Used by `walnut cli`
 * and by tools that talk to a live node (backup); tests use ioredis and redis-cli.
 */
import { connect as connectTcp, type Socket } from "node:net";
import { connect as connectTls, type ConnectionOptions } from "node:tls";
import type { Reply } from "../commands/reply.js";
import { WalnutError } from "../lib/errors.js";
import { ReplyParser } from "../server/resp/reply_parser.js";
import { encodeCommand } from "../server/resp/writer.js";

export interface ClientOptions {
  host: string;
  port: number;
  /** TLS options; absent for plain TCP. */
  tls?: ConnectionOptions;
  connectTimeoutMs?: number;
}

export class RespClient {
  private readonly parser = new ReplyParser();
  private readonly waiting: Array<{ resolve(reply: Reply): void; reject(error: Error): void }> = [];
  private closedError: Error | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("close", () => this.fail(new WalnutError("NOT_OPEN", "Cannot talk to walnut: the connection closed")));
    socket.on("error", (error) => this.fail(error));
  }

  static connect(options: ClientOptions): Promise<RespClient> {
    return new Promise((resolve, reject) => {
      const where = `${options.host}:${options.port}`;
      const socket =
        options.tls === undefined
          ? connectTcp({ host: options.host, port: options.port })
          : connectTls({ host: options.host, port: options.port, ...options.tls });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new WalnutError("NOT_OPEN", `Cannot connect to ${where}: timed out`));
      }, options.connectTimeoutMs ?? 5000);
      socket.once(options.tls === undefined ? "connect" : "secureConnect", () => {
        clearTimeout(timer);
        socket.removeAllListeners("error");
        resolve(new RespClient(socket));
      });
      socket.once("error", (error) => {
        clearTimeout(timer);
        reject(new WalnutError("NOT_OPEN", `Cannot connect to ${where}: ${error.message}`));
      });
    });
  }

  /** Sends one command; resolves with its reply (error replies resolve too). */
  command(argv: ReadonlyArray<string | Buffer>): Promise<Reply> {
    if (this.closedError !== null) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.socket.write(encodeCommand(argv));
    });
  }

  close(): void {
    this.socket.end();
  }

  private onData(chunk: Buffer): void {
    this.parser.feed(chunk);
    try {
      for (let reply = this.parser.next(); reply !== null; reply = this.parser.next()) {
        this.waiting.shift()?.resolve(reply);
      }
    } catch (error) {
      this.fail(error instanceof Error ? error : new Error(String(error)));
      this.socket.destroy();
    }
  }

  private fail(error: Error): void {
    if (this.closedError !== null) return;
    this.closedError = error;
    for (const waiter of this.waiting.splice(0)) waiter.reject(error);
  }
}
