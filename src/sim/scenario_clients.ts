/**
 * Clients for hand-written scenarios on a NodeCluster (node_cluster.ts): each sends one
 * command at a time to a node of its choosing through the real command path, and every
 * operation goes into a history for the linearizability checker, as node_run.ts records
 * its random clients' operations.
 */
import { checkPerKey } from "../check/linearizability.js";
import { describeError } from "../lib/errors.js";
import type { Reply } from "../engine/reply.js";
import type { NodeId } from "../raft/types.js";
import type { NodeCluster } from "./node_cluster.js";
import { kvModel, resultOf, type KvCommand, type Operation } from "./node_run.js";

/** Virtual ms per step of a scenario. */
export const STEP_MS = 10;
/** A client gives up on an answer after this long: its operation's outcome is unknown. */
const CLIENT_TIMEOUT_MS = 3_000;

interface Outstanding {
  operation: Operation;
  deadline: number;
}

export class ScenarioClients {
  readonly history: Operation[] = [];
  /** Operations answered, per client. */
  readonly completed = new Map<number, number>();
  private readonly outstanding = new Map<number, Outstanding>();
  private eventTime = 0;

  constructor(private readonly cluster: NodeCluster) {}

  isBusy(client: number): boolean {
    return this.outstanding.has(client);
  }

  completedBy(client: number): number {
    return this.completed.get(client) ?? 0;
  }

  /** Client `client` sends `command` to node `node` (false: the node is down, nothing was sent). */
  send(client: number, node: NodeId, command: KvCommand): boolean {
    const argv = command.kind === "get" ? ["GET", command.key] : [command.kind.toUpperCase(), command.key, command.value];
    const answer = this.cluster.execute(node, argv);
    if (answer === null) return false;
    const entry: Outstanding = {
      operation: { client, command, invokedAt: ++this.eventTime, completedAt: Infinity, result: undefined },
      deadline: this.cluster.now + CLIENT_TIMEOUT_MS,
    };
    this.outstanding.set(client, entry);
    if (answer instanceof Promise) answer.then((reply) => this.answer(client, entry, reply), (error: unknown) => this.answer(client, entry, { type: "error", text: describeError(error) }));
    else this.answer(client, entry, answer);
    return true;
  }

  /** Runs the cluster `ms` virtual ms on; clients that waited too long give up. */
  async run(ms: number): Promise<void> {
    const until = this.cluster.now + ms;
    while (this.cluster.now < until && this.cluster.failure === null) {
      await this.cluster.runUntil(Math.min(until, this.cluster.now + STEP_MS));
      for (const [client, entry] of this.outstanding) {
        if (entry.deadline > this.cluster.now) continue;
        this.outstanding.delete(client);
        if (entry.operation.command.kind !== "get") this.history.push(entry.operation);
      }
    }
  }

  /** Runs until `done` holds or `ms` virtual ms passed; whether it held. */
  async runUntil(done: () => boolean, ms: number): Promise<boolean> {
    const until = this.cluster.now + ms;
    while (!done() && this.cluster.now < until && this.cluster.failure === null) await this.run(STEP_MS);
    return done();
  }

  /** Whether the history so far is linearizable ("unknown": the search ran out of budget). */
  linearizable(): boolean | "unknown" {
    let verdict: boolean | "unknown" = true;
    for (const { outcome } of checkPerKey(kvModel, this.history, { keyOf: (command) => command.key, maxSteps: 2_000_000 })) {
      if (outcome.verdict === "not-linearizable") return false;
      if (outcome.verdict === "unknown") verdict = "unknown";
    }
    return verdict;
  }

  private answer(client: number, entry: Outstanding, reply: Reply): void {
    if (this.outstanding.get(client) !== entry) return; // it gave up already
    this.outstanding.delete(client);
    const result = resultOf(reply);
    if (result === undefined) {
      // An error: a write may still take effect, a read tells nothing.
      if (entry.operation.command.kind !== "get") this.history.push(entry.operation);
      return;
    }
    entry.operation.completedAt = ++this.eventTime;
    entry.operation.result = result;
    this.completed.set(client, this.completedBy(client) + 1);
    this.history.push(entry.operation);
  }
}
