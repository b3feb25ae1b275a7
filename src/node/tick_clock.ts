/**
 * Lease mode's ticks. A lease is counted in the leader's ticks, so a late timer (a blocked
 * event loop, a paused process) must not leave the count behind the time that passed: the
 * count follows the monotonic clock, and every tick due is given, at each timer and before
 * any input that may answer a read (a step, a read request, an advance). Index mode needs
 * none of this (a late tick only delays an election), so it ticks once per timer.
 */
import { realClock, type Clock } from "../lib/environment.js";

export class TickClock {
  /** Ticks handed to the core, counted from when the clock started. */
  private ticksGiven = 0;
  private readonly startedMs: number;

  constructor(
    private readonly tickMs: number,
    private readonly tick: () => void,
    private readonly clock: Pick<Clock, "monotonicMs"> = realClock,
  ) {
    this.startedMs = clock.monotonicMs();
  }

  /** Gives every tick the monotonic clock says is due. */
  catchUp(): void {
    const due = Math.floor((this.clock.monotonicMs() - this.startedMs) / this.tickMs);
    for (; this.ticksGiven < due; this.ticksGiven += 1) this.tick();
  }
}
