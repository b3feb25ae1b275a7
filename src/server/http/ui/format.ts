/**
 * How the status page writes numbers: durations, sizes, rates and counts, short and in
 * units a person reads at a glance (850 µs, 12.3 ms, 64.0 MiB, 1,234/s).
 */

export function formatSeconds(seconds: number): string {
  if (seconds === 0) return "0";
  if (seconds < 1e-3) return `${round(seconds * 1e6)} µs`;
  if (seconds < 1) return `${round(seconds * 1e3)} ms`;
  return `${round(seconds)} s`;
}

export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

export function formatRate(perSecond: number): string {
  return `${perSecond >= 100 ? formatCount(Math.round(perSecond)) : round(perSecond)}/s`;
}

export function formatCount(count: number): string {
  return count.toLocaleString("en-US");
}

/** Three significant digits at most: 0.833, 12.3, 456. */
function round(value: number): string {
  return String(Number(value.toPrecision(3)));
}
