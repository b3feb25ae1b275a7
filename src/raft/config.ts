/**
 * Checking a RaftConfig before a core starts: every bound positive, the election timeout
 * longer than the heartbeat (or followers would campaign between heartbeats), and lease
 * reads only with check-quorum (a leader must step down once its lease can no longer hold,
 * and its followers must refuse votes while they hear from it) and a lease of a tick at least.
 */
import { WalnutError } from "../lib/errors.js";
import { leaseTicksOf } from "./lease.js";
import type { RaftConfig } from "./types.js";

/** Context of the vote requests of a campaign started by timeoutNow: they bypass leases. */
export const TRANSFER_CONTEXT: Uint8Array = new Uint8Array([116, 114, 97, 110, 115, 102, 101, 114]); // "transfer"

export function validateConfig(config: RaftConfig): void {
  const problems: string[] = [];
  if (!Number.isSafeInteger(config.id) || config.id <= 0) problems.push(`id ${config.id} must be a positive integer`);
  if (!Number.isInteger(config.heartbeatTicks) || config.heartbeatTicks < 1) problems.push(`heartbeatTicks ${config.heartbeatTicks} must be at least 1`);
  if (!(config.electionTicks > config.heartbeatTicks)) problems.push(`electionTicks ${config.electionTicks} must exceed heartbeatTicks ${config.heartbeatTicks}`);
  if (!Number.isInteger(config.maxEntriesPerAppend) || config.maxEntriesPerAppend < 1) problems.push(`maxEntriesPerAppend ${config.maxEntriesPerAppend} must be at least 1`);
  if (!Number.isInteger(config.maxInflightAppends) || config.maxInflightAppends < 1) problems.push(`maxInflightAppends ${config.maxInflightAppends} must be at least 1`);
  for (const [name, value] of [["maxAppendBytes", config.maxAppendBytes], ["maxInflightBytes", config.maxInflightBytes]] as const) {
    if (value !== undefined && !(value >= 1)) problems.push(`${name} ${value} must be at least 1`);
  }
  problems.push(...readModeProblems(config));
  if (problems.length > 0) throw new WalnutError("BAD_CONFIG", `Cannot start raft node: ${problems.join("; ")}`);
}

function readModeProblems(config: RaftConfig): string[] {
  const mode = config.readMode ?? "index";
  if (mode !== "index" && mode !== "lease") return [`readMode "${String(mode)}" must be "index" or "lease"`];
  const ratio = config.maxClockDriftRatio;
  if (ratio !== undefined && !(Number.isFinite(ratio) && ratio >= 0)) return [`maxClockDriftRatio ${ratio} must be a finite number of at least 0`];
  if (mode === "index") return [];
  const problems: string[] = [];
  if (!config.checkQuorum) problems.push("readMode lease requires checkQuorum");
  if (leaseTicksOf(config) < 1) problems.push(`readMode lease needs a lease of a tick at least: electionTicks ${config.electionTicks} is too short for maxClockDriftRatio ${ratio}`);
  return problems;
}
