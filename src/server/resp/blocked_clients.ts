/**
 * RESP clients blocked in BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP (and any command whose
 * table entry has `blocking`): they wait on the node they are connected to, leader or
 * follower, and are served through the log like any write. docs/blocking.md tells the
 * whole story; in short:
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
 * Neither lost nor duplicated across leader changes: every proposal of a blocked client
 * carries an at-most-once session (a client id unique to the connection, a request id
 * per attempt). When the node cannot say whether an attempt committed (the leader changed
 * or the entry was dropped: NO_LEADER, TIMEOUT), the same attempt is proposed again with
 * the same session; apply() answers a request it already applied with the remembered
 * reply instead of popping again (commands/apply.ts).
 *
 * A client that disconnects or is killed (CLIENT KILL) stops waiting at once; an attempt
 * already proposed runs its course, as a pop sent just before a disconnect would.
 */
import { randomUUID } from "node:crypto";
import type { ByteString } from "../../engine/bytes.js";
import { NIL_ARRAY, type Reply } from "../../engine/reply.js";
import type { Engine } from "../../engine/engine.js";
import { failedWrite, type CommandExecutor, type Session } from "../../commands/executor.js";
import type { BlockedCall } from "../../commands/spec.js";
import { isWalnutError } from "../../lib/errors.js";

/** After an attempt whose outcome is unknown, wait this long before proposing it again. */
const UNKNOWN_OUTCOME_RETRY_MS = 100;
/** setTimeout's largest delay; longer timeouts are re-armed. */
const TIMER_DELAY_MS_MAX = 2 ** 31 - 1;

/** The at-most-once session a connection's blocking commands propose under. */
export class BlockingSession {
  readonly clientId = `blocked-client:${randomUUID()}`;
  private lastRequestId = 0;

  next(): Session {
    this.lastRequestId += 1;
    return { clientId: this.clientId, requestId: this.lastRequestId };
  }
}

/** A blocked command in progress: its reply once it has one, and how to stop waiting. */
export interface Blocking {
  readonly reply: Promise<Reply>;
  /** The client is gone: stop waiting (an attempt already proposed still completes). */
  cancel(): void;
}

export interface BlockRequest {
  collection: string;
  /** The command as the client sent it, name first. */
  argv: ByteString[];
  /** What it waits on; asked only once the command answered nil (so its arguments are valid). */
  describe(): BlockedCall;
  session: BlockingSession;
  /** When the command arrived (Date.now()): its timeout counts from then. */
  arrivedAtMs: number;
}

/** One blocked client, from the moment its first attempt found nothing. */
class Waiter {
  /** "idle": waiting for a key; "attempting": a proposal in flight; "done": answered or cancelled. */
  state: "idle" | "attempting" | "done" = "idle";
  timedOut = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    readonly request: BlockRequest,
    readonly call: BlockedCall,
    private readonly answer: (reply: Reply) => void,
    private readonly registry: BlockedClients,
  ) {}

  get collection(): string {
    return this.request.collection;
  }

  get keys(): ByteString[] {
    return this.call.keys;
  }

  finish(reply: Reply | null): void {
    if (this.state === "done") return;
    this.state = "done";
    if (this.timer !== null) clearTimeout(this.timer);
    this.registry.leave(this);
    if (reply !== null) this.answer(reply);
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
    this.timedOut = true;
    // An attempt in flight may have popped: its outcome decides (see attemptSettled).
    if (this.state === "idle") this.finish(NIL_ARRAY);
  }
}

/**
 * The clients blocked on one node, queued per key in arrival order. One registry per
 * server context; every RESP connection of the node blocks through it.
 */
export class BlockedClients {
  /** collection → key → its waiters, first come first. */
  private readonly queues = new Map<string, Map<ByteString, Set<Waiter>>>();
  /** collection → key → attempts aimed at the key and not settled yet. */
  private readonly attemptsInFlight = new Map<string, Map<ByteString, number>>();
  /** collection → key → the function that stops watching the key's writes. */
  private readonly unwatch = new Map<string, Map<ByteString, () => void>>();

  /** Attempts proposed again because their outcome was unknown (the leader changed), since the start. */
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
    const reply = new Promise<Reply>((resolve) => {
      void this.propose(request, request.argv, () => cancelled).then((first) => {
        if (cancelled) return; // nobody reads the reply any more
        if (first.type !== "nil") {
          resolve(first);
          return;
        }
        waiter = new Waiter(request, request.describe(), resolve, this);
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
    });
    return {
      reply,
      cancel: () => {
        cancelled = true;
        waiter?.finish(null);
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

  /** Lets as many idle waiters of `key` attempt as the key's value can serve now, in queue order. */
  private serve(collection: string, key: ByteString): void {
    const queue = this.queues.get(collection)?.get(key);
    if (queue === undefined || queue.size === 0) return;
    const first = queue.values().next().value as Waiter;
    let available = this.servableNow(collection, key, first.call) - this.inFlight(collection, key);
    for (const waiter of [...queue]) {
      if (available <= 0) break;
      if (waiter.state !== "idle") continue;
      available -= 1;
      this.attemptOn(waiter, key);
    }
  }

  /** What the key's live value can serve on this node's state (0 when the node is closed). */
  private servableNow(collection: string, key: ByteString, call: BlockedCall): number {
    try {
      return this.executor.node.read((engine: Engine) => {
        const item = engine.collection(collection)?.get(key);
        return call.servable(item === undefined || item.isExpiredAt(this.executor.node.now()) ? undefined : item);
      });
    } catch (cause) {
      if (isWalnutError(cause)) return 0; // closed: the waiters are answered as the servers close
      throw cause;
    }
  }

  private inFlight(collection: string, key: ByteString): number {
    return this.attemptsInFlight.get(collection)?.get(key) ?? 0;
  }

  private countAttempt(collection: string, key: ByteString, change: 1 | -1): void {
    let byKey = this.attemptsInFlight.get(collection);
    if (byKey === undefined) {
      byKey = new Map();
      this.attemptsInFlight.set(collection, byKey);
    }
    const count = (byKey.get(key) ?? 0) + change;
    if (count > 0) byKey.set(key, count);
    else byKey.delete(key);
    if (byKey.size === 0) this.attemptsInFlight.delete(collection);
  }

  private attemptOn(waiter: Waiter, key: ByteString): void {
    const { collection, call } = waiter;
    waiter.state = "attempting";
    this.countAttempt(collection, key, 1);
    void this.propose(waiter.request, call.attemptOn(key), () => waiter.state === "done").then((reply) => {
      this.countAttempt(collection, key, -1);
      this.attemptSettled(waiter, reply, call.keepsWaiting(reply));
      this.serve(collection, key); // elements may be left for the next waiters
    });
  }

  /** An attempt answered: the client's reply, or back to waiting (and a look at its keys). */
  private attemptSettled(waiter: Waiter, reply: Reply, keepsWaiting: boolean): void {
    if (waiter.state === "done") return; // cancelled meanwhile
    if (!keepsWaiting) {
      waiter.finish(reply);
      return;
    }
    if (waiter.timedOut) {
      waiter.finish(NIL_ARRAY);
      return;
    }
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
   * Proposes `argv` under the waiter's session until its outcome is known: a write whose
   * outcome is unknown is proposed again with the same request id, which apply() answers
   * from its session table if the first one did commit.
   */
  private async propose(request: BlockRequest, argv: ByteString[], gone: () => boolean): Promise<Reply> {
    const session = request.session.next();
    const call = { collection: request.collection, argv };
    for (;;) {
      try {
        return (await this.executor.commit(call, session)).reply;
      } catch (cause) {
        const unknown = isWalnutError(cause, "NO_LEADER") || isWalnutError(cause, "TIMEOUT");
        if (!unknown || gone()) return failedWrite(cause);
        this.unknownOutcomeRetries += 1;
        await new Promise((resolve) => setTimeout(resolve, UNKNOWN_OUTCOME_RETRY_MS));
      }
    }
  }
}
