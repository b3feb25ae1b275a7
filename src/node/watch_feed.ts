/**
 * One watcher's feed over this node's watch history (engine/change_history.ts): what every
 * face (RESP WALNUT.WATCH, HTTP GET /watch, the embedded db.watch()) delivers. docs/watch.md.
 *
 * The feed keeps one position, the next log index it owes the watcher. It starts at
 * `from` (or, without one, just after what this node has applied: "from now"), delivers
 * every matching change with index >= position in index order, in batches of whole
 * entries, and moves past them; so across one feed nothing is missed or repeated, and a
 * watcher that resumes a new feed from (last index seen + 1) continues exactly.
 *
 * - Changes: delivered as soon as the node applies them (a microtask after apply).
 * - Progress: every `progressIntervalMs` (and at once when the feed starts), the index the
 *   feed has delivered everything through, which is this node's applied index: an idle
 *   watcher learns it is current, and where to resume from if nothing it watches changed.
 * - Compacted: the position fell out of the window (asked too old, or the node installed a
 *   checkpoint from its leader past it); the feed ends with the oldest index it could
 *   serve. The watcher re-reads what it needs and watches again from there.
 *
 * - Paused: a face whose consumer is behind (the embedded iterator's full buffer) pauses
 *   the feed rather than buffering without bound; the position waits in the history
 *   window, and a resume delivers from there, or "compacted" if the window passed it by
 *   meanwhile, as etcd cancels a watcher that fell behind compaction.
 *
 * A node answers from its own applied state: on a follower that is what the follower has
 * applied, which may lag the leader by the replication delay, never anything uncommitted.
 */
import type { Engine } from "../engine/engine.js";
import type { Change, ChangeFilter, ChangeHistory } from "../engine/change_history.js";

export const WATCH_PROGRESS_INTERVAL_MS_DEFAULT = 5_000;
/** Changes per delivery before the feed yields the event loop. */
const BATCH_CHANGES = 1_000;

export type WatchMessage =
  | { readonly type: "changes"; readonly changes: readonly Change[] }
  | { readonly type: "progress"; readonly index: number }
  | { readonly type: "compacted"; readonly oldestIndex: number };

export interface WatchFeedOptions {
  readonly filter: ChangeFilter;
  /** The first log index wanted; undefined: from the next entry this node applies. */
  readonly from?: number;
  readonly progressIntervalMs?: number;
}

export class WatchFeed {
  private position: number;
  private stopListening: (() => void) | null = null;
  private progressTimer: ReturnType<typeof setInterval> | null = null;
  private pumpScheduled = false;
  private ended = false;
  private paused = false;

  constructor(
    private readonly engine: Engine,
    private readonly options: WatchFeedOptions,
    private readonly deliver: (message: WatchMessage) => void,
  ) {
    this.position = options.from ?? engine.appliedIndex + 1;
  }

  private get history(): ChangeHistory {
    return this.engine.history;
  }

  /** The next index the watcher is owed: resume from here. */
  get nextIndex(): number {
    return this.position;
  }

  get stopped(): boolean {
    return this.ended;
  }

  /** Delivers what the window already holds, then follows new entries. */
  start(): void {
    this.stopListening = this.history.listen(() => this.schedulePump());
    const interval = this.options.progressIntervalMs ?? WATCH_PROGRESS_INTERVAL_MS_DEFAULT;
    if (interval > 0) {
      this.progressTimer = setInterval(() => this.progress(), interval);
      this.progressTimer.unref();
    }
    this.pump();
    if (!this.ended) this.progress();
  }

  stop(): void {
    if (this.ended) return;
    this.ended = true;
    this.stopListening?.();
    this.stopListening = null;
    if (this.progressTimer !== null) clearInterval(this.progressTimer);
    this.progressTimer = null;
  }

  /** Delivers nothing (no changes, no progress) until resume(): the consumer is behind. */
  pause(): void {
    this.paused = true;
  }

  /** Goes on delivering from where the feed stopped (or answers compacted, if the window passed it). */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.schedulePump();
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Delivers a progress notification now (a client asked, or the interval passed). */
  progress(): void {
    if (this.ended || this.paused) return;
    this.pump();
    if (this.ended || this.paused) return;
    this.deliver({ type: "progress", index: Math.min(this.position - 1, this.history.coveredThrough) });
  }

  private schedulePump(): void {
    if (this.pumpScheduled || this.ended || this.paused) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Delivers one batch of whole entries; schedules the next when more is waiting. */
  private pump(): void {
    if (this.ended || this.paused) return;
    const read = this.history.read(this.position, this.options.filter, BATCH_CHANGES);
    if (read.compacted) {
      this.deliver({ type: "compacted", oldestIndex: read.oldestIndex });
      this.stop();
      return;
    }
    this.position = read.through + 1;
    if (read.changes.length > 0) this.deliver({ type: "changes", changes: read.changes });
    if (read.through < this.history.coveredThrough) this.schedulePump();
  }
}
