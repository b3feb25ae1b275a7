/**
 * PeerTransport: how a walnut node talks to the other members of its Raft group. It
 * listens for peers (TCP, or mutual TLS), accepts only connections that pass the
 * handshake, and hands each decoded Raft message to `onMessage`, each streamed
 * snapshot to `onSnapshot` and each peer's question to `onQuestion`. Outbound, it keeps
 * one lazily opened connection per peer (peer_link.ts) for messages and opens a fresh one
 * per snapshot (snapshot_stream.ts) and per question (peer_question.ts).
 *
 * Nothing here blocks the caller or retries on its own: Raft's heartbeats and retries
 * drive everything, and a message that cannot be delivered is dropped and reported
 * through `onUnreachable`.
 */
import * as net from "node:net";
import * as tls from "node:tls";
import { assert } from "../lib/assert.js";
import { describeError, WalnutError } from "../lib/errors.js";
import { limits } from "../lib/limits.js";
import type { Log } from "../lib/log.js";
import { isLocalMessage } from "../raft/message.js";
import type { Message, NodeId, SnapshotMetadata } from "../raft/types.js";
import { acceptPeer } from "./accept.js";
import { ERROR_FRAME_LINGER_MS, type FramedConnection, type FrameHandler } from "./connection.js";
import { dialPeer, type MutualTlsOptions, type PeerAddress } from "./dial.js";
import { PeerTransportError } from "./errors.js";
import { encodeFrame, FRAME_KIND, frameKindName, type Frame } from "./frames.js";
import { encodeErrorFrame, isRemovedRefusal, type ConnectionPurpose, type HandshakeIdentity } from "./handshake.js";
import { decodeMessage, encodeMessage } from "./message_codec.js";
import { PeerLink, type ReconnectBackoff } from "./peer_link.js";
import { answerQuestion, askPeer, type QuestionHandler } from "./peer_question.js";
import { receiveSnapshot, sendSnapshot, type SnapshotHandler } from "./snapshot_stream.js";

/** Messages waiting per peer before new ones are dropped. */
export const MAX_QUEUED_MESSAGES_PER_PEER = 4096;
/** Largest frame after the handshake: a maximal entry plus room for the message around it. */
export const MAX_FRAME_BYTES = limits.entryBytesMax + 1024 * 1024;
/** Bytes per snapshotChunk frame. */
export const SNAPSHOT_CHUNK_BYTES = 1024 * 1024;
/** Snapshot bytes buffered for a slow onSnapshot consumer before the socket is paused. */
export const SNAPSHOT_BUFFER_BYTES = 8 * 1024 * 1024;
/** Inbound connections open at once (handshaking or not); more are closed on arrival. */
export const MAX_INBOUND_CONNECTIONS = 1024;
/** Encoded bytes waiting per peer before new messages are dropped. */
export const MAX_QUEUED_BYTES_PER_PEER = limits.peerQueuedBytesMax;
/** Dials to a down peer: 50–100 ms after the first failure, then never more than limits.peerReconnectBackoffMaxMs apart. */
export const DEFAULT_RECONNECT_BACKOFF: ReconnectBackoff = { initialMs: 100, maxMs: limits.peerReconnectBackoffMaxMs };

export type { MutualTlsOptions, PeerAddress } from "./dial.js";
export type { ReconnectBackoff } from "./peer_link.js";
export type { SnapshotHandler } from "./snapshot_stream.js";
export type { QuestionHandler } from "./peer_question.js";
export { isPeerTransportError, PeerTransportError, type PeerTransportErrorCode } from "./errors.js";

export interface PeerTransportOptions {
  nodeId: NodeId;
  clusterId: string;
  /** Shared by every member; both ends of a connection prove they know it. Null: no authentication. */
  secret: string | null;
  listen: PeerAddress;
  /** The other members and where they listen (this node may be listed too; it is ignored). */
  peers: Map<NodeId, PeerAddress>;
  /** Mutual TLS: every connection is encrypted and both ends show a certificate signed by `ca`. */
  tls?: MutualTlsOptions;
  onMessage: (message: Message) => void;
  onSnapshot: SnapshotHandler;
  /** Answers a peer's question (ask); without it, questions are refused. */
  onQuestion?: QuestionHandler;
  /** A message to this peer was dropped (queue full, peer down, connection lost). */
  onUnreachable?: (peerId: NodeId) => void;
  /** Listening: whether a dialer that is not a member was removed by an applied change. */
  wasRemoved?: (id: NodeId) => boolean;
  /** Dialing: a peer refused this node as removed from the cluster (the peer's reason). */
  onRemoved?: (reason: string) => void;
  log?: Log;
  maxQueuedMessagesPerPeer?: number;
  /** Encoded bytes waiting per peer (default MAX_QUEUED_BYTES_PER_PEER). */
  maxQueuedBytesPerPeer?: number;
  maxFrameBytes?: number;
  /** Inbound connections open at once (default MAX_INBOUND_CONNECTIONS). */
  maxInboundConnections?: number;
  reconnectBackoff?: ReconnectBackoff;
  /** Jitter for reconnect backoff, in [0, 1). */
  random?: () => number;
  now?: () => number;
}

export interface PeerTransportStats {
  messagesSent: number;
  messagesReceived: number;
  messagesDropped: number;
  bytesSent: number;
  bytesReceived: number;
  /** Dials to a peer after its first one. */
  reconnects: number;
  /** Inbound connections refused before or during the handshake (including TLS). */
  refusedHandshakes: number;
  /** Authenticated connections closed for sending something malformed or unexpected. */
  protocolErrors: number;
  snapshotsSent: number;
  snapshotsReceived: number;
}

export class PeerTransport {
  private readonly identity: HandshakeIdentity;
  private readonly peers: Map<NodeId, PeerAddress>;
  private readonly links = new Map<NodeId, PeerLink>();
  /** Inbound connections, with the peer once authenticated. */
  private readonly inbound = new Map<FramedConnection, NodeId | null>();
  /** Snapshot connections this node opened, with the peer they go to. */
  private readonly outboundSnapshots = new Map<FramedConnection, NodeId>();
  /** Question connections this node opened (peer_question.ts), closed with the transport. */
  private readonly outboundQuestions = new Set<FramedConnection>();
  private readonly counters: PeerTransportStats = {
    messagesSent: 0,
    messagesReceived: 0,
    messagesDropped: 0,
    bytesSent: 0,
    bytesReceived: 0,
    reconnects: 0,
    refusedHandshakes: 0,
    protocolErrors: 0,
    snapshotsSent: 0,
    snapshotsReceived: 0,
  };
  private readonly maxFrameBytes: number;
  private readonly log: Log;
  private server: net.Server | null = null;
  private closed = false;

  constructor(private readonly options: PeerTransportOptions) {
    assert(Number.isSafeInteger(options.nodeId) && options.nodeId > 0, `nodeId ${options.nodeId}`);
    this.identity = { nodeId: options.nodeId, clusterId: options.clusterId, secret: options.secret };
    this.peers = new Map(options.peers);
    this.maxFrameBytes = options.maxFrameBytes ?? MAX_FRAME_BYTES;
    assert(this.maxFrameBytes >= 4096, `maxFrameBytes ${this.maxFrameBytes} is below 4096`);
    this.log = options.log ?? (() => {});
  }

  /** Starts listening for peers; resolves with the bound port (useful with port 0). */
  async start(): Promise<{ port: number }> {
    assert(this.server === null && !this.closed, "PeerTransport started twice or after close");
    const server = this.createServer();
    this.server = server;
    const { host, port } = this.options.listen;
    await new Promise<void>((resolve, reject) => {
      server.once("error", (error) => {
        const message = `Cannot listen for peers on ${host}:${port}: ${describeError(error)}`;
        reject(new WalnutError("BAD_CONFIG", message, { cause: error }));
      });
      server.listen({ host, port }, () => resolve());
    });
    server.on("error", (error) => this.log(`Peer listener error: ${describeError(error)}`));
    return { port: (server.address() as net.AddressInfo).port };
  }

  /** Queues each message for its peer; never blocks, never throws for a peer that is down. */
  send(messages: Message[]): void {
    for (const message of messages) {
      assert(!isLocalMessage(message.type), `local message ${message.type} handed to the transport`);
      assert(message.from === this.options.nodeId, `message from ${message.from} sent by node ${this.options.nodeId}`);
      const link = this.linkTo(message.to);
      if (link === null) {
        this.counters.messagesDropped += 1;
        this.options.onUnreachable?.(message.to);
        continue;
      }
      link.send(encodeFrame(FRAME_KIND.message, encodeMessage(message)));
    }
  }

  /**
   * Streams a snapshot to `to` on its own connection; resolves when the receiver's
   * onSnapshot has finished. Rejects with PeerTransportError PEER_UNREACHABLE or
   * SNAPSHOT_FAILED.
   */
  async sendSnapshot(to: NodeId, metadata: SnapshotMetadata, chunks: AsyncIterable<Uint8Array>): Promise<void> {
    if (this.closed) throw new PeerTransportError("TRANSPORT_CLOSED", `Cannot send snapshot to node ${to}: the transport is closed`);
    if (!this.isPeer(to)) throw new PeerTransportError("PEER_UNREACHABLE", `Cannot send snapshot to node ${to}: not a peer`);
    await sendSnapshot({
      peerId: to,
      metadata,
      chunks,
      chunkBytes: Math.min(SNAPSHOT_CHUNK_BYTES, this.maxFrameBytes),
      dial: async (onFrame) => {
        const connection = await this.dial(to, "snapshot", onFrame);
        if (this.closed || !this.isPeer(to)) {
          connection.close();
          const [code, state] = this.closed ? (["TRANSPORT_CLOSED", "the transport closed"] as const) : (["PEER_UNREACHABLE", "it was removed"] as const);
          throw new PeerTransportError(code, `Cannot send snapshot to node ${to}: ${state} while connecting`);
        }
        this.outboundSnapshots.set(connection, to);
        connection.socket.once("close", () => this.outboundSnapshots.delete(connection));
        return connection;
      },
    });
    this.counters.snapshotsSent += 1;
  }

  /**
   * Asks `to` one question on a connection of its own; resolves with its answer, or
   * rejects with PeerTransportError PEER_UNREACHABLE when none comes within `timeoutMs`.
   */
  ask(to: NodeId, question: Uint8Array, timeoutMs: number): Promise<Buffer> {
    if (this.closed) return Promise.reject(new PeerTransportError("TRANSPORT_CLOSED", `Cannot ask node ${to}: the transport is closed`));
    if (!this.isPeer(to)) return Promise.reject(new PeerTransportError("PEER_UNREACHABLE", `Cannot ask node ${to}: not a peer`));
    const dial = async (onFrame: FrameHandler): Promise<FramedConnection> => {
      const connection = await this.dial(to, "question", onFrame);
      this.outboundQuestions.add(connection);
      connection.socket.once("close", () => this.outboundQuestions.delete(connection));
      if (this.closed) connection.close();
      return connection;
    };
    return askPeer({ peerId: to, question, timeoutMs, dial });
  }

  /** Adds or moves a member; an open connection to an old address is dropped. */
  addPeer(id: NodeId, address: PeerAddress): void {
    const previous = this.peers.get(id);
    this.peers.set(id, { ...address });
    if (previous !== undefined && (previous.host !== address.host || previous.port !== address.port)) this.closeLink(id);
  }

  /** Forgets a member: every connection to or from it closes, snapshot streams included. */
  removePeer(id: NodeId): void {
    this.peers.delete(id);
    this.closeLink(id);
    for (const [connection, peerId] of this.inbound) if (peerId === id) connection.close();
    for (const [connection, peerId] of this.outboundSnapshots) if (peerId === id) connection.close();
  }

  stats(): PeerTransportStats {
    return { ...this.counters };
  }

  /** Stops listening and closes every connection; pending sends are dropped. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const id of [...this.links.keys()]) this.closeLink(id);
    for (const connection of this.inbound.keys()) connection.close();
    for (const connection of this.outboundSnapshots.keys()) connection.close();
    for (const connection of this.outboundQuestions) connection.close();
    const server = this.server;
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private isPeer(id: NodeId): boolean {
    return id !== this.options.nodeId && this.peers.has(id);
  }

  private linkTo(id: NodeId): PeerLink | null {
    if (this.closed || !this.isPeer(id)) return null;
    let link = this.links.get(id);
    if (link === undefined) {
      link = new PeerLink({
        peerId: id,
        maxQueuedMessages: this.options.maxQueuedMessagesPerPeer ?? MAX_QUEUED_MESSAGES_PER_PEER,
        maxQueuedBytes: this.options.maxQueuedBytesPerPeer ?? MAX_QUEUED_BYTES_PER_PEER,
        backoff: this.options.reconnectBackoff ?? DEFAULT_RECONNECT_BACKOFF,
        dial: () => this.dial(id, "messages", (frame) => this.unexpectedFrame(id, frame)),
        now: this.options.now ?? Date.now,
        random: this.options.random ?? Math.random,
        counters: this.counters,
        onUnreachable: (peerId) => this.options.onUnreachable?.(peerId),
        log: this.log,
      });
      this.links.set(id, link);
    }
    return link;
  }

  private closeLink(id: NodeId): void {
    this.links.get(id)?.close();
    this.links.delete(id);
  }

  private dial(peerId: NodeId, purpose: ConnectionPurpose, onFrame: FrameHandler): Promise<FramedConnection> {
    const address = this.peers.get(peerId);
    if (address === undefined || this.closed) {
      return Promise.reject(new PeerTransportError("PEER_UNREACHABLE", `Cannot connect to node ${peerId}: not a peer`));
    }
    const dialing = dialPeer({
      identity: this.identity,
      peerId,
      address,
      purpose,
      tls: this.options.tls ?? null,
      maxFrameBytes: this.maxFrameBytes,
      counters: this.counters,
      onFrame,
    });
    const onRemoved = this.options.onRemoved;
    if (onRemoved === undefined) return dialing;
    return dialing.catch((error: unknown) => {
      const reason = describeError(error);
      if (isRemovedRefusal(reason, this.options.nodeId)) onRemoved(reason);
      throw error;
    });
  }

  /** A listener never speaks on a message connection after its welcome. */
  private unexpectedFrame(peerId: NodeId, frame: Frame): void {
    this.counters.protocolErrors += 1;
    this.log(`Node ${peerId} sent an unexpected ${frameKindName(frame.kind)} frame on a message connection; closing it`);
    this.links.get(peerId)?.close();
    this.links.delete(peerId);
  }

  private createServer(): net.Server {
    const tlsOptions = this.options.tls;
    if (tlsOptions === undefined) return net.createServer((socket) => this.accept(socket));
    const server = tls.createServer({ ...tlsOptions, requestCert: true, rejectUnauthorized: true }, (socket) => this.accept(socket));
    server.on("tlsClientError", (error) => {
      this.counters.refusedHandshakes += 1;
      this.log(`Refused a peer's TLS handshake: ${describeError(error)}`);
    });
    return server;
  }

  private accept(socket: net.Socket): void {
    const from = `${socket.remoteAddress}:${socket.remotePort}`; // gone from the socket once it closes
    if (this.closed) {
      socket.destroy();
      return;
    }
    const maxInbound = this.options.maxInboundConnections ?? MAX_INBOUND_CONNECTIONS;
    if (this.inbound.size >= maxInbound) {
      this.counters.refusedHandshakes += 1;
      const reason = `Cannot accept peer connection: this node holds ${maxInbound} peer connections already, its limit`;
      this.log(`Refused a peer connection from ${from}: ${reason}`);
      socket.on("error", () => {}); // the dialer may be gone already
      socket.end(encodeErrorFrame(reason));
      setTimeout(() => socket.destroy(), ERROR_FRAME_LINGER_MS).unref();
      return;
    }
    const connection = acceptPeer(socket, {
      identity: this.identity,
      isMember: (id) => this.isPeer(id),
      ...(this.options.wasRemoved === undefined ? {} : { wasRemoved: this.options.wasRemoved }),
      maxFrameBytes: this.maxFrameBytes,
      counters: this.counters,
      onRefused: (reason) => {
        this.counters.refusedHandshakes += 1;
        this.log(`Refused a peer connection from ${from}: ${reason}`);
      },
      onAccepted: (accepted, peerId, purpose) => this.serve(accepted, peerId, purpose),
    });
    this.inbound.set(connection, null);
    socket.once("close", () => this.inbound.delete(connection));
  }

  private serve(connection: FramedConnection, peerId: NodeId, purpose: ConnectionPurpose): void {
    this.inbound.set(connection, peerId);
    // The peer is up (a restarted member announces itself by connecting): stop backing off.
    this.links.get(peerId)?.peerIsBack();
    if (purpose === "snapshot") {
      receiveSnapshot(connection, {
        peerId,
        onSnapshot: this.options.onSnapshot,
        highWaterBytes: SNAPSHOT_BUFFER_BYTES,
        onFinished: (installed) => {
          if (installed) this.counters.snapshotsReceived += 1;
        },
      });
      return;
    }
    if (purpose === "question") {
      answerQuestion(connection, peerId, this.options.onQuestion);
      return;
    }
    connection.onClose(() => {
      if (connection.refusedWith !== null) this.protocolError(peerId, connection.refusedWith);
    });
    connection.onFrame((frame) => this.receiveMessage(connection, peerId, frame));
  }

  private receiveMessage(connection: FramedConnection, peerId: NodeId, frame: Frame): void {
    let message: Message;
    try {
      const refused = (state: string): WalnutError => new WalnutError("BAD_ARGUMENT", `Cannot receive from node ${peerId}: ${state}`);
      if (frame.kind !== FRAME_KIND.message) throw refused(`unexpected ${frameKindName(frame.kind)} frame`);
      message = decodeMessage(frame.payload);
      if (isLocalMessage(message.type) || message.from !== peerId || message.to !== this.options.nodeId) {
        throw refused(`a ${message.type} message from ${message.from} to ${message.to}`);
      }
    } catch (error) {
      connection.refuse(describeError(error));
      return;
    }
    this.counters.messagesReceived += 1;
    this.options.onMessage(message);
  }

  private protocolError(peerId: NodeId, reason: string): void {
    this.counters.protocolErrors += 1;
    this.log(`Closed the connection from node ${peerId}: ${reason}`);
  }
}
