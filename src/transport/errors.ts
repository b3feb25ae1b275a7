/**
 * The transport's own operating errors: a peer that cannot be reached, a snapshot the
 * receiver did not install, a transport already closed. Like WalnutError they carry a
 * stable `code` and a message "Cannot <action>: <state>"; they live here until
 * lib/errors.ts grows matching codes.
 */
export type PeerTransportErrorCode =
  | "PEER_UNREACHABLE" // connecting, the handshake, or the connection itself failed
  | "SNAPSHOT_FAILED" // the receiver answered that installing the snapshot failed
  | "TRANSPORT_CLOSED"; // the transport was closed before the operation finished

export class PeerTransportError extends Error {
  readonly code: PeerTransportErrorCode;

  constructor(code: PeerTransportErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "PeerTransportError";
    this.code = code;
  }
}

export function isPeerTransportError(error: unknown, code?: PeerTransportErrorCode): error is PeerTransportError {
  return error instanceof PeerTransportError && (code === undefined || error.code === code);
}
