/**
 * Shorthands for writing recorded histories by hand in the checkers' tests:
 * ok(client, command, from, to, result), unknown(...), failed(...).
 */
import type { OperationCommand, RecordedOperation } from "./history.js";

export const read = (key = "x"): OperationCommand => ({ kind: "read", key });
export const write = (value: string, key = "x"): OperationCommand => ({ kind: "write", key, value });
export const cas = (expected: string | null, value: string, key = "x"): OperationCommand => ({ kind: "cas", key, expected, value });
export const incr = (key = "x"): OperationCommand => ({ kind: "incr", key });

export function ok(client: number, command: OperationCommand, invokedAtMs: number, completedAtMs: number, result: string | null = null): RecordedOperation {
  return { client, node: 1, protocol: "resp", command, invokedAtMs, completedAtMs, outcome: "ok", result };
}

export function unknown(client: number, command: OperationCommand, invokedAtMs: number, gaveUpAtMs: number): RecordedOperation {
  return { client, node: 1, protocol: "resp", command, invokedAtMs, completedAtMs: gaveUpAtMs, outcome: "unknown", result: null, error: "timed out" };
}

export function failed(client: number, command: OperationCommand, invokedAtMs: number, completedAtMs: number): RecordedOperation {
  return { client, node: 1, protocol: "resp", command, invokedAtMs, completedAtMs, outcome: "failed", result: null, error: "refused" };
}
