/**
 * One raw RESP connection of the differential test: sends a command, resolves with its
 * reply both parsed (src/resp/reply_parser.ts) and as the exact bytes the server sent, so
 * the comparison can be byte-for-byte where the reply's order is defined.
 *
 * Replies arrive in order; each pending command is a promise resolved by the next parsed
 * top-level reply. The byte span of a reply is the parser's progress through the stream:
 * after a top-level reply no aggregate is open, so everything fed minus what is still
 * pending ends exactly at that reply.
 */
import { connect, type Socket } from "node:net";
import type { Reply } from "../../engine/reply.js";
import { ReplyParser } from "../../resp/reply_parser.js";
import { encodeCommand } from "../../resp/writer.js";

/** A reply as received: parsed, and its exact bytes (latin1). */
export interface Answer {
  reply: Reply;
  raw: string;
}

/** How long one reply may take before the test calls it a hang (blocking commands wait at most 10 ms). */
const REPLY_GUARD_MS = 60_000;

interface Pending {
  resolve: (answer: Answer) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
  command: string;
}

export class RespConnection {
  private readonly parser = new ReplyParser();
  private readonly pending: Pending[] = [];
  private received = "";
  private fedBytes = 0;
  private consumedBytes = 0;
  private failure: Error | null = null;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (error) => this.fail(error));
    socket.on("close", () => this.fail(new Error("the server closed the connection")));
  }

  /** Connects to 127.0.0.1:`port`. */
  static open(port: number): Promise<RespConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.removeListener("error", reject);
        resolve(new RespConnection(socket));
      });
      socket.once("error", reject);
    });
  }

  /** Sends `argv` and resolves with its reply. */
  send(argv: readonly string[]): Promise<Answer> {
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const command = argv.join(" ").slice(0, 200);
      const timer = setTimeout(() => this.fail(new Error(`no reply to ${JSON.stringify(command)} within ${REPLY_GUARD_MS} ms`)), REPLY_GUARD_MS);
      this.pending.push({ resolve, reject, timer, command });
      this.socket.write(encodeCommand(argv));
    });
  }

  close(): void {
    this.failure ??= new Error("the connection was closed by the test");
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.received += chunk.toString("latin1");
    this.fedBytes += chunk.length;
    this.parser.feed(chunk);
    try {
      for (let reply = this.parser.next(); reply !== null; reply = this.parser.next()) {
        const end = this.fedBytes - this.parser.pendingBytes;
        // `received` holds the bytes from `consumedBytes` on.
        const raw = this.received.slice(0, end - this.consumedBytes);
        this.received = this.received.slice(end - this.consumedBytes);
        this.consumedBytes = end;
        const waiting = this.pending.shift();
        if (waiting === undefined) throw new Error(`a reply nobody asked for: ${JSON.stringify(raw.slice(0, 200))}`);
        clearTimeout(waiting.timer);
        waiting.resolve({ reply, raw });
      }
    } catch (error) {
      this.fail(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiting of this.pending.splice(0)) {
      clearTimeout(waiting.timer);
      waiting.reject(new Error(`Cannot get a reply to ${JSON.stringify(waiting.command)}: ${error.message}`));
    }
  }
}
