/**
 * Parsing of human units for durations ("250ms", "5s", "1m", "2h") and sizes
 * ("64MiB", "1GB", "4096"). Used by flags, environment variables and the config file,
 * so that every duration and size accepts the same spellings everywhere.
 */
import { WalnutError } from "./errors.js";

const durationUnitsMs: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const sizeUnitsBytes: Record<string, number> = {
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1000 ** 4,
  tib: 1024 ** 4,
};

/** Parses "5s" or "250ms" (a bare number means seconds) into milliseconds. */
export function parseDurationMs(text: string, what: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = match?.[2]?.toLowerCase() || "s";
  const factor = durationUnitsMs[unit];
  if (!match || factor === undefined) {
    throw new WalnutError(
      "BAD_CONFIG",
      `Cannot parse ${what}: "${text}" is not a duration (use e.g. 500ms, 5s, 1m, 2h)`,
    );
  }
  return Math.round(Number(match[1]) * factor);
}

/** Parses "64MiB", "1GB" or "4096" (bytes) into a byte count. */
export function parseSizeBytes(text: string, what: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = match?.[2]?.toLowerCase() || "b";
  const factor = sizeUnitsBytes[unit];
  if (!match || factor === undefined) {
    throw new WalnutError(
      "BAD_CONFIG",
      `Cannot parse ${what}: "${text}" is not a size (use e.g. 4096, 512KiB, 64MiB, 1GiB)`,
    );
  }
  return Math.round(Number(match[1]) * factor);
}

/** Formats a byte count for people: 1536 → "1.5 KiB". */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}
