/**
 * Refuses a recorded history the checkers cannot judge: a bad recording is the runner's
 * input error, reported as a WalnutError naming the operation, not a verdict about walnut.
 * Checked: times are finite and an operation completes no earlier than it was invoked;
 * an ok operation's result has the type history.ts gives its command.
 */
import { WalnutError } from "../lib/errors.js";
import type { RecordedHistory, RecordedOperation } from "./history.js";

export function validateHistory(history: RecordedHistory): void {
  history.operations.forEach((operation, index) => {
    const problem = operationProblem(operation);
    if (problem !== null) throw new WalnutError("BAD_ARGUMENT", `Cannot check history: operation ${index} (client ${operation.client}) ${problem}`);
  });
  history.faults.forEach((fault, index) => {
    if (!Number.isFinite(fault.startedAtMs) || !(fault.endedAtMs >= fault.startedAtMs)) {
      throw new WalnutError("BAD_ARGUMENT", `Cannot check history: fault ${index} (${fault.kind}) ends at ${fault.endedAtMs} ms, before it started at ${fault.startedAtMs} ms`);
    }
  });
}

function operationProblem(operation: RecordedOperation): string | null {
  if (!Number.isFinite(operation.invokedAtMs) || !Number.isFinite(operation.completedAtMs)) {
    return `has a time that is not a finite number (${operation.invokedAtMs} to ${operation.completedAtMs})`;
  }
  if (operation.completedAtMs < operation.invokedAtMs) return `completed at ${operation.completedAtMs} ms, before it was invoked at ${operation.invokedAtMs} ms`;
  if (operation.outcome !== "ok") return null;
  const result = operation.result;
  switch (operation.command.kind) {
    case "read":
    case "write":
      return result === null || typeof result === "string" ? null : `answered ${String(result)}, not a string or null`;
    case "cas":
      return result === "true" || result === "false" ? null : `is a CAS that answered ${JSON.stringify(result)}, not "true" or "false"`;
    case "incr":
      return typeof result === "string" ? null : `is an INCR that answered ${JSON.stringify(result)}, not a decimal string`;
  }
}
