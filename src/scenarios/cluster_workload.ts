/**
 * The write load of the cluster fault tests: ioredis clients spread over the members,
 * each running lanes that SET unique keys and INCR one counter, recording every
 * acknowledged write. A write that fails (its node is down, cut off, or answered "no
 * leader" / "outcome is unknown") is not recorded; the lane pauses briefly and goes on
 * with a new key, so the load keeps running through failovers.
 *
 * The check at the end (`checkState`): every acknowledged SET holds its value, and the
 * counter is at least the highest INCR acknowledged and at most the INCRs attempted
 * (one whose outcome is unknown may or may not have been applied).
 */
import assert from "node:assert/strict";
import { Redis } from "ioredis";

/** A failed lane waits this long before its next write (a retry pace, not a wait for a condition). */
const RETRY_PAUSE_MS = 20;
/** Every this many writes of a lane is an INCR; the rest are SETs. */
const INCR_EVERY = 5;
/** Distinct failure messages kept for the report. */
const FAILURE_MESSAGES_KEPT = 20;
export const COUNTER_KEY = "counter";

export interface WorkloadOptions {
  /** RESP ports to connect to; one client each. */
  ports: number[];
  lanesPerClient: number;
  /** Distinguishes this workload's keys from other workloads'. */
  name: string;
  /** Bytes of padding in each value. */
  valuePaddingBytes?: number;
}

export class Workload {
  readonly acknowledged = new Map<string, string>();
  highestCount = 0;
  incrAttempts = 0;
  acks = 0;
  failures = 0;
  /** The first few distinct failure messages, for reports. */
  readonly failureMessages = new Set<string>();
  private stopping = false;
  private readonly clients: Redis[];
  private readonly lanes: Array<Promise<void>>;

  constructor(private readonly options: WorkloadOptions) {
    this.clients = options.ports.map((port) => {
      const client = new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => 50 });
      client.on("error", () => undefined);
      return client;
    });
    this.lanes = this.clients.flatMap((client, clientIndex) =>
      Array.from({ length: options.lanesPerClient }, (_, lane) => this.runLane(client, `${options.name}:c${clientIndex}:l${lane}`)),
    );
  }

  /** Stops the lanes (each finishes its write in flight) and disconnects. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.lanes);
    for (const client of this.clients) client.disconnect();
  }

  private async runLane(client: Redis, lane: string): Promise<void> {
    const padding = "x".repeat(this.options.valuePaddingBytes ?? 16);
    for (let sequence = 0; !this.stopping; sequence++) {
      try {
        if (sequence % INCR_EVERY === INCR_EVERY - 1) {
          this.incrAttempts += 1;
          this.highestCount = Math.max(this.highestCount, await client.incr(COUNTER_KEY));
        } else {
          const key = `${lane}:${sequence}`;
          const value = `${key}:${padding}`;
          await client.set(key, value);
          this.acknowledged.set(key, value);
        }
        this.acks += 1;
      } catch (error) {
        this.failures += 1;
        if (this.failureMessages.size < FAILURE_MESSAGES_KEPT) this.failureMessages.add(error instanceof Error ? error.message : String(error));
        await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS));
      }
    }
  }
}

/** Asserts that `state` (one member's own keyspace) holds every write `workloads` acknowledged. */
export function checkState(state: Map<string, unknown>, workloads: Workload[], context: string): void {
  let highestCount = 0;
  let incrAttempts = 0;
  for (const workload of workloads) {
    for (const [key, value] of workload.acknowledged) assert.equal(state.get(key), value, `${context}: acknowledged SET ${key} lost`);
    highestCount = Math.max(highestCount, workload.highestCount);
    incrAttempts += workload.incrAttempts;
  }
  const counter = Number(state.get(COUNTER_KEY) ?? 0);
  assert.ok(counter >= highestCount, `${context}: counter ${counter} < highest acknowledged INCR ${highestCount}`);
  assert.ok(counter <= incrAttempts, `${context}: counter ${counter} > INCRs attempted ${incrAttempts}`);
}
