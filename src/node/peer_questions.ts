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
 *
 * How many at once: each question travels on a connection of its own, so at most
 * `limits.peerQuestionsInFlightMax` questions are in flight to one member; more wait their
 * turn, first come first served, and their askers wait with them (a flood of PUBSUB from
 * many clients is slowed, never refused, and opens no more connections). A waiting question
 * gives up only when its timeout has passed, counted from when it was asked, and the member
 * has answered none of the questions ahead of it promptly since then, or a question ahead
 * of it has just timed out: so a silent member costs an asker one timeout (two when it falls
 * silent while the question waits), while a member that answers, however busy, answers
 * every question.
 */
import { assert } from "../lib/assert.js";
import { describeError, WalnutError } from "../lib/errors.js";
import { limits } from "../lib/limits.js";
import { realClock, realTimers, type Clock, type Timer, type Timers } from "../lib/environment.js";
import type { NodeId } from "../raft/types.js";

/** Answers one member's question of a topic. */
export type TopicAnswerer = (from: NodeId, question: Buffer) => Uint8Array | Promise<Uint8Array>;

/** Carries one question to one member: the cluster's transport. */
export type AskMember = (member: NodeId, question: Uint8Array, timeoutMs: number) => Promise<Uint8Array>;

/** What one member said: its answer, or why there is none. */
export type MemberAnswer = { member: NodeId; answer: Buffer } | { member: NodeId; answer: null; reason: string };

const TOPIC_BYTES_MAX = 255;

/** What the questions asked since the start did, for tests and diagnostics. */
export interface PeerQuestionStats {
  /** Questions put to a member (each on a connection of its own). */
  asked: number;
  /** The most questions in flight to one member at once; never above the bound. */
  inFlightPeak: number;
  /** The most questions waiting their turn for one member at once. */
  waitingPeak: number;
  /** Questions that gave up while waiting: their member answered nothing promptly for their whole timeout. */
  silentWhileWaiting: number;
}

/** A question waiting for a free place in its member's line. */
interface WaitingQuestion {
  askedAtMs: number;
  timeoutMs: number;
  timer: Timer;
  /** Puts it to the member now. */
  send(): void;
  /** Takes it out of the line: the member is silent. */
  giveUp(): void;
}

/** The questions to one member: how many are in flight, and those waiting their turn (first come first served). */
class MemberLine {
  inFlight = 0;
  readonly waiting: WaitingQuestion[] = [];
  /** When a question to the member last settled before its timeout (answered, or refused at once): -Infinity for never. */
  lastPromptAtMs = -Infinity;
}

export class PeerQuestions {
  private readonly answerers = new Map<string, TopicAnswerer>();
  private readonly lines = new Map<NodeId, MemberLine>();
  private readonly counters: PeerQuestionStats = { asked: 0, inFlightPeak: 0, waitingPeak: 0, silentWhileWaiting: 0 };
  private readonly inFlightMax: number;
  private readonly clock: Clock;
  private readonly timers: Timers;

  /**
   * @param options.inFlightMax questions in flight to one member at once (limits.peerQuestionsInFlightMax unless a test says otherwise)
   * @param options.clock, options.timers time as the node sees it (lib/environment.ts; a test's own)
   */
  constructor(options: { inFlightMax?: number; clock?: Clock; timers?: Timers } = {}) {
    this.inFlightMax = options.inFlightMax ?? limits.peerQuestionsInFlightMax;
    this.clock = options.clock ?? realClock;
    this.timers = options.timers ?? realTimers;
    assert(Number.isSafeInteger(this.inFlightMax) && this.inFlightMax >= 1, `inFlightMax ${this.inFlightMax}`);
  }

  stats(): PeerQuestionStats {
    return { ...this.counters };
  }

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
          return { member, answer: await this.inLine(member, () => options.ask(member, payload, options.timeoutMs), options.timeoutMs) };
        } catch (error) {
          return { member, answer: null, reason: describeError(error) };
        }
      }),
    );
  }

  /** Runs `ask` once `member` has fewer than inFlightMax questions in flight (see the top of the file). */
  private inLine(member: NodeId, ask: () => Promise<Uint8Array>, timeoutMs: number): Promise<Buffer> {
    const line = this.lineOf(member);
    if (line.inFlight < this.inFlightMax) return this.send(member, line, ask, timeoutMs);
    return new Promise((resolve, reject) => {
      const askedAtMs = this.clock.monotonicMs();
      const waiting: WaitingQuestion = {
        askedAtMs,
        timeoutMs,
        send: () => {
          this.timers.clearTimeout(waiting.timer);
          this.send(member, line, ask, timeoutMs).then(resolve, reject);
        },
        giveUp: () => {
          this.timers.clearTimeout(waiting.timer);
          const position = line.waiting.indexOf(waiting);
          if (position < 0) return;
          line.waiting.splice(position, 1);
          this.counters.silentWhileWaiting += 1;
          this.forgetIfIdle(member, line);
          reject(new WalnutError("TIMEOUT", `Cannot ask node ${member}: no answer within ${timeoutMs} ms (it answered none of the questions ahead in time)`));
        },
        timer: this.timers.setTimeout(() => {
          if (line.lastPromptAtMs < askedAtMs) waiting.giveUp(); // else the member answers: this question keeps its turn
        }, timeoutMs),
      };
      line.waiting.push(waiting);
      this.counters.waitingPeak = Math.max(this.counters.waitingPeak, line.waiting.length);
    });
  }

  private async send(member: NodeId, line: MemberLine, ask: () => Promise<Uint8Array>, timeoutMs: number): Promise<Buffer> {
    assert(line.inFlight < this.inFlightMax, `node ${member} has ${line.inFlight} questions in flight`);
    line.inFlight += 1;
    this.counters.asked += 1;
    this.counters.inFlightPeak = Math.max(this.counters.inFlightPeak, line.inFlight);
    const sentAtMs = this.clock.monotonicMs();
    try {
      return Buffer.from(await ask());
    } finally {
      const settledAtMs = this.clock.monotonicMs();
      if (settledAtMs - sentAtMs < timeoutMs) line.lastPromptAtMs = settledAtMs;
      // The member fell silent: the questions that have waited their whole timeout wait no more.
      else for (const waiting of line.waiting.filter((each) => settledAtMs - each.askedAtMs >= each.timeoutMs)) waiting.giveUp();
      line.inFlight -= 1;
      while (line.inFlight < this.inFlightMax && line.waiting.length > 0) (line.waiting.shift() as WaitingQuestion).send();
      this.forgetIfIdle(member, line);
    }
  }

  private lineOf(member: NodeId): MemberLine {
    let line = this.lines.get(member);
    if (line === undefined) {
      line = new MemberLine();
      this.lines.set(member, line);
    }
    return line;
  }

  /** A member with nothing in flight or waiting keeps no line (members come and go). */
  private forgetIfIdle(member: NodeId, line: MemberLine): void {
    if (line.inFlight === 0 && line.waiting.length === 0 && this.lines.get(member) === line) this.lines.delete(member);
  }
}

function encodeQuestion(topic: string, question: Uint8Array): Buffer {
  const topicBytes = Buffer.from(topic, "latin1");
  assert(topicBytes.length > 0 && topicBytes.length <= TOPIC_BYTES_MAX, `topic ${JSON.stringify(topic)}`);
  return Buffer.concat([Buffer.of(topicBytes.length), topicBytes, question]);
}
