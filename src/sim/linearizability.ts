/**
 * A linearizability checker for the simulated clients' key-value histories: Wing & Gong's
 * search with Lowe's memoization, as Porcupine does it.
 *
 * A history is a list of operations, each with the time it was invoked, the time it
 * completed and its result. An operation whose outcome is unknown (the client gave up
 * waiting) completes at +Infinity with any result: it may have taken effect at any point
 * after its invocation, or never. Unknown reads are dropped first, since they change
 * nothing and constrain nothing.
 *
 * Every KV operation touches one key, and a history is linearizable iff each key's
 * sub-history is (linearizability is local), so the search runs per key.
 *
 * The search walks the events (invocations and completions) in time order, keeping the
 * operations linearized so far as a bit set. At an invocation it tries to linearize that
 * operation now: apply it to the model and, if the result matches and the pair (bit set,
 * model state) was never seen before, commit to it and move on. At a completion of an
 * operation not yet linearized, no order is possible from here, so it backtracks to the
 * last choice. The cache of seen (bit set, state) pairs is what keeps the search from
 * exploring the same situation twice.
 */
import { assert } from "../lib/assert.js";
import { applyCommand, type KvCommand, type KvResult } from "./kv.js";

export interface Operation {
  client: number;
  command: KvCommand;
  invokedAt: number;
  /** +Infinity when the outcome is unknown. */
  completedAt: number;
  /** undefined when the outcome is unknown. */
  result: KvResult | undefined;
}

export type LinearizabilityVerdict =
  | { linearizable: true }
  | { linearizable: false; key: string; operations: Operation[] }
  /** The search hit its step budget: neither proved nor refuted. */
  | { linearizable: "unknown"; key: string };

/** Bounds the work per key; a history that needs more is reported "unknown". */
export const MAX_SEARCH_STEPS_PER_KEY = 2_000_000;

export function checkLinearizability(history: readonly Operation[]): LinearizabilityVerdict {
  const byKey = new Map<string, Operation[]>();
  for (const operation of history) {
    if (operation.result === undefined && operation.command.kind === "get") continue;
    assert(operation.completedAt >= operation.invokedAt, "an operation cannot complete before it was invoked");
    const operations = byKey.get(operation.command.key) ?? [];
    operations.push(operation);
    byKey.set(operation.command.key, operations);
  }
  let undecided: LinearizabilityVerdict | null = null;
  for (const [key, operations] of [...byKey].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) {
    const outcome = searchKey(operations);
    if (outcome === false) return { linearizable: false, key, operations };
    if (outcome === "unknown") undecided = { linearizable: "unknown", key };
  }
  return undecided ?? { linearizable: true };
}

/** One invocation or completion in the doubly linked event list. */
interface Event {
  operation: number;
  isCall: boolean;
  time: number;
  /** For a call: its completion event. */
  match: Event | null;
  previous: Event | null;
  next: Event | null;
}

function searchKey(operations: readonly Operation[]): boolean | "unknown" {
  const head = buildEventList(operations);
  const seen = new Map<bigint, Set<string | null>>();
  const choices: { call: Event; value: string | null }[] = [];
  let linearized = 0n;
  let value: string | null = null;
  let event = head.next;
  for (let steps = 0; head.next !== null; steps++) {
    if (steps > MAX_SEARCH_STEPS_PER_KEY) return "unknown";
    assert(event !== null, "the event list ended before every operation completed");
    if (event.isCall) {
      const operation = operations[event.operation] as Operation;
      const step = applyCommand(value, operation.command);
      const accepted = operation.result === undefined || operation.result === step.result;
      const bit = 1n << BigInt(event.operation);
      if (accepted && remember(seen, linearized | bit, step.value)) {
        choices.push({ call: event, value });
        linearized |= bit;
        value = step.value;
        lift(event);
        event = head.next;
      } else {
        event = event.next;
      }
      continue;
    }
    // A completion of an operation not linearized yet: undo the last choice.
    const choice = choices.pop();
    if (choice === undefined) return false;
    unlift(choice.call);
    linearized &= ~(1n << BigInt(choice.call.operation));
    value = choice.value;
    event = choice.call.next;
  }
  return true;
}

function remember(seen: Map<bigint, Set<string | null>>, linearized: bigint, value: string | null): boolean {
  let values = seen.get(linearized);
  if (values === undefined) {
    values = new Set();
    seen.set(linearized, values);
  }
  if (values.has(value)) return false;
  values.add(value);
  return true;
}

/** Events sorted by time, calls before completions at equal times, behind a sentinel head. */
function buildEventList(operations: readonly Operation[]): Event {
  const events: Event[] = [];
  operations.forEach((operation, index) => {
    const completion: Event = { operation: index, isCall: false, time: operation.completedAt, match: null, previous: null, next: null };
    events.push({ operation: index, isCall: true, time: operation.invokedAt, match: completion, previous: null, next: null }, completion);
  });
  events.sort((x, y) => x.time - y.time || (x.isCall === y.isCall ? 0 : x.isCall ? -1 : 1) || x.operation - y.operation);
  const head: Event = { operation: -1, isCall: false, time: -Infinity, match: null, previous: null, next: null };
  let last = head;
  for (const event of events) {
    last.next = event;
    event.previous = last;
    last = event;
  }
  return head;
}

/** Takes a call and its completion out of the list. */
function lift(call: Event): void {
  unlink(call);
  assert(call.match !== null, "a call has a completion");
  unlink(call.match);
}

/** Puts back what lift() took out (in reverse order, so the links are restored exactly). */
function unlift(call: Event): void {
  assert(call.match !== null, "a call has a completion");
  relink(call.match);
  relink(call);
}

function unlink(event: Event): void {
  if (event.previous !== null) event.previous.next = event.next;
  if (event.next !== null) event.next.previous = event.previous;
}

function relink(event: Event): void {
  if (event.previous !== null) event.previous.next = event;
  if (event.next !== null) event.next.previous = event;
}
