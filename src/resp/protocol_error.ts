/**
 * The error a RESP parser raises when its peer breaks the protocol. The message is the
 * text Redis sends before closing the connection ("Protocol error: invalid bulk length"),
 * so a server replies `-ERR <message>` and closes, exactly as redis-server does.
 *
 * It is not a WalnutError: its message is fixed by Redis' wording rather than walnut's
 * "Cannot <action>: <state>" form, and it always ends the connection. A parser that has
 * raised one stays failed: every later call raises the same error.
 */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProtocolError";
  }
}
