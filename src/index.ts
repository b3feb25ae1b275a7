/**
 * walnut as a library: `import { open } from "walnut"`. See db.ts for the API.
 */
export { open, Db, CollectionHandle, defaults, WatchCompactedError, WatchStream } from "./db.js";
export type {
  OpenOptions,
  SetOptions,
  UnconditionalSetOptions,
  ReadOptions,
  ReadConsistency,
  RangeOptions,
  Value,
  Key,
  Entry,
  BatchOperation,
  BatchCondition,
  BatchResult,
  BatchResults,
  CommandValue,
  FsyncMode,
  CollectionType,
  ValueKind,
  WatchEvent,
  WatchOptions,
} from "./db.js";
export { WalnutError, isWalnutError } from "./lib/errors.js";
export type { WalnutErrorCode } from "./lib/errors.js";
export type { Reply } from "./engine/reply.js";
export type { CheckpointInfo } from "./snapshot/writer.js";
export { createLogger, silentLogger } from "./lib/log.js";
export type { Logger, LoggerOptions, LogFormat, LogLevel, LogFields, Log } from "./lib/log.js";
