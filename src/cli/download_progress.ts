/**
 * How far a download has come, on stderr: a bar redrawn in place on a terminal, or one log
 * line per tenth of the file otherwise (a pipe or a log file gets no carriage returns).
 */
import { formatBytes } from "../lib/units.js";

const BAR_WIDTH = 30;
/** Redraw the bar at most this often. */
const REDRAW_INTERVAL_MS = 100;
/** Without a terminal: one line per this many percent. */
const LOG_STEP_PERCENT = 10;

export interface DownloadProgress {
  update(bytesReceived: number): void;
  finish(): void;
}

export function downloadProgress(options: { totalBytes: number; stream: NodeJS.WriteStream; log: (line: string) => void }): DownloadProgress {
  const { totalBytes, stream, log } = options;
  const percentOf = (bytes: number): number => (totalBytes === 0 ? 100 : Math.floor((bytes * 100) / totalBytes));
  if (stream.isTTY === true) {
    let lastDrawMs = 0;
    const draw = (bytes: number): void => {
      const percent = percentOf(bytes);
      const filled = Math.round((percent * BAR_WIDTH) / 100);
      stream.write(`\r[${"#".repeat(filled)}${".".repeat(BAR_WIDTH - filled)}] ${String(percent).padStart(3)}% ${formatBytes(bytes)} of ${formatBytes(totalBytes)}`);
    };
    return {
      update(bytes) {
        const nowMs = Date.now();
        if (nowMs - lastDrawMs < REDRAW_INTERVAL_MS) return;
        lastDrawMs = nowMs;
        draw(bytes);
      },
      finish() {
        draw(totalBytes);
        stream.write("\n");
      },
    };
  }
  let nextPercent = LOG_STEP_PERCENT;
  return {
    update(bytes) {
      const percent = percentOf(bytes);
      if (percent < nextPercent || percent >= 100) return;
      log(`received ${percent}% (${formatBytes(bytes)} of ${formatBytes(totalBytes)})`);
      nextPercent = (Math.floor(percent / LOG_STEP_PERCENT) + 1) * LOG_STEP_PERCENT;
    },
    finish() {
      log(`received 100% (${formatBytes(totalBytes)})`);
    },
  };
}
