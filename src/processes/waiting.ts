/**
 * Waiting without sleeping, and free loopback ports: what the process clusters
 * (cluster_processes.ts), the fault campaigns and the scenario tests share.
 *
 * Nothing here asserts on timing: every wait is "until a condition holds", with a
 * generous guard that only turns a hang into a clear failure.
 */
import { closeSync, mkdirSync, openSync, statSync, utimesSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** How long a wait may last before it is reported as a hang. */
export const WAIT_GUARD_MS = 60_000;
/** How often a wait checks its condition. */
const POLL_INTERVAL_MS = 10;

/** Polls `condition` until it holds; throws naming `what` if the guard runs out. */
export async function waitUntil(what: string, condition: () => boolean | Promise<boolean>, guardMs = WAIT_GUARD_MS): Promise<void> {
  const deadline = Date.now() + guardMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Gave up waiting (${guardMs} ms) until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

/**
 * Ports tests listen on are drawn from below the kernel's ephemeral range (Linux:
 * 32768-60999), where no outgoing connection takes them: a port is chosen free and bound
 * a moment later, and in the ephemeral range a client socket of a test running beside
 * this one (or of this one) could take it in between.
 */
const LISTEN_PORT_LOWEST = 20_000;
const LISTEN_PORT_HIGHEST = 32_767;
/** Random ports tried before asking the kernel for any free one. */
const LISTEN_PORT_TRIES = 50;

/**
 * Test files run side by side in separate processes, each drawing random ports: two could
 * draw the same one between its check and its use. A port handed out is claimed by a file
 * created exclusively in one directory all of them share; a claim is given up after
 * PORT_CLAIM_MS (longer than any test keeps a port it drew).
 */
const PORT_CLAIMS_DIR = join(tmpdir(), "walnut-test-port-claims");
const PORT_CLAIM_MS = 15 * 60_000;

/** True when this process now holds `port`'s claim (made anew, or taken over from a stale one). */
function claimPort(port: number): boolean {
  const path = join(PORT_CLAIMS_DIR, String(port));
  try {
    mkdirSync(PORT_CLAIMS_DIR, { recursive: true });
    closeSync(openSync(path, "wx"));
    return true;
  } catch {
    try {
      if (Date.now() - statSync(path).mtimeMs < PORT_CLAIM_MS) return false;
      const now = new Date();
      utimesSync(path, now, now);
      return true;
    } catch {
      return false;
    }
  }
}

/** A free loopback port a test can listen on (see LISTEN_PORT_LOWEST), claimed against other test processes. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < LISTEN_PORT_TRIES; attempt++) {
    const port = LISTEN_PORT_LOWEST + Math.floor(Math.random() * (LISTEN_PORT_HIGHEST - LISTEN_PORT_LOWEST + 1));
    if (!claimPort(port)) continue;
    if ((await bindAndRelease(port)) !== null) return port;
  }
  const port = await bindAndRelease(0);
  if (port === null) throw new Error("Cannot find a free loopback port");
  return port;
}

/** Binds a temporary server to `port` (0: any) and closes it; the port bound, or null when taken. */
function bindAndRelease(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(null));
    server.listen(port, "127.0.0.1", () => {
      const address = server.address();
      const bound = typeof address === "object" && address !== null ? address.port : null;
      server.close(() => resolve(bound));
    });
  });
}
