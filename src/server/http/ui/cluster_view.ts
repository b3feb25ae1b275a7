/**
 * What the status page shows about the cluster, worked out from GET /cluster/status (every
 * member's own /status, gathered by the node serving the page; see
 * server/http/cluster_status_route.ts): who leads, each member's role, term, commit and
 * applied index, its lag behind the leader, and who is unreachable. Runs in the browser
 * and in Node (its tests); it imports only types (the wire shapes the server declares).
 *
 * - The leader is the answering member that reports itself leader with the highest term;
 *   when none answers as leader, the one the serving node believes leads.
 * - A member's match index comes from the leader's report; its lag is the leader's last
 *   index minus that match (the leader's own lag is 0). Without the leader's report, lag
 *   is unknown.
 * - A member is unreachable when it did not answer, or when the leader has not heard
 *   from it in UNHEARD_REPORTS_MAX reports in a row. A member that does not answer while
 *   the leader hears from it is likely up with its HTTP port elsewhere than the serving
 *   node guessed: the reason says so. One report is not enough: the
 *   leader's check-quorum clears every peer's `active` flag once per election timeout, and
 *   a healthy peer shows inactive until its next heartbeat answer, a few ms later.
 */
import type {
  ClusterReport as ServerClusterReport,
  MemberReport as ServerMemberReport,
  StatusReport as ServerStatusReport,
} from "../cluster_status_route.js"; // types only: erased, nothing of the server reaches the browser

/** A member's GET /status: the fields the page reads. */
export type StatusReport = Pick<
  ServerStatusReport,
  "role" | "id" | "term" | "leader" | "commitIndex" | "appliedIndex" | "lastIndex" | "voters" | "learners" | "peers"
>;
export type PeerProgress = StatusReport["peers"][number];
export type MemberReport = Omit<ServerMemberReport, "status"> & { status: StatusReport | null };
export type ClusterReport = Omit<ServerClusterReport, "members"> & { members: MemberReport[] };

export interface MemberView {
  id: number;
  self: boolean;
  /** Where it listens for Raft peers (host:port), as the membership records it. */
  peerAddress: string | null;
  /** leader, follower, precandidate, candidate, learner, or unknown when it did not answer. */
  role: string;
  term: number | null;
  commitIndex: number | null;
  appliedIndex: number | null;
  lastIndex: number | null;
  match: number | null;
  lag: number | null;
  /** Why the member counts as unreachable; null when it does not. */
  unreachable: string | null;
}

export interface ClusterView {
  selfId: number;
  /** 0 when no leader is known. */
  leaderId: number;
  term: number;
  members: MemberView[];
}

/** Consecutive reports in which the leader must not have heard from a peer before it counts as unreachable. */
export const UNHEARD_REPORTS_MAX = 3;

/** Turns each /cluster/status report into a view; remembers, across reports, for how long the leader has not heard from each peer. */
export class ClusterWatch {
  private readonly unheardReports = new Map<number, number>();

  update(report: ClusterReport): ClusterView {
    const answered = report.members.flatMap((member) => (member.status === null ? [] : [member.status]));
    const leaderReport = answered.filter((status) => status.role === "leader").sort((a, b) => b.term - a.term)[0] ?? null;
    const own = report.members.find((member) => member.self)?.status ?? null;
    const leaderId = leaderReport?.id ?? own?.leader ?? 0;
    const members = report.members.map((member) => this.memberView(member, { leaderId, leaderReport }));
    const term = Math.max(0, ...answered.map((status) => status.term));
    return { selfId: report.id, leaderId, term, members };
  }

  private memberView(member: MemberReport, cluster: { leaderId: number; leaderReport: StatusReport | null }): MemberView {
    const { status } = member;
    const progress = cluster.leaderReport?.peers.find((peer) => peer.id === member.id) ?? null;
    const isLeader = member.id === cluster.leaderId;
    const match = isLeader ? (cluster.leaderReport?.lastIndex ?? null) : (progress?.match ?? null);
    const lag = cluster.leaderReport === null || match === null ? null : Math.max(0, cluster.leaderReport.lastIndex - match);
    return {
      id: member.id,
      self: member.self,
      peerAddress: member.peerAddress,
      role: status?.role ?? (isLeader ? "leader" : member.voter ? "unknown" : "learner"),
      term: status?.term ?? null,
      commitIndex: status?.commitIndex ?? null,
      appliedIndex: status?.appliedIndex ?? null,
      lastIndex: status?.lastIndex ?? null,
      match,
      lag,
      unreachable: this.unreachableReason(member, isLeader ? null : progress),
    };
  }

  private unreachableReason(member: MemberReport, progress: PeerProgress | null): string | null {
    const unheard = progress !== null && !progress.active ? (this.unheardReports.get(member.id) ?? 0) + 1 : 0;
    this.unheardReports.set(member.id, unheard);
    if (member.status === null && progress?.active === true) return `does not answer over HTTP (${member.error ?? "no report"}), though the leader hears from it`;
    if (member.status === null) return `does not answer: ${member.error ?? "no report"}`;
    if (unheard >= UNHEARD_REPORTS_MAX) return "the leader has not heard from it lately";
    return null;
  }
}
