/**
 * Raft's safety properties, watched on real nodes while a simulation runs (node_cluster.ts
 * feeds it; nothing in the node is changed for it):
 *
 *  - Election safety: at most one leader per term, ever. Learned from the nodes' own
 *    "leading in term N" log lines.
 *  - State machine safety: no two nodes apply different entries at one index, and each
 *    node applies the index right after the one its engine holds (no gap, no repeat; a
 *    checkpoint loaded or installed moves the engine to its index). Learned by wrapping
 *    the state machine every node applies through (node/state_machine.ts): recovery,
 *    followers and leaders all apply there and nowhere else.
 *
 * Log matching and leader completeness are not watched entry by entry here: a break of
 * either shows up as a break of state machine safety (an entry applied differently), of
 * linearizability (a committed write lost) or of convergence (node_run.ts).
 *
 * A violation is reported once, as the run's failure; the node is not disturbed.
 */
import type { Engine } from "../engine/engine.js";
import { encodeEntry, NO_ORIGIN, type EntryPayload } from "../node/entry.js";
import type { StateMachine } from "../node/state_machine.js";
import type { NodeId } from "../raft/types.js";

export type Violation = (kind: "election safety" | "state machine safety", message: string) => void;

export class RaftSafety {
  private readonly leaderOfTerm = new Map<number, NodeId>();
  /** Every applied index: the term and a fingerprint of what was applied there. */
  private readonly appliedAt = new Map<number, { term: number; content: string; node: NodeId }>();
  /** Checks made, for the report (a checker that never ran proves nothing). */
  checks = 0;

  constructor(private readonly violation: Violation) {}

  /** Node `node` says it leads term `term`. */
  leading(node: NodeId, term: number): void {
    this.checks += 1;
    const holder = this.leaderOfTerm.get(term);
    if (holder !== undefined && holder !== node) this.violation("election safety", `nodes ${holder} and ${node} both led term ${term}`);
    this.leaderOfTerm.set(term, node);
  }

  /** Node `node` is about to apply `payload` at `index`, its engine holding everything through `appliedIndex`. */
  applying(node: NodeId, appliedIndex: number, index: number, term: number, payload: EntryPayload): void {
    this.checks += 1;
    if (index !== appliedIndex + 1) {
      this.violation("state machine safety", `node ${node} applies index ${index} right after ${appliedIndex}`);
      return;
    }
    const content = fingerprint(payload);
    const known = this.appliedAt.get(index);
    if (known === undefined) this.appliedAt.set(index, { term, content, node });
    else if (known.term !== term || known.content !== content) {
      this.violation("state machine safety", `node ${node} applied term ${term} (${content.slice(0, 80)}) at index ${index}, node ${known.node} term ${known.term} (${known.content.slice(0, 80)})`);
    }
  }

  /** `machine` for node `node`, every apply checked first. */
  watch(node: NodeId, machine: StateMachine): StateMachine {
    return {
      apply: (engine: Engine, index: number, term: number, payload: EntryPayload) => {
        this.applying(node, engine.appliedIndex, index, term, payload);
        return machine.apply(engine, index, term, payload);
      },
      expiredKeySweeps: (engine, nowMs) => machine.expiredKeySweeps(engine, nowMs),
    };
  }
}

/**
 * What an entry does, as text: its encoding without the origin (a leader applies its own
 * proposal's payload, which may carry no origin; the others decode one that does).
 */
function fingerprint(payload: EntryPayload): string {
  return encodeEntry(payload, NO_ORIGIN).toString("latin1");
}
