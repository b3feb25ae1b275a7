/**
 * Opening a connection to a peer: TCP (or mutual TLS), then the dialer's side of the
 * handshake. Resolves with a FramedConnection whose later frames already go to the
 * caller's handler, so no frame after the welcome can slip past it.
 */
import * as net from "node:net";
import * as tls from "node:tls";
import type { NodeId } from "../raft/types.js";
import { FramedConnection, type ByteCounters, type FrameHandler } from "./connection.js";
import { PeerTransportError } from "./errors.js";
import { DialerHandshake, HANDSHAKE_FRAME_BYTES_MAX, type ConnectionPurpose, type HandshakeIdentity } from "./handshake.js";

/** Milliseconds a dial (connect plus handshake) may take before it is abandoned. */
export const DIAL_TIMEOUT_MS = 10_000;
/** TCP keepalive probes start after this much idle time, to find dead peers. */
export const KEEPALIVE_DELAY_MS = 15_000;

export interface PeerAddress {
  host: string;
  port: number;
}

/** PEM certificate and key of this node, and the CA that signs every node's certificate. */
export interface MutualTlsOptions {
  cert: string | Buffer;
  key: string | Buffer;
  ca: string | Buffer;
}

export interface DialOptions {
  identity: HandshakeIdentity;
  peerId: NodeId;
  address: PeerAddress;
  purpose: ConnectionPurpose;
  tls: MutualTlsOptions | null;
  maxFrameBytes: number;
  counters: ByteCounters;
  /** Receives every frame after the welcome. */
  onFrame: FrameHandler;
}

/** A connection to `peerId` that has passed the handshake; rejects with PEER_UNREACHABLE. */
export function dialPeer(options: DialOptions): Promise<FramedConnection> {
  const { address, peerId } = options;
  const endpoint = { host: address.host, port: address.port };
  const socket = options.tls === null ? net.connect(endpoint) : tls.connect({ ...endpoint, ...options.tls });
  socket.setKeepAlive(true, KEEPALIVE_DELAY_MS);
  const connection = new FramedConnection(socket, { maxFrameBytes: HANDSHAKE_FRAME_BYTES_MAX, counters: options.counters });
  const handshake = new DialerHandshake(options.identity, { peerId, purpose: options.purpose });
  return new Promise((resolve, reject) => {
    const fail = (reason: string): void => {
      clearTimeout(timer);
      reject(new PeerTransportError("PEER_UNREACHABLE", `Cannot connect to node ${peerId} at ${address.host}:${address.port}: ${reason}`));
      if (!connection.isClosed) connection.close();
    };
    const timer = setTimeout(() => fail(`no handshake within ${DIAL_TIMEOUT_MS} ms`), DIAL_TIMEOUT_MS);
    timer.unref();
    connection.onClose((reason) => fail(reason ?? "closed"));
    connection.onFrame((frame) => {
      const step = handshake.receive(frame);
      if (step.outcome.state === "refused") {
        connection.endWith(step.send[0] ?? null, step.outcome.reason); // tells the listener why we hang up
        fail(step.outcome.reason);
        return;
      }
      for (const reply of step.send) connection.writeFrame(reply);
      if (step.outcome.state !== "accepted") return;
      clearTimeout(timer);
      connection.onClose(() => {});
      connection.setMaxFrameBytes(options.maxFrameBytes);
      connection.onFrame(options.onFrame);
      resolve(connection);
    });
    connection.writeFrame(handshake.hello());
  });
}
