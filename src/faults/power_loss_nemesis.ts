/**
 * power-loss: the leader or a random node loses power. kill -9 alone loses nothing (the
 * page cache outlives the process), so after the kill every WAL segment is cut back to
 * its size at its last successful fsync, from the node's sync log kept by the file-system
 * preload (file_system_faults_preload.ts); a segment never synced is emptied. What stays
 * is exactly what the node made durable, so it must have acknowledged nothing past it:
 * this checks that walnut fsyncs before it acknowledges (as a follower to its leader, and
 * as a leader to its clients) and that recovery copes with what a power cut leaves.
 * Healed by restarting the node (or replacing it, if it refuses to start).
 */
import { readdir, stat, truncate } from "node:fs/promises";
import { join } from "node:path";
import { leaderOrRandom, restartOrReplace, type Nemesis } from "./nemesis.js";

export const powerLossNemesis: Nemesis = {
  kind: "power-loss",
  needsFileSystemFaults: true,
  async inject(context) {
    const faultSwitch = context.fileSystemFaults;
    if (faultSwitch === null) throw new Error("the power-loss nemesis needs nodes started with the file-system preload");
    const { node, isLeader } = await leaderOrRandom(context);
    await context.cluster.stop(node, "SIGKILL");
    const synced = await faultSwitch.syncedSizes(node);
    const walDirectory = join(context.cluster.dataDir(node), "wal");
    const dropped: string[] = [];
    for (const name of (await readdir(walDirectory).catch(() => [] as string[])).filter((entry) => entry.endsWith(".wal")).sort()) {
      const path = join(walDirectory, name);
      const sizeBytes = (await stat(path)).size;
      const durableBytes = synced.get(path) ?? 0;
      if (sizeBytes <= durableBytes) continue;
      await truncate(path, durableBytes);
      dropped.push(`${name} ${sizeBytes} → ${durableBytes} bytes`);
    }
    return {
      description: `power cut on node ${node}${isLeader ? " (leader)" : ""}: ${dropped.length === 0 ? "no unsynced WAL bytes" : `unsynced WAL bytes dropped (${dropped.join(", ")})`}`,
      heal: () => restartOrReplace(context, node),
    };
  },
};
