/**
 * `walnut serve --join host:port --id N --peer-port P`: a new node joins a running cluster
 * through any member's RESP port. It asks for the cluster's membership, adds itself as a
 * learner (it receives the log but does not vote), proves with a peer handshake that it
 * holds the cluster's secret (else it removes itself again and stops), starts with that
 * membership, and once it has caught up with the commit index, promotes itself to voter.
 * A node that is already a member at the same peer address (a restart with the same
 * flags) just starts; a new node with a member's id is refused.
 *
 * The member is asked over RESP as a client would: with the default user's password
 * (this node's --requirepass, since members share their users) and over TLS when this node
 * serves TLS (--tls-cert; --tls-ca then checks the member's certificate). The peer
 * handshake uses the same mutual TLS (--peer-tls-*) the node will run with.
 */
import type { ConnectionOptions } from "node:tls";
import { RespClient } from "../client/resp_client.js";
import type { Reply } from "../engine/reply.js";
import { parsePeers, type PeerAddress } from "../config/peers.js";
import { toText } from "../engine/bytes.js";
import { describeError, WalnutError } from "../lib/errors.js";
import { readControlFile } from "../node/control_file.js";
import type { ClusterOptions } from "../node/node.js";
import type { Node } from "../node/node.js";
import { dialPeer } from "../transport/dial.js";
import { HANDSHAKE_FRAME_BYTES_MAX } from "../transport/handshake.js";
import type { MutualTlsOptions } from "../transport/dial.js";

const PROMOTE_POLL_MS = 200;
/** How long RAFT ADD is retried while the cluster has no leader (it was just started, or is electing one). */
const ADD_RETRY_MS = 15_000;
const PROMOTE_GIVE_UP_MS = 10 * 60_000;

/** How this node reaches the member it joins through, as a RESP client. */
export interface JoinClientOptions {
  /** The default user's password (--requirepass); null: none. */
  password: string | null;
  /** Connect over TLS with these options; undefined: plain TCP. */
  tls?: ConnectionOptions;
}

interface ClusterView {
  /** The member that answered. */
  id: number;
  clusterId: string;
  commitIndex: number;
  voters: number[];
  learners: number[];
  members: Map<number, PeerAddress>;
}

function field(reply: Reply, name: string): Reply | undefined {
  if (reply.type !== "map") return undefined;
  return reply.entries.find(([key]) => key.type === "bulk" && key.value === name)?.[1];
}

function numbers(reply: Reply | undefined): number[] {
  return reply?.type === "array" ? reply.items.map((item) => (item.type === "integer" ? Number(item.value) : 0)) : [];
}

async function clusterView(client: RespClient): Promise<ClusterView> {
  const reply = await client.command(["RAFT", "STATUS"]);
  if (reply.type === "error") throw new WalnutError("BAD_CONFIG", `Cannot join: RAFT STATUS answered ${reply.text}`);
  const members = new Map<number, PeerAddress>();
  const memberReply = field(reply, "members");
  if (memberReply?.type === "map") {
    for (const [id, address] of memberReply.entries) {
      if (id.type !== "integer" || address.type !== "bulk") continue;
      for (const [peerId, at] of parsePeers(`${id.value}=${toText(address.value)}`, "the cluster's member list")) members.set(peerId, at);
    }
  }
  const idReply = field(reply, "cluster_id");
  const commitReply = field(reply, "commit_index");
  const memberIdReply = field(reply, "id");
  return {
    id: memberIdReply?.type === "integer" ? Number(memberIdReply.value) : 0,
    clusterId: idReply?.type === "bulk" ? toText(idReply.value) : "",
    commitIndex: commitReply?.type === "integer" ? Number(commitReply.value) : 0,
    voters: numbers(field(reply, "voters")),
    learners: numbers(field(reply, "learners")),
    members,
  };
}

async function connect(target: string, options: JoinClientOptions): Promise<RespClient> {
  const match = /^(.+):(\d+)$/.exec(target);
  if (match === null) throw new WalnutError("BAD_CONFIG", `--join must be host:port of a member's RESP port (got "${target}")`);
  const host = match[1] as string;
  const client = await RespClient.connect({ host, port: Number(match[2]), ...(options.tls === undefined ? {} : { tls: { servername: host, ...options.tls } }) });
  const auth = options.password === null ? [] : ["AUTH", "default", options.password];
  const hello = await client.command(["HELLO", "3", ...auth]);
  if (hello.type === "error") throw new WalnutError("BAD_CONFIG", `Cannot join through ${target}: ${hello.text}`);
  return client;
}

/** What prepareJoin found: the cluster options to start with, and whether it added this node. */
export interface JoinPlan {
  cluster: ClusterOptions;
  /** True when this run added the node (as a learner): if it then fails to start, undoJoin. */
  added: boolean;
}

/** Adds this node as a learner if needed; the cluster options it must start with. */
export async function prepareJoin(options: {
  target: string;
  nodeId: number;
  dataDir: string;
  listen: PeerAddress;
  secret: string | null;
  client: JoinClientOptions;
  peerTls?: MutualTlsOptions;
}): Promise<JoinPlan> {
  const client = await connect(options.target, options.client);
  try {
    let view = await clusterView(client);
    const known = view.voters.includes(options.nodeId) || view.learners.includes(options.nodeId);
    const address = `${options.listen.host}:${options.listen.port}`;
    if (known) refuseTakenId(options, view, address);
    await refuseForeignDataDir(options, view, known);
    if (!known) {
      const added = await addLearner(client, options.nodeId, address);
      if (added.type === "error") throw new WalnutError("BAD_CONFIG", `Cannot join: RAFT ADD answered ${added.text}`);
      view = await clusterView(client);
    }
    // A node must start with the cluster's real membership: with an empty or partial one it
    // could elect itself alone and lose committed entries.
    if (view.voters.length === 0 || !(view.voters.includes(options.nodeId) || view.learners.includes(options.nodeId))) {
      throw new WalnutError("BAD_CONFIG", `Cannot join through ${options.target}: the cluster did not report a membership that includes node ${options.nodeId}`);
    }
    await proveSecret(options, view).catch(async (error: unknown) => {
      if (!known) await client.command(["RAFT", "REMOVE", String(options.nodeId)]).catch(() => undefined);
      const reason = describeError(error);
      const hint = /secret/.test(reason) ? " (is --cluster-secret the cluster's?)" : "";
      const undone = known ? "" : `; node ${options.nodeId} was removed from the cluster again`;
      throw new WalnutError("BAD_CONFIG", `Cannot join through ${options.target}: ${reason}${hint}${undone}`);
    });
    view.members.set(options.nodeId, options.listen);
    const cluster: ClusterOptions = {
      listen: options.listen,
      peers: view.members,
      secret: options.secret,
      ...(options.peerTls === undefined ? {} : { tls: options.peerTls }),
      clusterId: view.clusterId,
      initialConfState: { voters: view.voters, learners: view.learners },
    };
    return { cluster, added: !known };
  } finally {
    client.close();
  }
}

/** RAFT ADD ... LEARNER, retried for a while when the answer is "retry shortly" (no leader yet, a change pending). */
async function addLearner(client: RespClient, nodeId: number, address: string): Promise<Reply> {
  const deadline = Date.now() + ADD_RETRY_MS;
  for (;;) {
    const added = await client.command(["RAFT", "ADD", String(nodeId), address, "LEARNER"]);
    if (added.type !== "error" || !/retry shortly/.test(added.text) || Date.now() > deadline) return added;
    await new Promise((resolve) => setTimeout(resolve, PROMOTE_POLL_MS));
  }
}

/**
 * The data directory must be new, or this very node's in this cluster (a restart). Found
 * only when the node opens it, after RAFT ADD, a foreign one (README's join line once
 * landed in ./walnut-data, which `npm start` uses) left the cluster a learner that never
 * answers; checked here, nothing is asked of the cluster.
 */
async function refuseForeignDataDir(options: { target: string; nodeId: number; dataDir: string }, view: ClusterView, known: boolean): Promise<void> {
  const control = await readControlFile(options.dataDir);
  if (control === null) return;
  const holds = `${options.dataDir} already holds node ${control.nodeId} of cluster ${control.clusterId}`;
  const fix = "give the new node an empty --data-dir";
  if (control.clusterId !== view.clusterId) {
    throw new WalnutError("BAD_CONFIG", `Cannot join through ${options.target}: ${holds}, not of this cluster (${view.clusterId}); ${fix}`);
  }
  if (control.nodeId !== options.nodeId) {
    throw new WalnutError("BAD_CONFIG", `Cannot join through ${options.target}: ${holds}, not node ${options.nodeId}; ${fix} (or --id ${control.nodeId})`);
  }
  if (!known) {
    throw new WalnutError(
      "BAD_CONFIG",
      `Cannot join through ${options.target}: ${holds}, which is no longer a member (it was removed); a removed node must not come back with its old data: ${fix} and a new --id`,
    );
  }
}

/**
 * This run added the node but it could not start (its data directory, a port): remove it
 * again, so the cluster is not left with a learner that never answers. Best effort: the
 * reason the node could not start is what the operator needs first, so a failure here is
 * only added to that message.
 */
export async function undoJoin(options: { target: string; nodeId: number; client: JoinClientOptions }): Promise<string> {
  try {
    const client = await connect(options.target, options.client);
    try {
      const removed = await client.command(["RAFT", "REMOVE", String(options.nodeId)]);
      if (removed.type === "error") return `; removing node ${options.nodeId} from the cluster again failed (${removed.text}): run RAFT REMOVE ${options.nodeId} on the leader`;
      return `; node ${options.nodeId} was removed from the cluster again`;
    } finally {
      client.close();
    }
  } catch (error) {
    return `; removing node ${options.nodeId} from the cluster again failed (${describeError(error)}): run RAFT REMOVE ${options.nodeId} on the leader`;
  }
}

/**
 * A member with our id listening elsewhere is another node: starting would give the
 * cluster two voices for one id (and a voter with an empty log). Same address: a restart.
 */
function refuseTakenId(options: { target: string; nodeId: number }, view: ClusterView, address: string): void {
  const recorded = view.members.get(options.nodeId);
  if (recorded === undefined || `${recorded.host}:${recorded.port}` === address) return;
  throw new WalnutError(
    "BAD_CONFIG",
    `Cannot join through ${options.target}: node ${options.nodeId} is already a member of the cluster (at ${recorded.host}:${recorded.port}, not ${address}); give the new node an unused --id`,
  );
}

/**
 * Opens a peer connection to the member we asked, as the node we now are: its challenge
 * proves it knows the secret we were given, so a wrong --cluster-secret is found here,
 * and not later as a node that never hears from its peers.
 */
async function proveSecret(options: { nodeId: number; secret: string | null; peerTls?: MutualTlsOptions }, view: ClusterView): Promise<void> {
  const address = view.members.get(view.id);
  if (address === undefined) throw new WalnutError("BAD_CONFIG", `the member that answered (node ${view.id}) reported no peer address`);
  const connection = await dialPeer({
    identity: { nodeId: options.nodeId, clusterId: view.clusterId, secret: options.secret },
    peerId: view.id,
    address,
    purpose: "messages",
    tls: options.peerTls ?? null,
    maxFrameBytes: HANDSHAKE_FRAME_BYTES_MAX,
    counters: { bytesSent: 0, bytesReceived: 0 },
    onFrame: () => {},
  });
  connection.close();
}

/** Once this learner has caught up, asks the cluster to make it a voter. */
export async function promoteWhenCaughtUp(options: {
  target: string;
  client: JoinClientOptions;
  node: Node;
  listen: PeerAddress;
  log: (m: string) => void;
}): Promise<void> {
  const deadline = Date.now() + PROMOTE_GIVE_UP_MS;
  const client = await connect(options.target, options.client);
  try {
    for (;;) {
      const status = options.node.status();
      if (status.voters.includes(options.node.id)) return;
      const view = await clusterView(client);
      if (status.appliedIndex >= view.commitIndex && status.leader !== 0) {
        const address = `${options.listen.host}:${options.listen.port}`;
        const promoted = await client.command(["RAFT", "ADD", String(options.node.id), address]);
        if (promoted.type !== "error") {
          options.log(`caught up at index ${status.appliedIndex}: now a voter`);
          return;
        }
        options.log(`promotion to voter refused (${promoted.text}); retrying`);
      }
      if (Date.now() > deadline) throw new WalnutError("TIMEOUT", "Cannot promote this node to voter: it did not catch up in time");
      await new Promise((resolve) => setTimeout(resolve, PROMOTE_POLL_MS));
    }
  } finally {
    client.close();
  }
}
