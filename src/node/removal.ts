/**
 * A node the cluster removed. The leader stops replicating to a node as soon as its removal
 * is appended, so the removed node rarely sees that change commit: it only hears, from a
 * member that applied it, that it was removed (the peer handshake says so). Or it applies
 * its own removal (a leader that removed itself). Until then it campaigns in vain; after,
 * it stops taking part (no ticks: no campaigns, no dials, no log line every few seconds),
 * reports the role "removed", and answers every client with the reason and what to do.
 *
 * Until the group adds the id back: the cluster accepts RAFT ADD of a removed id (its
 * members stop refusing the id once the change is in their log), and a node that applies
 * a change adding itself after its removal takes part again. Without this, a node whose
 * id was re-added (or an empty node of that id replaying the log, which holds the old
 * removal before the re-adding) would be a voter that never campaigns or serves. A
 * removed id should still come back only on an empty data directory (docs/operations.md).
 */
import { WalnutError } from "../lib/errors.js";
import type { Logger } from "../lib/log.js";

/** What an operator does with a removed node (docs/operations.md, "A removed node"). */
const NEXT_STEP = "stop it; to use this machine again, empty its --data-dir and join it with a new --id (walnut serve --join)";

export class Removal {
  private why: string | null = null;

  constructor(private readonly log: Logger) {}

  get happened(): boolean {
    return this.why !== null;
  }

  /** Records the removal once, with one log line saying what to do next. */
  note(why: string): void {
    if (this.why !== null) return;
    this.why = why;
    this.log.warn({ why }, `this node was removed from the cluster (${why}); it no longer takes part: ${NEXT_STEP}`);
  }

  /** The group added this node back (a change applied after its removal): it takes part again. */
  lift(why: string): void {
    if (this.why === null) return;
    this.why = null;
    this.log.warn({ why }, `this node takes part in the cluster again (${why})`);
  }

  /** The error a client gets for `action` ("write", "read", "change membership"). */
  error(action: string): WalnutError {
    return new WalnutError("REMOVED", `Cannot ${action}: this node was removed from the cluster; ${NEXT_STEP}`);
  }
}
