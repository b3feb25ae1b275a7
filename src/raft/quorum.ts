/**
 * Majority arithmetic over the voters of one configuration: the index a quorum has
 * replicated (the commit candidate, Figure 2 "Rules for Servers: Leaders", last bullet)
 * and the outcome of a vote. Learners never appear here: only voters are passed in.
 */
import type { NodeId } from "./types.js";

export type VoteResult = "won" | "lost" | "pending";

/** The smallest number of voters that is a majority of `voterCount`. */
export function majority(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

/**
 * The largest index that a majority of `voters` have matched: sort the match indexes
 * from high to low and take the one at the majority position. With no voters, 0.
 */
export function quorumMatchIndex(voters: readonly NodeId[], matchOf: (id: NodeId) => number): number {
  if (voters.length === 0) return 0;
  const matches = voters.map(matchOf).sort((left, right) => right - left);
  return matches[majority(voters.length) - 1] ?? 0;
}

/** Whether `votes` (true = granted) already decide an election among `voters`. */
export function tallyVotes(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  let granted = 0;
  let rejected = 0;
  for (const id of voters) {
    const vote = votes.get(id);
    if (vote === true) granted += 1;
    if (vote === false) rejected += 1;
  }
  const needed = majority(voters.length);
  if (granted >= needed) return "won";
  if (voters.length - rejected < needed) return "lost";
  return "pending";
}

/** Whether the voters for which `isActive` holds form a majority. */
export function hasActiveQuorum(voters: readonly NodeId[], isActive: (id: NodeId) => boolean): boolean {
  return voters.filter(isActive).length >= majority(voters.length);
}
