/**
 * db.watch(): the embedded face of the watch (docs/watch.md), an async iterator over
 * node/watch_feed.ts.
 *
 * ```ts
 * for await (const event of db.watch({ prefix: "user:", fromVersion: 42 })) {
 *   if (event.type === "progress") continue; // current through event.index
 *   console.log(event.index, event.type, event.key, event.value);
 * }
 * ```
 *
 * Events come in log-index order; the iterator buffers what the consumer has not taken
 * yet, at most `maxBufferedEvents` (plus the one batch of whole entries that filled it).
 * A consumer that falls that far behind is not given more memory: the feed pauses, its
 * position waits in the node's history window, and it resumes once the consumer has
 * taken half the buffer. If the window passes the position by meanwhile, the consumer
 * gets the events buffered and then a WatchCompactedError, as etcd cancels a watcher
 * that fell behind compaction; it re-reads and watches again from there. When
 * `fromVersion` is older than the window, the iterator rejects the same way (code
 * COMPACTED, `oldestIndex`). `return()` (a `break` out of the loop) stops the feed.
 */
import { fromInput, toText } from "./engine/bytes.js";
import type { Change } from "./engine/change_history.js";
import type { ValueKind } from "./engine/values.js";
import { WalnutError } from "./lib/errors.js";
import type { Node } from "./node/node.js";
import { WatchFeed, type WatchMessage } from "./node/watch_feed.js";

export interface WatchOptions {
  /** Watch this one key. */
  key?: string | Buffer;
  /** Watch every key starting with this ("" or absent, with no key: every key). */
  prefix?: string | Buffer;
  /** Only this collection (default: every collection). */
  collection?: string;
  /** The first log index wanted (>= 1); absent or 0: from the next change this node applies. */
  fromVersion?: number;
  /** Progress events every this many ms (default 5000; 0: only the first). */
  progressIntervalMs?: number;
  /** Events the iterator holds for a consumer that has not taken them (default 10 000); past it the feed pauses. */
  maxBufferedEvents?: number;
}

export const WATCH_BUFFERED_EVENTS_DEFAULT = 10_000;

export type WatchEvent =
  | { type: "put"; index: number; collection: string; key: string; kind: ValueKind; value: string | null }
  | { type: "delete" | "expire"; index: number; collection: string; key: string }
  | { type: "flush"; index: number; collection: string }
  | { type: "progress"; index: number };

/** A watch rejected because its start is older than the history window. */
export class WatchCompactedError extends WalnutError {
  constructor(readonly oldestIndex: number) {
    super("COMPACTED", `Cannot watch from there: the history was compacted; the oldest index available is ${oldestIndex}`);
  }
}

export function watchEventOf(change: Change): WatchEvent {
  const base = { index: change.index, collection: change.collection };
  switch (change.type) {
    case "put":
      return { type: "put", ...base, key: toText(change.key), kind: change.kind as ValueKind, value: change.value === null ? null : toText(change.value) };
    case "flush":
      return { type: "flush", ...base };
    default:
      return { type: change.type, ...base, key: toText(change.key) };
  }
}

export class WatchStream implements AsyncIterableIterator<WatchEvent> {
  private readonly queued: WatchEvent[] = [];
  private failure: WalnutError | null = null;
  private waiting: { resolve: (result: IteratorResult<WatchEvent>) => void; reject: (error: unknown) => void } | null = null;
  private readonly feed: WatchFeed;
  private readonly maxBuffered: number;
  private done = false;

  constructor(node: Node, options: WatchOptions) {
    const from = options.fromVersion ?? 0;
    if (!Number.isSafeInteger(from) || from < 0) throw new WalnutError("BAD_ARGUMENT", "Cannot watch: fromVersion must be a log index >= 1 (or 0: from now)");
    this.maxBuffered = options.maxBufferedEvents ?? WATCH_BUFFERED_EVENTS_DEFAULT;
    if (!Number.isSafeInteger(this.maxBuffered) || this.maxBuffered < 1) throw new WalnutError("BAD_ARGUMENT", "Cannot watch: maxBufferedEvents must be an integer >= 1");
    const filter = {
      ...(options.collection === undefined ? {} : { collection: options.collection }),
      ...(options.key === undefined ? {} : { key: fromInput(options.key) }),
      ...(options.prefix === undefined ? {} : { prefix: fromInput(options.prefix) }),
    };
    this.feed = node.read(
      (engine) =>
        new WatchFeed(
          engine,
          { filter, ...(from === 0 ? {} : { from }), ...(options.progressIntervalMs === undefined ? {} : { progressIntervalMs: options.progressIntervalMs }) },
          (message) => this.receive(message),
        ),
    );
    this.feed.start();
  }

  /** The next log index this stream owes: resume a later watch from here. */
  get nextIndex(): number {
    return this.feed.nextIndex;
  }

  /** Events received and not yet taken by the consumer. */
  get bufferedEvents(): number {
    return this.queued.length;
  }

  next(): Promise<IteratorResult<WatchEvent>> {
    const event = this.queued.shift();
    if (this.feed.isPaused && this.queued.length <= this.maxBuffered / 2) this.feed.resume();
    if (event !== undefined) return Promise.resolve({ value: event, done: false });
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  return(): Promise<IteratorResult<WatchEvent>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<WatchEvent> {
    return this;
  }

  /** Stops the feed; a consumer waiting for the next event gets done. */
  close(): void {
    if (this.done) return;
    this.done = true;
    this.feed.stop();
    this.queued.length = 0;
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.resolve({ value: undefined, done: true });
  }

  private receive(message: WatchMessage): void {
    if (this.done) return;
    if (message.type === "compacted") {
      this.failure = new WatchCompactedError(message.oldestIndex);
      this.done = true;
    } else if (message.type === "progress") this.queued.push({ type: "progress", index: message.index });
    else for (const change of message.changes) this.queued.push(watchEventOf(change));
    const waiting = this.waiting;
    if (waiting !== null) {
      this.waiting = null;
      const event = this.queued.shift();
      if (event !== undefined) waiting.resolve({ value: event, done: false });
      else if (this.failure !== null) waiting.reject(this.failure);
    }
    if (this.queued.length >= this.maxBuffered) this.feed.pause();
  }
}
