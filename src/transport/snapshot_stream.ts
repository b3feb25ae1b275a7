/**
 * Streaming a snapshot over its own connection, both ends. The sender writes
 * snapshotBegin (the metadata), the bytes as snapshotChunk frames of at most
 * `chunkBytes`, and snapshotEnd, waiting for the socket to drain as it goes; then it waits
 * for the receiver's snapshotDone. The receiver hands the chunks to `onSnapshot` as an
 * async iterable (pausing the socket while the consumer is behind), and answers
 * snapshotDone installed or failed when `onSnapshot` settles.
 */
import { describeError } from "../lib/errors.js";
import type { NodeId, SnapshotMetadata } from "../raft/types.js";
import { ChunkChannel } from "./chunk_channel.js";
import type { FramedConnection, FrameHandler } from "./connection.js";
import { PeerTransportError } from "./errors.js";
import { encodeFrame, FRAME_KIND, frameKindName, type Frame } from "./frames.js";
import { decodeSnapshotMetadata, encodeSnapshotMetadata } from "./message_codec.js";

const DONE_INSTALLED = 1;
const DONE_FAILED = 0;

export type SnapshotHandler = (from: NodeId, metadata: SnapshotMetadata, chunks: AsyncIterable<Buffer>) => Promise<void>;

/** How a send ended: the receiver's answer, or "lost" when the connection ended first. */
interface SnapshotAnswer {
  outcome: "installed" | "failed" | "lost";
  reason: string;
}

export interface SendSnapshotOptions {
  peerId: NodeId;
  metadata: SnapshotMetadata;
  chunks: AsyncIterable<Uint8Array>;
  chunkBytes: number;
  /** Opens the snapshot connection, routing frames after the handshake to `onFrame`. */
  dial: (onFrame: FrameHandler) => Promise<FramedConnection>;
}

/** Streams the snapshot; resolves once the receiver says it installed it. Returns the bytes sent. */
export async function sendSnapshot(options: SendSnapshotOptions): Promise<number> {
  const { peerId } = options;
  let answered: SnapshotAnswer | null = null;
  let settle: (answer: SnapshotAnswer) => void = () => {};
  const answer = new Promise<SnapshotAnswer>((resolve) => (settle = resolve));
  const connection = await options.dial((frame) => {
    answered = decodeAnswer(frame);
    settle(answered);
  });
  connection.onClose((reason) => settle({ outcome: "lost", reason: `the connection closed: ${reason ?? "closed locally"}` }));
  let sentBytes = 0;
  try {
    connection.writeFrame(encodeFrame(FRAME_KIND.snapshotBegin, encodeSnapshotMetadata(options.metadata)));
    for await (const chunk of options.chunks) {
      for (let offset = 0; offset < chunk.length && answered === null; offset += options.chunkBytes) {
        const piece = chunk.subarray(offset, offset + options.chunkBytes);
        if (!connection.writeFrame(encodeFrame(FRAME_KIND.snapshotChunk, piece))) await connection.drained();
        if (connection.isClosed) break;
        sentBytes += piece.length;
      }
      if (answered !== null || connection.isClosed) break;
    }
    if (answered === null && !connection.isClosed) connection.writeFrame(encodeFrame(FRAME_KIND.snapshotEnd));
    const { outcome, reason } = await answer;
    if (outcome !== "installed") {
      const action = `send snapshot at index ${options.metadata.index} to node ${peerId}`;
      throw new PeerTransportError(outcome === "lost" ? "PEER_UNREACHABLE" : "SNAPSHOT_FAILED", `Cannot ${action}: ${reason}`);
    }
    return sentBytes;
  } finally {
    connection.close();
  }
}

function decodeAnswer(frame: Frame): SnapshotAnswer {
  if (frame.kind !== FRAME_KIND.snapshotDone || frame.payload.length < 1) {
    return { outcome: "failed", reason: `the receiver sent a ${frameKindName(frame.kind)} frame instead of snapshotDone` };
  }
  const outcome = frame.payload[0] === DONE_INSTALLED ? "installed" : "failed";
  return { outcome, reason: frame.payload.toString("utf8", 1, Math.min(frame.payload.length, 1024)) };
}

export interface ReceiveSnapshotOptions {
  peerId: NodeId;
  onSnapshot: SnapshotHandler;
  /** Bytes queued for a slow consumer before the socket is paused. */
  highWaterBytes: number;
  /** The stream finished: installed or not, and the bytes received. */
  onFinished: (installed: boolean, receivedBytes: number) => void;
}

/** Takes over an accepted snapshot connection until the snapshot is answered. */
export function receiveSnapshot(connection: FramedConnection, options: ReceiveSnapshotOptions): void {
  const { peerId } = options;
  let channel: ChunkChannel | null = null;
  let ended = false;
  let receivedBytes = 0;
  const answer = (installed: boolean, reason: string): void => {
    options.onFinished(installed, receivedBytes);
    if (connection.isClosed) return;
    const payload = Buffer.concat([Buffer.from([installed ? DONE_INSTALLED : DONE_FAILED]), Buffer.from(reason, "utf8")]);
    connection.endWith(encodeFrame(FRAME_KIND.snapshotDone, payload));
  };
  connection.onClose((reason) => {
    const state = `${reason ?? "closed locally"} after ${receivedBytes} bytes`;
    channel?.fail(new PeerTransportError("PEER_UNREACHABLE", `Cannot receive snapshot from node ${peerId}: ${state}`));
  });
  connection.onFrame((frame) => {
    if (channel === null && frame.kind === FRAME_KIND.snapshotBegin) {
      channel = startSnapshot(connection, options, frame, answer);
    } else if (channel !== null && !ended && frame.kind === FRAME_KIND.snapshotChunk) {
      receivedBytes += frame.payload.length;
      channel.push(frame.payload);
    } else if (channel !== null && !ended && frame.kind === FRAME_KIND.snapshotEnd) {
      ended = true;
      channel.end();
    } else {
      const state = channel === null ? "before snapshotBegin" : ended ? "after snapshotEnd" : "inside a snapshot";
      connection.refuse(`Cannot receive snapshot from node ${peerId}: unexpected ${frameKindName(frame.kind)} frame ${state}`);
    }
  });
}

function startSnapshot(
  connection: FramedConnection,
  options: ReceiveSnapshotOptions,
  frame: Frame,
  answer: (installed: boolean, reason: string) => void,
): ChunkChannel | null {
  let metadata: SnapshotMetadata;
  try {
    metadata = decodeSnapshotMetadata(frame.payload);
  } catch (error) {
    connection.refuse(describeError(error));
    return null;
  }
  const channel = new ChunkChannel({
    highWaterBytes: options.highWaterBytes,
    pause: () => connection.socket.pause(),
    resume: () => connection.socket.resume(),
  });
  Promise.resolve()
    .then(() => options.onSnapshot(options.peerId, metadata, channel))
    .then(
      () => answer(true, "installed"),
      (error: unknown) => answer(false, describeError(error)),
    );
  return channel;
}
