/**
 * Raft's safety properties (Figure 3 of the extended paper), checked while a simulation
 * runs; the cluster calls the hooks after every step of every node's Ready loop, and a
 * broken property throws an InvariantViolation at once, naming what broke and where.
 *
 *  - Election safety: at most one leader per term, ever (leaders are learned from the
 *    softState each Ready carries).
 *  - Log matching: two logs with an entry of the same index and term hold identical
 *    prefixes through it. Checked incrementally: every persisted (index, term) must always
 *    carry the same entry and sit after the same previous term. By induction on the index,
 *    that is the whole prefix property, at O(1) per persisted entry.
 *  - Leader completeness: a leader holds every entry committed in an earlier term. An
 *    entry counts as committed once some node applies it; the term it was committed in is
 *    bounded above by the highest term any node had persisted by then, and only leaders
 *    elected in a term past that bound are held to it (a candidate of an older term can
 *    legitimately win late, on votes granted before the commit).
 *  - State machine safety: no two nodes apply different entries at one index; each node
 *    applies indexes in order, without gaps (a snapshot install jumps to its index).
 */
import type { Entry, NodeId, SnapshotMetadata } from "../raft/types.js";

export class InvariantViolation extends Error {
  constructor(
    readonly invariant: string,
    detail: string,
  ) {
    super(`${invariant} violated: ${detail}`);
    this.name = "InvariantViolation";
  }
}

/** What the checkers need to see of a node's durable log. */
export interface LogView {
  readonly snapshotMetadata: SnapshotMetadata;
  readonly lastIndex: number;
  termAt(index: number): number | undefined;
  entryAt(index: number): Entry | undefined;
}

interface Fingerprint {
  content: string;
  previousTerm: number;
  node: NodeId;
}

export class SafetyCheckers {
  private readonly leaderOfTerm = new Map<number, NodeId>();
  /** Leaders as last seen: node → term it leads in. */
  private readonly currentLeaders = new Map<NodeId, number>();
  private highestTerm = 0;
  private readonly persisted = new Map<string, Fingerprint>();
  /** Every entry known committed: index → (term, content). */
  private readonly committed = new Map<number, { term: number; content: string; node: NodeId; committedByTerm: number }>();
  private readonly lastApplied = new Map<NodeId, number>();
  private readonly logs = new Map<NodeId, LogView>();
  checks = 0;
  leadersElected = 0;

  /** Registers a node's durable log, read at every check (also after a restart). */
  attach(node: NodeId, log: LogView, appliedIndex: number): void {
    this.logs.set(node, log);
    this.lastApplied.set(node, appliedIndex);
    this.currentLeaders.delete(node);
  }

  /** The node crashed: it leads nothing any more. */
  detach(node: NodeId): void {
    this.currentLeaders.delete(node);
  }

  onRoleChange(node: NodeId, options: { isLeader: boolean; term: number }): void {
    this.checks++;
    if (!options.isLeader) {
      this.currentLeaders.delete(node);
      return;
    }
    const holder = this.leaderOfTerm.get(options.term);
    if (holder !== undefined && holder !== node) {
      throw new InvariantViolation("election safety", `nodes ${holder} and ${node} both led term ${options.term}`);
    }
    if (holder === undefined) this.leadersElected++;
    this.leaderOfTerm.set(options.term, node);
    this.currentLeaders.set(node, options.term);
    for (const [index, entry] of this.committed) {
      if (entry.committedByTerm < options.term) this.checkLeaderHolds(node, index, entry.term);
    }
  }

  /** Some node persisted a hard state of `term`. */
  observeTerm(term: number): void {
    if (term > this.highestTerm) this.highestTerm = term;
  }

  /** `entries` just became durable on `node` (which has already written them to `log`). */
  onPersist(node: NodeId, entries: readonly Entry[]): void {
    const log = this.logOf(node);
    for (const entry of entries) {
      this.checks++;
      const previousTerm = log.termAt(entry.index - 1);
      if (previousTerm === undefined) continue; // the previous entry is compacted away on this node
      const key = `${entry.index}/${entry.term}`;
      const fingerprint: Fingerprint = { content: contentOf(entry), previousTerm, node };
      const known = this.persisted.get(key);
      if (known === undefined) {
        this.persisted.set(key, fingerprint);
      } else if (known.content !== fingerprint.content || known.previousTerm !== previousTerm) {
        throw new InvariantViolation(
          "log matching",
          `entry ${key} on node ${node} (after term ${previousTerm}) differs from node ${known.node}'s (after term ${known.previousTerm})`,
        );
      }
    }
  }

  onApply(node: NodeId, entry: Entry): void {
    this.checks++;
    const last = this.lastApplied.get(node) ?? 0;
    if (entry.index !== last + 1) {
      throw new InvariantViolation("state machine safety", `node ${node} applied index ${entry.index} right after ${last}`);
    }
    this.lastApplied.set(node, entry.index);
    const content = contentOf(entry);
    const known = this.committed.get(entry.index);
    if (known === undefined) {
      this.committed.set(entry.index, { term: entry.term, content, node, committedByTerm: Math.max(this.highestTerm, entry.term) });
    } else if (known.term !== entry.term || known.content !== content) {
      throw new InvariantViolation(
        "state machine safety",
        `node ${node} applied term ${entry.term} at index ${entry.index}, node ${known.node} applied term ${known.term}`,
      );
    }
  }

  /** `node` installed a snapshot: its state machine jumps to `metadata.index`. */
  onSnapshotInstalled(node: NodeId, metadata: SnapshotMetadata): void {
    const known = this.committed.get(metadata.index);
    if (known !== undefined && known.term !== metadata.term) {
      throw new InvariantViolation("state machine safety", `node ${node} installed a snapshot at ${metadata.index} of term ${metadata.term}, committed term is ${known.term}`);
    }
    this.lastApplied.set(node, metadata.index);
  }

  /** Every pair of durable logs, entry by entry: the slow full check, for the end of a run. */
  checkAllLogsMatch(): void {
    const nodes = [...this.logs.keys()].sort((x, y) => x - y);
    for (const [position, first] of nodes.entries()) {
      for (const second of nodes.slice(position + 1)) this.checkPairMatches(first, second);
    }
  }

  private checkPairMatches(first: NodeId, second: NodeId): void {
    const x = this.logOf(first);
    const y = this.logOf(second);
    const low = Math.max(x.snapshotMetadata.index, y.snapshotMetadata.index) + 1;
    let matched = false;
    for (let index = Math.min(x.lastIndex, y.lastIndex); index >= low; index--) {
      const left = x.entryAt(index);
      const right = y.entryAt(index);
      if (left === undefined || right === undefined) continue;
      if (!matched && left.term === right.term) matched = true;
      if (matched && (left.term !== right.term || contentOf(left) !== contentOf(right))) {
        throw new InvariantViolation("log matching", `nodes ${first} and ${second} share a later entry but differ at index ${index}`);
      }
    }
  }

  private checkLeaderHolds(leader: NodeId, index: number, term: number): void {
    const leaderTerm = this.currentLeaders.get(leader);
    if (leaderTerm === undefined) return;
    const log = this.logOf(leader);
    if (index < log.snapshotMetadata.index) return; // covered by its snapshot
    const held = log.termAt(index);
    if (held !== term) {
      throw new InvariantViolation(
        "leader completeness",
        `leader ${leader} of term ${leaderTerm} has ${held === undefined ? "no entry" : `term ${held}`} at index ${index}, committed in term ${term}`,
      );
    }
  }

  private logOf(node: NodeId): LogView {
    const log = this.logs.get(node);
    if (log === undefined) throw new InvariantViolation("checker setup", `node ${node} has no registered log`);
    return log;
  }
}

function contentOf(entry: Entry): string {
  let content = `${entry.type}:`;
  for (const byte of entry.data) content += String.fromCharCode(byte);
  return content;
}
