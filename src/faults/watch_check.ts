/**
 * The check of what the campaign's watchers saw (watchers.ts) against the campaign's own
 * history of operations (clients.ts) and the nodes' final states:
 *
 *  1. Order: each watcher's changes have strictly increasing indices (every campaign
 *     write is one entry changing one key), across all its reconnects.
 *  2. One log: two watchers that saw the same index saw the same change.
 *  3. Only committed writes: every change is a put of a key a client wrote, with a value
 *     a write or a compare-and-set that did not fail carried (for a counter, a value no
 *     higher than the increments that did not fail), never one whose write failed.
 *  4. Exactly once: no watcher saw a register value twice (every write's value is unique),
 *     and each counter's values come 1, 2, 3, ... with none skipped or repeated.
 *  5. Nothing committed missed: every acknowledged write, compare-and-set answered true,
 *     and increment (its result) was seen by every watcher, unless that watcher skipped
 *     the change's index in a compacted gap (the index known from another watcher; for a
 *     change no watcher saw, the range real time leaves it: after the seen changes
 *     acknowledged before it was sent, before those sent after it was acknowledged).
 *     Writes of unknown outcome may appear (at most once, by 4) or not.
 *  6. The end: for a watcher without gaps, each key's last change holds the value the
 *     nodes end with.
 *
 * Changes inside a watcher's gap are not expected of it; 4's counter sequence restarts
 * after a gap. The verdict lists every violation, with the watcher and the change.
 */
import type { RecordedOperation } from "../check/history.js";
import type { SeenChange, WatcherLog } from "./watchers.js";

export interface WatchJudgement {
  /** One line per violation; empty: the watchers saw the log as it committed. */
  problems: string[];
  /** What was checked, for the report. */
  summary: string;
}

/** Keep the report readable: at most this many lines per kind of violation. */
const PROBLEMS_PER_KIND_MAX = 10;

interface WriteRecord {
  outcome: "ok" | "failed" | "unknown";
  invokedAtMs: number;
  completedAtMs: number;
}

export function checkWatchers(operations: readonly RecordedOperation[], watchers: readonly WatcherLog[], finalState: Map<string, string> | null): WatchJudgement {
  const problems = new ProblemList();
  const registerWrites = new Map<string, WriteRecord>(); // "key\0value" → the write that carried it
  const counterIncrements = new Map<string, { notFailed: number }>();
  const keys = new Set<string>();
  for (const operation of operations) {
    const command = operation.command;
    keys.add(command.key);
    if (command.kind === "write" || command.kind === "cas") {
      const outcome = command.kind === "cas" && operation.outcome === "ok" && operation.result !== "true" ? "failed" : operation.outcome;
      registerWrites.set(`${command.key}\0${command.value}`, { outcome, invokedAtMs: operation.invokedAtMs, completedAtMs: operation.completedAtMs });
    } else if (command.kind === "incr") {
      const counter = counterIncrements.get(command.key) ?? { notFailed: 0 };
      if (operation.outcome !== "failed") counter.notFailed += 1;
      // An acknowledged INCR is expected as its result, like a write as its value.
      if (operation.outcome === "ok" && operation.result !== null) {
        registerWrites.set(`${command.key}\0${operation.result}`, { outcome: "ok", invokedAtMs: operation.invokedAtMs, completedAtMs: operation.completedAtMs });
      }
      counterIncrements.set(command.key, counter);
    }
  }

  const byIndex = new Map<number, { change: SeenChange; watcher: string }>();
  for (const watcher of watchers) {
    for (const line of watcher.malformed) problems.add("malformed", `${watcher.name}: ${line}`);
    checkOneWatcher(watcher, { registerWrites, counterIncrements, keys }, problems);
    for (const change of watcher.changes) {
      const other = byIndex.get(change.index);
      if (other === undefined) byIndex.set(change.index, { change, watcher: watcher.name });
      else if (other.change.key !== change.key || other.change.value !== change.value || other.change.type !== change.type) {
        problems.add("disagree", `index ${change.index}: ${other.watcher} saw ${describe(other.change)}, ${watcher.name} saw ${describe(change)}`);
      }
    }
  }

  // 5. Nothing committed missed.
  const indexOfChange = new Map<string, number>();
  for (const { change } of byIndex.values()) indexOfChange.set(`${change.key}\0${change.value}`, change.index);
  let excused = 0;
  const expected: string[] = [];
  // Acknowledged writes, true CASes and INCR results (registerWrites holds each under key and value).
  for (const [keyValue, write] of registerWrites) if (write.outcome === "ok") expected.push(keyValue);
  for (const watcher of watchers) {
    const seen = new Set(watcher.changes.map((change) => `${change.key}\0${change.value}`));
    for (const keyValue of expected) {
      if (seen.has(keyValue)) continue;
      const index = indexOfChange.get(keyValue);
      // Seen by none: its index lies between changes real time orders around it.
      const [low, high] = index === undefined ? indexBounds(registerWrites.get(keyValue), byIndex, registerWrites) : [index - 1, index + 1];
      if (watcher.gaps.some((gap) => gap.from < high && gap.to > low)) excused += 1;
      else problems.add("missed", `${watcher.name} never saw acknowledged ${keyValue.replace("\0", " = ")}${index === undefined ? ` (no watcher did; its index is in (${low}, ${high}))` : ` (index ${index})`}`);
    }
  }

  // 6. The end state, by each watcher that skipped nothing.
  if (finalState !== null) {
    for (const watcher of watchers.filter((candidate) => candidate.gaps.length === 0)) {
      const last = new Map<string, SeenChange>();
      for (const change of watcher.changes) last.set(change.key, change);
      for (const [key, value] of finalState) {
        if (!keys.has(key)) continue;
        const change = last.get(key);
        if (change === undefined) problems.add("final", `${key} ends as ${value} but ${watcher.name} never saw it written`);
        else if (change.value !== value) problems.add("final", `${key} ends as ${value} but the last change ${watcher.name} saw (index ${change.index}) put ${change.value}`);
      }
    }
  }

  const changes = watchers.map((watcher) => `${watcher.name} ${watcher.changes.length} changes, ${watcher.reconnects} reconnects, ${watcher.compactedAnswers} compacted, ${watcher.gaps.length} gaps`).join("; ");
  return { problems: problems.lines(), summary: `watchers: ${changes}; ${expected.length} acknowledged writes expected of each${excused > 0 ? `, ${excused} excused by compacted gaps` : ""}` };
}

/**
 * Where a change no watcher saw must be in the log: after every seen change whose write
 * was acknowledged before this write was invoked, and before every seen change whose
 * write was invoked after this one was acknowledged (the log's order respects real time).
 * An open interval (low, high) of indices.
 */
function indexBounds(write: WriteRecord | undefined, byIndex: Map<number, { change: SeenChange }>, writes: Map<string, WriteRecord>): [number, number] {
  let low = 0;
  let high = Number.POSITIVE_INFINITY;
  if (write === undefined) return [low, high];
  for (const { change } of byIndex.values()) {
    const other = writes.get(`${change.key}\0${change.value}`);
    if (other === undefined) continue;
    if (other.outcome === "ok" && other.completedAtMs < write.invokedAtMs) low = Math.max(low, change.index);
    if (other.invokedAtMs > write.completedAtMs) high = Math.min(high, change.index);
  }
  return [low, high];
}

function checkOneWatcher(
  watcher: WatcherLog,
  history: { registerWrites: Map<string, WriteRecord>; counterIncrements: Map<string, { notFailed: number }>; keys: Set<string> },
  problems: ProblemList,
): void {
  const seenRegisterValues = new Set<string>();
  const counterNext = new Map<string, number>();
  let previous = 0;
  for (const change of watcher.changes) {
    const where = `${watcher.name}, index ${change.index}`;
    // 1. Order (a gap restarts the counters' sequences: changes in it were never sent).
    if (!(change.index > previous)) problems.add("order", `${where}: after index ${previous}`);
    if (watcher.gaps.some((gap) => previous < gap.from && gap.to < change.index)) counterNext.clear();
    previous = change.index;
    // 3. Only committed writes, 4. exactly once.
    if (change.type !== "put" || change.value === null) {
      problems.add("kind", `${where}: ${describe(change)}, but the campaign only puts string values`);
      continue;
    }
    if (!history.keys.has(change.key)) {
      problems.add("unknown", `${where}: ${describe(change)} of a key no client wrote`);
      continue;
    }
    const counter = history.counterIncrements.get(change.key);
    if (counter !== undefined) {
      const value = Number(change.value);
      // A watcher starts at index 1: a counter's first change is 1, unless a gap came first.
      const expected = counterNext.get(change.key) ?? (watcher.gaps.some((gap) => gap.from <= change.index) ? undefined : 1);
      if (expected !== undefined && value !== expected) problems.add("once", `${where}: counter ${change.key} went to ${value}, expected ${expected} (an increment repeated or skipped)`);
      if (!(value >= 1 && value <= counter.notFailed)) problems.add("uncommitted", `${where}: counter ${change.key} = ${change.value}, but only ${counter.notFailed} increments did not fail`);
      counterNext.set(change.key, value + 1);
      continue;
    }
    const keyValue = `${change.key}\0${change.value}`;
    const write = history.registerWrites.get(keyValue);
    if (write === undefined) problems.add("uncommitted", `${where}: ${describe(change)}, a value no client wrote`);
    else if (write.outcome === "failed") problems.add("uncommitted", `${where}: ${describe(change)}, whose write failed`);
    if (seenRegisterValues.has(keyValue)) problems.add("once", `${where}: ${describe(change)} seen a second time`);
    seenRegisterValues.add(keyValue);
  }
}

function describe(change: SeenChange): string {
  return `${change.type} ${change.key}${change.value === null ? "" : ` = ${change.value}`}`;
}

/** Violations by kind, each kind capped (with a count of the rest). */
class ProblemList {
  private readonly byKind = new Map<string, string[]>();
  private readonly extra = new Map<string, number>();

  add(kind: string, line: string): void {
    const lines = this.byKind.get(kind) ?? [];
    if (lines.length < PROBLEMS_PER_KIND_MAX) lines.push(line);
    else this.extra.set(kind, (this.extra.get(kind) ?? 0) + 1);
    this.byKind.set(kind, lines);
  }

  lines(): string[] {
    return [...this.byKind].flatMap(([kind, lines]) => {
      const more = this.extra.get(kind);
      return more === undefined ? lines : [...lines, `... and ${more} more (${kind})`];
    });
  }
}
