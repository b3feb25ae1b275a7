/**
 * The listener's side of a new connection: run the handshake, and either hand the
 * connection on (with the authenticated peer id and purpose) or refuse it with an error
 * frame and close. Nothing is handed on before the handshake succeeds, so garbage, a
 * stranger or a wrong secret cannot change any state.
 */
import type * as net from "node:net";
import type { NodeId } from "../raft/types.js";
import { FramedConnection, type ByteCounters } from "./connection.js";
import { HANDSHAKE_FRAME_BYTES_MAX, ListenerHandshake, type ConnectionPurpose, type HandshakeIdentity } from "./handshake.js";

/** Milliseconds a dialer has to complete the handshake before it is refused. */
export const ACCEPT_TIMEOUT_MS = 10_000;

export interface AcceptOptions {
  identity: HandshakeIdentity;
  isMember: (id: NodeId) => boolean;
  /** Whether a non-member was removed from the cluster (told so, rather than "not a member"). */
  wasRemoved?: (id: NodeId) => boolean;
  maxFrameBytes: number;
  counters: ByteCounters;
  /** The handshake failed (already answered with an error frame and closing). */
  onRefused: (reason: string) => void;
  /** The peer proved who it is; the caller installs its frame and close handlers. */
  onAccepted: (connection: FramedConnection, peerId: NodeId, purpose: ConnectionPurpose) => void;
}

/** Runs the handshake on a freshly accepted socket. Returns the connection, for closing on shutdown. */
export function acceptPeer(socket: net.Socket, options: AcceptOptions): FramedConnection {
  const connection = new FramedConnection(socket, { maxFrameBytes: HANDSHAKE_FRAME_BYTES_MAX, counters: options.counters });
  const handshake = new ListenerHandshake(options.identity, options.isMember, options.wasRemoved);
  const refuseSlow = (): void => connection.refuse(`Cannot accept peer connection: no handshake within ${ACCEPT_TIMEOUT_MS} ms`);
  const timer = setTimeout(refuseSlow, ACCEPT_TIMEOUT_MS);
  timer.unref();
  connection.onClose((reason) => {
    clearTimeout(timer);
    if (reason !== null) options.onRefused(reason);
  });
  connection.onFrame((frame) => {
    const step = handshake.receive(frame);
    if (step.outcome.state === "refused") {
      connection.endWith(step.send[0] ?? null, step.outcome.reason); // the handshake's error frame, if it has one
      return;
    }
    for (const reply of step.send) connection.writeFrame(reply);
    if (step.outcome.state !== "accepted") return;
    clearTimeout(timer);
    connection.onClose(() => {});
    connection.onFrame(() => {});
    connection.setMaxFrameBytes(options.maxFrameBytes);
    options.onAccepted(connection, step.outcome.peerId, step.outcome.purpose);
  });
  return connection;
}
