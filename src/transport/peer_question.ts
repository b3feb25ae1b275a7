/**
 * One question to one peer and its answer, over a connection of their own: the asker
 * dials with purpose "question", writes one question frame and waits for one answer
 * frame; the peer hands the question to its handler, writes the answer and closes. The
 * bytes of both are the business of whoever asks (node/peer_questions.ts); the transport
 * only carries them.
 *
 * For what a node asks its peers outside Raft (PUBSUB's cluster-wide counts): nothing
 * here is retried or queued, and an asker never waits longer than its `timeoutMs`, so a
 * peer that is down, paused or partitioned costs one timeout and no more. A connection per
 * question keeps both ends simple; questions are rare (introspection), the dial is a TCP
 * connect and the handshake's four frames, and the asker keeps few at once (at most
 * limits.peerQuestionsInFlightMax per peer: node/peer_questions.ts queues the rest).
 */
import { describeError } from "../lib/errors.js";
import type { NodeId } from "../raft/types.js";
import type { FramedConnection, FrameHandler } from "./connection.js";
import { PeerTransportError } from "./errors.js";
import { encodeFrame, FRAME_KIND, frameKindName, type Frame } from "./frames.js";
import { decodeErrorFrame } from "./handshake.js";

/** Answers a peer's question; a rejection closes the connection without an answer. */
export type QuestionHandler = (from: NodeId, question: Buffer) => Promise<Uint8Array>;

export interface AskOptions {
  peerId: NodeId;
  question: Uint8Array;
  timeoutMs: number;
  /** Opens the question connection, routing frames after the handshake to `onFrame`. */
  dial: (onFrame: FrameHandler) => Promise<FramedConnection>;
}

/** The peer's answer; rejects with PEER_UNREACHABLE when there is none within `timeoutMs`. */
export function askPeer(options: AskOptions): Promise<Buffer> {
  const { peerId } = options;
  return new Promise((resolve, reject) => {
    let connection: FramedConnection | null = null;
    let settled = false;
    const settle = (outcome: { answer: Buffer } | { reason: string }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      connection?.close();
      if ("answer" in outcome) resolve(outcome.answer);
      else reject(new PeerTransportError("PEER_UNREACHABLE", `Cannot ask node ${peerId}: ${outcome.reason}`));
    };
    const timer = setTimeout(() => settle({ reason: `no answer within ${options.timeoutMs} ms` }), options.timeoutMs);
    timer.unref();
    const onFrame = (frame: Frame): void => {
      if (frame.kind === FRAME_KIND.answer) settle({ answer: frame.payload });
      else if (frame.kind === FRAME_KIND.error) settle({ reason: `it refused: ${decodeErrorFrame(frame.payload)}` });
      else settle({ reason: `it sent a ${frameKindName(frame.kind)} frame instead of an answer` });
    };
    options.dial(onFrame).then(
      (opened) => {
        connection = opened;
        if (settled) return opened.close();
        if (opened.isClosed) return settle({ reason: `the connection closed: ${opened.reason ?? "closed locally"}` });
        opened.onClose((reason) => settle({ reason: `the connection closed: ${reason ?? "closed locally"}` }));
        opened.writeFrame(encodeFrame(FRAME_KIND.question, options.question));
      },
      (error: unknown) => settle({ reason: describeError(error) }),
    );
  });
}

/**
 * The listener's side: waits for the one question the connection carries, answers it with
 * `handler` and closes. Anything else, or a handler that fails, closes it with an error frame.
 */
export function answerQuestion(connection: FramedConnection, peerId: NodeId, handler: QuestionHandler | undefined): void {
  let asked = false;
  connection.onFrame((frame) => {
    if (asked || frame.kind !== FRAME_KIND.question) {
      connection.refuse(`Cannot answer node ${peerId}: unexpected ${frameKindName(frame.kind)} frame`);
      return;
    }
    asked = true;
    if (handler === undefined) {
      connection.refuse(`Cannot answer node ${peerId}: this node answers no questions`);
      return;
    }
    handler(peerId, frame.payload).then(
      (answer) => connection.endWith(encodeFrame(FRAME_KIND.answer, answer)),
      (error: unknown) => connection.refuse(`Cannot answer node ${peerId}: ${describeError(error)}`),
    );
  });
}
