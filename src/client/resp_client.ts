/**
 * A small RESP client: one connection, commands answered in order. Used by `walnut cli`,
 * by tools that talk to a live node (backup, join) and by the fault campaign's clients;
 * tests use ioredis and redis-cli.
 *
 * A command that gets no answer rejects with NoAnswer, which says one thing an ordinary
 * client hides and the campaign must know: whether the command left the client. One
 * refused before it was written did nothing; one written and then unanswered (timeout,
 * connection lost) may have been applied. A command's timeout destroys the connection
 * (a late answer would otherwise be taken for the next command's).
 */
import { connect as connectTcp, type Socket } from "node:net";
import { connect as connectTls, type ConnectionOptions } from "node:tls";
import type { Reply } from "../engine/reply.js";
import { WalnutError } from "../lib/errors.js";
import { ReplyParser } from "../resp/reply_parser.js";
import { encodeCommand } from "../resp/writer.js";

export interface ClientOptions {
  host: string;
  port: number;
  /** TLS options; absent for plain TCP. */
  tls?: ConnectionOptions;
  connectTimeoutMs?: number;
}

/** A command (or a connection) that got no answer; `sent` is false when the command never reached the socket. */
export class NoAnswer extends WalnutError {
  constructor(
    message: string,
    readonly sent: boolean,
  ) {
    super("NOT_OPEN", message);
  }
}

export class RespClient {
  private readonly parser = new ReplyParser();
  private readonly waiting: Array<{ resolve(reply: Reply): void; reject(error: Error): void }> = [];
  private closedReason: string | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("close", () => this.fail("Cannot talk to walnut: the connection closed"));
    socket.on("error", (error) => this.fail(error.message));
  }

  /** Rejects with NoAnswer (not sent) when it cannot connect within connectTimeoutMs (default 5 s). */
  static connect(options: ClientOptions): Promise<RespClient> {
    return new Promise((resolve, reject) => {
      const where = `${options.host}:${options.port}`;
      const socket =
        options.tls === undefined
          ? connectTcp({ host: options.host, port: options.port })
          : connectTls({ host: options.host, port: options.port, ...options.tls });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new NoAnswer(`Cannot connect to ${where}: timed out`, false));
      }, options.connectTimeoutMs ?? 5000);
      socket.once(options.tls === undefined ? "connect" : "secureConnect", () => {
        clearTimeout(timer);
        socket.removeAllListeners("error");
        resolve(new RespClient(socket));
      });
      socket.once("error", (error) => {
        clearTimeout(timer);
        reject(new NoAnswer(`Cannot connect to ${where}: ${error.message}`, false));
      });
    });
  }

  get isOpen(): boolean {
    return this.closedReason === null;
  }

  /**
   * Sends one command; resolves with its reply (error replies resolve too), or rejects
   * with NoAnswer. With `timeoutMs`, no answer by then destroys the connection.
   */
  command(argv: ReadonlyArray<string | Buffer>, options: { timeoutMs?: number } = {}): Promise<Reply> {
    if (this.closedReason !== null) return Promise.reject(new NoAnswer(this.closedReason, false));
    return new Promise((resolve, reject) => {
      const { timeoutMs } = options;
      if (timeoutMs === undefined) {
        this.waiting.push({ resolve, reject });
      } else {
        const timer = setTimeout(() => this.destroy(`no answer within ${timeoutMs} ms`), timeoutMs);
        this.waiting.push({
          resolve: (reply) => (clearTimeout(timer), resolve(reply)),
          reject: (error) => (clearTimeout(timer), reject(error)),
        });
      }
      this.socket.write(encodeCommand(argv));
    });
  }

  /** Ends the connection once what was sent is answered. */
  close(): void {
    this.socket.end();
  }

  /** Drops the connection now: commands waiting reject with NoAnswer (sent). */
  destroy(reason = "closed by the client"): void {
    this.fail(reason);
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    try {
      this.parser.feed(chunk);
      for (let reply = this.parser.next(); reply !== null; reply = this.parser.next()) {
        this.waiting.shift()?.resolve(reply);
      }
    } catch (error) {
      this.destroy(`unparseable reply: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private fail(reason: string): void {
    if (this.closedReason === null) this.closedReason = reason;
    for (const waiter of this.waiting.splice(0)) waiter.reject(new NoAnswer(reason, true));
  }
}
