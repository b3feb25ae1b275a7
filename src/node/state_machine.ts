/**
 * What the node drives: the node decides when an entry is committed; the state machine
 * decides what it means. Keeping this an interface keeps node/ free of command semantics
 * (commands/state_machine.ts implements it) and lets tests drive the node with a toy one.
 */
import type { EntryPayload } from "./entry.js";
import type { Reply } from "../engine/reply.js";
import type { Engine } from "../engine/engine.js";

/** What a new leader's empty entry (and a membership change) applies: nothing but the applied index. */
export const NOOP_PAYLOAD: EntryPayload = Object.freeze({ type: "noop", nowMs: 0, clientId: "", requestId: 0 });

export interface StateMachine {
  /**
   * Applies one committed entry to the engine; deterministic. A promise when the entry
   * cannot be finished in this turn of the event loop (a long script pauses so that the
   * server can answer BUSY): the node then applies nothing after it until it resolves.
   */
  apply(engine: Engine, index: number, term: number, payload: EntryPayload): Reply | Promise<Reply>;
  /** Writes that remove keys expired at `nowMs` (bounded), to propose through the log. */
  expiredKeySweeps(engine: Engine, nowMs: number): EntryPayload[];
  /**
   * The node closes: a paused apply (or anything else paused, a read-only script) is given
   * up, never finished; the paused apply's promise rejects with `why`. True when
   * something was paused.
   */
  abandonPaused?(engine: Engine, why: ApplyAbandoned): boolean;
}

/**
 * What a paused apply rejects with when the node closes without finishing it (SHUTDOWN
 * NOSAVE during a long write script, or any close): the entry stays committed in the log,
 * unapplied, and is applied whole after a restart. The engine holds half of it meanwhile,
 * so the closing node applies, reads and checkpoints nothing more.
 */
export class ApplyAbandoned extends Error {
  constructor() {
    super("Cannot finish applying the entry: the node closed first; it is applied after a restart");
    this.name = "ApplyAbandoned";
  }
}
