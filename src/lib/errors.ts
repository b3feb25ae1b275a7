/**
 * Operating errors: things that go wrong because of the world (bad input, a corrupt
 * file, a full disk), not because of a bug. Each carries a stable `code` that callers
 * and tests match on, and a message in the form "Cannot <action>: <state>".
 *
 * Programmer errors are not WalnutErrors: they are assertion failures (see assert.ts).
 */
export type WalnutErrorCode =
  | "BAD_ARGUMENT" // a caller passed a value outside what the API accepts
  | "BAD_CONFIG" // a flag, environment variable or config file value is invalid
  | "WAL_CORRUPT" // a damaged frame followed by good frames: refuse to start
  | "WAL_IO" // a write or fsync of the log failed (ENOSPC, EIO, EROFS, ...)
  | "CHECKPOINT_CORRUPT" // a checkpoint file fails its checksum or structure checks
  | "CHECKPOINT_IO" // writing a checkpoint failed
  | "CONTROL_CORRUPT" // control.toml cannot be parsed
  | "DATA_DIR" // the data directory is missing, unreadable or locked
  | "NOT_OPEN" // the database is closed or closing
  | "VERSION_CONFLICT" // a conditional write found a different version
  | "LIMIT" // a request exceeds a bound in lib/limits.ts
  | "OOM" // a write that adds data was refused: used memory is over maxmemory
  | "IMPORT_FORMAT" // an exported collection file is not in walnut's format
  | "COMMAND_ERROR" // a command answered an error reply (WRONGTYPE, ERR ...)
  | "TIMEOUT" // a write was not confirmed in time: its outcome is unknown
  | "NO_LEADER" // the cluster has no leader this node knows of
  | "COMPACTED" // a watch asked for changes older than the history window holds
  | "REMOVED"; // this node was removed from its cluster: it serves nothing until it joins anew

export class WalnutError extends Error {
  readonly code: WalnutErrorCode;

  constructor(code: WalnutErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "WalnutError";
    this.code = code;
  }
}

/** True when `error` is a WalnutError with the given code. */
export function isWalnutError(error: unknown, code?: WalnutErrorCode): error is WalnutError {
  return error instanceof WalnutError && (code === undefined || error.code === code);
}

/** The errno code of a Node system error (`ENOSPC`, `EIO`, ...), or undefined. */
export function systemErrorCode(error: unknown): string | undefined {
  if (typeof error === "object" && error !== null && "code" in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === "string" ? code : undefined;
  }
  return undefined;
}

/** A short human description of a system error, e.g. "ENOSPC: no space left on device". */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
