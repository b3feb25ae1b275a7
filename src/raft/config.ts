/**
 * Checking a RaftConfig before a core starts: every bound positive, and the election
 * timeout longer than the heartbeat (or followers would campaign between heartbeats).
 */
import { WalnutError } from "../lib/errors.js";
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
  if (problems.length > 0) throw new WalnutError("BAD_CONFIG", `Cannot start raft node: ${problems.join("; ")}`);
}
