/**
 * What a node needs of its peer transport, as an interface: PeerTransport (TCP or mutual
 * TLS) is the real one; the deterministic simulator (src/sim/) implements it over its
 * simulated network. A factory builds one from the node's options and callbacks.
 */
import type { Message, NodeId, SnapshotMetadata } from "../raft/types.js";
import { PeerTransport, type PeerAddress, type PeerTransportOptions, type PeerTransportStats } from "./transport.js";

export interface Transport {
  /** Starts listening for peers; resolves with the bound port. */
  start(): Promise<{ port: number }>;
  /** Queues each message for its peer; never blocks, never throws for a peer that is down. */
  send(messages: Message[]): void;
  /** Streams a snapshot to `to`; resolves once the receiver's onSnapshot has finished. */
  sendSnapshot(to: NodeId, metadata: SnapshotMetadata, chunks: AsyncIterable<Uint8Array>): Promise<void>;
  /**
   * Asks `to` one question outside Raft (peer_question.ts); rejects when no answer comes
   * within `timeoutMs`. Absent from a transport that carries Raft only (the simulator's).
   */
  ask?(to: NodeId, question: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
  addPeer(id: NodeId, address: PeerAddress): void;
  removePeer(id: NodeId): void;
  stats(): PeerTransportStats;
  close(): Promise<void>;
}

export type TransportFactory = (options: PeerTransportOptions) => Transport;

/** The real transport: TCP, or mutual TLS when options.tls is given. */
export const peerTransportFactory: TransportFactory = (options) => new PeerTransport(options);
