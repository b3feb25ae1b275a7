/**
 * One RESP client connection: bytes in, commands through the parser, replies out in
 * request order.
 *
 * Pipelining: a read answers at once, a write once its log entry is committed. Replies
 * queue in request order; a read that follows one of this connection's own unfinished
 * writes waits for it (a client always reads its own writes). Writes are proposed as soon
 * as they are parsed, so a pipeline of writes lands in one group commit.
 *
 * Backpressure on input: a connection with `limits.connectionCommandsInFlightMax`
 * commands unanswered, or with one unanswered while the node has writes waiting for room
 * (node/write_admission.ts), is not read any further: its socket is paused and the parser
 * keeps what it already received. It is read again as its commands are answered. So a
 * client that pipelines faster than the log commits is slowed by TCP, and every write it
 * sent is answered with its real outcome, never with a timeout for having queued.
 *
 * Backpressure on output: replies go to the socket every FLUSH_THRESHOLD_BYTES, even in the middle
 * of one chunk of pipelined requests. When the socket holds more than
 * OUTPUT_HIGH_WATER_BYTES of unsent replies we stop reading from the client, running its
 * parsed commands and writing its finished replies until it drains; a client whose
 * unsent replies still pass the output buffer limit is disconnected. Memory per client
 * stays bounded: one chunk of requests, the high-water mark, and the replies of writes
 * in flight.
 *
 * Metrics: each command is counted and timed from its dispatch until its reply is ready
 * (a write: committed and applied), through instruments bound once per command name.
 */
import type { Socket } from "node:net";
import { commandName } from "../../commands/table.js";
import type { ByteString } from "../../engine/bytes.js";
import { DEFAULT_COLLECTION } from "../../engine/engine.js";
import { array, type Reply } from "../../engine/reply.js";
import { limits } from "../../lib/limits.js";
import type { ClientHandle, ClientState, ServerContext } from "../server_context.js";
import { statisticsName } from "../command_stats.js";
import { runConnectionCommand, type ConnectionState, type Outcome } from "./connection_commands.js";
import { ProtocolError, RequestParser } from "../../resp/parser.js";
import { ReplyWriter } from "../../resp/writer.js";
import { Subscriptions } from "./pubsub_commands.js";
import type { Subscriber } from "./pubsub.js";
import { SubscriberOutputLimit } from "./subscriber_output_limit.js";
import { busyGate } from "../../commands/scripting/script_busy.js";

const OUTPUT_HIGH_WATER_BYTES = 4 * 1024 * 1024;
const FLUSH_THRESHOLD_BYTES = 64 * 1024;
/**
 * After QUIT or a protocol error the server half-closes and keeps reading, dropping what
 * the client still sends, for at most this long: closing a socket with unread input
 * resets the connection, and the client would lose the reply that explains why.
 */
const CLOSE_LINGER_MS = 5_000;
/** Room for one frame's type byte, length or number, and \r\n: a bound, not an exact size. */
const FRAME_OVERHEAD_BYTES = 32;
const MAX_ARGUMENTS = 1024 * 1024;
const MAX_INLINE_BYTES = 64 * 1024;

/** Called once a command has its reply: its metrics and INFO commandstats. */
type Answered = (reply: Reply) => void;

/** A reply slot: filled now (reads) or later (writes). */
interface Slot {
  reply: Reply | null;
  /** EXEC aborted by WATCH answers a nil array, not a nil bulk string. */
  nilArray: boolean;
  /** A pub/sub frame (a message, a SUBSCRIBE confirmation): a RESP3 push, a RESP2 array. */
  push?: boolean;
  /** A write's log index once applied, or the index of the entry that published a message: see drainSlots. */
  entryIndex?: number;
}

export class Connection implements ClientHandle, Subscriber {
  readonly id: number;
  readonly address: string;
  readonly localAddress: string;
  readonly connectedAtMs = Date.now();
  name = "";
  lastCommandAtMs = Date.now();
  lastCommand = "";
  collection = DEFAULT_COLLECTION;
  protocol: 2 | 3 = 2;
  readonly state: ConnectionState;
  private readonly parser: RequestParser;
  private readonly writer = new ReplyWriter();
  private readonly slots: Slot[] = [];
  /** Resolves when this connection's latest write has been applied. */
  private lastWrite: Promise<unknown> | null = null;
  private unfinishedWrites = 0;
  private closing = false;
  /** A read is waiting to run: later commands wait in the parser (see enqueueWaitingRead). */
  private waitingRead = false;
  /** A command held back while a script runs (scriptGate), run first when the script ends. */
  private heldCommand: ByteString[] | null = null;
  private flushScheduled = false;
  /** True while the socket holds more unsent replies than OUTPUT_HIGH_WATER_BYTES. */
  private outputBlocked = false;
  /** True while this connection has as much in flight as it may (see inputBlocked()). */
  private inputBlocked = false;
  /** Set by closeAfterReplies: end the socket once every owed reply is written. */
  private endWhenAnswered = false;
  private idleTimer: NodeJS.Timeout | null = null;
  private lingerTimer: NodeJS.Timeout | null = null;
  /**
   * Bytes received since the last complete command: the request being assembled, whose
   * arguments the parser holds until the last one arrives. Each argument is bounded by
   * --max-request-bytes, the whole command by the largest log entry (or that flag, if
   * larger), so that "*1000000" followed by large arguments cannot fill memory.
   */
  private requestBytes = 0;
  private readonly requestBytesMax: number;
  /** Bytes of pub/sub frames queued behind unanswered replies, not yet encoded. */
  private queuedPushBytes = 0;
  /** Redis' pub/sub output limit, checked at each message while the connection subscribes. */
  private readonly subscriberOutputLimit = new SubscriberOutputLimit();

  constructor(
    private readonly socket: Socket,
    private readonly context: ServerContext,
  ) {
    this.id = context.allocateClientId();
    this.address = `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? 0}`;
    this.localAddress = `${socket.localAddress ?? "?"}:${socket.localPort ?? 0}`;
    this.parser = new RequestParser({
      maxBulkBytes: context.settings.maxRequestBytes,
      maxArguments: MAX_ARGUMENTS,
      maxInlineBytes: MAX_INLINE_BYTES,
    });
    this.requestBytesMax = Math.max(context.settings.maxRequestBytes, limits.entryBytesMax);
    this.state = {
      authenticated: context.settings.requirePass === null,
      multi: null,
      watched: [],
      connection: this,
    };
    this.state.subscriptions = new Subscriptions(context.channels, this);
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("drain", () => this.onDrain());
    socket.on("error", () => this.close("socket error"));
    socket.on("close", () => this.onClosed());
    context.metrics.servers.connectionOpened("resp");
    this.armIdleTimer();
  }

  describeState(): ClientState {
    // Node keeps the descriptor on its internal handle; it is not part of the public API.
    const fd = (this.socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
    const queued = this.state.multi?.queued.length ?? this.state.executing ?? null;
    const subscriptions = this.state.subscriptions;
    const flags = (queued === null ? "" : "x") + (subscriptions?.active === true ? "P" : "");
    return {
      fd: typeof fd === "number" ? fd : -1,
      flags: flags === "" ? "N" : flags,
      subscriptions: {
        channels: subscriptions?.count("channel") ?? 0,
        patterns: subscriptions?.count("pattern") ?? 0,
        shardChannels: subscriptions?.count("shard") ?? 0,
      },
      multi: queued ?? -1,
      queryBufferBytes: this.parser.pendingBytes,
      pendingReplies: this.slots.length,
      unsentBytes: this.socket.writableLength + this.writer.pendingBytes,
      events: this.outputBlocked ? "rw" : "r",
      user: this.state.user?.name ?? "default",
    };
  }

  /**
   * Closes at once, dropping unsent replies (CLIENT KILL, idle timeout, shutdown): a
   * client that does not read would otherwise keep the connection open forever.
   */
  close(reason: string): void {
    this.closing = true;
    this.socket.destroy();
    void reason;
  }

  unblock(how: "timeout" | "error"): boolean {
    return this.state.blockedIn?.unblock(how) ?? false;
  }

  /** Reads no more commands, sends every reply owed, then closes (QUIT, protocol errors). */
  private closeAfterReplies(): void {
    if (this.closing) return;
    this.closing = true;
    this.endWhenAnswered = true;
    this.endIfAnswered();
  }

  private endIfAnswered(): void {
    if (!this.endWhenAnswered || this.slots.length > 0) return;
    this.endWhenAnswered = false;
    this.flush();
    this.socket.end();
    this.socket.resume();
    this.lingerTimer = setTimeout(() => this.socket.destroy(), CLOSE_LINGER_MS);
    this.lingerTimer.unref();
  }

  private onClosed(): void {
    this.closing = true;
    this.state.blockedIn?.cancel(); // a blocked client killed or gone waits no more
    this.state.writes?.close(); // its writes whose outcome is unknown are not proposed again
    this.state.watching?.feed.stop();
    this.state.subscriptions?.clear();
    this.context.tracking.disable(this.id);
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    if (this.lingerTimer !== null) clearTimeout(this.lingerTimer);
    this.context.clients.delete(this.id);
    this.context.metrics.servers.connectionClosed("resp");
  }

  private armIdleTimer(): void {
    const timeoutMs = this.context.settings.idleTimeoutMs;
    if (timeoutMs <= 0) return;
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    // Like Redis, a client blocked in BLPOP and friends is not idle: only its own timeout ends it.
    // Nor is one that watches (WALNUT.WATCH), as Redis spares its subscribers.
    const busy = (): boolean => Boolean(this.state.blockedIn) || this.state.watching?.feed.stopped === false;
    this.idleTimer = setTimeout(() => (busy() ? this.armIdleTimer() : this.close("idle timeout")), timeoutMs);
    this.idleTimer.unref();
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return;
    this.context.stats.netInputBytes += chunk.length;
    this.context.stats.readsProcessed += 1;
    this.requestBytes += chunk.length;
    this.parser.feed(chunk);
    this.runParsedCommands();
    this.armIdleTimer();
  }

  private onDrain(): void {
    this.outputBlocked = false;
    this.drainSlots();
    this.runParsedCommands();
    this.endIfAnswered();
    this.resumeReading();
  }

  private resumeReading(): void {
    if (!this.outputBlocked && !this.inputBlocked && !this.closing) this.socket.resume();
  }

  /**
   * Whether this connection must wait for answers before running more commands: it has
   * the most a connection may have in flight, or the node is queueing writes and this
   * connection already waits for one (then it holds at most one queued write).
   */
  private mustWaitForAnswers(): boolean {
    if (this.unfinishedWrites >= limits.connectionCommandsInFlightMax) return true;
    return this.unfinishedWrites > 0 && this.context.executor.node.writesQueued;
  }

  /**
   * One of this connection's commands was answered: run (and read) more if it waited and
   * enough are answered. Resuming at half the bound, not at the first answer, lets the
   * replies of a group commit go out in one socket write and the next commands arrive as a
   * group: resuming at each answer ran the pipeline one command in, one reply out, with a
   * write() per reply.
   */
  private onAnswered(): void {
    if (!this.inputBlocked || this.mustWaitForAnswers()) return;
    if (this.unfinishedWrites > limits.connectionCommandsInFlightMax / 2) return;
    this.inputBlocked = false;
    this.runParsedCommands();
    this.resumeReading();
  }

  /** Runs the commands received so far, until the bytes run out or the output or input blocks. */
  private runParsedCommands(): void {
    try {
      while (!this.closing && !this.outputBlocked && !this.waitingRead) {
        if (this.mustWaitForAnswers()) {
          this.inputBlocked = true;
          this.socket.pause();
          break;
        }
        const argv = this.heldCommand ?? this.parser.next();
        this.heldCommand = null;
        if (argv === null) {
          if (this.requestBytes > this.requestBytesMax) {
            throw new ProtocolError(`Protocol error: request larger than ${this.requestBytesMax} bytes`);
          }
          break;
        }
        this.requestBytes = this.parser.pendingBytes;
        const gate = this.scriptGate(argv);
        if (gate === "held") break;
        if (gate === "run") this.dispatch(argv);
      }
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.context.stats.protocolErrors += 1;
      this.enqueue({ type: "error", text: `ERR ${error.message}` });
      this.closeAfterReplies();
    }
    this.flush();
  }

  /**
   * While a long script holds the engine (commands/scripting/script_busy.ts): "answered"
   * with BUSY once it has run past busy-reply-threshold, "held" (the command waits, and the
   * ones after it) before that, else "run". A connection with unanswered commands skips
   * this: its replies come after theirs, which wait for the script anyway.
   */
  private scriptGate(argv: ByteString[]): "run" | "answered" | "held" {
    if (this.unfinishedWrites > 0) return "run";
    const gate = busyGate(this.context.executor.node.engine, argv);
    if (gate === null) return "run";
    if (!(gate instanceof Promise)) {
      this.context.commandStats.rejected(argv);
      this.enqueue(gate);
      return "answered";
    }
    this.heldCommand = argv;
    this.waitingRead = true;
    void gate.then(() => {
      this.waitingRead = false;
      this.runParsedCommands();
    });
    return "held";
  }

  private dispatch(argv: ByteString[]): void {
    const startedMs = performance.now();
    this.context.stats.commandsProcessed += 1;
    this.lastCommandAtMs = Date.now();
    this.lastCommand = statisticsName(argv) ?? "NULL";
    const command = this.context.metrics.commands.instruments("resp", argv[0] ?? "", commandName);
    const outcome = runConnectionCommand(this.context, this.state, argv, this.hooks);
    const answered: Answered = (reply) => {
      const elapsedMs = performance.now() - startedMs;
      command.record(elapsedMs, reply.type === "error");
      this.account(argv, outcome, reply, elapsedMs * 1000);
    };
    if (outcome.kind === "reply") {
      this.enqueue(outcome.reply, outcome.nilArray === true);
      answered(outcome.reply);
    } else if (outcome.kind === "pushes") {
      for (const frame of outcome.frames) this.enqueuePush(array(frame));
      answered(array(outcome.frames[0] ?? []));
    } else if (outcome.kind === "write" && outcome.holdsInput === true) {
      this.enqueueWaitingRead(outcome.pending, answered, outcome.entryIndex); // a blocked client: nothing else runs meanwhile
    } else if (outcome.kind === "write") {
      this.enqueueWrite(outcome.pending, outcome.nilArray === true, answered, outcome.entryIndex);
    } else {
      this.enqueueRead(outcome.read, answered);
    }
    if (outcome.kind === "reply" && outcome.closeAfter === true) this.closeAfterReplies();
  }

  /** Counts an answered command in INFO commandstats: and, for EXEC, each command it ran. */
  private account(argv: ByteString[], outcome: Outcome, reply: Reply, usec: number): void {
    const stats = this.context.commandStats;
    const accounting = outcome.kind === "reply" ? (outcome.accounting ?? "ran") : "ran";
    if (accounting === "rejected") stats.rejected(argv);
    if (accounting !== "ran") return;
    stats.called(argv, usec, reply);
    const transaction = outcome.kind === "write" ? outcome.transaction : undefined;
    if (transaction === undefined || reply.type !== "array") return;
    transaction.forEach((queued, index) => stats.called(queued, 0, reply.items[index] as Reply));
  }

  /** Made once, not per command. */
  private readonly hooks = { afterOwnWrites: <T>(run: () => T | Promise<T>): T | Promise<T> => this.afterOwnWrites(run) };

  /** Runs `run` now if no write of ours is unfinished, else once the last one is applied. */
  private afterOwnWrites<T>(run: () => T | Promise<T>): T | Promise<T> {
    if (this.unfinishedWrites === 0 || this.lastWrite === null) return run();
    return this.lastWrite.then(run);
  }

  /** `answered` counts the read once it has its reply (as it does the writes below). */
  private enqueueRead(read: () => Reply | Promise<Reply>, answered: Answered): void {
    if (this.unfinishedWrites > 0) {
      this.enqueueWaitingRead(this.afterOwnWrites(read) as Promise<Reply>, answered);
      return;
    }
    const reply = read();
    if (reply instanceof Promise) {
      this.enqueueWaitingRead(reply, answered); // a cluster read waits for its read barrier
    } else {
      this.enqueue(reply);
      answered(reply);
    }
  }

  /**
   * A read that cannot run yet (it waits for our own writes, or for a read barrier). The
   * commands after it stay unparsed until it has run: otherwise a later write of the same
   * pipeline could be applied first and the read would see it.
   */
  private enqueueWaitingRead(pending: Promise<Reply>, answered: Answered, entryIndex?: Promise<number>): void {
    this.waitingRead = true;
    const resume = (): void => {
      this.waitingRead = false;
      queueMicrotask(() => this.runParsedCommands());
    };
    this.enqueueWrite(
      pending.then(
        (reply) => {
          resume();
          return reply;
        },
        (error: unknown) => {
          resume();
          throw error;
        },
      ),
      false,
      answered,
      entryIndex,
    );
  }

  private enqueueWrite(pending: Promise<Reply>, nilArray: boolean, answered: Answered, entryIndex?: Promise<number>): void {
    const slot: Slot = { reply: null, nilArray };
    if (entryIndex !== undefined) {
      pending = Promise.all([pending, entryIndex]).then(([reply, index]) => {
        slot.entryIndex = index;
        return reply;
      });
    }
    this.slots.push(slot);
    this.unfinishedWrites += 1;
    const fill = (reply: Reply): void => {
      answered(reply);
      slot.reply = reply;
      this.unfinishedWrites -= 1;
      this.drainSlots();
      this.scheduleFlush();
      this.endIfAnswered();
      this.onAnswered();
    };
    this.lastWrite = pending.then(fill, (error: unknown) =>
      fill({ type: "error", text: `ERR ${error instanceof Error ? error.message : String(error)}` }),
    );
  }

  /**
   * A published message for this client (Subscriber), from the entry at log index `index`:
   * queued after the replies the connection owes, and written before those of its writes
   * whose entries come later (drainSlots).
   */
  deliver(frame: Reply[], index: number): void {
    if (this.closing) return;
    this.enqueuePush(array(frame), index);
    this.scheduleFlush();
  }

  /** Out-of-band frames (WALNUT.WATCH events): queued after every reply owed so far, as pub/sub messages are. */
  push(frames: Reply[][]): void {
    if (this.closing || frames.length === 0) return;
    for (const frame of frames) this.enqueuePush(array(frame));
    this.scheduleFlush();
  }

  private enqueuePush(frame: Reply, entryIndex?: number): void {
    if (this.slots.length === 0) {
      this.writeReply(frame, false, true);
    } else {
      this.slots.push({ reply: frame, nilArray: false, push: true, entryIndex });
      this.queuedPushBytes += encodedSizeBound(frame);
    }
    if (this.state.subscriptions?.active === true) this.checkPubsubOutputLimit();
  }

  /** Disconnects a subscriber over Redis' pub/sub output limits (subscriber_output_limit.ts). */
  private checkPubsubOutputLimit(): void {
    const unsentBytes = this.socket.writableLength + this.writer.pendingBytes + this.queuedPushBytes;
    if (this.subscriberOutputLimit.exceeded(unsentBytes, Date.now())) this.close("pubsub output buffer limit");
  }

  private enqueue(reply: Reply, nilArray = false): void {
    if (this.slots.length === 0) this.writeReply(reply, nilArray);
    else this.slots.push({ reply, nilArray });
  }

  /**
   * Writes the filled replies at the head of the queue. A message published by an entry
   * no later than a write's entry (that entry itself included) is written before that
   * write's reply, wherever it waits in the queue: the client sees messages and replies in
   * log order, as a Redis client sees them in the order the server ran the commands (its
   * own PUBLISH to a channel it subscribes to: the message, then PUBLISH's reply).
   */
  private drainSlots(): void {
    while (this.slots.length > 0 && !this.outputBlocked && !this.socket.destroyed) {
      const slot = this.slots[0] as Slot;
      if (slot.reply === null) return;
      if (slot.push !== true && slot.entryIndex !== undefined && this.queuedPushBytes > 0) this.writeEarlierMessages(slot.entryIndex);
      this.slots.shift();
      if (slot.push === true) this.queuedPushBytes -= encodedSizeBound(slot.reply);
      this.writeReply(slot.reply, slot.nilArray, slot.push === true);
    }
  }

  /** Writes, and takes out of the queue, the messages published by entries up to `entryIndex` (its own included). */
  private writeEarlierMessages(entryIndex: number): void {
    for (let position = 1; position < this.slots.length; position++) {
      const slot = this.slots[position] as Slot;
      if (slot.push !== true || slot.entryIndex === undefined || slot.entryIndex > entryIndex) continue;
      this.slots.splice(position--, 1);
      this.queuedPushBytes -= encodedSizeBound(slot.reply as Reply);
      this.writeReply(slot.reply as Reply, false, true);
    }
  }

  private writeReply(reply: Reply, nilArray: boolean, push = false): void {
    if (!push) this.context.commandStats.sent(reply);
    if (this.exceedsOutputLimit(reply)) {
      this.close("output buffer limit");
      return;
    }
    if (push && reply.type === "array") this.writer.writePush(reply.items, this.protocol);
    else if (nilArray && reply.type === "nil") this.writer.writeNilArray(this.protocol);
    else this.writer.write(reply, this.protocol);
    if (this.writer.pendingBytes >= FLUSH_THRESHOLD_BYTES) this.flush();
  }

  /**
   * True when writing `reply` would take this client's unsent replies past the output
   * buffer limit. Checked before encoding, so that one huge reply (MGET of one large
   * value many times) disconnects the client rather than exhausting memory.
   */
  private exceedsOutputLimit(reply: Reply): boolean {
    if (reply.type !== "bulk" && reply.type !== "array" && reply.type !== "set" && reply.type !== "map") return false;
    const unsentBytes = this.socket.writableLength + this.writer.pendingBytes;
    return unsentBytes + encodedSizeBound(reply) > this.context.settings.outputBufferLimitBytes;
  }

  /**
   * Writes that commit together answer together: one socket write for all the replies
   * filled in this turn of the microtask queue, not one per reply.
   */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.flush();
      this.endIfAnswered();
    });
  }

  private flush(): void {
    if (this.writer.pendingBytes === 0 || this.socket.destroyed) return;
    const bytes = this.writer.take();
    this.context.stats.netOutputBytes += bytes.length;
    this.context.stats.writesProcessed += 1;
    this.socket.write(bytes);
    const unsent = this.socket.writableLength;
    if (unsent > this.context.settings.outputBufferLimitBytes) {
      this.close("output buffer limit");
      return;
    }
    if (unsent > OUTPUT_HIGH_WATER_BYTES) {
      this.outputBlocked = true;
      this.socket.pause();
    }
  }
}

/** An upper bound of `reply`'s size once encoded (near enough for scalars), without encoding it. */
function encodedSizeBound(reply: Reply): number {
  switch (reply.type) {
    case "bulk":
      return reply.value.length + FRAME_OVERHEAD_BYTES;
    case "status":
    case "error":
      return reply.text.length + FRAME_OVERHEAD_BYTES;
    case "array":
    case "set":
      return reply.items.reduce((sum, item) => sum + encodedSizeBound(item), FRAME_OVERHEAD_BYTES);
    case "map":
      return reply.entries.reduce((sum, [key, value]) => sum + encodedSizeBound(key) + encodedSizeBound(value), FRAME_OVERHEAD_BYTES);
    default:
      return FRAME_OVERHEAD_BYTES;
  }
}
