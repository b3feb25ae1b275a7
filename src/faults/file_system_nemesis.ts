/**
 * disk-full and slow-fsync on one node, through the file-system preload
 * (file_system_faults_preload.ts), so the node runs walnut's unchanged code:
 *   - disk-full: every write under its data directory fails with ENOSPC. It must refuse
 *     writes it cannot make durable (never acknowledge one), keep serving what it can,
 *     and recover by itself once space is back.
 *   - slow-fsync: every fsync waits SLOW_FSYNC_MS first; a slow leader or follower must
 *     slow the cluster down, not break it.
 * Healed by switching the disk back to healthy.
 */
import { leaderOrRandom, type Nemesis, type NemesisContext } from "./nemesis.js";
import type { FileSystemFaults } from "./file_system_fault_switch.js";

/** How long each fsync of a slow disk waits. */
const SLOW_FSYNC_MS = 300;

function fileSystemNemesis(kind: string, faults: FileSystemFaults, what: string): Nemesis {
  return {
    kind,
    needsFileSystemFaults: true,
    async inject(context: NemesisContext) {
      const faultSwitch = context.fileSystemFaults;
      if (faultSwitch === null) throw new Error(`the ${kind} nemesis needs nodes started with the file-system preload`);
      const { node, isLeader } = await leaderOrRandom(context);
      await faultSwitch.set(node, faults);
      return {
        description: `${what} on node ${node}${isLeader ? " (leader)" : ""}`,
        async heal() {
          await faultSwitch.clear(node);
          return null;
        },
      };
    },
  };
}

export const diskFullNemesis = fileSystemNemesis("disk-full", { diskFull: true }, "ENOSPC on every write");
export const slowFsyncNemesis = fileSystemNemesis("slow-fsync", { fsyncDelayMs: SLOW_FSYNC_MS }, `fsync delayed ${SLOW_FSYNC_MS} ms`);
