/**
 * Drifting clocks, for lease reads: each simulated node ticks at its own pace. A tick
 * period is tickUnits × (1 + driftRatio × pace), where pace in [0, 1] is a per-node base
 * (an extreme, 0 or 1, two times in three, so the fastest and slowest clocks the bound
 * allows do meet) nudged a little at every tick. Every period lies in [tickUnits,
 * tickUnits × (1 + driftRatio)], so no node ticks more than (1 + driftRatio) times as often
 * as another: the assumption lease reads rest on (src/raft/lease.ts). Clocks that drift
 * more than a core's maxClockDriftRatio break it on purpose (lease.test.ts).
 *
 * The cluster schedules each tick from the previous one's due time, not from when it
 * fired, and a node that could not tick (paused) catches up every tick that came due
 * before it handles anything: src/node/ does the same in lease mode.
 */
import { assert } from "../lib/assert.js";
import type { NodeId } from "../raft/types.js";
import type { Random } from "../lib/seeded_random.js";

/** How far (either way, as a share of the drift band) a tick's pace strays from its node's base. */
const PACE_NUDGE = 0.1;

export class DriftingClocks {
  private readonly baseOf = new Map<NodeId, number>();

  constructor(
    private readonly random: Random,
    private readonly options: { tickUnits: number; driftRatio: number },
  ) {
    assert(options.driftRatio >= 0, `a drift ratio is at least 0, got ${options.driftRatio}`);
  }

  get driftRatio(): number {
    return this.options.driftRatio;
  }

  /** Fixes `id`'s pace: 0 ticks fastest, 1 slowest. */
  setPace(id: NodeId, pace: number): void {
    assert(pace >= 0 && pace <= 1, `a pace is in [0, 1], got ${pace}`);
    this.baseOf.set(id, pace);
  }

  /** Units from one tick of `id` to its next. */
  period(id: NodeId): number {
    let base = this.baseOf.get(id);
    if (base === undefined) {
      base = this.random.pick([0, 1, this.random.next()]);
      this.baseOf.set(id, base);
    }
    const pace = Math.min(1, Math.max(0, base + (this.random.next() - 0.5) * 2 * PACE_NUDGE));
    return this.options.tickUnits * (1 + this.options.driftRatio * pace);
  }
}
