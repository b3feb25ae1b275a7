/**
 * Garbage at every port a walnut process opens (RESP, HTTP, peer), for the fault campaign
 * and its tests: each connection carries one seeded piece of garbage, and the server must
 * refuse it with a clear error or close it, never hang and never let it through.
 *
 *   const report = await throwGarbage({
 *     targets: { resp: [6380, 6381], http: [8380, 8381], peer: [{ port: 7380, nodeId: 1 }, { port: 7381, nodeId: 2 }] },
 *     cluster: { id: "3f0c...", secret: "S", members: [1, 2, 3] },   // clusterIdentity(httpPort) reads id, members, peers
 *     seed: 42,
 *     durationMs: 3_000,            // and/or connections: 500; whichever ends first
 *   });
 *   report.byPort.peer   // { refused: 120, closed: 31, timedOut: 0, accepted: 0, unreachable: 0 }
 *   describeGarbage(report)  // one line for a log; report.failures holds the bytes of each failure
 *
 * `cluster.secret` is the cluster's real secret (null when it runs without one): the
 * garbage needs it to be wrong on purpose, and to record the session it replays. With
 * peer TLS, the peer garbage only ever reaches the TLS layer, which closes it.
 *
 * Connections go round the targets (every port gets its share), `concurrency` at a time;
 * connection i draws its garbage from Random(seed + i), so a seed replays the same bytes.
 * What each connection ended as (GarbageOutcome):
 *
 *   refused      the server said why: a RESP error reply, an HTTP status >= 400, a peer
 *                error frame; and the connection closed
 *   closed       the connection closed without a word (e.g. after a frame cut short; a
 *                peer listener then logs why on its side)
 *   timedOut     the server neither closed nor refused within `timeoutMs`   (a failure)
 *   accepted     the server answered as if the garbage were fine            (a failure)
 *   unreachable  nothing listens on the port (a node the campaign killed); not garbage's doing
 *
 * The garbage, per port kind (GARBAGE_CASE_NAMES lists every case):
 *   RESP  random bytes; a command cut short; `*999999999`; `$4294967296`; a frame of the wrong type
 *   HTTP  random bytes; a request cut short; Content-Length 99999999999; a broken request
 *         line; headers past the server's bound
 *   peer  random bytes; a hello cut short; a frame length of 2^32 - 1; a hello with a wrong
 *         cluster id or addressed to another node; a member id with a forged proof (the wrong
 *         secret) or no proof, followed by Raft messages with a huge term; a real dialer
 *         with the wrong secret (it hangs up with its reason); a hello from a node that is
 *         not a member, built by the real transport with the right secret, followed by Raft
 *         messages with a huge term; Raft messages without any handshake; a duplicated
 *         hello; a hello and proof replayed from an earlier session
 *
 * Nothing here can change a node's state: no garbage is a complete write (RESP commands
 * are cut short, HTTP writes never get their body), and no peer connection gets past the
 * handshake. The one exception is deliberate and harmless: to record a session for the
 * replay case, each peer port is dialed once as a real member with the real secret, which
 * closes right after the welcome without sending anything.
 */
import * as net from "node:net";
import { createMessage } from "../raft/message.js";
import type { Message, NodeId } from "../raft/types.js";
import { Random } from "../lib/seeded_random.js";
import { ReplyParser } from "../resp/reply_parser.js";
import { encodeCommand } from "../resp/writer.js";
import { encodeFrame, FRAME_KIND, FrameReader, type Frame } from "../transport/frames.js";
import { DialerHandshake, PROOF_BYTES, type HandshakeIdentity } from "../transport/handshake.js";
import { encodeMessage } from "../transport/message_codec.js";

/** How long one connection may stay open without being refused or closed, by default. */
export const GARBAGE_TIMEOUT_MS = 5_000;
/** Connections in flight at once, by default. */
export const GARBAGE_CONCURRENCY = 8;
/** Bytes kept of what a server answers one connection (enough for any refusal). */
const REPLY_BYTES_KEPT = 64 * 1024;
/** Failures described in a report; later ones are only counted. */
const FAILURES_KEPT = 20;
/** Raft terms in garbage messages start here: far above any real term, so a leak shows. */
export const GARBAGE_TERM_MIN = 1_000_000;
/** Node ids of garbage "non-members" start here. */
const STRANGER_ID_MIN = 1_000;
/** Longest random garbage, in bytes. */
const RANDOM_BYTES_MAX = 512;

export type PortKind = "resp" | "http" | "peer";
export type GarbageOutcome = "refused" | "closed" | "timedOut" | "accepted" | "unreachable";
export type OutcomeCounts = Record<GarbageOutcome, number>;

/** A peer port and the node id listening there (well-formed hellos are addressed to it). */
export interface PeerTarget {
  port: number;
  nodeId: NodeId;
}

export interface GarbageOptions {
  targets: { resp: number[]; http: number[]; peer: PeerTarget[] };
  /** The cluster's id, secret and voters and learners: what well-formed peer garbage claims or lacks. */
  cluster: { id: string; secret: string | null; members: NodeId[] };
  seed: number;
  /** Starts no new connection after this long. */
  durationMs?: number;
  /** Starts at most this many connections. */
  connections?: number;
  concurrency?: number;
  timeoutMs?: number;
  host?: string;
}

export interface GarbageFailure {
  kind: PortKind;
  port: number;
  caseName: string;
  outcome: GarbageOutcome;
  /** The first bytes sent and received, latin1. */
  sent: string;
  received: string;
}

export interface GarbageReport {
  seed: number;
  connections: number;
  byPort: Record<PortKind, OutcomeCounts>;
  /** Keyed "kind:case", e.g. "peer:non-member". */
  byCase: Record<string, OutcomeCounts>;
  /** The first refusal text of each case: what the servers said. */
  refusals: Record<string, string>;
  /** timedOut and accepted connections, the first FAILURES_KEPT of them. */
  failures: GarbageFailure[];
}

/** What one connection does: bytes to write, whether to half-close after them, how to answer frames. */
interface Plan {
  writes: Buffer[];
  /** End our side after writing (for garbage the server waits on, e.g. a cut frame). */
  halfClose: boolean;
  /** Peer only: answers to the server's frames (a real dialer's side of the handshake). */
  answer?: (frame: Frame) => { send: Buffer[]; end: boolean };
}

/** Everything a case may build from: the target, the cluster, the recorded session for replays. */
interface CaseContext {
  random: Random;
  target: PeerTarget | null;
  cluster: GarbageOptions["cluster"];
  recorded: RecordedSession | null;
}

interface GarbageCase {
  name: string;
  build(context: CaseContext): Plan;
}

/** The hello and proof of a real, accepted session: replaying them must fail. */
interface RecordedSession {
  hello: Buffer;
  proof: Buffer;
}

/** Throws garbage at every target until `durationMs` or `connections` runs out; resolves with what happened. */
export async function throwGarbage(options: GarbageOptions): Promise<GarbageReport> {
  if (options.durationMs === undefined && options.connections === undefined) throw new Error("throwGarbage needs durationMs or connections");
  const host = options.host ?? "127.0.0.1";
  const endpoints = [
    ...options.targets.resp.map((port) => ({ kind: "resp" as const, port, target: null })),
    ...options.targets.http.map((port) => ({ kind: "http" as const, port, target: null })),
    ...options.targets.peer.map((target) => ({ kind: "peer" as const, port: target.port, target })),
  ];
  if (endpoints.length === 0) throw new Error("throwGarbage needs at least one target");
  const recordings = new Map<number, RecordedSession | null>();
  for (const target of options.targets.peer) recordings.set(target.port, await recordSession(host, target, options.cluster));
  const report = emptyReport(options.seed);
  const deadline = Date.now() + (options.durationMs ?? Number.POSITIVE_INFINITY);
  const limit = options.connections ?? Number.POSITIVE_INFINITY;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < limit && Date.now() < deadline) {
      const index = next++;
      const endpoint = endpoints[index % endpoints.length]!;
      const random = new Random((options.seed + index) >>> 0);
      const garbageCase = random.pick(GARBAGE_CASES[endpoint.kind]);
      const context = { random, target: endpoint.target, cluster: options.cluster, recorded: recordings.get(endpoint.port) ?? null };
      const plan = garbageCase.build(context);
      const result = await converse({ host, port: endpoint.port, kind: endpoint.kind, plan, timeoutMs: options.timeoutMs ?? GARBAGE_TIMEOUT_MS });
      record(report, { kind: endpoint.kind, port: endpoint.port, caseName: garbageCase.name, plan, ...result });
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? GARBAGE_CONCURRENCY }, worker));
  return report;
}

/**
 * A running cluster's id, members and peer ports, from one member's GET /cluster (the
 * secret is not served: the caller knows it).
 */
export async function clusterIdentity(httpPort: number, host = "127.0.0.1"): Promise<{ id: string; members: NodeId[]; peers: PeerTarget[] }> {
  const response = await fetch(`http://${host}:${httpPort}/cluster`, { signal: AbortSignal.timeout(GARBAGE_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`GET /cluster on port ${httpPort} answered ${response.status}`);
  const body = (await response.json()) as { clusterId: string; voters: number[]; learners: number[]; members: Record<string, string> };
  const peers = Object.entries(body.members).map(([id, address]) => ({ nodeId: Number(id), port: Number(/:(\d+)$/.exec(address)?.[1]) }));
  return { id: body.clusterId, members: [...body.voters, ...body.learners], peers };
}

/** "refused 120, closed 31, timedOut 0, ..." per port kind: a line for the campaign's log. */
export function describeGarbage(report: GarbageReport): string {
  const kinds = Object.entries(report.byPort).map(([kind, counts]) => {
    const parts = Object.entries(counts).filter(([, count]) => count > 0).map(([outcome, count]) => `${outcome} ${count}`);
    return `${kind}: ${parts.join(", ") || "none"}`;
  });
  return `garbage seed ${report.seed}, ${report.connections} connections; ${kinds.join("; ")}`;
}

// ---- the garbage -------------------------------------------------------------------

const RESP_COMMANDS: readonly (readonly string[])[] = [
  ["SET", "garbage:key", "value"], ["DEL", "garbage:key"], ["INCR", "garbage:counter"], ["FLUSHALL"], ["RAFT", "REMOVE", "1"],
];

const RESP_CASES: readonly GarbageCase[] = [
  { name: "random-bytes", build: ({ random }) => ({ writes: [randomBytes(random)], halfClose: true }) },
  {
    // Strictly shorter than the whole command, so the server never runs it.
    name: "command-cut-short",
    build: ({ random }) => {
      const command = encodeCommand([...random.pick(RESP_COMMANDS)]);
      return { writes: [command.subarray(0, random.below(command.length))], halfClose: true };
    },
  },
  { name: "huge-multibulk-count", build: () => ({ writes: [Buffer.from("*999999999\r\n", "latin1")], halfClose: false }) },
  { name: "huge-bulk-length", build: () => ({ writes: [Buffer.from("*1\r\n$4294967296\r\n", "latin1")], halfClose: false }) },
  { name: "wrong-frame-type", build: () => ({ writes: [Buffer.from("*2\r\n$3\r\nGET\r\n:5\r\n", "latin1")], halfClose: false }) },
];

/** A PUT with a body: every strict prefix of it is a request the server never completes. */
const HTTP_WRITE = 'PUT /key/garbage:key HTTP/1.1\r\nHost: walnut\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n{"value":"value"}';

const HTTP_CASES: readonly GarbageCase[] = [
  { name: "random-bytes", build: ({ random }) => ({ writes: [randomBytes(random)], halfClose: true }) },
  {
    name: "request-cut-short",
    build: ({ random }) => ({ writes: [Buffer.from(HTTP_WRITE.slice(0, random.below(HTTP_WRITE.length)), "latin1")], halfClose: true }),
  },
  {
    name: "huge-content-length",
    build: () => ({ writes: [Buffer.from('PUT /key/garbage:key HTTP/1.1\r\nHost: walnut\r\nContent-Length: 99999999999\r\n\r\n{"value":', "latin1")], halfClose: false }),
  },
  {
    name: "broken-request-line",
    build: ({ random }) => ({ writes: [Buffer.from(`${random.pick(["GET", "PUT", "\u0001"])} ${random.bytes(8).toString("hex")} HTTP/7\r\n\r\n`, "latin1")], halfClose: false }),
  },
  {
    name: "oversized-headers",
    build: () => ({ writes: [Buffer.from(`GET /status HTTP/1.1\r\nHost: walnut\r\nX-Garbage: ${"g".repeat(64 * 1024)}\r\n\r\n`, "latin1")], halfClose: false }),
  },
];

const PEER_CASES: readonly GarbageCase[] = [
  { name: "random-bytes", build: ({ random }) => ({ writes: [randomBytes(random)], halfClose: true }) },
  {
    name: "hello-cut-short",
    build: (context) => {
      const hello = dialer(context, { nodeId: aMember(context), secret: context.cluster.secret }).hello();
      return { writes: [hello.subarray(0, 1 + context.random.below(hello.length - 1))], halfClose: true };
    },
  },
  {
    name: "frame-length-u32-max",
    build: ({ random }) => ({ writes: [Buffer.from([0xff, 0xff, 0xff, 0xff, 1 + random.below(10)])], halfClose: false }),
  },
  {
    name: "wrong-cluster-id",
    build: (context) => {
      const identity = { nodeId: aMember(context), clusterId: `garbage-${context.random.bytes(4).toString("hex")}`, secret: context.cluster.secret };
      return { writes: [new DialerHandshake(identity, { peerId: context.target!.nodeId, purpose: "messages" }).hello()], halfClose: false };
    },
  },
  {
    name: "hello-for-another-node",
    build: (context) => {
      const identity = { nodeId: aMember(context), clusterId: context.cluster.id, secret: context.cluster.secret };
      const elsewhere = context.target!.nodeId + 1 + context.random.below(5);
      return { writes: [new DialerHandshake(identity, { peerId: elsewhere, purpose: "messages" }).hello()], halfClose: false };
    },
  },
  { name: "forged-proof-then-messages", build: (context) => forgedProof(context, PROOF_BYTES) },
  // Without a cluster secret an empty proof is the right one: then the proof is forged instead.
  { name: "no-proof-then-messages", build: (context) => forgedProof(context, context.cluster.secret === null ? PROOF_BYTES : 0) },
  { name: "real-dialer-wrong-secret", build: (context) => realDialer(context, { nodeId: aMember(context), secret: `wrong-${context.cluster.secret ?? ""}x` }) },
  {
    name: "non-member-then-messages",
    build: (context) => {
      const stranger = aStranger(context);
      const plan = realDialer(context, { nodeId: stranger, secret: context.cluster.secret });
      return { ...plan, writes: [...plan.writes, ...raftMessages(context, stranger)] };
    },
  },
  { name: "messages-without-hello", build: (context) => ({ writes: raftMessages(context, aStranger(context)), halfClose: false }) },
  {
    name: "duplicated-hello",
    build: (context) => {
      const hello = dialer(context, { nodeId: aMember(context), secret: context.cluster.secret }).hello();
      return { writes: [Buffer.concat([hello, hello])], halfClose: false };
    },
  },
  {
    name: "replayed-session",
    build: (context) => {
      if (context.recorded === null) return forgedProof(context, PROOF_BYTES); // no secret to record a session with
      return { writes: [context.recorded.hello, context.recorded.proof], halfClose: false };
    },
  },
];

const GARBAGE_CASES: Readonly<Record<PortKind, readonly GarbageCase[]>> = { resp: RESP_CASES, http: HTTP_CASES, peer: PEER_CASES };

/** The name of every garbage case, by the port kind it is thrown at (report.byCase keys are "kind:name"). */
export const GARBAGE_CASE_NAMES: Readonly<Record<PortKind, readonly string[]>> = {
  resp: RESP_CASES.map((garbageCase) => garbageCase.name),
  http: HTTP_CASES.map((garbageCase) => garbageCase.name),
  peer: PEER_CASES.map((garbageCase) => garbageCase.name),
};

function randomBytes(random: Random): Buffer {
  return random.bytes(1 + random.below(RANDOM_BYTES_MAX));
}

/** A member other than the target (a real member's id is what an impostor would claim). */
function aMember(context: CaseContext): NodeId {
  const others = context.cluster.members.filter((id) => id !== context.target!.nodeId);
  return others.length === 0 ? context.target!.nodeId : context.random.pick(others);
}

function aStranger(context: CaseContext): NodeId {
  let id = STRANGER_ID_MIN + context.random.below(STRANGER_ID_MIN);
  while (context.cluster.members.includes(id)) id += 1;
  return id;
}

function dialer(context: CaseContext, who: { nodeId: NodeId; secret: string | null }): DialerHandshake {
  const identity: HandshakeIdentity = { nodeId: who.nodeId, clusterId: context.cluster.id, secret: who.secret };
  return new DialerHandshake(identity, { peerId: context.target!.nodeId, purpose: "messages" });
}

/** A member's hello, then a proof of `proofBytes` random bytes (no HMAC of the secret), then Raft messages. */
function forgedProof(context: CaseContext, proofBytes: number): Plan {
  const member = aMember(context);
  const hello = dialer(context, { nodeId: member, secret: context.cluster.secret }).hello();
  const proof = encodeFrame(FRAME_KIND.proof, Buffer.concat([Buffer.from([proofBytes]), context.random.bytes(proofBytes)]));
  return { writes: [hello, proof, ...raftMessages(context, member)], halfClose: false };
}

/** The transport's own dialer side: it answers the challenge (with a proof, or its reason for hanging up). */
function realDialer(context: CaseContext, who: { nodeId: NodeId; secret: string | null }): Plan {
  const handshake = dialer(context, who);
  return {
    writes: [handshake.hello()],
    halfClose: false,
    answer: (frame) => {
      const step = handshake.receive(frame);
      return { send: step.send, end: step.outcome.state !== "pending" };
    },
  };
}

/** Well-formed Raft message frames from `from` with a huge term: a vote, an append, a heartbeat, a timeoutNow. */
function raftMessages(context: CaseContext, from: NodeId): Buffer[] {
  const to = context.target!.nodeId;
  const term = GARBAGE_TERM_MIN + context.random.below(GARBAGE_TERM_MIN);
  const entry = { index: term, term, type: "normal" as const, data: context.random.bytes(32) };
  const messages: Message[] = [
    createMessage({ type: "vote", from, to, term, logIndex: term, logTerm: term }),
    createMessage({ type: "append", from, to, term, logIndex: 0, logTerm: 0, commit: term, entries: [entry] }),
    createMessage({ type: "heartbeat", from, to, term, commit: term }),
    createMessage({ type: "timeoutNow", from, to, term }),
  ];
  return messages.map((message) => encodeFrame(FRAME_KIND.message, encodeMessage(message)));
}

// ---- talking to a port -------------------------------------------------------------

interface ConversationResult {
  outcome: GarbageOutcome;
  /** The refusal's text, or what came back instead. */
  text: string;
  received: Buffer;
}

/** Opens one connection, carries out `plan`, and waits until the server closes (or the time is up). */
function converse(options: { host: string; port: number; kind: PortKind; plan: Plan; timeoutMs: number }): Promise<ConversationResult> {
  const { plan } = options;
  return new Promise((resolve) => {
    const socket = net.connect({ host: options.host, port: options.port });
    const received: Buffer[] = [];
    let receivedBytes = 0;
    let connected = false;
    const reader = plan.answer === undefined ? null : new FrameReader(REPLY_BYTES_KEPT);
    const finish = (forced: "timedOut" | null): void => {
      clearTimeout(timer);
      socket.destroy();
      const bytes = Buffer.concat(received);
      resolve({ ...classify(options.kind, bytes, forced ?? (connected ? null : "unreachable")), received: bytes });
    };
    const timer = setTimeout(() => finish("timedOut"), options.timeoutMs);
    socket.on("connect", () => {
      connected = true;
      for (const bytes of plan.writes) socket.write(bytes);
      if (plan.halfClose) socket.end();
    });
    socket.on("data", (chunk: Buffer) => {
      if (receivedBytes < REPLY_BYTES_KEPT) received.push(chunk);
      receivedBytes += chunk.length;
      if (reader !== null) answerFrames(socket, reader, chunk, plan);
    });
    socket.on("error", () => {}); // a reset is one way to be closed; "close" follows
    socket.on("close", () => finish(null));
  });
}

function answerFrames(socket: net.Socket, reader: FrameReader, chunk: Buffer, plan: Plan): void {
  let frames: Frame[];
  try {
    frames = reader.push(chunk);
  } catch {
    return; // not frames: classify() reports what came back
  }
  for (const frame of frames) {
    const answer = plan.answer!(frame);
    for (const bytes of answer.send) socket.write(bytes);
    if (answer.end) socket.end();
  }
}

/** What the bytes a server sent back say about the connection. */
function classify(kind: PortKind, bytes: Buffer, forced: "timedOut" | "unreachable" | null): Omit<ConversationResult, "received"> {
  const answer = kind === "resp" ? respAnswer(bytes) : kind === "http" ? httpAnswer(bytes) : peerAnswer(bytes);
  if (forced !== null) return { outcome: forced, text: answer.text };
  return answer;
}

function respAnswer(bytes: Buffer): { outcome: GarbageOutcome; text: string } {
  const parser = new ReplyParser();
  parser.feed(bytes);
  try {
    let other: string | null = null;
    for (let reply = parser.next(); reply !== null; reply = parser.next()) {
      if (reply.type === "error") return { outcome: "refused", text: reply.text };
      other ??= JSON.stringify(reply);
    }
    return other === null ? { outcome: "closed", text: "" } : { outcome: "accepted", text: other };
  } catch (error) {
    return { outcome: "accepted", text: `unreadable RESP reply (${String(error)}): ${bytes.toString("latin1", 0, 200)}` };
  }
}

function httpAnswer(bytes: Buffer): { outcome: GarbageOutcome; text: string } {
  if (bytes.length === 0) return { outcome: "closed", text: "" };
  const text = bytes.toString("latin1", 0, Math.min(bytes.length, 300));
  const status = /^HTTP\/1\.[01] (\d{3})[^\r\n]*/.exec(text);
  if (status === null) return { outcome: "accepted", text: `not an HTTP response: ${text}` };
  return { outcome: Number(status[1]) >= 400 ? "refused" : "accepted", text: status[0] };
}

function peerAnswer(bytes: Buffer): { outcome: GarbageOutcome; text: string } {
  let frames: Frame[];
  try {
    frames = new FrameReader(REPLY_BYTES_KEPT).push(bytes);
  } catch (error) {
    return { outcome: "accepted", text: `not peer frames: ${String(error)}` };
  }
  const error = frames.find((frame) => frame.kind === FRAME_KIND.error);
  if (error !== undefined) return { outcome: "refused", text: error.payload.toString("utf8") };
  if (frames.some((frame) => frame.kind === FRAME_KIND.welcome)) return { outcome: "accepted", text: "welcome" };
  return { outcome: "closed", text: "" };
}

/**
 * Dials `target` as a real member with the real secret and keeps the hello and proof it
 * sent once the listener welcomes it; null without a secret (a replay proves nothing then)
 * or when the session does not complete.
 */
async function recordSession(host: string, target: PeerTarget, cluster: GarbageOptions["cluster"]): Promise<RecordedSession | null> {
  const member = cluster.members.find((id) => id !== target.nodeId);
  if (cluster.secret === null || member === undefined) return null;
  const handshake = new DialerHandshake({ nodeId: member, clusterId: cluster.id, secret: cluster.secret }, { peerId: target.nodeId, purpose: "messages" });
  const hello = handshake.hello();
  const session: { proof: Buffer | null; welcomed: boolean } = { proof: null, welcomed: false };
  const plan: Plan = {
    writes: [hello],
    halfClose: false,
    answer: (frame) => {
      const step = handshake.receive(frame);
      if (step.outcome.state === "pending") session.proof = step.send[0] ?? null;
      session.welcomed = step.outcome.state === "accepted";
      return { send: step.send, end: step.outcome.state !== "pending" };
    },
  };
  await converse({ host, port: target.port, kind: "peer", plan, timeoutMs: GARBAGE_TIMEOUT_MS });
  return session.welcomed && session.proof !== null ? { hello, proof: session.proof } : null;
}

// ---- the report --------------------------------------------------------------------

function noOutcomes(): OutcomeCounts {
  return { refused: 0, closed: 0, timedOut: 0, accepted: 0, unreachable: 0 };
}

function emptyReport(seed: number): GarbageReport {
  return { seed, connections: 0, byPort: { resp: noOutcomes(), http: noOutcomes(), peer: noOutcomes() }, byCase: {}, refusals: {}, failures: [] };
}

function record(report: GarbageReport, result: { kind: PortKind; port: number; caseName: string; plan: Plan } & ConversationResult): void {
  const key = `${result.kind}:${result.caseName}`;
  report.connections += 1;
  report.byPort[result.kind][result.outcome] += 1;
  (report.byCase[key] ??= noOutcomes())[result.outcome] += 1;
  if (result.outcome === "refused") report.refusals[key] ??= result.text;
  if ((result.outcome === "timedOut" || result.outcome === "accepted") && report.failures.length < FAILURES_KEPT) {
    report.failures.push({
      kind: result.kind,
      port: result.port,
      caseName: result.caseName,
      outcome: result.outcome,
      sent: Buffer.concat(result.plan.writes).toString("latin1", 0, 300),
      received: result.received.toString("latin1", 0, 300),
    });
  }
}
