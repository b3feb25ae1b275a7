/**
 * Random histories that are linearizable by construction, for the checkers' tests: clients
 * issue operations on one key with random durations; each operation takes effect at a
 * random instant inside its interval, and an ordinary sequential map (not the checker's
 * model) applied in the order of those instants gives the results. Some operations end
 * "unknown" (taking effect or not, at random) and some "failed" (not taking effect).
 *
 * Values are small integers written as decimal strings, so INCR, SET and CAS mix freely.
 */
import type { OperationCommand, RecordedOperation } from "./history.js";
import { seededRandom } from "../lib/seeded_random.js";

export interface RandomHistoryOptions {
  seed: number;
  operations: number;
  clients: number;
  key?: string;
  /** Probability that an operation's outcome is unknown (then applied with probability 1/2). */
  unknownRate?: number;
  /** Probability that an operation fails (and is not applied). */
  failedRate?: number;
  /** The commands to draw from; all four by default. */
  kinds?: readonly OperationCommand["kind"][];
}

interface Pending {
  operation: RecordedOperation;
  takesEffectAtMs: number;
  applied: boolean;
}

export function randomLinearizableHistory(options: RandomHistoryOptions): RecordedOperation[] {
  const random = seededRandom(options.seed);
  const key = options.key ?? "k";
  const kinds = options.kinds ?? ["read", "write", "cas", "incr"];
  const pending: Pending[] = [];
  const clock = Array.from({ length: options.clients }, () => random() * 3);
  for (let index = 0; index < options.operations; index++) {
    const client = Math.floor(random() * options.clients);
    const invokedAtMs = (clock[client] as number) + random() * 3;
    const completedAtMs = invokedAtMs + 0.1 + random() * 10;
    clock[client] = completedAtMs;
    const roll = random();
    const outcome = roll < (options.unknownRate ?? 0) ? "unknown" : roll < (options.unknownRate ?? 0) + (options.failedRate ?? 0) ? "failed" : "ok";
    const command = randomCommand(random, key, kinds[Math.floor(random() * kinds.length)] as OperationCommand["kind"]);
    const operation: RecordedOperation = { client, node: 1 + (client % 3), protocol: "resp", command, invokedAtMs, completedAtMs, outcome, result: null };
    if (outcome !== "ok") operation.error = outcome === "unknown" ? "timed out" : "refused";
    const applied = outcome === "ok" || (outcome === "unknown" && random() < 0.5);
    pending.push({ operation, takesEffectAtMs: invokedAtMs + random() * (completedAtMs - invokedAtMs), applied });
  }
  applyInOrder(pending);
  return pending.map((entry) => entry.operation);
}

function randomCommand(random: () => number, key: string, kind: OperationCommand["kind"]): OperationCommand {
  const value = String(Math.floor(random() * 6));
  switch (kind) {
    case "read":
      return { kind, key };
    case "write":
      return { kind, key, value };
    case "cas":
      return { kind, key, expected: random() < 0.2 ? null : String(Math.floor(random() * 6)), value };
    case "incr":
      return { kind, key };
  }
}

/** Runs the applied operations through a plain map in the order they took effect. */
function applyInOrder(pending: Pending[]): void {
  const store = new Map<string, string>();
  const byEffect = pending.filter((entry) => entry.applied).sort((x, y) => x.takesEffectAtMs - y.takesEffectAtMs);
  for (const { operation } of byEffect) {
    const command = operation.command;
    const current = store.get(command.key) ?? null;
    let result: string | null = null;
    if (command.kind === "read") result = current;
    if (command.kind === "write") store.set(command.key, command.value);
    if (command.kind === "cas") {
      result = String(current === command.expected);
      if (current === command.expected) store.set(command.key, command.value);
    }
    if (command.kind === "incr") {
      result = String(Number(current ?? "0") + 1);
      store.set(command.key, result);
    }
    if (operation.outcome === "ok") operation.result = result;
  }
}
