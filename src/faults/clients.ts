/**
 * The campaign's clients: each one a sequential process (one operation at a time, as a
 * Jepsen client) that picks an operation and a node at random (seeded), performs it over
 * RESP or HTTP with a per-operation timeout, and records it with its invocation and
 * completion times (performance.now()) and its outcome in a shared HistoryRecorder.
 *
 * Clients go on through every fault: a node that is down refuses the connection (the
 * operation failed, nothing was sent), a paused or cut-off one does not answer (unknown
 * for a write, failed for a read). After an operation without an "ok", a client waits
 * RETRY_PAUSE_MS so that a dead node does not turn into a busy loop.
 */
import { performance } from "node:perf_hooks";
import type { RecordedFault, RecordedHistory, RecordedOperation } from "../check/history.js";
import { Random } from "../lib/seeded_random.js";
import { HttpProtocolClient, RespProtocolClient, type NodePorts, type ProtocolClient } from "./protocols.js";
import { KeySpace, OperationPicker } from "./workload.js";

/** Pause after an operation that did not succeed (a retry pace, not a wait for a condition). */
const RETRY_PAUSE_MS = 50;

/** Every operation and fault of one campaign, in the order they completed. */
export class HistoryRecorder {
  readonly operations: RecordedOperation[] = [];
  readonly faults: RecordedFault[] = [];

  now(): number {
    return performance.now();
  }

  history(): RecordedHistory {
    return { operations: [...this.operations], faults: [...this.faults] };
  }
}

export interface ClientsOptions {
  count: number;
  keys: number;
  seed: number;
  /** Node id → where it answers. */
  nodes: Map<number, NodePorts>;
  operationTimeoutMs: number;
  recorder: HistoryRecorder;
  /** The canary: HTTP reads are stale reads, which the checker must catch under faults. */
  staleReads: boolean;
}

/** `count` clients, even ones on RESP and odd ones on HTTP, running until stop(). */
export class CampaignClients {
  private stopping = false;
  private readonly running: Array<Promise<void>>;

  constructor(private readonly options: ClientsOptions) {
    const registers = new KeySpace(options.keys, "k");
    const counters = new KeySpace(Math.max(1, Math.ceil(options.keys / 3)), "c");
    this.running = Array.from({ length: options.count }, (_, client) => this.run(client, registers, counters));
  }

  /** Lets every client finish its operation in flight, then closes their connections. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.running);
  }

  private async run(client: number, registers: KeySpace, counters: KeySpace): Promise<void> {
    const { nodes, operationTimeoutMs, recorder } = this.options;
    const random = new Random((this.options.seed + client * 7919) >>> 0);
    const protocol = client % 2 === 0 ? "resp" : "http";
    const connection: ProtocolClient = protocol === "resp" ? new RespProtocolClient() : new HttpProtocolClient(this.options.staleReads);
    const picker = new OperationPicker({ client, registers, counters, random, incrAllowed: protocol === "resp" });
    const nodeIds = [...nodes.keys()];
    try {
      while (!this.stopping) {
        const node = random.pick(nodeIds);
        const command = picker.next();
        const invokedAtMs = recorder.now();
        const answer = await connection.perform(nodes.get(node) as NodePorts, command, operationTimeoutMs);
        const completedAtMs = recorder.now();
        const { outcome, result, error } = answer;
        recorder.operations.push({ client, node, protocol, command, invokedAtMs, completedAtMs, outcome, result, ...(error === undefined ? {} : { error }) });
        if (answer.outcome === "ok") picker.saw(command, answer.result);
        else await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS));
      }
    } finally {
      connection.close();
    }
  }
}
