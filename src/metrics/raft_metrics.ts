/**
 * Raft events, counted where the node sees them happen:
 *
 *   walnut_raft_elections_total            counter  elections this node started (it voted for itself in a new term)
 *   walnut_raft_leader_changes_total       counter  times this node learned of a new leader
 *   walnut_raft_snapshots_sent_total       counter  checkpoints streamed to a follower behind the log
 *   walnut_raft_snapshots_received_total   counter  checkpoints received from the leader and checked
 *
 * The state behind them (term, indexes, lag) is read at scrape time: node_state_metrics.ts.
 */
import { Counter, type Registry } from "prom-client";

export class RaftMetrics {
  private readonly elections: Counter;
  private readonly leaderChanges: Counter;
  private readonly snapshotsSent: Counter;
  private readonly snapshotsReceived: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.elections = new Counter({ name: "walnut_raft_elections_total", help: "Elections this node started.", registers });
    this.leaderChanges = new Counter({ name: "walnut_raft_leader_changes_total", help: "Times this node learned of a new leader.", registers });
    this.snapshotsSent = new Counter({
      name: "walnut_raft_snapshots_sent_total",
      help: "Checkpoints streamed to followers too far behind for the log.",
      registers,
    });
    this.snapshotsReceived = new Counter({
      name: "walnut_raft_snapshots_received_total",
      help: "Checkpoints received from the leader (written and checked).",
      registers,
    });
  }

  electionStarted(): void {
    this.elections.inc();
  }

  leaderChanged(): void {
    this.leaderChanges.inc();
  }

  snapshotSent(): void {
    this.snapshotsSent.inc();
  }

  snapshotReceived(): void {
    this.snapshotsReceived.inc();
  }
}
