/**
 * A bare RESP connection for the campaign's clients, which must know one thing an
 * ordinary client hides: whether a command left the client before it failed. A command
 * refused before it was written did nothing; one written and then unanswered (timeout,
 * connection lost) may have been applied. `NoAnswer.sent` says which.
 *
 * One command at a time; a timeout destroys the connection (a late answer would
 * otherwise be taken for the next command's).
 */
import { connect, type Socket } from "node:net";
import type { Reply } from "../commands/reply.js";
import { ReplyParser } from "../server/resp/reply_parser.js";
import { encodeCommand } from "../server/resp/writer.js";

/** A command that got no answer; `sent` is false when it never reached the socket. */
export class NoAnswer extends Error {
  constructor(
    message: string,
    readonly sent: boolean,
  ) {
    super(message);
  }
}

export class RespConnection {
  private readonly parser = new ReplyParser();
  private waiting: { resolve(reply: Reply): void; reject(error: Error): void } | null = null;
  private closedReason: string | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (error) => this.fail(`connection error: ${error.message}`));
    socket.on("close", () => this.fail("connection closed"));
  }

  /** Connects to 127.0.0.1:`port`; rejects with NoAnswer (not sent) if it cannot within `timeoutMs`. */
  static open(port: number, timeoutMs: number): Promise<RespConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: "127.0.0.1", port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new NoAnswer(`cannot connect to port ${port}: timed out`, false));
      }, timeoutMs);
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.removeAllListeners("error");
        resolve(new RespConnection(socket));
      });
      socket.once("error", (error) => {
        clearTimeout(timer);
        reject(new NoAnswer(`cannot connect to port ${port}: ${error.message}`, false));
      });
    });
  }

  get isOpen(): boolean {
    return this.closedReason === null;
  }

  /** Sends `argv`; resolves with the reply (error replies too) or rejects with NoAnswer. */
  command(argv: string[], timeoutMs: number): Promise<Reply> {
    if (this.closedReason !== null) return Promise.reject(new NoAnswer(this.closedReason, false));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(`no answer within ${timeoutMs} ms`);
        this.socket.destroy();
      }, timeoutMs);
      this.waiting = {
        resolve: (reply) => (clearTimeout(timer), resolve(reply)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      };
      this.socket.write(encodeCommand(argv));
    });
  }

  close(): void {
    this.fail("closed by the client");
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    try {
      this.parser.feed(chunk);
      for (let reply = this.parser.next(); reply !== null; reply = this.parser.next()) {
        const waiting = this.waiting;
        this.waiting = null;
        waiting?.resolve(reply);
      }
    } catch (error) {
      this.fail(`unparseable reply: ${String(error)}`);
      this.socket.destroy();
    }
  }

  private fail(reason: string): void {
    if (this.closedReason === null) this.closedReason = reason;
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.reject(new NoAnswer(reason, true));
  }
}
