/**
 * Session numbers: compact client ids for at-most-once sessions (engine/session_table.ts),
 * unique in the log without a random part, a file of their own or an entry of their own.
 *
 * A node takes its numbers in blocks of SESSIONS_PER_BLOCK, each named by the log index
 * of an entry the node itself proposed: once such an entry is applied (so committed) at
 * index i, the block i × SESSIONS_PER_BLOCK ... (i + 1) × SESSIONS_PER_BLOCK − 1 is this
 * node's. A committed index holds one entry forever, and only the node that proposed it
 * (in this life: proposals are told apart by a random base, node/proposals.ts) is answered
 * for it, so no two blocks of the log overlap, whichever node took them and whenever, and
 * no two sessions ever share a number. Numbers stay below 2^53 (exact in an f64) while the
 * log's index stays below 2^43.
 *
 * Taking a number never waits and costs no log entry: the next block is taken from the
 * node's next applied write once half of the current one is used. Until the node's first
 * write of this life is applied there is none, take() answers null and the caller uses a
 * string id instead (server/resp/write_session.ts), as before numbers existed.
 */

/** Sessions per block: a block serves this many new RESP connections. */
export const SESSIONS_PER_BLOCK = 1024;
/** The last log index whose block still numbers below 2^53. */
const BLOCK_INDEX_MAX = Math.floor(Number.MAX_SAFE_INTEGER / SESSIONS_PER_BLOCK) - 1;

export class SessionNumbers {
  private next = 0;
  private end = 0;

  /** Whether a new block would be taken: half of the current one (or all: none yet) is used. */
  get wanted(): boolean {
    return this.end - this.next <= SESSIONS_PER_BLOCK / 2;
  }

  /** A session number never handed out before in this log, or null when there is none at hand. */
  take(): number | null {
    return this.next < this.end ? this.next++ : null;
  }

  /**
   * An entry this node proposed was applied at `index`: when a block is wanted, that
   * index's block becomes the current one (what was left of the old one is never used).
   */
  appliedOwn(index: number): void {
    if (!this.wanted || !Number.isSafeInteger(index) || index < 1 || index > BLOCK_INDEX_MAX) return;
    this.next = index * SESSIONS_PER_BLOCK;
    this.end = this.next + SESSIONS_PER_BLOCK;
  }
}
