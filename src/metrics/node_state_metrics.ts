/**
 * Gauges that mirror the node's state, read from it when scraped (never updated on the
 * write path):
 *
 *   walnut_raft_term                          current term
 *   walnut_raft_commit_index                  highest index known committed
 *   walnut_raft_applied_index                 highest index applied to the engine
 *   walnut_raft_apply_lag_entries             commit index - applied index
 *   walnut_raft_follower_lag_entries{peer}    on the leader: its last index - the peer's match index
 *   walnut_raft_is_leader                     1 on the leader, else 0
 *   walnut_raft_proposals_pending             this node's writes proposed and not yet answered
 *   walnut_wal_segments                       WAL segment files
 *   walnut_keys                               keys across collections
 *
 * Until `watch` hands them the node, the gauges read 0.
 */
import { Gauge, type Registry } from "prom-client";
import type { Role } from "../raft/types.js";

/** The part of a node's status (node/status.ts NodeStatus) the gauges read; spelled out here because node/ sits above metrics/. */
export interface StatusReading {
  role: Role | "removed";
  id: number;
  term: number;
  commitIndex: number;
  appliedIndex: number;
  lastIndex: number;
  pendingWrites: number;
  peers: ReadonlyArray<{ id: number; match: number }>;
}

/** What the gauges read; a Node is one. */
export interface NodeStateSource {
  status(): StatusReading;
  segments(): readonly unknown[];
  readonly engine: { readonly size: number };
}

type Reading = (source: NodeStateSource, status: StatusReading) => number;

const READINGS: ReadonlyArray<[name: string, help: string, read: Reading]> = [
  ["walnut_raft_term", "Current Raft term.", (_, status) => status.term],
  ["walnut_raft_commit_index", "Highest log index known to be committed.", (_, status) => status.commitIndex],
  ["walnut_raft_applied_index", "Highest log index applied to the engine.", (_, status) => status.appliedIndex],
  ["walnut_raft_apply_lag_entries", "Committed entries not yet applied here.", (_, status) => Math.max(0, status.commitIndex - status.appliedIndex)],
  ["walnut_raft_is_leader", "1 while this node is the leader, else 0.", (_, status) => (status.role === "leader" ? 1 : 0)],
  ["walnut_raft_proposals_pending", "Writes proposed on this node and not yet answered.", (_, status) => status.pendingWrites],
  ["walnut_wal_segments", "WAL segment files.", (source) => source.segments().length],
  ["walnut_keys", "Keys across collections.", (source) => source.engine.size],
];

export class NodeStateMetrics {
  private source: NodeStateSource | null = null;

  constructor(registry: Registry) {
    const sourceOf = (): NodeStateSource | null => this.source;
    for (const [name, help, read] of READINGS) {
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          const source = sourceOf();
          if (source !== null) this.set(read(source, source.status()));
        },
      });
    }
    new Gauge({
      name: "walnut_raft_follower_lag_entries",
      help: "On the leader: entries each peer lacks (the leader's last index minus the peer's match index).",
      labelNames: ["peer"],
      registers: [registry],
      collect() {
        this.reset(); // members removed since the last scrape disappear
        const status = sourceOf()?.status();
        if (status === undefined || status.role !== "leader") return;
        for (const peer of status.peers) {
          if (peer.id !== status.id) this.set({ peer: String(peer.id) }, Math.max(0, status.lastIndex - peer.match));
        }
      },
    });
  }

  /** Reads `source` from now on (the node, once it exists). */
  watch(source: NodeStateSource): void {
    this.source = source;
  }
}
