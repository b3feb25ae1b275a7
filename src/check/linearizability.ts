/**
 * A linearizability checker over any sequential model: Wing & Gong's search with Lowe's
 * memoization, as Porcupine does it. The simulator (src/sim/node_run.ts) and the fault
 * campaign (src/check/report.ts) both use it, each with its own model.
 *
 * A history is a list of operations, each with the time it was invoked, the time it
 * completed and its result. An operation whose outcome is unknown (the client gave up
 * waiting) completes at +Infinity with any result: it may take effect at any point after
 * its invocation, or never (it can always be placed last). Unknown operations that the
 * model says change nothing (reads) are dropped first: they constrain nothing.
 *
 * The search walks the events (invocations and completions) in time order, keeping the
 * operations linearized so far as a set. At an invocation it tries to linearize that
 * operation now: ask the model which states the operation can lead to given the result it
 * answered and, for the first (set, state) pair never seen before, commit to it and start
 * again from the first remaining event. At a completion of an operation not linearized
 * yet, no order is possible from here, so it undoes the last choice and retries that
 * operation (a nondeterministic model may offer another state), then moves on. The cache
 * of seen (set, state) pairs keeps the search from exploring one situation twice.
 *
 * Two prunings keep many concurrent reads and many unknown operations from multiplying the
 * orders to try. A read (a read-only command with a known result) that fits where the walk
 * finds it is placed there for good: reads change nothing, so if any order works from
 * here, the same order with the read moved to this point works too; when backtracking
 * reaches such a read, the search undoes it and keeps backtracking. And two unknown operations
 * with equal commands ("twins", e.g. INCRs that timed out) are interchangeable once both
 * were invoked, so the search linearizes twins only in invocation order. Any order that
 * places the later twin first becomes a valid order of this kind by swapping the two: the
 * earlier one was invoked first, so it may take the later one's place, and neither has a
 * completion or a result to respect. On random counter histories of 200 INCRs and reads
 * from 10 clients with half the INCRs unknown, the search took 110,000 to 210,000 steps
 * with this rule and ran out of 2,000,000 without it. (Counters with thousands of
 * operations and many unknown INCRs can still exhaust the budget: counter_check.ts
 * judges those keys by their bounds.)
 *
 * Linearizability is local: a history is linearizable iff each object's sub-history is,
 * so checkPerKey() splits the history by key and searches each part alone.
 */
import { assert } from "../lib/assert.js";
import { ExploredCache, OperationSet, type StateKey } from "./operation_set.js";

export type { StateKey } from "./operation_set.js";

/** A sequential specification of one object. */
export interface Model<State, Command, Result> {
  /** The state before the first operation. */
  readonly initialState: State;
  /**
   * The states `command` can lead to from `state` when it answered `result` (undefined:
   * the answer is unknown, so any answer goes); empty when that answer is impossible.
   * A deterministic model returns at most one state.
   */
  step(state: State, command: Command, result: Result | undefined): readonly State[];
  /** Equal (===) for states that behave the same: the memo cache's key. */
  stateKey(state: State): StateKey;
  /** True for commands that never change the state: unknown ones are dropped. */
  isReadOnly(command: Command): boolean;
  /** Equal (===) for equal commands: finds the twins among unknown operations (see the top). */
  commandKey(command: Command): StateKey;
}

export interface ModelOperation<Command, Result> {
  client: number;
  command: Command;
  invokedAt: number;
  /** +Infinity when the outcome is unknown. */
  completedAt: number;
  /** undefined when the outcome is unknown. */
  result: Result | undefined;
}

/** Indexes are into the operations given to searchLinearization(). */
export type SearchOutcome =
  | { verdict: "linearizable"; order: number[]; steps: number }
  | {
      verdict: "not-linearizable";
      /** The longest sequence of operations the search could linearize, in order. */
      longestPrefix: number[];
      /** The operation that had completed, at the end of that sequence, without a place in it. */
      stuckOperation: number;
      steps: number;
    }
  /** The search hit its step budget: neither proved nor refuted. */
  | { verdict: "unknown"; steps: number };

/** Bounds the work of one search; a history that needs more is reported "unknown". */
export const DEFAULT_MAX_SEARCH_STEPS = 2_000_000;

export interface SearchOptions {
  maxSteps?: number;
}

/** Decides whether `operations` (all on one object) are linearizable with respect to `model`. */
export function searchLinearization<State, Command, Result>(
  model: Model<State, Command, Result>,
  operations: readonly ModelOperation<Command, Result>[],
  options: SearchOptions = {},
): SearchOutcome {
  const kept: number[] = [];
  operations.forEach((operation, index) => {
    assert(operation.completedAt >= operation.invokedAt, "an operation cannot complete before it was invoked");
    if (operation.result === undefined && model.isReadOnly(operation.command)) return;
    kept.push(index);
  });
  // Renumbered by invocation time: see OperationSet for why.
  kept.sort((x, y) => (operations[x] as ModelOperation<Command, Result>).invokedAt - (operations[y] as ModelOperation<Command, Result>).invokedAt || x - y);
  const outcome = search(model, kept.map((index) => operations[index] as ModelOperation<Command, Result>), options.maxSteps ?? DEFAULT_MAX_SEARCH_STEPS);
  const original = (position: number): number => kept[position] as number;
  switch (outcome.verdict) {
    case "linearizable":
      return { ...outcome, order: outcome.order.map(original) };
    case "not-linearizable":
      return { ...outcome, longestPrefix: outcome.longestPrefix.map(original), stuckOperation: original(outcome.stuckOperation) };
    case "unknown":
      return outcome;
  }
}

export interface KeyOutcome<Command, Result> {
  key: string;
  /** The key's operations, in the order of the input; the outcome's indexes point here. */
  operations: ModelOperation<Command, Result>[];
  outcome: SearchOutcome;
}

/** Splits the history by `keyOf` and searches each key alone; results sorted by key. */
export function checkPerKey<State, Command, Result>(
  model: Model<State, Command, Result>,
  operations: readonly ModelOperation<Command, Result>[],
  options: SearchOptions & { keyOf: (command: Command) => string },
): KeyOutcome<Command, Result>[] {
  const byKey = new Map<string, ModelOperation<Command, Result>[]>();
  for (const operation of operations) {
    const key = options.keyOf(operation.command);
    const keyOperations = byKey.get(key) ?? [];
    keyOperations.push(operation);
    byKey.set(key, keyOperations);
  }
  const keys = [...byKey.keys()].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  return keys.map((key) => {
    const keyOperations = byKey.get(key) as ModelOperation<Command, Result>[];
    return { key, operations: keyOperations, outcome: searchLinearization(model, keyOperations, options) };
  });
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

interface Choice<State> {
  call: Event;
  /** The state before the operation was linearized. */
  state: State;
  /** A read that fit where it was placed: never a choice worth revisiting (see the top). */
  forced: boolean;
}

/** The search proper, over operations numbered by invocation time. */
function search<State, Command, Result>(
  model: Model<State, Command, Result>,
  operations: readonly ModelOperation<Command, Result>[],
  maxSteps: number,
): SearchOutcome {
  const head = buildEventList(operations);
  const earlierTwin = earlierTwins(model, operations);
  const isKnownRead = operations.map((operation) => operation.result !== undefined && model.isReadOnly(operation.command));
  const linearized = new OperationSet(operations.length);
  const explored = new ExploredCache();
  const choices: Choice<State>[] = [];
  let deepest: { longestPrefix: number[]; stuckOperation: number } | null = null;
  let state = model.initialState;
  let event = head.next;
  let steps = 0;
  for (; head.next !== null; steps++) {
    if (steps >= maxSteps) return { verdict: "unknown", steps };
    assert(event !== null, "the event list ended before every operation completed");
    if (event.isCall) {
      const operation = operations[event.operation] as ModelOperation<Command, Result>;
      const twin = earlierTwin[event.operation] as number;
      const states = twin !== -1 && !linearized.has(twin) ? [] : model.step(state, operation.command, operation.result);
      const next = firstUnexplored(model, explored, linearized, event.operation, states);
      if (next === null) {
        event = event.next;
        continue;
      }
      const forced = isKnownRead[event.operation] === true && model.stateKey(next.state) === model.stateKey(state);
      choices.push({ call: event, state, forced });
      state = next.state;
      lift(event);
      event = head.next;
      continue;
    }
    // A completion of an operation not linearized yet: undo the last choice, then retry it.
    if (deepest === null || choices.length > deepest.longestPrefix.length) {
      deepest = { longestPrefix: choices.map((choice) => choice.call.operation), stuckOperation: event.operation };
    }
    let choice = choices.pop();
    while (choice?.forced === true) {
      unlift(choice.call);
      linearized.toggle(choice.call.operation);
      choice = choices.pop();
    }
    if (choice === undefined) {
      assert(deepest !== null, "a refuted history has a deepest attempt");
      return { verdict: "not-linearizable", ...deepest, steps };
    }
    unlift(choice.call);
    linearized.toggle(choice.call.operation);
    state = choice.state;
    event = choice.call;
  }
  return { verdict: "linearizable", order: choices.map((choice) => choice.call.operation), steps };
}

/** For each unknown operation, the latest earlier unknown one with an equal command, or -1. */
function earlierTwins<State, Command, Result>(model: Model<State, Command, Result>, operations: readonly ModelOperation<Command, Result>[]): Int32Array {
  const twins = new Int32Array(operations.length).fill(-1);
  const latestByCommand = new Map<StateKey, number>();
  operations.forEach((operation, index) => {
    if (operation.result !== undefined) return;
    const key = model.commandKey(operation.command);
    twins[index] = latestByCommand.get(key) ?? -1;
    latestByCommand.set(key, index);
  });
  return twins;
}

/**
 * Adds `operation` to the set and returns the first of `states` not explored with that set;
 * when every one was, leaves the set as it was and returns null.
 */
function firstUnexplored<State>(
  model: { stateKey(state: State): StateKey },
  explored: ExploredCache,
  linearized: OperationSet,
  operation: number,
  states: readonly State[],
): { state: State } | null {
  if (states.length === 0) return null;
  linearized.toggle(operation);
  for (const state of states) if (explored.remember(linearized, model.stateKey(state))) return { state };
  linearized.toggle(operation);
  return null;
}

/** Events sorted by time, calls before completions at equal times, behind a sentinel head. */
function buildEventList<Command, Result>(operations: readonly ModelOperation<Command, Result>[]): Event {
  const events: Event[] = [];
  operations.forEach((operation, index) => {
    const completion: Event = { operation: index, isCall: false, time: operation.completedAt, match: null, previous: null, next: null };
    events.push({ operation: index, isCall: true, time: operation.invokedAt, match: completion, previous: null, next: null }, completion);
  });
  events.sort((x, y) => compareTimes(x.time, y.time) || (x.isCall === y.isCall ? 0 : x.isCall ? -1 : 1) || x.operation - y.operation);
  const head: Event = { operation: -1, isCall: false, time: -Infinity, match: null, previous: null, next: null };
  let last = head;
  for (const event of events) {
    last.next = event;
    event.previous = last;
    last = event;
  }
  return head;
}

/** Like x - y, but two infinite completions compare equal instead of giving NaN. */
function compareTimes(x: number, y: number): number {
  return x === y ? 0 : x < y ? -1 : 1;
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
