/**
 * pause: SIGSTOP of the leader or of a random node, SIGCONT to heal. A paused leader
 * wakes up still believing it leads, with a term the others have left behind: it must
 * not acknowledge writes or serve reads from its stale state after the pause (the
 * clients keep sending it requests; the checker judges what it answered).
 */
import { leaderOrRandom, type Nemesis } from "./nemesis.js";

export const pauseNemesis: Nemesis = {
  kind: "pause",
  async inject(context) {
    const { node, isLeader } = await leaderOrRandom(context);
    context.cluster.pause(node);
    return {
      description: `SIGSTOP node ${node}${isLeader ? " (leader)" : ""}`,
      async heal() {
        if (context.cluster.isPaused(node)) context.cluster.resume(node);
        return null;
      },
    };
  },
};
