/**
 * Parsing of human units for durations ("250ms", "5s", "1m", "2h") and sizes
 * ("64MiB", "2gb", "4096"). Used by flags, environment variables, the config file and
 * CONFIG SET, so that every duration and size accepts the same spellings everywhere.
 *
 * Sizes follow redis.conf's convention, case-insensitive: 1k = 1000 bytes, 1kb = 1024,
 * 1m = 1000^2, 1mb = 1024^2, 1g = 1000^3, 1gb = 1024^3 (t and tb likewise); the IEC
 * spellings KiB, MiB, GiB, TiB are powers of 1024 too.
 */
import { WalnutError } from "./errors.js";

const durationUnitsMs: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** As redis.conf reads them: a bare letter is a power of 1000, a letter and "b" a power of 1024. */
const sizeUnitsBytes: Record<string, number> = {
  b: 1,
  k: 1000,
  kb: 1024,
  kib: 1024,
  m: 1000 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1000 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1000 ** 4,
  tb: 1024 ** 4,
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

/** Parses "64MiB", "2gb" (2 GiB, as in redis.conf) or "4096" (bytes) into a byte count. */
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
