/**
 * RESP clients blocked in BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN and friends,
 * XREADGROUP ... BLOCK (any command whose table entry has `blocking`): they wait on the node
 * they are connected to, leader or follower, and are served through the log like any write.
 * docs/blocking.md tells the whole story; in short:
 *
 * 1. The command is proposed as it is (its handler is the non-blocking form). A reply
 *    other than "nothing for you" (nil) is the answer: a pop, or an argument error.
 * 2. Otherwise the client joins the queue of each of its keys and waits. The engine tells
 *    the registry which keys applied entries wrote (engine/written_keys.ts); for a written
 *    key the registry reads how many waiters the key can serve now (a list's length, on
 *    this node's state) and lets that many of the key's idle waiters, first come first
 *    served, each propose one attempt aimed at that key (BLPOP key 0 ...).
 * 3. An attempt that finds nothing (another client won the race, or this follower's state
 *    was behind) puts the client back to waiting, in its place in the queues; every
 *    settled attempt re-checks the key, so a write that arrived meanwhile is never missed.
 * 4. On timeout the client gets a null array; an attempt in flight at that moment is
 *    waited for first, since it may have popped an element that must not be lost.
 *
 * Neither lost nor duplicated across leader changes, and in send order: every proposal of a
 * blocked client goes under its connection's ordered at-most-once session (BlockRequest.writes,
 * the connection's write_session.ts), numbered after the writes the client sent before it.
 * When the node cannot say whether an attempt committed (the leader changed or the entry was
 * dropped: NO_LEADER, TIMEOUT), the session proposes it again with the same request id, after
 * the connection's earlier writes; apply() answers a request it already applied with the
 * remembered reply instead of popping again (commands/apply.ts).
 *
 * A client that disconnects or is killed (CLIENT KILL) stops waiting at once; an attempt
 * already proposed runs its course, as a pop sent just before a disconnect would. CLIENT
 * UNBLOCK answers it as its timeout would, or with UNBLOCKED. A call may end the wait from
 * its key's state alone (BlockedCall.unblockedBy: XREADGROUP's stream or group gone).
 */
import type { ByteString } from "../../engine/bytes.js";
import { error, isError, NIL_ARRAY, type Reply } from "../../engine/reply.js";
import type { Item } from "../../engine/values.js";
import { failedWrite, type CommandExecutor } from "../../commands/executor.js";
import type { BlockedCall } from "../../commands/spec.js";
import type { CommandCall } from "../../node/entry.js";
import type { WriteResult } from "../../node/node.js";
import { isWalnutError } from "../../lib/errors.js";

/** setTimeout's largest delay; longer timeouts are re-armed. */
const TIMER_DELAY_MS_MAX = 2 ** 31 - 1;

/**
 * How a blocked command's writes reach the log: its connection's ordered session
 * (write_session.ts WriteSession), so that they are numbered after the connection's earlier
 * writes and proposed again, with the same request id, while their outcome is unknown.
 */
export interface BlockingWrites {
  /** Logs `call`; its log index and reply once known, or an error reply (index 0). Never rejects. */
  commit(call: CommandCall): Promise<WriteResult>;
  /** Proposals the session made again because their outcome was unknown, since it began. */
  readonly unknownOutcomeRetries: number;
}

/** CLIENT UNBLOCK's two ways to end a wait: as if it timed out, or with an error. */
export type UnblockHow = "timeout" | "error";

/** What a client ended by CLIENT UNBLOCK ... ERROR answers, as Redis 7.0. */
export const UNBLOCKED_BY_CLIENT: Reply = Object.freeze(error("UNBLOCKED", "client unblocked via CLIENT UNBLOCK"));

/** A blocked command in progress: its reply once it has one, and how to stop waiting. */
export interface Blocking {
  readonly reply: Promise<Reply>;
  /**
   * The log index of the entry whose reply answered the client, once it has answered (0: the
   * answer came from no entry: a timeout, CLIENT UNBLOCK): orders messages among the replies.
   * Absent for a blocked read, which logs nothing.
   */
  readonly entryIndex?: Promise<number>;
  /** The client is gone: stop waiting (an attempt already proposed still completes). */
  cancel(): void;
  /**
   * CLIENT UNBLOCK: answers the client now (a timeout's reply, or UNBLOCKED), or once an
   * attempt in flight has settled, if it did not serve the client. False when the client
   * is not waiting (its command has not found its keys empty yet, or has answered).
   */
  unblock(how: UnblockHow): boolean;
}

export interface BlockRequest {
  collection: string;
  /** The command as the client sent it, name first. */
  argv: ByteString[];
  /** What it waits on; asked only once the command answered nil (so its arguments are valid). */
  describe(): BlockedCall;
  writes: BlockingWrites;
  /** When the command arrived (Date.now()): its timeout counts from then. */
  arrivedAtMs: number;
}

/** One blocked client, from the moment its first attempt found nothing. */
class Waiter {
  /** "idle": waiting for a key; "attempting": a proposal in flight; "done": answered or cancelled. */
  state: "idle" | "attempting" | "done" = "idle";
  /** Set by the timeout or CLIENT UNBLOCK: what the client answers unless an attempt in flight serves it. */
  endReply: Reply | null = null;
  private timer: NodeJS.Timeout | null = null;

  /**
   * @param validAt the log index of the client's last proposal that kept it waiting: state
   *   older than that may not show its keys as they were then (BlockedCall.unblockedBy)
   */
  constructor(
    readonly request: BlockRequest,
    readonly call: BlockedCall,
    private readonly answer: (reply: Reply, entryIndex: number) => void,
    private readonly registry: BlockedClients,
    public validAt: number,
  ) {}

  get collection(): string {
    return this.request.collection;
  }

  get keys(): ByteString[] {
    return this.call.keys;
  }

  /** @param entryIndex the entry whose reply `reply` is; 0 for none */
  finish(reply: Reply | null, entryIndex = 0): void {
    if (this.state === "done") return;
    this.state = "done";
    if (this.timer !== null) clearTimeout(this.timer);
    this.registry.leave(this);
    if (reply !== null) this.answer(reply, entryIndex);
  }

  armTimeout(): void {
    const timeoutMs = this.call.timeoutMs;
    if (timeoutMs === 0 || this.state === "done") return;
    const remainingMs = this.request.arrivedAtMs + timeoutMs - Date.now();
    if (remainingMs <= 0) {
      this.onTimeout();
      return;
    }
    this.timer = setTimeout(() => this.armTimeout(), Math.min(remainingMs, TIMER_DELAY_MS_MAX));
  }

  private onTimeout(): void {
    this.end(NIL_ARRAY);
  }

  /** Ends the wait with `reply`; an attempt in flight may have popped: its outcome decides (see attemptSettled). */
  end(reply: Reply): void {
    this.endReply ??= reply;
    if (this.state === "idle") this.finish(this.endReply);
  }
}

/**
 * The clients blocked on one node, queued per key in arrival order. One registry per
 * server context; every RESP connection of the node blocks through it.
 */
export class BlockedClients {
  /** collection → key → its waiters, first come first. */
  private readonly queues = new Map<string, Map<ByteString, Set<Waiter>>>();
  /** collection → key → share (BlockedCall.share) → attempts aimed at the key and not settled yet. */
  private readonly attemptsInFlight = new Map<string, Map<ByteString, Map<string, number>>>();
  /** collection → key → the function that stops watching the key's writes. */
  private readonly unwatch = new Map<string, Map<ByteString, () => void>>();

  /**
   * Proposals made again because their outcome was unknown (the leader changed), since the
   * start: those of blocked connections' sessions while their blocking command ran (its own
   * attempts, and earlier writes of the connection still unanswered).
   */
  unknownOutcomeRetries = 0;

  constructor(private readonly executor: CommandExecutor) {}

  /** Clients waiting in a blocked read (blocked_reads.ts), which keep no queue here. */
  readsWaiting = 0;

  /** How many clients are blocked (INFO's blocked_clients), in pops and in reads. */
  get size(): number {
    const waiters = new Set<Waiter>();
    for (const byKey of this.queues.values()) for (const queue of byKey.values()) for (const waiter of queue) waiters.add(waiter);
    return waiters.size + this.readsWaiting;
  }

  /**
   * Runs a blocking command: proposes it, and if it found nothing, waits as described at
   * the top of this file.
   */
  block(request: BlockRequest): Blocking {
    let cancelled = false;
    let waiter: Waiter | null = null;
    let resolve!: (reply: Reply, index: number) => void;
    const answered = new Promise<WriteResult>((settle) => {
      resolve = (reply, index) => settle({ reply, index });
    });
    void this.propose(request, request.argv).then(({ reply: first, index }) => {
      if (cancelled) return; // nobody reads the reply any more
      if (first.type !== "nil") {
        resolve(first, index);
        return;
      }
      waiter = new Waiter(request, request.describe(), resolve, this, index);
      try {
        this.join(waiter);
      } catch (cause) {
        if (!isWalnutError(cause)) throw cause; // a bug: let it surface
        waiter.finish(failedWrite(cause)); // the node closed meanwhile
        return;
      }
      waiter.armTimeout();
      this.lookAtKeys(waiter);
    });
    return {
      reply: answered.then((result) => result.reply),
      entryIndex: answered.then((result) => result.index),
      cancel: () => {
        cancelled = true;
        waiter?.finish(null);
      },
      unblock: (how) => {
        if (waiter === null || waiter.state === "done") return false;
        waiter.end(how === "timeout" ? NIL_ARRAY : UNBLOCKED_BY_CLIENT);
        return true;
      },
    };
  }

  /** Takes the waiter out of every queue (answered, timed out or cancelled). */
  leave(waiter: Waiter): void {
    const byKey = this.queues.get(waiter.collection);
    if (byKey === undefined) return;
    for (const key of waiter.keys) {
      const queue = byKey.get(key);
      if (queue === undefined) continue;
      queue.delete(waiter);
      if (queue.size > 0) continue;
      byKey.delete(key);
      this.unwatch.get(waiter.collection)?.get(key)?.();
      this.unwatch.get(waiter.collection)?.delete(key);
    }
    if (byKey.size === 0) {
      this.queues.delete(waiter.collection);
      this.unwatch.delete(waiter.collection);
    }
  }

  private join(waiter: Waiter): void {
    const collection = waiter.collection;
    let byKey = this.queues.get(collection);
    if (byKey === undefined) {
      byKey = new Map();
      this.queues.set(collection, byKey);
    }
    let unwatchByKey = this.unwatch.get(collection);
    if (unwatchByKey === undefined) {
      unwatchByKey = new Map();
      this.unwatch.set(collection, unwatchByKey);
    }
    for (const key of waiter.keys) {
      let queue = byKey.get(key);
      if (queue === undefined) {
        queue = new Set();
        byKey.set(key, queue);
        const stop = this.executor.node.read((engine) => engine.writtenKeys.watch(collection, [key], this.onWritten));
        unwatchByKey.set(key, stop);
      }
      queue.add(waiter);
    }
  }

  /** engine.writtenKeys: `key` of `collection` was written (key null: anything may have been). */
  private readonly onWritten = (collection: string, key: ByteString | null): void => {
    if (key !== null) {
      this.serve(collection, key);
      return;
    }
    for (const [name, byKey] of [...this.queues]) for (const each of [...byKey.keys()]) this.serve(name, each);
  };

  /**
   * Lets as many idle waiters of `key` attempt as the key's value can serve now, in queue
   * order, per share; first answers those whose wait the key's state ends (unblockedBy).
   */
  private serve(collection: string, key: ByteString): void {
    const queue = this.queues.get(collection)?.get(key);
    if (queue === undefined || queue.size === 0) return;
    const now = this.stateOf(collection, key);
    if (now === null) return; // closed: the waiters are answered as the servers close
    const available = new Map<string, number>();
    for (const waiter of [...queue]) {
      if (waiter.state !== "idle") continue;
      const call = waiter.call;
      if (call.unblockedBy !== undefined && now.appliedIndex >= waiter.validAt) {
        const ending = call.unblockedBy(now.item);
        if (ending !== null) {
          waiter.finish(ending);
          continue;
        }
      }
      const share = call.share ?? "";
      const budget = available.get(share) ?? call.servable(now.item) - this.inFlight(collection, key, share);
      available.set(share, budget - 1);
      if (budget > 0) this.attemptOn(waiter, key);
    }
  }

  /** The key's live item on this node's state and the index that state is at; null when the node is closed. */
  private stateOf(collection: string, key: ByteString): { item: Item | undefined; appliedIndex: number } | null {
    try {
      return this.executor.node.read((engine) => {
        const item = engine.collection(collection)?.get(key);
        const live = item === undefined || item.isExpiredAt(this.executor.node.now()) ? undefined : item;
        return { item: live, appliedIndex: engine.appliedIndex };
      });
    } catch (cause) {
      if (isWalnutError(cause)) return null;
      throw cause;
    }
  }

  private inFlight(collection: string, key: ByteString, share: string): number {
    return this.attemptsInFlight.get(collection)?.get(key)?.get(share) ?? 0;
  }

  private countAttempt(collection: string, key: ByteString, share: string, change: 1 | -1): void {
    let byKey = this.attemptsInFlight.get(collection);
    if (byKey === undefined) {
      byKey = new Map();
      this.attemptsInFlight.set(collection, byKey);
    }
    let byShare = byKey.get(key);
    if (byShare === undefined) {
      byShare = new Map();
      byKey.set(key, byShare);
    }
    const count = (byShare.get(share) ?? 0) + change;
    if (count > 0) byShare.set(share, count);
    else byShare.delete(share);
    if (byShare.size === 0) byKey.delete(key);
    if (byKey.size === 0) this.attemptsInFlight.delete(collection);
  }

  private attemptOn(waiter: Waiter, key: ByteString): void {
    const { collection, call } = waiter;
    const share = call.share ?? "";
    waiter.state = "attempting";
    this.countAttempt(collection, key, share, 1);
    void this.propose(waiter.request, call.attemptOn(key)).then(({ reply, index }) => {
      this.countAttempt(collection, key, share, -1);
      this.attemptSettled(waiter, reply, index, call.keepsWaiting(reply));
      this.serve(collection, key); // elements may be left for the next waiters
    });
  }

  /** An attempt answered: the client's reply, or back to waiting (and a look at its keys). */
  private attemptSettled(waiter: Waiter, reply: Reply, index: number, keepsWaiting: boolean): void {
    if (waiter.state === "done") return; // cancelled meanwhile
    if (!keepsWaiting) {
      waiter.finish(reply, index);
      return;
    }
    if (waiter.endReply !== null) {
      waiter.finish(waiter.endReply);
      return;
    }
    // An attempt that found nothing saw the keys valid at its index; one refused (the key gone) did not.
    if (!isError(reply)) waiter.validAt = Math.max(waiter.validAt, index);
    waiter.state = "idle";
    this.lookAtKeys(waiter);
  }

  /** Writes applied while the waiter was not idle told nobody it could use them: look now. */
  private lookAtKeys(waiter: Waiter): void {
    for (const key of waiter.keys) {
      if (waiter.state !== "idle") break;
      this.serve(waiter.collection, key);
    }
  }

  /**
   * Proposes `argv` under the connection's session (BlockRequest.writes), which proposes it
   * again with the same request id while its outcome is unknown: apply() answers it from its
   * session table if an earlier proposal did commit. Never rejects.
   */
  private async propose(request: BlockRequest, argv: ByteString[]): Promise<WriteResult> {
    const retriesBefore = request.writes.unknownOutcomeRetries;
    const result = await request.writes.commit({ collection: request.collection, argv });
    this.unknownOutcomeRetries += request.writes.unknownOutcomeRetries - retriesBefore;
    return result;
  }
}
