/**
 * One socket (TCP or TLS) seen as a stream of frames: it cuts incoming bytes into frames
 * for a handler that can be swapped (handshake first, then messages or a snapshot),
 * writes frames with backpressure, counts bytes, and closes exactly once. A frame the
 * reader refuses (oversized, unknown kind) ends the connection with an error frame.
 */
import type * as net from "node:net";
import { describeError } from "../lib/errors.js";
import { FrameReader, type Frame } from "./frames.js";
import { encodeErrorFrame } from "./handshake.js";

/** Milliseconds an error frame gets to leave before the socket is destroyed. */
export const ERROR_FRAME_LINGER_MS = 1000;

export interface ByteCounters {
  bytesSent: number;
  bytesReceived: number;
}

export type FrameHandler = (frame: Frame) => void;
/** Called once when the connection ends; `reason` is null for an orderly local close. */
export type CloseHandler = (reason: string | null) => void;

export class FramedConnection {
  private readonly reader: FrameReader;
  private frameHandler: FrameHandler = () => {};
  private closeHandler: CloseHandler = () => {};
  private closed = false;
  private closeReason: string | null = null;
  private refusal: string | null = null;

  private readonly counters: ByteCounters;

  constructor(
    readonly socket: net.Socket,
    options: { maxFrameBytes: number; counters: ByteCounters },
  ) {
    this.reader = new FrameReader(options.maxFrameBytes);
    this.counters = options.counters;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      this.counters.bytesReceived += chunk.length;
      this.receive(chunk);
    });
    socket.on("error", (error) => this.finish(describeError(error)));
    socket.on("close", () => this.finish(this.closedByPeer()));
  }

  /** Writes one encoded frame; false means the socket buffer is full (wait for drained()) or closed. */
  writeFrame(frame: Buffer): boolean {
    if (this.closed) return false;
    this.counters.bytesSent += frame.length;
    return this.socket.write(frame);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Why the connection ended (null while open or after an orderly local close). */
  get reason(): string | null {
    return this.closeReason;
  }

  /** The reason this side refused the peer (see refuse), or null. */
  get refusedWith(): string | null {
    return this.refusal;
  }

  /** Changes the largest frame accepted from here on (small during the handshake). */
  setMaxFrameBytes(maxFrameBytes: number): void {
    this.reader.setMaxFrameBytes(maxFrameBytes);
  }

  /** Routes every later frame (including the rest of the current chunk) to `handler`. */
  onFrame(handler: FrameHandler): void {
    this.frameHandler = handler;
  }

  onClose(handler: CloseHandler): void {
    this.closeHandler = handler;
  }

  /** Resolves when the socket can take more, or the connection has closed. */
  drained(): Promise<void> {
    if (this.closed || !this.socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.socket.off("drain", done);
        this.socket.off("close", done);
        resolve();
      };
      this.socket.on("drain", done);
      this.socket.on("close", done);
    });
  }

  /** Why the peer's close ended the connection: a close inside a frame says how far it got. */
  private closedByPeer(): string {
    const partial = this.reader.partialFrameBytes;
    return partial === 0 ? "the peer closed the connection" : `the peer closed the connection ${partial} bytes into a frame`;
  }

  /** Sends a one-line error frame, then closes: the way every refusal ends. */
  refuse(reason: string): void {
    this.endWith(encodeErrorFrame(reason), reason);
  }

  /**
   * Sends a last frame (if any) and closes: later incoming bytes are read and ignored, and
   * the socket is destroyed if the peer has not closed its side within ERROR_FRAME_LINGER_MS.
   */
  endWith(lastFrame: Buffer | null, reason: string | null = null): void {
    if (this.closed) return;
    this.refusal = reason;
    if (lastFrame !== null) this.writeFrame(lastFrame);
    this.socket.end();
    this.finish(reason);
    this.socket.resume(); // a snapshot receiver may have paused it; read the peer's close
    setTimeout(() => this.socket.destroy(), ERROR_FRAME_LINGER_MS).unref();
  }

  /** Closes at once, without a word to the peer. */
  close(): void {
    this.socket.destroy();
    this.finish(null);
  }

  private receive(chunk: Buffer): void {
    if (this.closed) return;
    let frames: Frame[];
    try {
      frames = this.reader.push(chunk);
    } catch (error) {
      this.refuse(describeError(error));
      return;
    }
    for (const frame of frames) {
      if (this.closed) return;
      this.frameHandler(frame);
    }
  }

  private finish(reason: string | null): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    this.closeHandler(reason);
  }
}
