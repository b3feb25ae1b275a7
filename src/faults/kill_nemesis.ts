/**
 * kill: SIGKILL of the leader or of a random node (a crash: no shutdown, unsynced page
 * cache kept by the OS); healed by restarting it on the same data directory.
 */
import { leaderOrRandom, type Nemesis } from "./nemesis.js";

export const killNemesis: Nemesis = {
  kind: "kill",
  async inject(context) {
    const { node, isLeader } = await leaderOrRandom(context);
    await context.cluster.stop(node, "SIGKILL");
    return {
      description: `kill -9 node ${node}${isLeader ? " (leader)" : ""}`,
      async heal() {
        if (!context.cluster.isRunning(node)) await context.cluster.restart(node);
        return null;
      },
    };
  },
};
