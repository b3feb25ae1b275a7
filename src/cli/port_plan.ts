/**
 * The ports a command is about to listen on, checked before it starts anything: two uses
 * of one port, or a port another process already holds, is refused up front with the
 * port, what it was for and the flag that set it. Without this, `walnut cluster up` next
 * to a running node lost node 1 to EADDRINUSE and carried on with two of three, and
 * `walnut serve` replayed its WAL and joined a cluster before finding its RESP port taken.
 *
 * A free port can still be taken between this check and the real listen; the listeners
 * themselves (server/listen.ts) then name the port and flag too.
 */
import { createServer } from "node:net";
import { describeError, WalnutError } from "../lib/errors.js";

/** One port to listen on. */
export interface PlannedPort {
  port: number;
  /** What listens there, for the message: "RESP of node 1". */
  what: string;
  /** The flag that sets it: "--port". */
  flag: string;
}

/** Refuses a plan that uses one port twice, naming both uses and their flags. */
export function refuseSharedPorts(action: string, plan: readonly PlannedPort[]): void {
  const seen = new Map<number, PlannedPort>();
  const clashes: string[] = [];
  for (const planned of plan) {
    const earlier = seen.get(planned.port);
    if (earlier === undefined) seen.set(planned.port, planned);
    else clashes.push(`port ${planned.port} would be both ${earlier.what} (${earlier.flag}) and ${planned.what} (${planned.flag})`);
  }
  if (clashes.length === 0) return;
  throw new WalnutError("BAD_CONFIG", `Cannot ${action}: ${clashes.join("; ")}; give ${describeFlags(plan, clashes)} values that do not overlap`);
}

function describeFlags(plan: readonly PlannedPort[], clashes: string[]): string {
  const flags = [...new Set(plan.map((planned) => planned.flag))].filter((flag) => clashes.some((clash) => clash.includes(`(${flag})`)));
  return flags.join(" and ");
}

/** Why `port` cannot be listened on at `host`, or null when it can (it is bound and released at once). */
async function bindProblem(host: string, port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) => {
      resolve(error.code === "EADDRINUSE" ? "is already in use by another process" : `cannot be listened on (${describeError(error)})`);
    });
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(null)));
  });
}

/** Refuses a plan any of whose ports cannot be listened on, naming each and its flag. */
export async function refuseTakenPorts(action: string, host: string, plan: readonly PlannedPort[]): Promise<void> {
  const problems: string[] = [];
  for (const planned of plan) {
    if (planned.port === 0) continue; // 0: any free port, or the listener is off
    const problem = await bindProblem(host, planned.port);
    if (problem !== null) problems.push(`port ${planned.port} (${planned.what}, set by ${planned.flag}) ${problem}`);
  }
  if (problems.length === 0) return;
  const flags = [...new Set(plan.filter((planned) => problems.some((line) => line.includes(`set by ${planned.flag})`))).map((planned) => planned.flag))];
  throw new WalnutError("BAD_CONFIG", `Cannot ${action}: ${problems.join("; ")}; stop what listens there or choose another ${flags.join(" / ")}`);
}
