/**
 * membership: RAFT REMOVE of a node under load — a random follower, or one time in
 * LEADER_ONE_IN the leader itself, which must hand over and step down once its removal
 * commits. The removed node keeps running, outside the group; clients still send it
 * requests (it answers that it was removed, once it has heard so).
 *
 * Healed as docs/operations.md has an operator bring the machine back: the removed
 * process is stopped, its data directory emptied, and the id added back as a learner
 * before the new process starts, then made a voter once caught up (nemesis.ts rejoin,
 * which says why the order matters). Re-adding the running node with its old data
 * instead left it a voter that had heard "removed" and so never campaigned or served
 * again (node/removal.ts), which the campaign did not notice until a later fault needed
 * its vote.
 */
import { changeMembership, leaderOrRandom, randomFollower, rejoin, type Nemesis } from "./nemesis.js";

/** One removal in this many takes the leader. */
const LEADER_ONE_IN = 3;

export const membershipNemesis: Nemesis = {
  kind: "membership",
  async inject(context) {
    const removeLeader = context.random.below(LEADER_ONE_IN) === 0;
    const node = removeLeader ? (await leaderOrRandom(context, { leader: true })).node : await randomFollower(context);
    await changeMembership(context.cluster, ["RAFT", "REMOVE", String(node)]);
    return {
      description: `RAFT REMOVE ${node}${removeLeader ? " (leader)" : ""}, then ${node} rejoins empty (added as a learner, started, made a voter)`,
      async heal() {
        await rejoin(context.cluster, node);
        return null;
      },
    };
  },
};
