/**
 * What a node reports about itself (GET /status, RAFT STATUS, INFO): its Raft role and
 * indexes, durability settings, the last checkpoint and where checkpoints live,
 * membership and each peer's progress.
 */
import type { RaftStatus, ReadMode, Role } from "../raft/types.js";
import type { FsyncMode } from "../wal/wal.js";
import type { ControlFile } from "./control_file.js";

/**
 * Raft's roles (a "precandidate" asks whether it could win before it starts an election:
 * pre-vote), and "removed": the cluster removed this node (removal.ts).
 */
export type NodeRole = Role | "removed";

export interface NodeStatus {
  role: NodeRole;
  id: number;
  term: number;
  leader: number;
  commitIndex: number;
  appliedIndex: number;
  lastIndex: number;
  fsync: FsyncMode;
  /** How a linearizable read is confirmed while this node leads (--read-mode). */
  readMode: ReadMode;
  pendingWrites: number;
  writeError: string | null;
  lastCheckpoint: { index: number; term: number; id: number };
  /**
   * Where this node keeps its checkpoint files (GET /checkpoints lists them). A node always
   * reports it; it is optional so that statuses made by hand (tests) need not invent one.
   */
  checkpointDirectory?: string;
  voters: number[];
  learners: number[];
  peers: Array<{ id: number; match: number; next: number; state: string; active: boolean; learner: boolean }>;
}

export function describeStatus(from: {
  raft: RaftStatus;
  control: ControlFile;
  appliedIndex: number;
  fsync: FsyncMode;
  pendingWrites: number;
  writeError: Error | null;
  removed: boolean;
}): NodeStatus {
  const { raft, control } = from;
  return {
    role: from.removed ? "removed" : raft.role,
    id: control.nodeId,
    term: raft.term,
    leader: raft.leader,
    commitIndex: raft.commit,
    appliedIndex: from.appliedIndex,
    lastIndex: raft.lastIndex,
    fsync: from.fsync,
    readMode: raft.readMode,
    pendingWrites: from.pendingWrites,
    writeError: from.writeError?.message ?? null,
    lastCheckpoint: { index: control.lastCheckpointIndex, term: control.lastCheckpointTerm, id: control.lastCheckpointId },
    checkpointDirectory: control.checkpointDirectory,
    voters: raft.confState.voters,
    learners: raft.confState.learners,
    peers: [...raft.progress].map(([id, p]) => ({
      id,
      match: p.match,
      next: p.next,
      state: p.state,
      active: p.recentActive,
      learner: p.isLearner,
    })),
  };
}
