/**
 * membership: RAFT REMOVE of a random follower under load (the node keeps running,
 * outside the group; clients still send it requests); healed by adding it back as a
 * learner (RAFT ADD id host:port LEARNER), waiting until it has caught up, and
 * promoting it to voter (RAFT ADD id host:port), as an operator would.
 */
import { addBack, changeMembership, randomFollower, type Nemesis } from "./nemesis.js";

export const membershipNemesis: Nemesis = {
  kind: "membership",
  async inject(context) {
    const node = await randomFollower(context);
    await changeMembership(context.cluster, ["RAFT", "REMOVE", String(node)]);
    return {
      description: `RAFT REMOVE ${node}, then ADD ${node} back (learner, then voter)`,
      async heal() {
        await addBack(context.cluster, node);
        return null;
      },
    };
  },
};
