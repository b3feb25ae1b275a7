/**
 * RAFT STATUS | ADD id host:port [LEARNER] | REMOVE id | TRANSFER id: the cluster's
 * membership and leadership from any RESP client (redis-cli, walnut cli).
 *
 *   RAFT ADD 4 127.0.0.1:7383 LEARNER   a new member that receives the log but does not vote
 *   RAFT ADD 4 127.0.0.1:7383           a voter (promotes a learner once it has caught up)
 *   RAFT REMOVE 2                        one server at a time
 *   RAFT TRANSFER 3                      hand leadership to node 3 (on the leader)
 */
import type { ByteString } from "../../engine/bytes.js";
import { array, bulk, error, integer, OK, type Reply } from "../../engine/reply.js";
import { describeError } from "../../lib/errors.js";
import type { ServerContext } from "../server_context.js";

function nodeIdOf(text: string | undefined): number | null {
  if (text === undefined || !/^\d+$/.test(text)) return null;
  const id = Number(text);
  return Number.isSafeInteger(id) && id > 0 ? id : null;
}

export function raftStatusReply(context: ServerContext): Reply {
  const node = context.executor.node;
  const status = node.status();
  const members = node.memberAddresses();
  return {
    type: "map",
    entries: [
      [bulk("id"), integer(status.id)],
      [bulk("cluster_id"), bulk(node.clusterId)],
      [bulk("role"), bulk(status.role)],
      [bulk("read_mode"), bulk(status.readMode)],
      [bulk("term"), integer(status.term)],
      [bulk("leader"), integer(status.leader)],
      [bulk("commit_index"), integer(status.commitIndex)],
      [bulk("applied_index"), integer(status.appliedIndex)],
      [bulk("last_index"), integer(status.lastIndex)],
      [bulk("voters"), array(status.voters.map((id) => integer(id)))],
      [bulk("learners"), array(status.learners.map((id) => integer(id)))],
      [bulk("members"), { type: "map", entries: Object.entries(members).map(([id, address]) => [integer(Number(id)), bulk(address)]) }],
      [bulk("peers"), array(status.peers.map((peer) => bulk(`${peer.id} match=${peer.match} next=${peer.next} state=${peer.state} active=${peer.active}`)))],
    ],
  };
}

/** RAFT ...: a reply now, or a promise for changes that wait for their log entry to apply. */
export function raftCommand(context: ServerContext, args: ByteString[]): Reply | Promise<Reply> {
  const sub = (args[0] ?? "").toUpperCase();
  const node = context.executor.node;
  const settle = (pending: Promise<void>): Promise<Reply> => pending.then(() => OK, (cause: unknown) => error("ERR", describeError(cause)));
  switch (sub) {
    case "STATUS":
      return raftStatusReply(context);
    case "ADD": {
      const id = nodeIdOf(args[1]);
      const address = args[2];
      const learner = args[3]?.toUpperCase() === "LEARNER";
      if (id === null || address === undefined || !/^[^\s]+:\d+$/.test(address) || (args.length === 4 && !learner) || args.length > 4) {
        return error("ERR", "usage: RAFT ADD <id> <host:port> [LEARNER]");
      }
      return settle(node.changeMembership({ type: learner ? "addLearner" : "addVoter", node: id, address }));
    }
    case "REMOVE": {
      const id = nodeIdOf(args[1]);
      if (id === null || args.length !== 2) return error("ERR", "usage: RAFT REMOVE <id>");
      return settle(node.changeMembership({ type: "remove", node: id }));
    }
    case "TRANSFER": {
      const id = nodeIdOf(args[1]);
      if (id === null || args.length !== 2) return error("ERR", "usage: RAFT TRANSFER <id>");
      const status = node.status();
      if (status.role !== "leader") return error("ERR", `not the leader: send RAFT TRANSFER to node ${status.leader}`);
      if (!status.voters.includes(id)) return error("ERR", `node ${id} is not a voter`);
      node.transferLeadership(id);
      return OK;
    }
    default:
      return error("ERR", `unknown subcommand '${args[0] ?? ""}'. Try RAFT STATUS|ADD|REMOVE|TRANSFER.`);
  }
}
