/**
 * Time as the node sees it: a clock and timers, as interfaces, so that the deterministic
 * simulator (src/sim/) can run the real node on virtual time. `realClock` and `realTimers`
 * are Date.now, performance.now and node's timers (unref'd: a node's timers never keep a
 * process alive on their own).
 */

export interface Clock {
  /** Wall-clock milliseconds since the epoch (stamped into entries, judged by expiry). */
  now(): number;
  /** Monotonic milliseconds from an arbitrary origin (durations, lease ticks). */
  monotonicMs(): number;
}

/** A scheduled callback, to be cancelled by the Timers that made it. */
export type Timer = object;

export interface Timers {
  /** `keepAlive`: the real timer keeps the process alive (by default it does not). */
  setTimeout(callback: () => void, delayMs: number, options?: { keepAlive?: boolean }): Timer;
  clearTimeout(timer: Timer): void;
  setInterval(callback: () => void, intervalMs: number): Timer;
  clearInterval(timer: Timer): void;
  /** Resolves once pending I/O and timers had a turn (setImmediate). */
  yieldTurn(): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  monotonicMs: () => performance.now(),
};

export const realTimers: Timers = {
  setTimeout: (callback, delayMs, options) => {
    const timer = setTimeout(callback, delayMs);
    return options?.keepAlive === true ? timer : timer.unref();
  },
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout),
  setInterval: (callback, intervalMs) => setInterval(callback, intervalMs).unref(),
  clearInterval: (timer) => clearInterval(timer as NodeJS.Timeout),
  yieldTurn: () => new Promise((resolve) => setImmediate(resolve)),
};

/** Which process this is, and whether another one lives (the data directory's LOCK file). */
export interface Processes {
  readonly pid: number;
  isAlive(pid: number): boolean;
}

export const realProcesses: Processes = {
  pid: process.pid,
  isAlive(pid) {
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === "EPERM"; // it exists, we may not signal it
    }
  },
};
