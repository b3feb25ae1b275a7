/** The nemeses by the names `npm run faults -- --nemesis ...` takes. */
import { diskFullNemesis, slowFsyncNemesis } from "./file_system_nemesis.js";
import { garbageNemesis } from "./garbage_nemesis.js";
import { killNemesis } from "./kill_nemesis.js";
import { membershipNemesis } from "./membership_nemesis.js";
import type { Nemesis } from "./nemesis.js";
import { partitionNemesis } from "./partition_nemesis.js";
import { pauseNemesis } from "./pause_nemesis.js";
import { powerLossNemesis } from "./power_loss_nemesis.js";
import { corruptCheckpointNemesis, tornWalNemesis } from "./storage_damage_nemesis.js";

export const NEMESES: ReadonlyMap<string, Nemesis> = new Map(
  [killNemesis, pauseNemesis, partitionNemesis, membershipNemesis, tornWalNemesis, corruptCheckpointNemesis, diskFullNemesis, slowFsyncNemesis, garbageNemesis, powerLossNemesis].map(
    (nemesis) => [nemesis.kind, nemesis],
  ),
);

/** The nemeses named in `names` ("kill,pause"); throws naming an unknown one. */
export function nemesesNamed(names: string[]): Nemesis[] {
  return names.map((name) => {
    const nemesis = NEMESES.get(name);
    if (nemesis === undefined) throw new Error(`Cannot run nemesis "${name}": known ones are ${[...NEMESES.keys()].join(", ")}`);
    return nemesis;
  });
}
