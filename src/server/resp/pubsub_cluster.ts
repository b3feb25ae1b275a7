/**
 * PUBSUB CHANNELS, NUMSUB, NUMPAT, SHARDCHANNELS and SHARDNUMSUB for the whole cluster.
 * Subscriptions are each node's own (its connections), not replicated state, so the
 * node asked puts the question to every other member outside Raft (node.askOtherMembers,
 * over the peer transport's question connections) and merges the answers with its own:
 *
 *   CHANNELS, SHARDCHANNELS   the union of the members' active channels (each name once)
 *   NUMSUB, SHARDNUMSUB       per channel, the sum of the members' subscribers (a client
 *                             is connected to one node, so none is counted twice)
 *   NUMPAT                    the number of distinct patterns over the members
 *
 * A member that does not answer within MEMBER_ANSWER_TIMEOUT_MS (down, paused, cut off,
 * or a version that answers no questions) adds nothing: the reply counts the subscribers
 * of the members that answered, the asked node always included. A member that is down
 * refuses the connection at once, so the command only waits the timeout for a member that
 * is alive but silent. However many clients ask at once, a node has at most
 * limits.peerQuestionsInFlightMax questions in flight to a member; the others wait their
 * turn, and their clients with them (node/peer_questions.ts). A node running alone asks nobody and answers exactly as before
 * (pubsub_commands.ts pubsubCommand, as redis-server).
 *
 * Wire form (the "pubsub" topic of node/peer_questions.ts), JSON in UTF-8 with channel
 * and pattern names as byte strings (one character per byte):
 *   question  {"ask":"channels","shard":false,"pattern":"news.*"} | {"ask":"numsub","shard":true,"channels":["a","b"]} | {"ask":"patterns"}
 *   answer    ["a","b"]  (names)  |  [2,0]  (a count per channel asked, in order)
 */
import type { ByteString } from "../../engine/bytes.js";
import { WalnutError } from "../../lib/errors.js";
import type { Reply } from "../../engine/reply.js";
import type { MemberAnswer, TopicAnswerer } from "../../node/peer_questions.js";
import type { ChannelRegistry } from "./pubsub.js";
import { localPubsubAnswer, parsePubsub, pubsubReply, type PubsubAnswer, type PubsubQuestion } from "./pubsub_commands.js";

/** How long the asked node waits for each other member's answer. */
export const MEMBER_ANSWER_TIMEOUT_MS = 1000;

const TOPIC = "pubsub";

/** What this file needs of the node: who the other members are, and a way to ask them. */
export interface PubsubMembers {
  otherMembers(): number[];
  answerQuestions(topic: string, answerer: TopicAnswerer): () => void;
  askOtherMembers(topic: string, question: Uint8Array, timeoutMs: number): Promise<MemberAnswer[]>;
}

export class ClusterPubsub {
  constructor(
    private readonly registry: ChannelRegistry,
    private readonly members: PubsubMembers,
  ) {
    registry.whenClosed(members.answerQuestions(TOPIC, (_from, question) => encode(localPubsubAnswer(registry, decodeQuestion(question)))));
  }

  /** Whether PUBSUB must ask other members (false for a node running alone). */
  get spansCluster(): boolean {
    return this.members.otherMembers().length > 0;
  }

  /** PUBSUB's reply for the whole cluster: at once for HELP and errors, else once every member answered or timed out. */
  async command(args: ByteString[]): Promise<Reply> {
    const parsed = parsePubsub(args);
    if ("reply" in parsed) return parsed.reply;
    const { question } = parsed;
    const own = localPubsubAnswer(this.registry, question);
    const answers = await this.members.askOtherMembers(TOPIC, encode(question), MEMBER_ANSWER_TIMEOUT_MS);
    const theirs = answers.flatMap((member) => (member.answer === null ? [] : validAnswer(question, member.answer)));
    return pubsubReply(question, merge(question, [own, ...theirs]));
  }
}

/** Unions the names, or sums the counts channel by channel. */
function merge(question: PubsubQuestion, answers: PubsubAnswer[]): PubsubAnswer {
  if (question.ask === "numsub") {
    return question.channels.map((_, i) => answers.reduce((sum, answer) => sum + ((answer as number[])[i] ?? 0), 0));
  }
  const names = new Set<ByteString>();
  for (const answer of answers) for (const name of answer as ByteString[]) names.add(name);
  return [...names];
}

function encode(value: PubsubQuestion | PubsubAnswer): Buffer {
  return Buffer.from(JSON.stringify(value), "utf8");
}

/** A member's question, checked: a malformed one fails, and the asker gets no answer from us. */
function decodeQuestion(bytes: Buffer): PubsubQuestion {
  const value: unknown = JSON.parse(bytes.toString("utf8"));
  if (typeof value === "object" && value !== null && "ask" in value) {
    const { ask, shard, pattern, channels } = value as Record<string, unknown>;
    if (ask === "patterns") return { ask };
    if (ask === "channels" && typeof shard === "boolean" && (pattern === null || typeof pattern === "string")) return { ask, shard, pattern };
    if (ask === "numsub" && typeof shard === "boolean" && isStrings(channels)) return { ask, shard, channels };
  }
  throw new WalnutError("BAD_ARGUMENT", "Cannot answer a pubsub question: it is malformed");
}

/** A member's answer if it has the shape `question` calls for; none (as if it did not answer) otherwise. */
function validAnswer(question: PubsubQuestion, bytes: Buffer): PubsubAnswer[] {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString("utf8"));
  } catch {
    return [];
  }
  if (question.ask === "numsub") {
    const counts = Array.isArray(value) && value.length === question.channels.length && value.every((n) => Number.isSafeInteger(n) && (n as number) >= 0);
    return counts ? [value as number[]] : [];
  }
  return isStrings(value) ? [value] : [];
}

function isStrings(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}
