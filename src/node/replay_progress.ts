/**
 * What a node says while it replays its WAL at start: a progress bar on a terminal, a log
 * line every few seconds otherwise, and the replay rate at the end.
 *
 * The bytes read are all the WAL tells; after the last one the node still applies the
 * entries to the state machine (and, alone, elects itself), which can take seconds. So
 * the bar stops at 99% saying "applying entries", and shows 100% only in finish(), once
 * the node is ready: 100% means replay is over.
 */
import { realClock, type Clock } from "../lib/environment.js";
import type { Logger } from "../lib/log.js";
import { formatBytes } from "../lib/units.js";

const LOG_LINE_INTERVAL_MS = 2000;
const BAR_WIDTH = 30;
/** What the bar says once every byte is read and the entries are being applied. */
const APPLYING = ": applying entries";
/** The most update() shows: 100% is for finish(). */
const PERCENT_BEFORE_FINISH = 99;

function percentOf(bytesRead: number, bytesTotal: number): number {
  const fraction = bytesTotal > 0 ? Math.min(1, bytesRead / bytesTotal) : 1;
  return Math.min(PERCENT_BEFORE_FINISH, Math.floor(fraction * 100));
}

/** One state of the bar; `stage` is padded so that a shorter line leaves nothing behind. */
function barLine(percent: number, bytesTotal: number, stage: string): string {
  const filled = Math.round((percent / 100) * BAR_WIDTH);
  return `\rreplaying WAL [${"#".repeat(filled)}${".".repeat(BAR_WIDTH - filled)}] ${String(percent).padStart(3)}% of ${formatBytes(bytesTotal)}${stage.padEnd(APPLYING.length)}`;
}

export interface ReplayProgress {
  update(progress: { bytesRead: number; bytesTotal: number }): void;
  finish(summary: { entries: number; keys: number; elapsedMs: number }): void;
}

export function createReplayProgress(options: {
  log: Logger;
  terminal: NodeJS.WriteStream | null;
  /** Times the replay (the real monotonic clock unless given: the simulator's virtual one). */
  clock?: Pick<Clock, "monotonicMs">;
}): ReplayProgress {
  const clock = options.clock ?? realClock;
  const startedMs = clock.monotonicMs();
  let lastReportMs = startedMs;
  let drewBar = false;
  let lastTotal = 0;
  return {
    update({ bytesRead, bytesTotal }) {
      lastTotal = bytesTotal;
      const nowMs = clock.monotonicMs();
      const percent = percentOf(bytesRead, bytesTotal);
      const reading = bytesRead < bytesTotal;
      if (options.terminal !== null) {
        options.terminal.write(barLine(percent, bytesTotal, reading ? "" : APPLYING));
        drewBar = true;
      } else if (nowMs - lastReportMs >= LOG_LINE_INTERVAL_MS) {
        const stage = reading ? "" : "; applying entries";
        options.log.info({ bytesRead, bytesTotal }, `replaying WAL: ${formatBytes(bytesRead)} of ${formatBytes(bytesTotal)} (${percent}%)${stage}`);
        lastReportMs = nowMs;
      }
    },
    finish({ entries, keys, elapsedMs }) {
      if (drewBar) options.terminal?.write(`${barLine(100, lastTotal, "")}\n`);
      const seconds = Math.max(elapsedMs, 1) / 1000;
      options.log.info(
        { entries, keys, durationMs: Math.round(elapsedMs) },
        `replayed ${entries} WAL entries in ${elapsedMs.toFixed(0)} ms ` +
          `(${Math.round(entries / seconds)} entries/s); ${keys} keys loaded (${Math.round(keys / seconds)} keys/s)`,
      );
    },
  };
}
