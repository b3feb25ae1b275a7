/**
 * A node's status report (GET /status) and the cluster's as this node gathers it
 * (GET /cluster/status).
 *
 * /cluster/status lets a page opened on any member draw the whole cluster: a follower
 * knows only who leads, each member alone knows its own commit and applied index, and
 * only the leader knows each peer's match index (hence its lag) and whether it heard from
 * the peer lately. So this node asks every other member for its /status and answers:
 *
 *   {"id": 2, "clusterId": "…", "members": [
 *     {"id": 1, "voter": true, "self": false, "peerAddress": "127.0.0.1:7380",
 *      "httpUrl": "http://127.0.0.1:8380", "status": {…that member's /status…}, "error": null},
 *     {"id": 2, "voter": true, "self": true, …, "status": {…}, "error": null},
 *     {"id": 3, "voter": true, "self": false, …, "status": null, "error": "connect ECONNREFUSED 127.0.0.1:8382"}]}
 *
 * The membership records only where a member listens for peers, not for HTTP. A member's
 * HTTP address is taken to be its peer host with its peer port shifted by this node's own
 * offset (this node's HTTP port minus its peer port): the layout of `walnut cluster up`
 * (HTTP 8380+i, Raft 7380+i) and of any deployment that gives every node the same ports.
 * An answer counts only if it names the member's id; anything else is reported as the
 * member not answering. The request's Authorization header is passed on, since members
 * share their users; over TLS the members are asked over https.
 */
import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";
import { describeError } from "../../lib/errors.js";
import type { NodeStatus } from "../../node/status.js";
import type { ServerContext } from "../server_context.js";

/** How long one member may take to answer before it counts as not answering. */
const MEMBER_ANSWER_TIMEOUT_MS = 800;
/** Largest /status answer read from a member. */
const MEMBER_REPORT_MAX_BYTES = 256 * 1024;
/** Most members asked per request (a Raft cluster is small; this bounds the fan-out). */
const MEMBERS_ASKED_MAX = 15;

/** GET /status's body: the node's status without its local bookkeeping. */
export type StatusReport = Omit<NodeStatus, "pendingWrites" | "checkpointDirectory">;

/** This node's status, as GET /status answers it. */
export function statusReport(context: ServerContext): StatusReport {
  const s = context.executor.node.status();
  return {
    role: s.role,
    id: s.id,
    term: s.term,
    leader: s.leader,
    commitIndex: s.commitIndex,
    appliedIndex: s.appliedIndex,
    lastIndex: s.lastIndex,
    peers: s.peers,
    voters: s.voters,
    learners: s.learners,
    fsync: s.fsync,
    readMode: s.readMode,
    writeError: s.writeError,
    lastCheckpoint: s.lastCheckpoint,
  };
}

export interface MemberReport {
  id: number;
  voter: boolean;
  self: boolean;
  peerAddress: string | null;
  httpUrl: string | null;
  /** The member's own GET /status, as it answered (another version may answer more or fewer fields). */
  status: StatusReport | null;
  error: string | null;
}

/** GET /cluster/status's body. */
export interface ClusterReport {
  /** The member that gathered the report. */
  id: number;
  clusterId: string;
  members: MemberReport[];
}

/** Every member's /status, asked in parallel; the body of GET /cluster/status. */
export async function clusterStatusReport(context: ServerContext, request: IncomingMessage): Promise<ClusterReport> {
  const node = context.executor.node;
  const own = node.status();
  const addresses = node.memberAddresses();
  const toHttpUrl = httpUrlFor(request, addresses[String(own.id)]);
  const ids = [...new Set([...own.voters, ...own.learners, own.id])].sort((a, b) => a - b);
  const members = ids.map(async (id, index): Promise<MemberReport> => {
    const peerAddress = addresses[String(id)] ?? null;
    const base = { id, voter: own.voters.includes(id), self: id === own.id, peerAddress };
    if (id === own.id) return { ...base, httpUrl: null, status: statusReport(context), error: null };
    const httpUrl = peerAddress === null ? null : toHttpUrl(peerAddress);
    if (httpUrl === null) return { ...base, httpUrl, status: null, error: "its HTTP address is unknown (no peer address to derive it from)" };
    if (index >= MEMBERS_ASKED_MAX) return { ...base, httpUrl, status: null, error: `not asked: at most ${MEMBERS_ASKED_MAX} members are` };
    try {
      return { ...base, httpUrl, status: await memberStatus(id, httpUrl, request.headers.authorization), error: null };
    } catch (error) {
      return { ...base, httpUrl, status: null, error: unansweredReason(error) };
    }
  });
  return { id: own.id, clusterId: node.clusterId, members: await Promise.all(members) };
}

/** Maps a member's peer address to its HTTP base URL, or null when this node's own offset is unknown. */
function httpUrlFor(request: IncomingMessage, ownPeerAddress: string | undefined): (peerAddress: string) => string | null {
  const ownPeer = ownPeerAddress === undefined ? null : splitAddress(ownPeerAddress);
  const ownHttpPort = request.socket.localPort;
  const scheme = (request.socket as Partial<TLSSocket>).encrypted === true ? "https" : "http";
  return (peerAddress) => {
    const peer = splitAddress(peerAddress);
    if (ownPeer === null || peer === null || ownHttpPort === undefined) return null;
    const port = peer.port + (ownHttpPort - ownPeer.port);
    if (port < 1 || port > 65535) return null;
    const host = peer.host.includes(":") ? `[${peer.host}]` : peer.host;
    return `${scheme}://${host}:${port}`;
  };
}

/** "host:port" (an IPv6 host unbracketed, as the address book writes it) → parts. */
function splitAddress(address: string): { host: string; port: number } | null {
  const colon = address.lastIndexOf(":");
  const port = Number(address.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port)) return null;
  return { host: address.slice(0, colon).replace(/^\[|\]$/g, ""), port };
}

/** Why a member did not answer; fetch's own "fetch failed" says nothing, its cause does (connect ECONNREFUSED …). */
function unansweredReason(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  return cause === undefined ? describeError(error) : describeError(cause);
}

async function memberStatus(id: number, httpUrl: string, authorization: string | undefined): Promise<StatusReport> {
  const response = await fetch(`${httpUrl}/status`, {
    headers: authorization === undefined ? {} : { authorization },
    redirect: "error",
    signal: AbortSignal.timeout(MEMBER_ANSWER_TIMEOUT_MS),
  });
  const declaredBytes = Number(response.headers.get("content-length") ?? Number.NaN);
  if (!(declaredBytes <= MEMBER_REPORT_MAX_BYTES)) {
    await response.body?.cancel();
    throw new Error(`${httpUrl}/status answered ${response.status} without a length up to ${MEMBER_REPORT_MAX_BYTES} bytes`);
  }
  const text = await response.text();
  if (!response.ok) throw new Error(`${httpUrl}/status answered ${response.status}: ${text.slice(0, 200)}`);
  const report: unknown = JSON.parse(text);
  if (typeof report !== "object" || report === null || (report as { id?: unknown }).id !== id) {
    throw new Error(`${httpUrl}/status is not node ${id}'s status`);
  }
  return report as StatusReport; // checked as far as the id; the page tolerates missing fields
}
