/**
 * The outbound side of one peer: a bounded queue of encoded message frames (bounded in
 * count and in bytes) and one
 * persistent connection, opened lazily on the first send. Sending never blocks and never
 * fails: when the queue is full, the peer is backing off after failed dials, or the
 * connection dies with frames still queued, those messages are dropped and the peer is
 * reported unreachable (Raft retries on its own schedule).
 *
 * States: idle (no connection; dial on the next send unless backing off) → connecting
 * (frames queue up) → open (frames flow, paced by the socket's drain) → idle again when
 * the connection closes. Failed dials back off exponentially with jitter:
 * min(maxMs, initialMs · 2^(failures-1)) · (0.5 + random/2). A connection from the peer
 * (peerIsBack) ends the wait: a restarted member is dialed on the next send.
 */
import { assert } from "../lib/assert.js";
import type { Log } from "../lib/log.js";
import type { NodeId } from "../raft/types.js";
import type { FramedConnection } from "./connection.js";

export interface ReconnectBackoff {
  initialMs: number;
  maxMs: number;
}

export interface PeerLinkCounters {
  messagesSent: number;
  messagesDropped: number;
  reconnects: number;
}

export interface PeerLinkOptions {
  peerId: NodeId;
  maxQueuedMessages: number;
  /** Encoded bytes queued before new frames are dropped (unbounded when absent). */
  maxQueuedBytes?: number;
  backoff: ReconnectBackoff;
  /** Opens a connection that has passed the handshake (rejects when it cannot). */
  dial: () => Promise<FramedConnection>;
  now: () => number;
  random: () => number;
  counters: PeerLinkCounters;
  onUnreachable: (peerId: NodeId) => void;
  log: Log;
}

/** First-in first-out frames; Array.shift is O(n) on long arrays, this is O(1) amortized. */
class FrameQueue {
  private frames: Buffer[] = [];
  private head = 0;
  private heldBytes = 0;

  get length(): number {
    return this.frames.length - this.head;
  }

  get bytes(): number {
    return this.heldBytes;
  }

  push(frame: Buffer): void {
    this.frames.push(frame);
    this.heldBytes += frame.length;
  }

  shift(): Buffer | undefined {
    if (this.head >= this.frames.length) return undefined;
    const frame = this.frames[this.head]!;
    this.head += 1;
    this.heldBytes -= frame.length;
    if (this.head >= 1024 && this.head * 2 >= this.frames.length) {
      this.frames = this.frames.slice(this.head);
      this.head = 0;
    }
    return frame;
  }

  /** Empties the queue; returns how many frames it held. */
  clear(): number {
    const count = this.length;
    this.frames = [];
    this.head = 0;
    this.heldBytes = 0;
    return count;
  }
}

export class PeerLink {
  private readonly queue = new FrameQueue();
  private state: "idle" | "connecting" | "open" | "closed" = "idle";
  private connection: FramedConnection | null = null;
  private failedDials = 0;
  private retryAtMs = 0;
  private hasDialed = false;
  private flushing = false;
  private flushScheduled = false;

  constructor(private readonly options: PeerLinkOptions) {
    assert(options.maxQueuedMessages >= 1, `maxQueuedMessages ${options.maxQueuedMessages}`);
  }

  /** Queues one encoded message frame for the peer, or drops it. */
  send(frame: Buffer): void {
    if (this.state === "closed") return this.drop(1);
    if (this.state === "idle" && this.options.now() < this.retryAtMs) return this.drop(1);
    if (this.queue.length >= this.options.maxQueuedMessages) return this.drop(1);
    if (this.queue.length > 0 && this.queue.bytes + frame.length > (this.options.maxQueuedBytes ?? Number.POSITIVE_INFINITY)) return this.drop(1);
    this.queue.push(frame);
    if (this.state === "idle") this.connect();
    else if (this.state === "open") this.scheduleFlush();
  }

  /** Messages waiting for the connection or for the socket to drain. */
  get queuedMessages(): number {
    return this.queue.length;
  }

  /**
   * The peer connected to us: it is up (perhaps just restarted), so a wait after failed
   * dials ends and the next send dials it at once.
   */
  peerIsBack(): void {
    if (this.state !== "idle") return;
    this.retryAtMs = 0;
    this.failedDials = 0;
  }

  close(): void {
    this.state = "closed";
    this.queue.clear();
    this.connection?.close();
    this.connection = null;
  }

  private connect(): void {
    this.state = "connecting";
    if (this.hasDialed) this.options.counters.reconnects += 1;
    this.hasDialed = true;
    this.options.dial().then(
      (connection) => this.opened(connection),
      (error: unknown) => this.dialFailed(error),
    );
  }

  private opened(connection: FramedConnection): void {
    if (this.state === "closed" || connection.isClosed) {
      connection.close();
      if (this.state !== "closed") this.disconnected(connection.reason);
      return;
    }
    this.state = "open";
    this.connection = connection;
    this.failedDials = 0;
    connection.onClose((reason) => this.disconnected(reason));
    this.flush();
  }

  private dialFailed(error: unknown): void {
    if (this.state === "closed") return;
    this.failedDials += 1;
    const { initialMs, maxMs } = this.options.backoff;
    const delayMs = Math.min(maxMs, initialMs * 2 ** Math.min(this.failedDials - 1, 30)) * (0.5 + this.options.random() / 2);
    this.retryAtMs = this.options.now() + delayMs;
    this.state = "idle";
    // Dials repeat every few hundred ms while a peer is down: log the 1st, 2nd, 4th, 8th... failure.
    if ((this.failedDials & (this.failedDials - 1)) === 0) {
      const failures = this.failedDials === 1 ? "" : ` (failure ${this.failedDials} in a row)`;
      this.options.log(`${error instanceof Error ? error.message : String(error)}${failures}; retrying after ${Math.round(delayMs)} ms`);
    }
    this.drop(this.queue.clear());
  }

  /** The open connection ended: what is queued is lost; the next send dials again at once. */
  private disconnected(reason: string | null): void {
    if (this.state === "closed") return;
    this.state = "idle";
    this.connection = null;
    this.retryAtMs = 0;
    this.options.log(`Connection to node ${this.options.peerId} closed: ${reason ?? "closed locally"}`);
    this.drop(this.queue.clear());
  }

  /** Flushes once after the caller's synchronous batch, so the batch leaves in one writev. */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** Writes queued frames until the socket asks to wait, then resumes on drain. */
  private flush(): void {
    const connection = this.connection;
    if (this.flushing || connection === null) return;
    // Corked, the frames of one send() leave in a single writev instead of one write each.
    connection.socket.cork();
    try {
      while (this.queue.length > 0 && this.state === "open") {
        const frame = this.queue.shift()!;
        this.options.counters.messagesSent += 1;
        if (!connection.writeFrame(frame)) {
          this.flushing = true;
          void connection.drained().then(() => {
            this.flushing = false;
            if (this.connection === connection) this.flush();
          });
          return;
        }
      }
    } finally {
      connection.socket.uncork();
    }
  }

  private drop(messageCount: number): void {
    if (messageCount === 0) return;
    this.options.counters.messagesDropped += messageCount;
    this.options.onUnreachable(this.options.peerId);
  }
}
