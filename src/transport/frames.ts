/**
 * Frames on a peer TCP stream: the unit every byte between two walnut nodes travels in.
 * This file owns the frame layout, the frame kinds, and the incremental reader that cuts
 * a byte stream into frames.
 *
 * Frame (integers little-endian, like the WAL):
 *
 *   u32 length   payload byte count (not counting these 5 header bytes)
 *   u8  kind     what the payload is, below
 *   ... payload  `length` bytes
 *
 * Kinds (handshake.ts owns the payloads of 1-5, message_codec.ts those of 6 and 7,
 * peer_question.ts says how 11 and 12 travel; their bytes are the asker's business):
 *
 *    1 hello          dialer → listener: version, cluster, sender, receiver, purpose, nonce
 *    2 challenge      listener → dialer: its own nonce and its proof of the secret
 *    3 proof          dialer → listener: the dialer's proof of the secret
 *    4 welcome        listener → dialer: handshake accepted (empty payload)
 *    5 error          either way: one line of UTF-8 saying why; the sender then closes
 *    6 message        one encoded Raft Message
 *    7 snapshotBegin  the encoded SnapshotMetadata of the snapshot that follows
 *    8 snapshotChunk  the next bytes of the snapshot (any size up to the frame bound)
 *    9 snapshotEnd    the snapshot is complete (empty payload)
 *   10 snapshotDone   receiver → sender: u8 1 installed / 0 failed, then a UTF-8 reason
 *   11 question       dialer → listener, on a question connection: the question's bytes
 *   12 answer         listener → dialer: the answer's bytes; the listener then closes
 *
 * Worked example: a snapshotDone saying "installed" is 6 bytes:
 *
 *   01 00 00 00     length 1
 *   0a              kind 10, snapshotDone
 *   01              installed
 *
 * FrameReader refuses a length above its maximum as soon as the 5 header bytes arrive,
 * before buffering the payload, so a peer can never make it hold more than one frame.
 */
import { assert } from "../lib/assert.js";
import { WalnutError } from "../lib/errors.js";

export const FRAME_HEADER_BYTES = 5;

export const FRAME_KIND = {
  hello: 1,
  challenge: 2,
  proof: 3,
  welcome: 4,
  error: 5,
  message: 6,
  snapshotBegin: 7,
  snapshotChunk: 8,
  snapshotEnd: 9,
  snapshotDone: 10,
  question: 11,
  answer: 12,
} as const;

export type FrameKindName = keyof typeof FRAME_KIND;
export type FrameKind = (typeof FRAME_KIND)[FrameKindName];

const KIND_NAMES = new Map<number, FrameKindName>(
  Object.entries(FRAME_KIND).map(([name, kind]) => [kind, name as FrameKindName]),
);

export interface Frame {
  kind: FrameKind;
  payload: Buffer;
}

/** The name of a frame kind, for logs and error messages. */
export function frameKindName(kind: FrameKind): FrameKindName {
  return KIND_NAMES.get(kind)!;
}

/** One frame: header and payload in a single buffer, ready for socket.write. */
export function encodeFrame(kind: FrameKind, payload: Uint8Array = new Uint8Array(0)): Buffer {
  assert(KIND_NAMES.has(kind), `unknown frame kind ${kind}`);
  assert(payload.length <= 0xffff_ffff, `frame payload of ${payload.length} bytes`);
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  frame.writeUInt32LE(payload.length, 0);
  frame.writeUInt8(kind, 4);
  frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}

/**
 * Cuts a byte stream into frames, however the bytes are split across chunks. Holds at
 * most one incomplete frame: a header announcing more than `maxFrameBytes` is refused
 * at once (WalnutError LIMIT), an unknown kind too (BAD_ARGUMENT). After an error the
 * reader is unusable; the connection must be closed.
 */
export class FrameReader {
  private readonly chunks: Buffer[] = [];
  /** Bytes of chunks[0] already consumed. */
  private firstOffset = 0;
  private bufferedBytes = 0;
  private header: { length: number; kind: FrameKind } | null = null;
  private failed = false;

  constructor(private maxFrameBytes: number) {
    this.setMaxFrameBytes(maxFrameBytes);
  }

  /** Changes the bound for frames whose header has not arrived yet (raised after a handshake). */
  setMaxFrameBytes(maxFrameBytes: number): void {
    assert(Number.isSafeInteger(maxFrameBytes) && maxFrameBytes > 0 && maxFrameBytes <= 0xffff_ffff, `maxFrameBytes ${maxFrameBytes}`);
    this.maxFrameBytes = maxFrameBytes;
  }

  /** Bytes received but not yet returned as part of a frame. */
  get pendingBytes(): number {
    return this.bufferedBytes;
  }

  /** Bytes of the frame being received, its header included (0 between frames). */
  get partialFrameBytes(): number {
    return this.bufferedBytes + (this.header === null ? 0 : FRAME_HEADER_BYTES);
  }

  /** Every frame `chunk` completes, in order. */
  push(chunk: Buffer): Frame[] {
    assert(!this.failed, "FrameReader used after it refused a frame");
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.bufferedBytes += chunk.length;
    }
    const frames: Frame[] = [];
    try {
      for (let frame = this.nextFrame(); frame !== null; frame = this.nextFrame()) frames.push(frame);
    } catch (error) {
      this.failed = true;
      throw error;
    }
    return frames;
  }

  private nextFrame(): Frame | null {
    if (this.header === null) {
      if (this.bufferedBytes < FRAME_HEADER_BYTES) return null;
      this.header = this.readHeader(this.take(FRAME_HEADER_BYTES));
    }
    if (this.bufferedBytes < this.header.length) return null;
    const frame = { kind: this.header.kind, payload: this.take(this.header.length) };
    this.header = null;
    return frame;
  }

  private readHeader(bytes: Buffer): { length: number; kind: FrameKind } {
    const length = bytes.readUInt32LE(0);
    const kind = bytes.readUInt8(4);
    if (length > this.maxFrameBytes) {
      throw new WalnutError("LIMIT", `Cannot read peer frame: length ${length} exceeds the maximum of ${this.maxFrameBytes} bytes`);
    }
    if (!KIND_NAMES.has(kind)) throw new WalnutError("BAD_ARGUMENT", `Cannot read peer frame: kind ${kind} is unknown`);
    return { length, kind: kind as FrameKind };
  }

  /** Removes and returns the next `byteCount` buffered bytes (a view when they sit in one chunk). */
  private take(byteCount: number): Buffer {
    this.bufferedBytes -= byteCount;
    const first = this.chunks[0];
    if (first === undefined) return Buffer.alloc(0);
    if (first.length - this.firstOffset >= byteCount) {
      const view = first.subarray(this.firstOffset, this.firstOffset + byteCount);
      this.advance(byteCount);
      return view;
    }
    const joined = Buffer.allocUnsafe(byteCount);
    let filled = 0;
    while (filled < byteCount) {
      const chunk = this.chunks[0]!;
      const copied = chunk.copy(joined, filled, this.firstOffset, Math.min(chunk.length, this.firstOffset + byteCount - filled));
      filled += copied;
      this.advance(copied);
    }
    return joined;
  }

  private advance(byteCount: number): void {
    this.firstOffset += byteCount;
    if (this.firstOffset === this.chunks[0]!.length) {
      this.chunks.shift();
      this.firstOffset = 0;
    }
  }
}
