/**
 * The process's log: one line per event on stderr, with an ISO timestamp. Kept tiny on
 * purpose; the library itself never logs unless handed a log function.
 */
export type Log = (message: string) => void;

export function stderrLog(prefix = "walnut"): Log {
  return (message) => process.stderr.write(`${new Date().toISOString()} ${prefix}: ${message}\n`);
}
