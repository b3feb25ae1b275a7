/**
 * Building Ready values and remembering what each one handed out, so that a Ready is never
 * handed out twice and advance() moves the log's stable and applied marks by exactly what
 * the driver handled.
 *
 * Several Readys may be outstanding (handed out, not yet advanced) when the driver
 * persists asynchronously; each new one carries only what is newer, and the driver must
 * handle and advance them in the order they were handed out.
 */
import type { RaftLog } from "./log.js";
import type { Entry, HardState, Message, ReadState, Ready, SnapshotMetadata, SoftState } from "./types.js";

/** Committed entries per Ready: bounds the work one apply step does (the rest follow). */
export const MAX_COMMITTED_ENTRIES_PER_READY = 1024;

/** What the node holds that a Ready draws from. */
export interface ReadyInputs {
  log: RaftLog;
  softState: SoftState;
  hardState: HardState;
  messages: Message[];
  readStates: ReadState[];
  snapshot: SnapshotMetadata | null;
}

export class ReadyTracker {
  private lastSoftState: SoftState;
  private lastHardState: HardState;
  /** Entries through this index were handed out for persisting. */
  private entriesHandedOutThrough: number;
  /** Committed entries through this index were handed out for applying. */
  private appliedHandedOutThrough: number;

  constructor(options: { softState: SoftState; hardState: HardState; log: RaftLog }) {
    this.lastSoftState = options.softState;
    this.lastHardState = options.hardState;
    this.entriesHandedOutThrough = options.log.lastIndex();
    // On restart the state machine is rebuilt from the snapshot: re-apply what follows it.
    this.appliedHandedOutThrough = options.log.snapshot.index;
  }

  /** The log dropped entries from `index` on: those must be handed out again. */
  onTruncate(index: number): void {
    this.entriesHandedOutThrough = Math.min(this.entriesHandedOutThrough, index - 1);
  }

  /** The log was replaced by a snapshot: everything before it is the snapshot's. */
  onRestore(snapshot: SnapshotMetadata): void {
    this.entriesHandedOutThrough = snapshot.index;
    this.appliedHandedOutThrough = snapshot.index;
  }

  hasReady(inputs: ReadyInputs): boolean {
    return (
      inputs.messages.length > 0 ||
      inputs.readStates.length > 0 ||
      inputs.snapshot !== null ||
      inputs.log.lastIndex() > this.entriesHandedOutThrough ||
      this.hasCommittedToHandOut(inputs.log) ||
      !sameSoftState(inputs.softState, this.lastSoftState) ||
      !sameHardState(inputs.hardState, this.lastHardState)
    );
  }

  /**
   * The next Ready. It takes over the message and read-state outboxes as they are (no
   * copy): the caller starts new ones afterwards. Nothing it holds is the caller's: the
   * soft and hard state are copied, and only when they changed.
   */
  build(inputs: ReadyInputs): Ready {
    const { log } = inputs;
    const entries = log.lastIndex() > this.entriesHandedOutThrough ? log.entriesAfter(this.entriesHandedOutThrough) : [];
    const committedEntries = this.committedToHandOut(log);
    const softChanged = !sameSoftState(inputs.softState, this.lastSoftState);
    const hardChanged = !sameHardState(inputs.hardState, this.lastHardState);
    const ready: Ready = {
      softState: softChanged ? { ...inputs.softState } : null,
      hardState: hardChanged ? { ...inputs.hardState } : null,
      entries,
      snapshot: inputs.snapshot,
      committedEntries,
      messages: inputs.messages,
      readStates: inputs.readStates,
    };
    if (softChanged) this.lastSoftState = { ...inputs.softState };
    if (hardChanged) this.lastHardState = { ...inputs.hardState };
    this.entriesHandedOutThrough = log.lastIndex();
    const lastCommitted = committedEntries[committedEntries.length - 1];
    if (lastCommitted !== undefined) this.appliedHandedOutThrough = lastCommitted.index;
    return ready;
  }

  /** The driver handled `ready`: its entries are durable and its committed entries applied. */
  advance(ready: Ready, log: RaftLog): void {
    const lastEntry = ready.entries[ready.entries.length - 1];
    if (lastEntry !== undefined) log.stableTo(lastEntry.index, lastEntry.term);
    const lastApplied = ready.committedEntries[ready.committedEntries.length - 1];
    if (lastApplied !== undefined) log.appliedTo(lastApplied.index);
  }

  private hasCommittedToHandOut(log: RaftLog): boolean {
    return Math.min(log.committed, log.lastIndex()) >= Math.max(this.appliedHandedOutThrough + 1, log.firstIndex());
  }

  private committedToHandOut(log: RaftLog): Entry[] {
    const from = Math.max(this.appliedHandedOutThrough + 1, log.firstIndex());
    const through = Math.min(log.committed, log.lastIndex(), from + MAX_COMMITTED_ENTRIES_PER_READY - 1);
    return through >= from ? log.slice(from, through + 1) : [];
  }
}

function sameSoftState(left: SoftState, right: SoftState): boolean {
  return left.leader === right.leader && left.role === right.role;
}

function sameHardState(left: HardState, right: HardState): boolean {
  return left.term === right.term && left.vote === right.vote && left.commit === right.commit;
}
