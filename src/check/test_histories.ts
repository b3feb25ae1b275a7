/**
 * Shorthands for writing recorded histories by hand in the checkers' tests:
 * ok(client, command, from, to, result), unknown(...), failed(...); and tiny random
 * histories, linearizable or not, for comparing the checkers with brute force.
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

const SMALL_VALUES = ["1", "2"];

/**
 * `size` operations on key "x", one client each, at random times in [0, 12), a quarter of
 * them unknown, with results drawn at random from a tiny set (so often impossible).
 */
export function randomSmallHistory(random: () => number, size: number): RecordedOperation[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  return Array.from({ length: size }, (_, index) => {
    const command = pick<OperationCommand>([read(), write(pick(SMALL_VALUES)), cas(pick([null, ...SMALL_VALUES]), pick(SMALL_VALUES)), incr()]);
    const invokedAtMs = Math.floor(random() * 8);
    const completedAtMs = invokedAtMs + Math.floor(random() * 5);
    if (random() < 0.25) return unknown(index, command, invokedAtMs, completedAtMs);
    const result = command.kind === "cas" ? pick(["true", "false"]) : command.kind === "write" ? null : pick([null, ...SMALL_VALUES, "3"]);
    return ok(index, command, invokedAtMs, completedAtMs, result);
  });
}
