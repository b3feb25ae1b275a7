/**
 * Helpers shared by the server fault tests (server_fuzz, server_limits, server_crash):
 * a seeded PRNG, raw sockets that talk bytes and report how the server ended the
 * conversation, polling for a condition instead of sleeping, and free loopback ports.
 *
 * Nothing here asserts on timing: every wait is "until a condition holds", with a
 * generous guard that only turns a hang into a clear failure.
 */
import { connect, type Socket } from "node:net";
import { ReplyParser } from "../resp/reply_parser.js";
import { encodeCommand } from "../resp/writer.js";
import type { Reply } from "../engine/reply.js";
import { Random } from "../lib/seeded_random.js";
import { WAIT_GUARD_MS, waitUntil } from "../processes/waiting.js";

/** True when WALNUT_DEEP asks for the long runs. */
export const DEEP = (process.env.WALNUT_DEEP ?? "") !== "" && process.env.WALNUT_DEEP !== "0";

/** The seeded PRNG the fault campaigns and fuzzers draw from (lib/seeded_random.ts). */
export { Random };

/** Waiting for a condition and finding a free port, shared with the fault campaigns (processes/waiting.ts). */
export { WAIT_GUARD_MS, freePort, waitUntil } from "../processes/waiting.js";

/** The seed of this run: WALNUT_FUZZ_SEED replays one, otherwise a fresh one. */
export function runSeed(): number {
  const asked = process.env.WALNUT_FUZZ_SEED;
  if (asked !== undefined && asked !== "") return Number(asked) >>> 0;
  return Math.floor(Math.random() * 2 ** 32) >>> 0;
}

/**
 * A raw client socket that records every byte the server sends and whether (and when)
 * the server closed the connection.
 */
export class RawClient {
  readonly socket: Socket;
  private received: Buffer[] = [];
  receivedBytes = 0;
  closed = false;
  readonly connected: Promise<void>;
  readonly closedPromise: Promise<void>;

  constructor(port: number, options: { read?: boolean } = {}) {
    this.socket = connect(port, "127.0.0.1");
    this.socket.on("error", () => undefined);
    this.connected = new Promise((resolve) => this.socket.once("connect", () => resolve()));
    this.closedPromise = new Promise((resolve) =>
      this.socket.once("close", () => {
        this.closed = true;
        resolve();
      }),
    );
    if (options.read === false) this.socket.pause();
    else {
      this.socket.on("data", (chunk: Buffer) => {
        this.received.push(chunk);
        this.receivedBytes += chunk.length;
      });
    }
  }

  /** Everything received so far, as a byte string. */
  text(): string {
    return Buffer.concat(this.received).toString("latin1");
  }

  /** The replies received so far, and the protocol error the bytes contain, if any. */
  replies(): { replies: Reply[]; malformed: string | null } {
    const parser = new ReplyParser();
    parser.feed(Buffer.concat(this.received));
    const replies: Reply[] = [];
    try {
      for (let reply = parser.next(); reply !== null; reply = parser.next()) replies.push(reply);
    } catch (error) {
      return { replies, malformed: error instanceof Error ? error.message : String(error) };
    }
    return { replies, malformed: parser.pendingBytes === 0 ? null : `${parser.pendingBytes} trailing bytes` };
  }

  /** Writes `bytes`, resolving once they are handed to the kernel (or the socket died). */
  write(bytes: string | Buffer): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.write(bytes, () => resolve());
    });
  }

  /** Resolves once the server has sent at least `bytes` bytes or closed the connection. */
  async receivedAtLeast(bytes: number, guardMs = WAIT_GUARD_MS): Promise<void> {
    await waitUntil(`${bytes} bytes arrived (have ${this.receivedBytes})`, () => this.closed || this.receivedBytes >= bytes, guardMs);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Sends `bytes` on a fresh connection and returns what came back once the server closed it. */
export async function exchangeUntilClosed(port: number, bytes: string | Buffer): Promise<RawClient> {
  const client = new RawClient(port);
  await client.connected;
  await client.write(bytes);
  await waitUntil("the server closed the connection", () => client.closed);
  return client;
}

/** Sends `bytes` on a fresh connection and waits for exactly `expected` bytes of reply. */
export async function exchange(port: number, bytes: string | Buffer, expected: string): Promise<RawClient> {
  const client = new RawClient(port);
  await client.connected;
  await client.write(bytes);
  await client.receivedAtLeast(Buffer.byteLength(expected, "latin1"));
  return client;
}

/**
 * Sends each command on one connection, one at a time, and returns every reply's bytes:
 * what a differential test compares between walnut and redis-server.
 */
export async function conversation(port: number, commands: readonly string[][]): Promise<string[]> {
  const client = new RawClient(port);
  await client.connected;
  const replies: string[] = [];
  try {
    for (const command of commands) {
      const before = client.text().length;
      await client.write(encodeCommand(command));
      await waitUntil(`a reply to ${command.join(" ")}`, () => client.replies().replies.length > replies.length);
      replies.push(client.text().slice(before));
    }
  } finally {
    client.destroy();
  }
  return replies;
}
