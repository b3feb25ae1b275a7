/**
 * Questions a node asks the other members outside Raft, and the answers it gives to
 * theirs: for what is a node's own and not replicated state (PUBSUB: which of its clients
 * subscribe to what). The faces register an answerer per topic ("pubsub"); a question
 * names its topic, so several can share the transport's question connections
 * (transport/peer_question.ts).
 *
 * Payload of a question: u8 topic length, the topic (ASCII), then the topic's own bytes.
 * The answer is the topic's bytes alone.
 *
 * Asking is all members at once, each bounded by the same timeout: a member that is down
 * refuses the connection at once; one that is paused or cut off costs the timeout, never
 * more. A member that does not answer is reported as such, for the asker to decide what
 * its answer then counts.
 */
import { assert } from "../lib/assert.js";
import { describeError, WalnutError } from "../lib/errors.js";
import type { NodeId } from "../raft/types.js";

/** Answers one member's question of a topic. */
export type TopicAnswerer = (from: NodeId, question: Buffer) => Uint8Array | Promise<Uint8Array>;

/** Carries one question to one member: the cluster's transport. */
export type AskMember = (member: NodeId, question: Uint8Array, timeoutMs: number) => Promise<Uint8Array>;

/** What one member said: its answer, or why there is none. */
export type MemberAnswer = { member: NodeId; answer: Buffer } | { member: NodeId; answer: null; reason: string };

const TOPIC_BYTES_MAX = 255;

export class PeerQuestions {
  private readonly answerers = new Map<string, TopicAnswerer>();

  /**
   * From now on, `topic`'s questions go to `answerer` (replacing an earlier one: the
   * servers of a node started again); returns the function that stops it.
   */
  answer(topic: string, answerer: TopicAnswerer): () => void {
    this.answerers.set(topic, answerer);
    return () => {
      if (this.answerers.get(topic) === answerer) this.answerers.delete(topic);
    };
  }

  /** Answers a member's question (the transport's onQuestion); rejects when nobody answers its topic. */
  async receive(from: NodeId, payload: Buffer): Promise<Uint8Array> {
    const topicBytes = payload[0] ?? 0;
    if (payload.length < 1 + topicBytes) throw new WalnutError("BAD_ARGUMENT", `Cannot answer a question: its ${payload.length} bytes are cut short`);
    const topic = payload.subarray(1, 1 + topicBytes).toString("latin1");
    const answerer = this.answerers.get(topic);
    if (answerer === undefined) throw new WalnutError("BAD_ARGUMENT", `Cannot answer a question of ${JSON.stringify(topic)}: this node answers no questions of it`);
    return await answerer(from, payload.subarray(1 + topicBytes));
  }

  /** Asks every one of `members` the same question; one answer (or why none) per member, in their order. */
  async askAll(options: { members: readonly NodeId[]; topic: string; question: Uint8Array; timeoutMs: number; ask: AskMember }): Promise<MemberAnswer[]> {
    const payload = encodeQuestion(options.topic, options.question);
    return await Promise.all(
      options.members.map(async (member): Promise<MemberAnswer> => {
        try {
          return { member, answer: Buffer.from(await options.ask(member, payload, options.timeoutMs)) };
        } catch (error) {
          return { member, answer: null, reason: describeError(error) };
        }
      }),
    );
  }
}

function encodeQuestion(topic: string, question: Uint8Array): Buffer {
  const topicBytes = Buffer.from(topic, "latin1");
  assert(topicBytes.length > 0 && topicBytes.length <= TOPIC_BYTES_MAX, `topic ${JSON.stringify(topic)}`);
  return Buffer.concat([Buffer.of(topicBytes.length), topicBytes, question]);
}
