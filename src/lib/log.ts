/**
 * The process's log: leveled, structured events, one JSON object per line on stderr
 * (pino), or readable lines (pino-pretty) when a person is watching.
 *
 *   {"level":"info","time":"2026-11-21T10:31:02.123Z","pid":4242,"node":1,
 *    "component":"checkpointer","index":5120,"keys":812,"sizeBytes":40960,"durationMs":12,
 *    "msg":"checkpoint at index 5120: 812 keys, 40960 bytes in 12 ms"}
 *
 * the same event in pretty mode:
 *
 *   10:31:02.123 INFO: node 1 checkpointer: checkpoint at index 5120: 812 keys, ... {"index":5120,...}
 *
 * Messages stay sentences a person can read; the values in them also travel as fields
 * (index, term, peer, path, durationMs...) so that a log pipeline can filter on them.
 * Components take a child logger: `log.child({ component: "recovery" })`.
 *
 * The embedded library never logs unless handed a logger (or a line function, which
 * `loggerFromLines` adapts): its default is `silentLogger`.
 */
import { pino, type DestinationStream } from "pino";
import pinoPretty from "pino-pretty";

/** A line-oriented log, for modules that report whole sentences (transport, checkpoint store). */
export type Log = (message: string) => void;

export type LogFields = Record<string, unknown>;
export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFormat = "auto" | "json" | "pretty";

export interface LogMethod {
  (fields: LogFields, message: string): void;
  (message: string): void;
}

/** What walnut's modules log through; a pino logger is one. */
export interface Logger {
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
  /** A logger whose events all carry `bindings` (e.g. { component: "wal" }). */
  child(bindings: LogFields): Logger;
}

export interface LoggerOptions {
  format: LogFormat;
  level: LogLevel;
  /** Where lines go; stderr by default. "auto" is pretty when this is a terminal. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Fields every event carries, e.g. { node: 1 }. */
  bindings?: LogFields;
}

/** Pretty lines: time, level, then "node N component: message", then the other fields. */
const PRETTY_MESSAGE_FORMAT = "{if node}node {node} {end}{if component}{component}: {end}{msg}";
const PRETTY_IGNORED_FIELDS = "pid,hostname,node,component";

export function createLogger(options: LoggerOptions): Logger {
  const stream = options.stream ?? process.stderr;
  const pretty = options.format === "pretty" || (options.format === "auto" && stream.isTTY === true);
  const destination: DestinationStream = pretty
    ? pinoPretty({
        destination: stream,
        sync: true,
        colorize: stream.isTTY === true,
        translateTime: "SYS:HH:MM:ss.l",
        singleLine: true,
        ignore: PRETTY_IGNORED_FIELDS,
        messageFormat: PRETTY_MESSAGE_FORMAT,
      })
    : stream === process.stderr
      ? pino.destination({ dest: 2, sync: true })
      : (stream as DestinationStream);
  const logger = pino(
    {
      level: options.level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      // "level":"info" rather than pino's 30: readable without a lookup table.
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  return options.bindings === undefined ? logger : logger.child(options.bindings);
}

const ignore = (): void => {};

/** Logs nothing: the embedded library's default. */
export const silentLogger: Logger = {
  debug: ignore,
  info: ignore,
  warn: ignore,
  error: ignore,
  child: () => silentLogger,
};

/**
 * A Logger that hands each event's message, as one line, to `log` (the embedded API's
 * `log: (message) => ...` option). Debug events are dropped; warnings and errors say so.
 */
export function loggerFromLines(log: Log): Logger {
  const method =
    (prefix: string): LogMethod =>
    (first: LogFields | string, message?: string) =>
      log(prefix + (typeof first === "string" ? first : (message ?? "")));
  const logger: Logger = {
    debug: ignore,
    info: method(""),
    warn: method("warning: "),
    error: method("error: "),
    child: () => logger,
  };
  return logger;
}

/** A line function that logs each line at `level` through `logger`. */
export function linesTo(logger: Logger, level: LogLevel): Log {
  return (message) => logger[level](message);
}

/**
 * Plain lines with an ISO timestamp and a prefix, for one-shot commands a person runs
 * (walnut backup, walnut checkpoint) rather than a server's event log.
 */
export function stderrLog(prefix = "walnut"): Log {
  return (message) => process.stderr.write(`${new Date().toISOString()} ${prefix}: ${message}\n`);
}
