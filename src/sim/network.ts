/**
 * The simulated network and the virtual clock it runs on. Time is an integer count of
 * abstract time units; nothing happens between units. Every message sent gets a delivery
 * time from the seeded Random, so delay, loss, duplication and reordering all replay.
 *
 * Faults:
 *  - delay: uniform in [minDelay, maxDelay] units; with `reorderProbability` a message is
 *    held back up to `reorderExtraDelay` more units, overtaking later messages.
 *  - loss and duplication: per message, decided at send time.
 *  - partitions: `partition([[1, 2], [3, 4, 5]])` splits the nodes into groups that cannot
 *    reach each other (a node in no group is alone); `isolate(node)` cuts one node off;
 *    `blockLink(from, to)` cuts one direction only. Reachability is checked at delivery time, so a partition also
 *    swallows messages already in flight.
 *
 * Envelopes due at the same time are delivered in send order, so with minDelay ==
 * maxDelay and no reordering the network is FIFO per link.
 */
import { assert } from "../lib/assert.js";
import { MinHeap } from "./heap.js";
import type { Random } from "../lib/seeded_random.js";

export type Address = number;

export interface NetworkFaults {
  minDelay: number;
  maxDelay: number;
  dropProbability: number;
  duplicateProbability: number;
  reorderProbability: number;
  reorderExtraDelay: number;
}

/** Every message arrives one unit later, once, in order. */
export const RELIABLE_NETWORK: NetworkFaults = {
  minDelay: 1,
  maxDelay: 1,
  dropProbability: 0,
  duplicateProbability: 0,
  reorderProbability: 0,
  reorderExtraDelay: 0,
};

/** The MIT lab's unreliable network: a tenth of messages lost, some late, some twice. */
export const UNRELIABLE_NETWORK: NetworkFaults = {
  minDelay: 1,
  maxDelay: 4,
  dropProbability: 0.1,
  duplicateProbability: 0.05,
  reorderProbability: 0.1,
  reorderExtraDelay: 20,
};

export interface Envelope<Payload> {
  from: Address;
  to: Address;
  payload: Payload;
  sentAt: number;
  deliverAt: number;
  /** Send order; breaks ties between envelopes due at the same time. */
  sequence: number;
  /** A local report (not a network message): never lost, ignores partitions. */
  local: boolean;
}

export interface NetworkStats {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  /** Lost because the link was down when the envelope arrived. */
  partitioned: number;
}

export class Network<Payload> {
  private time = 0;
  private sequence = 0;
  private readonly queue = new MinHeap<Envelope<Payload>>((x, y) => x.deliverAt - y.deliverAt || x.sequence - y.sequence);
  private groupOf = new Map<Address, number>();
  private partitioned = false;
  private readonly isolated = new Set<Address>();
  private readonly blockedLinks = new Set<string>();
  readonly stats: NetworkStats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, partitioned: 0 };

  constructor(
    private readonly random: Random,
    public faults: NetworkFaults = RELIABLE_NETWORK,
  ) {}

  get now(): number {
    return this.time;
  }

  /** Moves the clock to `time`; envelopes due by then become available to takeDue(). */
  advanceTo(time: number): void {
    assert(time >= this.time, `the clock cannot go back from ${this.time} to ${time}`);
    this.time = time;
  }

  /** Sends `payload`, subject to every fault. Returns false when it was lost at once. */
  send(from: Address, to: Address, payload: Payload): boolean {
    this.stats.sent++;
    if (this.random.chance(this.faults.dropProbability)) {
      this.stats.dropped++;
      return false;
    }
    this.enqueue({ from, to, payload, local: false, delay: this.randomDelay() });
    if (this.random.chance(this.faults.duplicateProbability)) {
      this.stats.duplicated++;
      this.enqueue({ from, to, payload, local: false, delay: this.randomDelay() });
    }
    return true;
  }

  /** Schedules a local report to `to` after `delay` units: no faults, no partitions. */
  sendLocal(from: Address, to: Address, payload: Payload, delay: number): void {
    this.enqueue({ from, to, payload, local: true, delay });
  }

  /** Removes and returns every envelope due by now that its link lets through. */
  takeDue(): Envelope<Payload>[] {
    return this.takeDueAndLost().delivered;
  }

  /** Removes every envelope due by now: those delivered, and those a partition swallowed. */
  takeDueAndLost(): { delivered: Envelope<Payload>[]; lost: Envelope<Payload>[] } {
    const delivered: Envelope<Payload>[] = [];
    const lost: Envelope<Payload>[] = [];
    for (let next = this.queue.peek(); next !== undefined && next.deliverAt <= this.time; next = this.queue.peek()) {
      this.queue.pop();
      if (!next.local && !this.canReach(next.from, next.to)) {
        this.stats.partitioned++;
        lost.push(next);
        continue;
      }
      if (!next.local) this.stats.delivered++;
      delivered.push(next);
    }
    return { delivered, lost };
  }

  /** The earliest time something is due, or undefined when nothing is in flight. */
  nextDeliveryTime(): number | undefined {
    return this.queue.peek()?.deliverAt;
  }

  get inFlight(): number {
    return this.queue.size;
  }

  /** Splits the network into groups; a node listed in no group can reach nobody. */
  partition(groups: readonly (readonly Address[])[]): void {
    this.groupOf = new Map();
    groups.forEach((group, index) => {
      for (const address of group) {
        assert(!this.groupOf.has(address), `node ${address} is in two partition groups`);
        this.groupOf.set(address, index);
      }
    });
    this.partitioned = true;
  }

  /** Cuts `address` off from everybody until reconnect() or heal(). */
  isolate(address: Address): void {
    this.isolated.add(address);
  }

  /** Undoes isolate(): `address` reaches whatever its partition group reaches. */
  reconnect(address: Address): void {
    this.isolated.delete(address);
  }

  /** Cuts the link in one direction: `from` can no longer reach `to`. */
  blockLink(from: Address, to: Address): void {
    this.blockedLinks.add(linkKey(from, to));
  }

  unblockLink(from: Address, to: Address): void {
    this.blockedLinks.delete(linkKey(from, to));
  }

  /** Removes every partition, isolation and blocked link. */
  heal(): void {
    this.groupOf = new Map();
    this.partitioned = false;
    this.isolated.clear();
    this.blockedLinks.clear();
  }

  canReach(from: Address, to: Address): boolean {
    if (this.blockedLinks.has(linkKey(from, to))) return false;
    if (this.isolated.has(from) || this.isolated.has(to)) return false;
    if (!this.partitioned) return true;
    const fromGroup = this.groupOf.get(from);
    return fromGroup !== undefined && fromGroup === this.groupOf.get(to);
  }

  private randomDelay(): number {
    let delay = this.random.between(this.faults.minDelay, this.faults.maxDelay);
    if (this.faults.reorderProbability > 0 && this.random.chance(this.faults.reorderProbability)) {
      delay += this.random.between(1, Math.max(1, this.faults.reorderExtraDelay));
    }
    return delay;
  }

  private enqueue(options: { from: Address; to: Address; payload: Payload; local: boolean; delay: number }): void {
    assert(options.delay >= 0, `a delay cannot be negative, got ${options.delay}`);
    this.queue.push({
      from: options.from,
      to: options.to,
      payload: options.payload,
      sentAt: this.time,
      deliverAt: this.time + options.delay,
      sequence: this.sequence++,
      local: options.local,
    });
  }
}

function linkKey(from: Address, to: Address): string {
  return `${from}>${to}`;
}
