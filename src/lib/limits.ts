/**
 * Every bound walnut enforces, in one place. Inputs beyond a bound are refused with a
 * LIMIT error; queues and loops are bounded by these numbers so that no client can make
 * the process grow without limit.
 */
import { constants } from "node:buffer";

const MAX_STRING_LENGTH = constants.MAX_STRING_LENGTH;

export const limits = {
  /** Largest key, in bytes (Redis allows 512 MiB; a key that large is always a mistake). */
  keyBytesMax: 64 * 1024,
  /**
   * Largest single value, in bytes: Redis' proto-max-bulk-len (512 MiB), or the longest
   * string V8 can hold (2^29 - 24 characters on 64-bit), whichever is smaller, since values
   * are kept as byte strings.
   */
  valueBytesMax: Math.min(512 * 1024 * 1024, MAX_STRING_LENGTH),
  /**
   * Cells of the table LCS fills to find the subsequence itself (4 bytes each: 128 MiB at
   * most, freed when the command answers). LCS LEN needs two rows and has no such bound.
   */
  lcsTableCellsMax: 2 ** 25,
  /** Largest log entry payload, in bytes: one command or one atomic batch. */
  entryBytesMax: 512 * 1024 * 1024 + 1024 * 1024,
  /** Largest WAL frame we will believe when reading a length prefix: an entry plus its header. */
  walFrameBytesMax: 512 * 1024 * 1024 + 1024 * 1024 + 64,
  /**
   * Lua VM instructions one script may execute (about a second of Lua on this VM): past
   * it the script is stopped, its writes undone. An instruction count, not a time, so
   * every replica stops a runaway script at the same point (docs/scripting.md).
   */
  scriptInstructionsMax: 500_000_000,
  /** Bytes the Lua heap may hold while a script runs; past it the script is stopped. */
  scriptHeapBytesMax: 256 * 1024 * 1024,
  /**
   * Keys the client-tracking table remembers (Redis' tracking-table-max-keys, 1,000,000 by
   * default there too): past it the oldest are invalidated and forgotten.
   */
  trackingKeysMax: 1_000_000,
  /** Commands in one atomic batch (MULTI/EXEC). */
  batchCommandsMax: 100_000,
  /** Arguments in one command. */
  commandArgumentsMax: 1024 * 1024,
  /** Collections in one engine. */
  collectionsMax: 10_000,
  /** Longest collection name, in bytes. */
  collectionNameBytesMax: 256,
  /** Elements in one list. */
  listElementsMax: 2 ** 32 - 1,
  /**
   * Proposals a node has in its Raft log and not answered yet. More writes wait, in order,
   * until one is answered (node/write_admission.ts): the bound keeps one group commit, one
   * Ready and the proposal table small, whatever the clients send.
   */
  writesInFlightMax: 16_384,
  /**
   * Commands of one RESP connection whose replies are not ready yet (writes, and reads
   * waiting for them or for a read barrier). At the bound the server stops reading the
   * connection until one is answered, so TCP slows the client. redis-benchmark's -P 100
   * and redis-cli --pipe run within it; a larger pipeline just waits on its socket.
   */
  connectionCommandsInFlightMax: 1024,
  /** Bytes buffered for the WAL before new writes are refused. */
  pendingWalBytesMax: 1024 * 1024 * 1024,
  /** Keys a checkpoint writer serializes before yielding to the event loop. */
  checkpointSliceKeys: 4096,
  /** Expired keys removed by one sweep entry. */
  expirySweepKeysMax: 1000,
  /**
   * Picks one HRANDFIELD/SRANDMEMBER with a negative count (repeats allowed) may answer:
   * Redis would stream any number; walnut builds the reply in memory first.
   */
  randomPicksMax: 1_000_000,
  /** Replies a SCAN call returns per COUNT unit upper bound. */
  scanCountMax: 100_000,
  /** Default maxmemory, as a fraction of V8's heap limit (docs/operations.md, "Memory", has the measurements). */
  maxmemoryDefaultHeapFraction: 0.5,
  /** Largest maxmemory accepted, as a fraction of V8's heap limit: V8 died at 82% in the same measurements. */
  maxmemoryMostHeapFraction: 0.75,
  // ——— A leader's work per follower and per turn of its event loop (docs/transport.md, flow control) ———
  /**
   * Entry data bytes in one Raft append message (a single larger entry still goes alone):
   * what one send costs to encode, and what one answer from a follower can make the leader
   * send again, stays small whatever the follower's lag.
   */
  raftAppendBytesMax: 1024 * 1024,
  /**
   * Entry data bytes sent to one follower and not acknowledged yet. A follower that stops
   * reading (paused, a slow link, a long GC pause) can hold no more of the leader's sending
   * than this; catching up a far-behind follower goes at this many bytes per round trip.
   */
  raftInflightBytesMax: 8 * 1024 * 1024,
  /** Encoded bytes queued for one peer behind its socket before new messages are dropped. */
  peerQueuedBytesMax: 64 * 1024 * 1024,
  /**
   * Longest wait between dials to a peer that is down: a restarted member is dialed again
   * within about a heartbeat (100 ms), far inside the 1 s election timeout. It also announces
   * itself: a connection from a peer ends any wait to dial it back.
   */
  peerReconnectBackoffMaxMs: 200,
  /**
   * Questions asked outside Raft (PUBSUB's cluster-wide counts) in flight to one member at
   * once, each on a connection of its own (transport/peer_question.ts); more wait their turn
   * in node/peer_questions.ts, so a flood of PUBSUB opens at most this many connections per
   * member.
   */
  peerQuestionsInFlightMax: 8,
  /**
   * Ready-loop turns the node runs back to back before it yields to the event loop, so that
   * timers (heartbeats), sockets and clients get their turn however much work is queued.
   */
  readyTurnsBeforeYield: 16,
} as const;
