/**
 * membership: RAFT REMOVE of a node under load — a random follower, or one time in
 * LEADER_ONE_IN the leader itself, which must hand over and step down once its removal
 * commits. The removed node keeps running, outside the group; clients still send it
 * requests. Healed by adding it back as a learner (RAFT ADD id host:port LEARNER),
 * waiting until it has caught up, and promoting it to voter (RAFT ADD id host:port), as
 * an operator would.
 */
import { addBack, changeMembership, leaderOrRandom, randomFollower, type Nemesis } from "./nemesis.js";

/** One removal in this many takes the leader. */
const LEADER_ONE_IN = 3;

export const membershipNemesis: Nemesis = {
  kind: "membership",
  async inject(context) {
    const removeLeader = context.random.below(LEADER_ONE_IN) === 0;
    const node = removeLeader ? (await leaderOrRandom(context, { leader: true })).node : await randomFollower(context);
    await changeMembership(context.cluster, ["RAFT", "REMOVE", String(node)]);
    return {
      description: `RAFT REMOVE ${node}${removeLeader ? " (leader)" : ""}, then ADD ${node} back (learner, then voter)`,
      async heal() {
        await addBack(context.cluster, node);
        return null;
      },
    };
  },
};
