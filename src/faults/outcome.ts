/**
 * What an answer proves about an operation: the outcome ("ok", "failed", "unknown") the
 * campaign records for it. The rule is the checker's soundness: "failed" only when the
 * operation certainly had no effect; anything that may have been applied is "unknown".
 *
 * Reads have no effect, so any error or lost answer of a read is "failed" (the checker
 * may ignore it). For writes (SET, INCR, the EXEC of a CAS, an HTTP PUT), from reading
 * src/node/node.ts, src/node/proposals.ts and src/commands/executor.ts:
 *   - "NO_LEADER: Cannot write: no leader is known yet" and "Cannot write:
 *     transfer-in-progress / conf-change-pending; retry shortly" are answered by
 *     Node.propose before anything reaches the Raft log: failed.
 *   - "the leader changed before it committed; its outcome is unknown" (also NO_LEADER!),
 *     TIMEOUT, IOERR / WAL_IO (a leader sends its appends before its own copy is durable,
 *     so a write its disk refused may still commit elsewhere), a closed node, a closed
 *     connection after the request was sent, a client-side timeout: unknown.
 *   - A request that never left the client (connection refused) did nothing: failed.
 * A CAS whose EXEC answers nil (WATCH saw the version change) and an HTTP versioned PUT
 * answered 409 were decided by the state machine with no effect: failed.
 */

/** Error texts that Node.propose answers before proposing anything. */
const REFUSED_BEFORE_PROPOSING: readonly RegExp[] = [
  /Cannot write: no leader is known yet; retry shortly/,
  /Cannot write: (transfer-in-progress|conf-change-pending); retry shortly/,
];

/** The outcome of a write the server answered with error `text`. */
export function writeErrorOutcome(text: string): "failed" | "unknown" {
  if (/outcome is unknown/.test(text)) return "unknown";
  return REFUSED_BEFORE_PROPOSING.some((pattern) => pattern.test(text)) ? "failed" : "unknown";
}

/** The outcome of an operation that got no answer: failed if the request was never sent. */
export function unansweredOutcome(options: { isWrite: boolean; sent: boolean }): "failed" | "unknown" {
  return options.isWrite && options.sent ? "unknown" : "failed";
}
