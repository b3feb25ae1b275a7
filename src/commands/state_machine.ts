/**
 * walnut's state machine as the node sees it (node/state_machine.ts): apply() is the
 * command table's applyEntry, and the expiry sweep proposes EXPIRESWEEP entries for keys
 * that have expired, so that removing them goes through the log like any write. A node
 * that closes gives up a paused script (scripting/script_busy.ts abandonPausedScript).
 */
import type { Engine } from "../engine/engine.js";
import type { StateMachine } from "../node/state_machine.js";
import { limits } from "../lib/limits.js";
import { applyEntry } from "./apply.js";
import type { EntryPayload } from "../node/entry.js";
import { findExpiredKeys } from "./expiry.js";
import { abandonPausedScript } from "./scripting/script_busy.js";

export const walnutStateMachine: StateMachine = {
  apply: applyEntry,
  abandonPaused: abandonPausedScript,
  expiredKeySweeps(engine: Engine, nowMs: number): EntryPayload[] {
    const expired = findExpiredKeys(engine, nowMs, limits.expirySweepKeysMax);
    const byCollection = new Map<string, string[]>();
    for (const { collection, key } of expired) {
      const keys = byCollection.get(collection) ?? [];
      keys.push(key);
      byCollection.set(collection, keys);
    }
    return [...byCollection].map(([collection, keys]) => ({
      type: "command",
      nowMs,
      clientId: "",
      requestId: 0,
      call: { collection, argv: ["EXPIRESWEEP", ...keys] },
    }));
  },
};
