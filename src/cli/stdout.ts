/**
 * Standard output that may be a pipe whose reader leaves early (`walnut wal inspect | head`).
 * Node reports that as an EPIPE 'error' event on process.stdout, which, unhandled, kills
 * the process with a stack trace. Like other Unix tools, walnut stops writing quietly
 * instead: guardStdout() handles the event once for every command, and writeStdout tells
 * a long writer (inspect) that nobody reads any more, so it can stop and clean up.
 */
let readerGone = false;
let guarded = false;

/** Installs the EPIPE handler on process.stdout (once). Other write errors still throw. */
export function guardStdout(): void {
  if (guarded) return;
  guarded = true;
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
    readerGone = true;
  });
}

/** Writes `text`; resolves false once the reader of stdout has gone (EPIPE). */
export function writeStdout(text: string): Promise<boolean> {
  guardStdout();
  if (readerGone) return Promise.resolve(false);
  return new Promise((resolve) => {
    process.stdout.write(text, (error) => {
      if (error !== null && error !== undefined) readerGone = true;
      resolve(!readerGone);
    });
  });
}
