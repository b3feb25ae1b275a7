/**
 * SHUTDOWN over RESP: a client asks the server to stop, as in Redis 7.0. The servers do
 * not own the process (an embedded db may run them in a test or an application), so they
 * only record the request here; RunningServers.shutdownRequested hands it to whoever does
 * (`walnut serve` closes the node and exits, as on SIGTERM; a test can await it).
 */
import type { ByteString } from "../engine/bytes.js";

export interface ShutdownRequest {
  /** SHUTDOWN SAVE: a checkpoint was taken before the request was made. */
  saved: boolean;
  /** The address of the client that asked. */
  client: string;
}

/** SHUTDOWN's arguments, parsed as Redis 7.0 does; null for its "syntax error". */
export interface ShutdownArguments {
  save: boolean;
  nosave: boolean;
  /** NOW: do not wait for replicas. walnut has no such wait: accepted, changes nothing. */
  now: boolean;
  /** FORCE: shut down even if the SAVE checkpoint failed. */
  force: boolean;
  abort: boolean;
}

export function parseShutdownArguments(args: readonly ByteString[]): ShutdownArguments | null {
  const parsed: ShutdownArguments = { save: false, nosave: false, now: false, force: false, abort: false };
  for (const arg of args) {
    const word = arg.toLowerCase();
    if (word === "save") parsed.save = true;
    else if (word === "nosave") parsed.nosave = true;
    else if (word === "now") parsed.now = true;
    else if (word === "force") parsed.force = true;
    else if (word === "abort") parsed.abort = true;
    else return null;
  }
  const flagged = parsed.save || parsed.nosave || parsed.now || parsed.force;
  if ((parsed.abort && flagged) || (parsed.save && parsed.nosave)) return null;
  return parsed;
}

/** The one shutdown a server context may be asked for. */
export class ShutdownSignal {
  readonly requested: Promise<ShutdownRequest>;
  private resolveRequested: (request: ShutdownRequest) => void = () => undefined;
  private asked = false;

  constructor() {
    this.requested = new Promise((resolve) => {
      this.resolveRequested = resolve;
    });
  }

  get isRequested(): boolean {
    return this.asked;
  }

  request(request: ShutdownRequest): void {
    if (this.asked) return;
    this.asked = true;
    this.resolveRequested(request);
  }
}
