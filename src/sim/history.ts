/**
 * The clients' view of a simulation: every operation they invoked, with when it was invoked,
 * when it completed and what it answered, for the linearizability checker.
 *
 * Times are a counter bumped at every event, not the virtual clock, so that two events in
 * the same time unit are still ordered the way they happened. A client has at most one
 * operation outstanding (each carries the client's next sequence number).
 */
import { assert } from "../lib/assert.js";
import type { KvCommand, KvRequest, KvResult } from "./kv.js";
import type { Operation } from "./linearizability.js";

interface Outstanding {
  operation: Operation;
  sequence: number;
  deadline: number;
}

export interface HistoryStats {
  invoked: number;
  completed: number;
  unknown: number;
  discarded: number;
}

export class ClientHistory {
  private eventTime = 0;
  private readonly operations: Operation[] = [];
  private readonly outstanding = new Map<number, Outstanding>();
  private readonly nextSequence = new Map<number, number>();
  private readonly completedByClient = new Map<number, number>();
  readonly stats: HistoryStats = { invoked: 0, completed: 0, unknown: 0, discarded: 0 };

  isBusy(client: number): boolean {
    return this.outstanding.has(client);
  }

  /** Records an invocation; the client waits until `deadline` (virtual time) at most. */
  invoke(options: { client: number; command: KvCommand; deadline: number }): KvRequest {
    assert(!this.outstanding.has(options.client), `client ${options.client} already has an operation outstanding`);
    const sequence = (this.nextSequence.get(options.client) ?? 0) + 1;
    this.nextSequence.set(options.client, sequence);
    const operation: Operation = { client: options.client, command: options.command, invokedAt: ++this.eventTime, completedAt: Infinity, result: undefined };
    this.outstanding.set(options.client, { operation, sequence, deadline: options.deadline });
    this.stats.invoked++;
    return { client: options.client, sequence, command: options.command };
  }

  /** The answer to (client, sequence) arrived; a late or repeated answer is ignored. */
  complete(client: number, sequence: number, result: KvResult): boolean {
    const waiting = this.outstanding.get(client);
    if (waiting === undefined || waiting.sequence !== sequence) return false;
    waiting.operation.completedAt = ++this.eventTime;
    waiting.operation.result = result;
    this.operations.push(waiting.operation);
    this.outstanding.delete(client);
    this.stats.completed++;
    this.completedByClient.set(client, (this.completedByClient.get(client) ?? 0) + 1);
    return true;
  }

  /** Operations of `client` that completed with a known result. */
  completedCount(client: number): number {
    return this.completedByClient.get(client) ?? 0;
  }

  /** The operation certainly never took effect (refused before reaching any log): forget it. */
  discard(client: number): void {
    assert(this.outstanding.delete(client), `client ${client} has nothing to discard`);
    this.stats.discarded++;
  }

  /** Gives up on operations past their deadline: their outcome stays unknown. */
  expire(now: number): void {
    for (const [client, waiting] of this.outstanding) {
      if (waiting.deadline > now) continue;
      this.outstanding.delete(client);
      this.operations.push(waiting.operation);
      this.stats.unknown++;
    }
  }

  /** Every finished operation plus the ones still outstanding (as unknown). */
  all(): Operation[] {
    return [...this.operations, ...[...this.outstanding.values()].map((waiting) => waiting.operation)];
  }
}
