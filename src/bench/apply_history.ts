/**
 * `node dist/bench/apply_history.js [sets]`: what the watch history (engine/change_history.ts,
 * change_capture.ts) adds to applying a SET. Entries are encoded and decoded up front;
 * only applyEntry() is timed, in CPU time (process.cpuUsage), over `sets` SETs of fresh
 * string values on KEYS keys, after a warm-up that fills the window, so that each SET
 * also evicts one change as it does on a busy node.
 *
 * Two configurations: the default window (--watch-history 100 000 changes), and a window
 * of 0 changes (every change captured and dropped at once: the cost of capturing alone).
 * The median of ROUNDS rounds, in µs per SET. Compare two builds in the same session;
 * on a shared machine the absolute figures move with the load, the difference less.
 */
import { Engine } from "../engine/engine.js";
import { HISTORY_BOUNDS_DEFAULT, type HistoryBounds } from "../engine/change_history.js";
import { applyEntry } from "../commands/apply.js";
import { decodeEntry, encodeEntry, type EntryPayload } from "../node/entry.js";
import { NOW_MS } from "../commands/testing.js";
import { DEFAULT_COLLECTION } from "../engine/engine.js";
import { cpuMicros, median } from "./measure.js";

const SETS_DEFAULT = 200_000;
const ROUNDS = 5;
const KEYS = 10_000;

function setEntries(count: number, salt: number): EntryPayload[] {
  const entries: EntryPayload[] = [];
  for (let n = 0; n < count; n++) {
    const payload: EntryPayload = {
      type: "command",
      nowMs: NOW_MS,
      clientId: "",
      requestId: 0,
      call: { collection: DEFAULT_COLLECTION, argv: ["SET", `key:${n % KEYS}`, `value-${salt}-${n}`] },
    };
    entries.push(decodeEntry(encodeEntry(payload)));
  }
  return entries;
}

function applyAll(engine: Engine, entries: EntryPayload[]): void {
  for (const entry of entries) applyEntry(engine, engine.appliedIndex + 1, 1, entry);
}

/** µs of CPU per SET, median of ROUNDS rounds, with the window at `bounds`. */
function measure(bounds: HistoryBounds, sets: number): number {
  const engine = new Engine();
  engine.history.setBounds(bounds);
  applyAll(engine, setEntries(Math.max(bounds.maxChanges, KEYS) + KEYS, 0));
  const perSet: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const entries = setEntries(sets, round);
    const started = cpuMicros();
    applyAll(engine, entries);
    perSet.push((cpuMicros() - started) / sets);
  }
  return median(perSet);
}

function main(): void {
  const sets = Number(process.argv[2] ?? SETS_DEFAULT);
  const windowed = measure(HISTORY_BOUNDS_DEFAULT, sets);
  const captureOnly = measure({ ...HISTORY_BOUNDS_DEFAULT, maxChanges: 0 }, sets);
  process.stdout.write(`SET apply, µs of CPU (median of ${ROUNDS} rounds of ${sets}):\n`);
  process.stdout.write(`  window of ${HISTORY_BOUNDS_DEFAULT.maxChanges} changes: ${windowed.toFixed(2)}\n`);
  process.stdout.write(`  window of 0 changes (capture only): ${captureOnly.toFixed(2)}\n`);
}

main();
