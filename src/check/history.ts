/**
 * A recorded history of client operations against a real cluster: what the fault
 * campaign's clients (src/faults/) write down and what the checkers (src/check/) judge.
 *
 * Every operation touches one key. Times are milliseconds on the recording process's
 * monotonic clock (performance.now()), so invocations and completions of different
 * clients compare. An operation's outcome is:
 *   - "ok": the server answered; `result` is what it answered;
 *   - "failed": the server answered with an error that proves the operation did not
 *     take effect (a refused write, a CAS whose transaction was aborted unapplied);
 *   - "unknown": no answer (timeout, connection lost, an error after which the write may
 *     or may not have been applied). The operation may take effect at any time after
 *     its invocation, or never.
 *
 * Values are strings; an absent key reads as null.
 */
export type OperationCommand =
  /** GET; result: the value or null. */
  | { kind: "read"; key: string }
  /** SET; result: null. */
  | { kind: "write"; key: string; value: string }
  /** Set to `value` iff the current value is `expected` (null: absent); result: "true" or "false". */
  | { kind: "cas"; key: string; expected: string | null; value: string }
  /** INCR; result: the new value as a decimal string. An absent key counts as 0. */
  | { kind: "incr"; key: string };

export type OperationOutcome = "ok" | "failed" | "unknown";

export interface RecordedOperation {
  /** Which client (one sequential process) issued it. */
  client: number;
  /** Which node the client sent it to, for the timeline. */
  node: number;
  /** "resp" or "http": the protocol the client used. */
  protocol: "resp" | "http";
  command: OperationCommand;
  invokedAtMs: number;
  /** When the answer came, or when the client gave up (outcome "unknown"). */
  completedAtMs: number;
  outcome: OperationOutcome;
  /** Meaningful only when outcome is "ok". */
  result: string | null;
  /** The error text for "failed" and "unknown" outcomes. */
  error?: string;
}

/** A fault the nemesis threw, for the timeline and the FAULTS.md table. */
export interface RecordedFault {
  /** e.g. "kill", "pause", "partition", "membership", "torn-wal", "corrupt-checkpoint", "disk-full", "slow-fsync". */
  kind: string;
  /** Human-readable: which nodes, how. */
  description: string;
  startedAtMs: number;
  /** When it was healed, or the campaign's end. */
  endedAtMs: number;
}

export interface RecordedHistory {
  operations: RecordedOperation[];
  faults: RecordedFault[];
}
