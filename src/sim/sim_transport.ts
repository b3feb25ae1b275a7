/**
 * The real node's peer transport in the simulator (transport/contract.ts Transport) over
 * the simulated network (network.ts): every Raft message is encoded with the real message
 * codec (transport/message_codec.ts), travels as bytes with the network's delay, loss,
 * duplication, reordering and partitions, and is decoded at the other end. A snapshot
 * travels whole as one packet; the receiver's answer (stored and checked, or failed)
 * travels back the same way.
 *
 * What the real transport reports, this one reports too: a message to a peer that is not
 * listening or is cut off comes back as onUnreachable; a snapshot lost on the way fails
 * the send; a removed node dialing a member hears onRemoved.
 */
import { describeError } from "../lib/errors.js";
import type { Timers } from "../lib/environment.js";
import type { Message, NodeId, SnapshotMetadata } from "../raft/types.js";
import type { Transport } from "../transport/contract.js";
import { PeerTransportError, type PeerAddress, type PeerTransportOptions, type PeerTransportStats } from "../transport/transport.js";
import { decodeMessage, encodeMessage } from "../transport/message_codec.js";
import type { Network } from "./network.js";
import type { Process } from "./virtual_time.js";

/** How long a snapshot send waits for the receiver's answer. */
const SNAPSHOT_TIMEOUT_MS = 10_000;

export type Packet =
  | { kind: "message"; bytes: Buffer }
  | { kind: "snapshot"; id: number; metadata: SnapshotMetadata; data: Buffer }
  | { kind: "snapshotDone"; id: number; error: string | null }
  | { kind: "removed"; reason: string };

/** The network and who listens on it: the simulator delivers packets through this. */
export class SimSwitchboard {
  private readonly endpoints = new Map<NodeId, SimTransport>();

  constructor(readonly network: Network<Packet>) {}

  attach(id: NodeId, transport: SimTransport): void {
    this.endpoints.set(id, transport);
  }

  detach(id: NodeId, transport: SimTransport): void {
    if (this.endpoints.get(id) === transport) this.endpoints.delete(id);
  }

  /** Delivers every packet due by the network's current time; reports the lost ones to their senders. */
  deliverDue(): number {
    const { delivered, lost } = this.network.takeDueAndLost();
    for (const envelope of delivered) {
      const receiver = this.listening(envelope.to);
      if (receiver === null) this.listening(envelope.from)?.lost(envelope.to, envelope.payload);
      else receiver.receive(envelope.from, envelope.payload);
    }
    for (const envelope of lost) this.listening(envelope.from)?.lost(envelope.to, envelope.payload);
    return delivered.length + lost.length;
  }

  /**
   * A snapshot or its answer was dropped at random. Over TCP that is a broken connection,
   * which the sender of the snapshot hears of: tell it, rather than leave it waiting.
   */
  snapshotConnectionBroke(snapshotSender: NodeId, receiver: NodeId, id: number): void {
    this.listening(snapshotSender)?.lost(receiver, { kind: "snapshot", id, metadata: { index: 0, term: 0, confState: { voters: [], learners: [] } }, data: Buffer.alloc(0) });
  }

  private listening(id: NodeId): SimTransport | null {
    const transport = this.endpoints.get(id);
    return transport !== undefined && transport.isListening ? transport : null;
  }
}

export class SimTransport implements Transport {
  private readonly peers: Map<NodeId, PeerAddress>;
  private listening = false;
  private closed = false;
  private nextSnapshotId = 1;
  private readonly pendingSnapshots = new Map<number, { to: NodeId; settle: (error: Error | null) => void }>();
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

  constructor(
    private readonly options: PeerTransportOptions,
    private readonly switchboard: SimSwitchboard,
    private readonly owner: Process,
    private readonly timers: Timers,
  ) {
    this.peers = new Map(options.peers);
  }

  get isListening(): boolean {
    return this.listening && !this.closed && this.owner.alive;
  }

  start(): Promise<{ port: number }> {
    this.listening = true;
    this.switchboard.attach(this.options.nodeId, this);
    return Promise.resolve({ port: this.options.listen.port });
  }

  send(messages: Message[]): void {
    for (const message of messages) {
      if (this.closed || !this.isPeer(message.to)) {
        this.counters.messagesDropped += 1;
        this.options.onUnreachable?.(message.to);
        continue;
      }
      const bytes = encodeMessage(message);
      this.counters.messagesSent += 1;
      this.counters.bytesSent += bytes.length;
      if (!this.switchboard.network.send(this.options.nodeId, message.to, { kind: "message", bytes })) this.counters.messagesDropped += 1;
    }
  }

  async sendSnapshot(to: NodeId, metadata: SnapshotMetadata, chunks: AsyncIterable<Uint8Array>): Promise<void> {
    if (this.closed) throw new PeerTransportError("TRANSPORT_CLOSED", `Cannot send snapshot to node ${to}: the transport is closed`);
    if (!this.isPeer(to)) throw new PeerTransportError("PEER_UNREACHABLE", `Cannot send snapshot to node ${to}: not a peer`);
    const parts: Buffer[] = [];
    for await (const chunk of chunks) parts.push(Buffer.from(chunk));
    const id = this.nextSnapshotId++;
    await new Promise<void>((resolve, reject) => {
      const timer = this.timers.setTimeout(() => settle(new PeerTransportError("SNAPSHOT_FAILED", `Cannot send snapshot to node ${to}: no answer`)), SNAPSHOT_TIMEOUT_MS);
      const settle = (error: Error | null): void => {
        if (!this.pendingSnapshots.delete(id)) return;
        this.timers.clearTimeout(timer);
        if (error === null) resolve();
        else reject(error);
      };
      this.pendingSnapshots.set(id, { to, settle });
      if (!this.switchboard.network.send(this.options.nodeId, to, { kind: "snapshot", id, metadata, data: Buffer.concat(parts) })) {
        this.switchboard.snapshotConnectionBroke(this.options.nodeId, to, id);
      }
    });
    this.counters.snapshotsSent += 1;
  }

  addPeer(id: NodeId, address: PeerAddress): void {
    this.peers.set(id, { ...address });
  }

  removePeer(id: NodeId): void {
    this.peers.delete(id);
    for (const pending of [...this.pendingSnapshots.values()]) {
      if (pending.to === id) pending.settle(new PeerTransportError("PEER_UNREACHABLE", `Cannot send snapshot to node ${id}: it was removed`));
    }
  }

  stats(): PeerTransportStats {
    return { ...this.counters };
  }

  close(): Promise<void> {
    this.closed = true;
    this.switchboard.detach(this.options.nodeId, this);
    for (const pending of [...this.pendingSnapshots.values()]) pending.settle(new PeerTransportError("TRANSPORT_CLOSED", "the transport closed"));
    return Promise.resolve();
  }

  /** A packet arrived from `from`. */
  receive(from: NodeId, packet: Packet): void {
    if (packet.kind === "removed") {
      this.options.onRemoved?.(packet.reason);
      return;
    }
    if (packet.kind === "snapshotDone") {
      this.pendingSnapshots.get(packet.id)?.settle(packet.error === null ? null : new PeerTransportError("SNAPSHOT_FAILED", packet.error));
      return;
    }
    if (!this.isPeer(from)) {
      // The real listener refuses a handshake from a non-member, telling a removed one so.
      this.counters.refusedHandshakes += 1;
      if (this.options.wasRemoved?.(from) === true) {
        this.switchboard.network.send(this.options.nodeId, from, { kind: "removed", reason: `node ${this.options.nodeId} says it was removed from the cluster` });
      }
      return;
    }
    if (packet.kind === "message") {
      this.counters.messagesReceived += 1;
      this.counters.bytesReceived += packet.bytes.length;
      this.options.onMessage(decodeMessage(packet.bytes));
      return;
    }
    this.counters.snapshotsReceived += 1;
    const reply = (error: string | null): void => {
      if (!this.isListening) return;
      if (!this.switchboard.network.send(this.options.nodeId, from, { kind: "snapshotDone", id: packet.id, error })) {
        this.switchboard.snapshotConnectionBroke(from, this.options.nodeId, packet.id);
      }
    };
    this.options.onSnapshot(from, packet.metadata, single(packet.data)).then(
      () => reply(null),
      (error: unknown) => reply(describeError(error)),
    );
  }

  /** A packet this transport sent never arrived (the peer is down or cut off). */
  lost(to: NodeId, packet: Packet): void {
    if (packet.kind === "message") {
      this.counters.messagesDropped += 1;
      this.options.onUnreachable?.(to);
    } else if (packet.kind === "snapshot") {
      this.pendingSnapshots.get(packet.id)?.settle(new PeerTransportError("PEER_UNREACHABLE", `Cannot send snapshot to node ${to}: the connection broke`));
    } else if (packet.kind === "snapshotDone") {
      this.switchboard.snapshotConnectionBroke(to, this.options.nodeId, packet.id);
    }
  }

  private isPeer(id: NodeId): boolean {
    return id !== this.options.nodeId && this.peers.has(id);
  }
}

async function* single(data: Buffer): AsyncGenerator<Buffer> {
  yield data;
}
