/**
 * Virtual time for the real-node simulator: one queue of tasks (timers, I/O completions,
 * network deliveries) ordered by due time, then by the order they were scheduled, so a
 * run is a pure function of its seed. Nothing happens between tasks; the simulator runs
 * one, lets the promise jobs it started settle, then runs the next.
 *
 * Every task belongs to a Process: one life of a simulated node. Crashing the node ends
 * its process, and every task it still had queued (a timer, an fsync about to complete,
 * a message about to arrive) silently never runs, as in a killed OS process.
 *
 * A node's Timers and Clock (lib/environment.ts) are views of this queue at the node's own
 * rate: a clock running fast (rate > 1) reads later times and fires its timers sooner.
 */
import { assert } from "../lib/assert.js";
import type { Clock, Timer, Timers } from "../lib/environment.js";
import { MinHeap } from "./heap.js";

/** Wall-clock milliseconds at virtual time 0 (a fixed date, so that entries' timestamps replay). */
export const SIMULATED_EPOCH_MS = Date.UTC(2030, 0, 1);

/** One life of a simulated node: its tasks run only while it is alive. */
export class Process {
  alive = true;
  /** A paused process (SIGSTOP) runs none of its tasks before this virtual time. */
  pausedUntil = 0;
  constructor(
    readonly name: string,
    /** Its simulated process id (the data directory's LOCK file holds it). */
    readonly pid = 0,
  ) {}
}

interface Task {
  at: number;
  sequence: number;
  owner: Process;
  run: () => void;
  cancelled: boolean;
}

export class Scheduler {
  private nowMs = 0;
  private sequence = 0;
  private readonly queue = new MinHeap<Task>((x, y) => x.at - y.at || x.sequence - y.sequence);
  /** Tasks run so far (for reports and runaway checks). */
  tasksRun = 0;

  get now(): number {
    return this.nowMs;
  }

  /** Runs `run` at virtual time `at` (not before now), if `owner` is still alive then. */
  schedule(owner: Process, at: number, run: () => void): Task {
    assert(Number.isFinite(at), `a task's time must be finite, got ${at}`);
    const task: Task = { at: Math.max(at, this.nowMs), sequence: this.sequence++, owner, run, cancelled: false };
    this.queue.push(task);
    return task;
  }

  /** The due time of the next task that will run, or undefined when none is queued. */
  nextTime(): number | undefined {
    this.dropDead();
    return this.queue.peek()?.at;
  }

  /** Moves time forward to `time` (no task runs). */
  advanceTo(time: number): void {
    assert(time >= this.nowMs, `virtual time cannot go back from ${this.nowMs} to ${time}`);
    this.nowMs = time;
  }

  /** Runs the next task if it is due by now; false when there is none. */
  runNextDue(): boolean {
    this.dropDead();
    const task = this.queue.peek();
    if (task === undefined || task.at > this.nowMs) return false;
    this.queue.pop();
    if (task.owner.pausedUntil > this.nowMs) {
      // Its turn comes when the process resumes, after what it had queued before.
      this.queue.push({ ...task, at: task.owner.pausedUntil, sequence: this.sequence++ });
      return true;
    }
    this.tasksRun += 1;
    task.run();
    return true;
  }

  private dropDead(): void {
    for (let task = this.queue.peek(); task !== undefined && (task.cancelled || !task.owner.alive); task = this.queue.peek()) this.queue.pop();
  }
}

/** A repeating timer: the task for its next firing changes each time. */
interface IntervalHandle {
  task: Task | null;
  cancelled: boolean;
}

/** A node's timers on the shared queue, at the node's clock rate. */
export class SimTimers implements Timers {
  constructor(
    private readonly scheduler: Scheduler,
    private readonly owner: Process,
    private readonly clock: SimClock,
  ) {}

  setTimeout(callback: () => void, delayMs: number): Timer {
    return this.scheduler.schedule(this.owner, this.clock.dueAt(delayMs), callback);
  }

  clearTimeout(timer: Timer): void {
    (timer as Task).cancelled = true;
  }

  setInterval(callback: () => void, intervalMs: number): Timer {
    assert(intervalMs > 0, `an interval must be positive, got ${intervalMs}`);
    const handle: IntervalHandle = { task: null, cancelled: false };
    const fire = (): void => {
      if (handle.cancelled) return;
      handle.task = this.scheduler.schedule(this.owner, this.clock.dueAt(intervalMs), fire);
      callback();
    };
    handle.task = this.scheduler.schedule(this.owner, this.clock.dueAt(intervalMs), fire);
    return handle;
  }

  clearInterval(timer: Timer): void {
    const handle = timer as IntervalHandle;
    handle.cancelled = true;
    if (handle.task !== null) handle.task.cancelled = true;
  }

  yieldTurn(): Promise<void> {
    return new Promise((resolve) => this.scheduler.schedule(this.owner, this.scheduler.now, resolve));
  }
}

/**
 * A node's clock: virtual time at `rate` (1 runs true; 1.05 runs 5% fast) plus an
 * offset, so clocks drift apart and may disagree on the wall time. Changing the rate
 * changes how fast the clock runs from then on, never what it reads at that moment: a
 * monotonic clock never jumps (an offset may step the wall time, as NTP does).
 */
export class SimClock implements Clock {
  private rate_ = 1;
  /** Virtual time of the last rate change, and what the monotonic clock read then. */
  private rebasedAt = 0;
  private monotonicAtRebase = 0;

  constructor(
    private readonly scheduler: Scheduler,
    rate = 1,
    public offsetMs = 0,
  ) {
    this.rate = rate;
  }

  get rate(): number {
    return this.rate_;
  }

  set rate(rate: number) {
    assert(rate > 0, `a clock rate must be positive, got ${rate}`);
    this.monotonicAtRebase = this.monotonicMs();
    this.rebasedAt = this.scheduler.now;
    this.rate_ = rate;
  }

  now(): number {
    return Math.floor(SIMULATED_EPOCH_MS + this.offsetMs + this.monotonicMs());
  }

  monotonicMs(): number {
    return this.monotonicAtRebase + (this.scheduler.now - this.rebasedAt) * this.rate_;
  }

  /** The virtual time at which `delayMs` of this clock's time will have passed. */
  dueAt(delayMs: number): number {
    return this.scheduler.now + Math.ceil(Math.max(0, delayMs) / this.rate_);
  }
}
