/**
 * Shrinks one key's non-linearizable history to a small sub-history that still fails, for
 * a person to read. Every reduction used is sound: if the smaller history is not
 * linearizable, neither is the larger one, so the anomaly shown is real and not made by
 * the shrinking. (Dropping operations at random is not sound: drop the write a read saw
 * and the read fails alone. So is dropping a client's tail, when it holds such a write.)
 *
 * The reductions, each kept only when the result still fails:
 *   1. Cut the end at time T: drop operations invoked after T, and relax the ones that
 *      completed after T to "unknown". Sound: every operation that completed by T is
 *      linearized before every dropped one, and the relaxed ones can go last.
 *   2. Cut the beginning at time T: drop operations that completed before T, relax the
 *      ones invoked before T to "unknown", and start from an unknown value (ANY_VALUE in
 *      register_model.ts). Sound: the value after the last dropped operation is some value.
 *   3. Drop read-only operations: reads, and CASes that answered "false". Sound: they do
 *      not change the value, so a linearization of the larger history minus them is one
 *      of the smaller.
 *   4. Drop a write or CAS whose value no remaining operation observes (no read returned
 *      it, no CAS expected it), while the history holds no INCR and no CAS that answered
 *      "false". Sound: after such a write, until the next write, only operations that do
 *      not care about its value ran (an unknown CAS expecting something else can take its
 *      failing branch either way), so removing it changes no result that is checked.
 * Steps 1 and 2 binary-search the time; 3 and 4 remove chunks of halving size, then single
 * operations, and repeat while anything changes. The work is bounded by a number of search
 * steps; when it runs out, the history shrunk so far is returned (it fails).
 */
import type { RecordedOperation } from "./history.js";
import { toModelOperation } from "./key_histories.js";
import { searchLinearization } from "./linearizability.js";
import { ANY_VALUE, registerModel } from "./register_model.js";

/** Search steps one candidate may take; one that needs more counts as not failing. */
export const SHRINK_STEPS_PER_CHECK = 200_000;
/** Search steps the whole shrinking of one key may take. */
export const SHRINK_STEPS_TOTAL = 20_000_000;
/** Rounds of steps 3 and 4 before giving up on reaching a fixed point. */
const MAX_DROP_ROUNDS = 8;

export interface FailingSubHistory {
  key: string;
  /**
   * The sub-history in invocation order. A relaxed operation has outcome "unknown",
   * result null and an error saying it was relaxed; the rest are as recorded.
   */
  operations: RecordedOperation[];
  /** True when the beginning was cut: the key's value before the first operation is not assumed. */
  initialValueUnknown: boolean;
  /** The operation (index into `operations`) the search could not place, or null. */
  stuckOperation: number | null;
  /** How many operations the key's history had. */
  originalOperations: number;
  /** False when the step budget ran out before no reduction applied. */
  complete: boolean;
}

export interface ShrinkOptions {
  stepsPerCheck?: number;
  stepsTotal?: number;
}

/** A candidate: operations, and whether the key's value before them is assumed absent. */
export interface SubHistory {
  operations: RecordedOperation[];
  initialValueUnknown: boolean;
}

type Candidate = SubHistory;

class Shrinker {
  private stepsLeft: number;
  /** Where the search got stuck, for each candidate found failing. */
  private readonly stuckOperations = new WeakMap<Candidate, number>();
  exhausted = false;

  constructor(private readonly options: Required<ShrinkOptions>) {
    this.stepsLeft = options.stepsTotal;
  }

  /** True when `candidate` is certainly not linearizable (within `maxSteps`, by default one check's share). */
  fails(candidate: Candidate, maxSteps = this.options.stepsPerCheck): boolean {
    if (this.stepsLeft <= 0) {
      this.exhausted = true;
      return false;
    }
    const model = registerModel(candidate.initialValueUnknown ? ANY_VALUE : null);
    const outcome = searchLinearization(model, candidate.operations.map(toModelOperation), { maxSteps: Math.min(maxSteps, this.stepsLeft) });
    this.stepsLeft -= outcome.steps;
    if (outcome.verdict === "unknown") this.exhausted ||= this.stepsLeft <= 0 || maxSteps > this.options.stepsPerCheck;
    if (outcome.verdict !== "not-linearizable") return false;
    this.stuckOperations.set(candidate, outcome.stuckOperation);
    return true;
  }

  stuckOperation(candidate: Candidate): number | null {
    return this.stuckOperations.get(candidate) ?? null;
  }
}

/**
 * Shrinks `operations` (one key's history, which is not linearizable; failed operations
 * are left out) to a small sub-history that is still not linearizable. The first check,
 * of the whole history, may use the whole budget.
 */
export function shrinkFailingHistory(key: string, operations: readonly RecordedOperation[], options: ShrinkOptions = {}): FailingSubHistory {
  const stepsTotal = options.stepsTotal ?? SHRINK_STEPS_TOTAL;
  const shrinker = new Shrinker({ stepsPerCheck: options.stepsPerCheck ?? SHRINK_STEPS_PER_CHECK, stepsTotal });
  const sorted = [...operations].sort((x, y) => x.invokedAtMs - y.invokedAtMs);
  let candidate: Candidate = { operations: withoutUnknownReads(sorted.filter((operation) => operation.outcome !== "failed")), initialValueUnknown: false };
  if (shrinker.fails(candidate, stepsTotal)) {
    candidate = cutEnd(shrinker, candidate);
    candidate = cutBeginning(shrinker, candidate);
    for (let round = 0; round < MAX_DROP_ROUNDS; round++) {
      const before = candidate.operations.length;
      candidate = dropWhile(shrinker, candidate, isDroppableReader);
      candidate = dropWhile(shrinker, candidate, isDroppableWriter);
      if (candidate.operations.length === before) break;
    }
  }
  return {
    key,
    ...candidate,
    stuckOperation: shrinker.stuckOperation(candidate),
    originalOperations: operations.length,
    complete: !shrinker.exhausted,
  };
}

function withoutUnknownReads(operations: RecordedOperation[]): RecordedOperation[] {
  return operations.filter((operation) => operation.outcome !== "unknown" || operation.command.kind !== "read");
}

function relax(operation: RecordedOperation, why: string): RecordedOperation {
  if (operation.outcome !== "ok") return operation;
  const answered = operation.result === null ? "null" : JSON.stringify(operation.result);
  return { ...operation, outcome: "unknown", result: null, error: `relaxed by the shrinker (${why}); it answered ${answered}` };
}

/** Reduction 1 at time `endMs`. */
export function endingAt(candidate: Candidate, endMs: number): Candidate {
  const kept = candidate.operations
    .filter((operation) => operation.invokedAtMs <= endMs)
    .map((operation) => (operation.completedAtMs > endMs ? relax(operation, "completed after the cut") : operation));
  return { operations: withoutUnknownReads(kept), initialValueUnknown: candidate.initialValueUnknown };
}

/** Reduction 2 at time `startMs`. */
export function startingAt(candidate: Candidate, startMs: number): Candidate {
  const kept = candidate.operations
    .filter((operation) => operation.outcome === "unknown" || operation.completedAtMs >= startMs)
    .map((operation) => (operation.invokedAtMs < startMs ? relax(operation, "invoked before the cut") : operation));
  return { operations: withoutUnknownReads(kept), initialValueUnknown: true };
}

function cutEnd(shrinker: Shrinker, candidate: Candidate): Candidate {
  const times = distinctSorted(candidate.operations.filter((operation) => operation.outcome === "ok").map((operation) => operation.completedAtMs));
  // The smallest cut that still fails; the whole candidate fails, so search below it.
  let best = candidate;
  let low = 0;
  let high = times.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const cut = endingAt(candidate, times[middle] as number);
    if (shrinker.fails(cut)) {
      best = cut;
      high = middle - 1;
    } else {
      low = middle + 1;
    }
  }
  return best;
}

function cutBeginning(shrinker: Shrinker, candidate: Candidate): Candidate {
  const times = distinctSorted(candidate.operations.map((operation) => operation.invokedAtMs));
  // The latest cut that still fails.
  let best = candidate;
  let low = 1;
  let high = times.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const cut = startingAt(candidate, times[middle] as number);
    if (shrinker.fails(cut)) {
      best = cut;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return best;
}

function distinctSorted(times: number[]): number[] {
  return [...new Set(times)].sort((x, y) => x - y);
}

type Droppable = (operations: readonly RecordedOperation[], index: number) => boolean;

/** Reduction 3's operations. */
export function isDroppableReader(operations: readonly RecordedOperation[], index: number): boolean {
  const operation = operations[index] as RecordedOperation;
  return operation.command.kind === "read" || (operation.command.kind === "cas" && operation.outcome === "ok" && operation.result === "false");
}

/** Reduction 4's operations. */
export function isDroppableWriter(operations: readonly RecordedOperation[], index: number): boolean {
  const operation = operations[index] as RecordedOperation;
  const command = operation.command;
  if (command.kind !== "write" && command.kind !== "cas") return false;
  if (command.kind === "cas" && operation.outcome === "ok" && operation.result === "false") return false;
  return operations.every((other, otherIndex) => {
    if (other.command.kind === "incr") return false;
    if (other.command.kind === "cas" && other.outcome === "ok" && other.result === "false") return false;
    if (otherIndex === index) return true;
    if (other.command.kind === "read") return !(other.outcome === "ok" && other.result === command.value);
    return other.command.kind !== "cas" || other.command.expected !== command.value;
  });
}

/** Reductions 3 and 4: drops chunks of `droppable` operations, halving the chunk size. */
function dropWhile(shrinker: Shrinker, candidate: Candidate, droppable: Droppable): Candidate {
  let current = candidate;
  let chunkSize = Math.ceil(droppableIndexes(current, droppable).length / 2);
  while (chunkSize >= 1 && !shrinker.exhausted) {
    let dropped = false;
    let indexes = droppableIndexes(current, droppable);
    for (let start = 0; start < indexes.length && !shrinker.exhausted; start += chunkSize) {
      const chunk = new Set(indexes.slice(start, start + chunkSize));
      const smaller: Candidate = { ...current, operations: current.operations.filter((_, index) => !chunk.has(index)) };
      if (!shrinker.fails(smaller)) continue;
      current = smaller;
      dropped = true;
      indexes = droppableIndexes(current, droppable);
      start -= chunkSize;
    }
    if (!dropped) chunkSize = chunkSize === 1 ? 0 : Math.ceil(chunkSize / 2);
  }
  return current;
}

function droppableIndexes(candidate: Candidate, droppable: Droppable): number[] {
  const indexes: number[] = [];
  candidate.operations.forEach((_, index) => {
    if (droppable(candidate.operations, index)) indexes.push(index);
  });
  return indexes;
}
