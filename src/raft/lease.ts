/**
 * Lease reads (Raft thesis §6.4.1): a leader that a quorum acknowledged recently answers a
 * read at once, without a heartbeat round, because no other leader can have been elected
 * since. This file owns the leader's side: how long its lease lasts and whether it holds.
 *
 * The argument, in ticks. Every heartbeat carries the leader's tick count when it was sent
 * (Message.index) and the follower echoes it back. A follower that hears from its leader
 * refuses every vote and pre-vote (a leadership transfer's excepted) until it has ticked
 * electionTicks times (raft.ts, inLease): at least electionTicks - 1 of its tick periods,
 * since its first tick may come right after the heartbeat. Say a quorum of voters echoed
 * heartbeats sent at tick s or later: each received its heartbeat after the leader sent
 * it, and any new leader needs the vote of one of them. The lease holds while the leader's
 * tick count is below s + leaseTicks: for at most leaseTicks of the leader's tick periods
 * after the send. So it is safe when leaseTicks leader periods fit in electionTicks - 1
 * follower periods; if no node ticks more than (1 + maxClockDriftRatio) times as often as
 * another over any stretch of time:
 *
 *   leaseTicks = floor((electionTicks - 1) / (1 + maxClockDriftRatio))
 *
 * Worked example: electionTicks 10 and the default ratio 0.1 give floor(9 / 1.1) = 8 ticks;
 * with src/node/'s 100 ms tick, a lease ends at most 800 ms (by the leader's clock) after
 * the heartbeat round it rests on was sent, while followers refuse votes for 900 ms (by
 * theirs) after receiving it.
 *
 * Measuring from the send, not from the acknowledgement, keeps a slow network safe: an
 * answer that took long to arrive proves only what was true when its heartbeat left.
 *
 * What the driver must uphold: its tick count never falls behind the time that passed
 * (a late timer is caught up before the next input, as src/node/ does in lease mode), and
 * its clock keeps counting while the process is stopped. A clock that stops while the
 * process is paused, or runs slower than the bound allows, lets a deposed leader serve
 * stale reads (src/sim/node_lease.test.ts shows the simulator catching a slow one).
 */
import { quorumMatchIndex } from "./quorum.js";
import type { NodeId, RaftConfig } from "./types.js";

/** The assumed bound on how much faster one node's clock may tick than another's. */
export const DEFAULT_MAX_CLOCK_DRIFT_RATIO = 0.1;

/** No acknowledged heartbeat: below any tick a heartbeat can carry. */
const NEVER = -Infinity;

/** How many of its own ticks after sending a heartbeat round the leader may lean on it. */
export function leaseTicksOf(config: Pick<RaftConfig, "electionTicks" | "maxClockDriftRatio">): number {
  const ratio = config.maxClockDriftRatio ?? DEFAULT_MAX_CLOCK_DRIFT_RATIO;
  return Math.floor((config.electionTicks - 1) / (1 + ratio));
}

export class LeaderLease {
  /** Per voter: the latest send tick it echoed in this term of leadership. */
  private readonly echoedSendTick = new Map<NodeId, number>();
  private forfeited = false;

  constructor(private readonly options: { selfId: NodeId; leaseTicks: number }) {}

  /** A new role or term: nothing acknowledged, nothing forfeited. */
  reset(): void {
    this.echoedSendTick.clear();
    this.forfeited = false;
  }

  /** `from` answered a heartbeat this leader sent at `sentTick`; `nowTick` is the leader's clock. */
  onEcho(from: NodeId, sentTick: number, nowTick: number): void {
    if (sentTick > nowTick) return; // not a tick of ours: never extend a lease on it
    if (sentTick > (this.echoedSendTick.get(from) ?? NEVER)) this.echoedSendTick.set(from, sentTick);
  }

  /**
   * A leadership transfer began: its target campaigns without waiting out anybody's lease
   * and may win at once. The lease stays forfeited for the rest of the term, because the
   * transfer's timeoutNow may still be in flight after the transfer is given up.
   */
  forfeit(): void {
    this.forfeited = true;
  }

  /** Whether, at the leader's tick `nowTick`, no other leader can have been elected. */
  holds(nowTick: number, voters: readonly NodeId[]): boolean {
    if (this.forfeited) return false;
    const { selfId, leaseTicks } = this.options;
    const quorumSendTick = quorumMatchIndex(voters, (id) => (id === selfId ? nowTick : (this.echoedSendTick.get(id) ?? NEVER)));
    return nowTick < quorumSendTick + leaseTicks;
  }
}
