/**
 * What a node says while it replays its WAL at start: a progress bar on a terminal, a log
 * line every few seconds otherwise, and the replay rate at the end.
 */
import type { Logger } from "../lib/log.js";
import { formatBytes } from "../lib/units.js";

const LOG_LINE_INTERVAL_MS = 2000;
const BAR_WIDTH = 30;

export interface ReplayProgress {
  update(progress: { bytesRead: number; bytesTotal: number }): void;
  finish(summary: { entries: number; keys: number; elapsedMs: number }): void;
}

export function createReplayProgress(options: {
  log: Logger;
  terminal: NodeJS.WriteStream | null;
}): ReplayProgress {
  const startedMs = performance.now();
  let lastReportMs = startedMs;
  let drewBar = false;
  return {
    update({ bytesRead, bytesTotal }) {
      const nowMs = performance.now();
      const fraction = bytesTotal > 0 ? Math.min(1, bytesRead / bytesTotal) : 1;
      if (options.terminal !== null) {
        const filled = Math.round(fraction * BAR_WIDTH);
        const bar = `${"#".repeat(filled)}${".".repeat(BAR_WIDTH - filled)}`;
        options.terminal.write(`\rreplaying WAL [${bar}] ${(fraction * 100).toFixed(0)}% of ${formatBytes(bytesTotal)}`);
        drewBar = true;
      } else if (nowMs - lastReportMs >= LOG_LINE_INTERVAL_MS) {
        const percent = (fraction * 100).toFixed(0);
        options.log.info({ bytesRead, bytesTotal }, `replaying WAL: ${formatBytes(bytesRead)} of ${formatBytes(bytesTotal)} (${percent}%)`);
        lastReportMs = nowMs;
      }
    },
    finish({ entries, keys, elapsedMs }) {
      if (drewBar) options.terminal?.write("\n");
      const seconds = Math.max(elapsedMs, 1) / 1000;
      options.log.info(
        { entries, keys, durationMs: Math.round(elapsedMs) },
        `replayed ${entries} WAL entries in ${elapsedMs.toFixed(0)} ms ` +
          `(${Math.round(entries / seconds)} entries/s); ${keys} keys loaded (${Math.round(keys / seconds)} keys/s)`,
      );
    },
  };
}
