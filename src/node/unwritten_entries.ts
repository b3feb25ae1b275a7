/**
 * Under fsync "no" a write is acknowledged once it is handed to the WAL, before the WAL has
 * written it. This counts the entries (and bytes) queued and not yet written, so the Ready
 * loop can wait once too many are, and the log in memory keeps them (a failed write is
 * retried from there). The appends that join one WAL batch share its promise (group
 * commit), so the Readys of one batch share one handler instead of attaching one each.
 */

/**
 * Entries (and bytes) queued but not written before the Ready loop waits. Writers that
 * never let the event loop turn (an embedded loop of awaited sets) leave the WAL this far
 * behind; 256 still makes one write() of many entries, and keeps the queued entries few
 * enough to die young (4096 survived into the old generation).
 */
const UNWRITTEN_ENTRIES_MAX = 256;
const UNWRITTEN_BYTES_MAX = 4 * 1024 * 1024;

/** Entries (and their bytes) of one WAL batch not written yet. */
class UnwrittenBatch {
  settled: Promise<void> = Promise.resolve();

  constructor(
    readonly append: Promise<void>,
    public entries: number,
    public bytes: number,
  ) {}
}

export class UnwrittenEntries {
  entries = 0;
  bytes = 0;
  /** The WAL batch the latest entries joined, while it is not written. */
  private batch: UnwrittenBatch | null = null;

  /** `onFailed` hears of a write that failed (its entries count as written then: they are no longer queued). */
  constructor(private readonly onFailed: (cause: unknown) => void) {}

  get overLimit(): boolean {
    return this.entries > UNWRITTEN_ENTRIES_MAX || this.bytes > UNWRITTEN_BYTES_MAX;
  }

  /** Counts `entries` handed to the WAL by `append` until it settles; resolves then (never rejects). */
  add(append: Promise<void>, entries: number, bytes: number): Promise<void> {
    this.entries += entries;
    this.bytes += bytes;
    const joined = this.batch;
    if (joined !== null && joined.append === append) {
      joined.entries += entries;
      joined.bytes += bytes;
      return joined.settled;
    }
    const batch = new UnwrittenBatch(append, entries, bytes);
    batch.settled = append.then(
      () => this.written(batch),
      (cause: unknown) => {
        this.written(batch);
        this.onFailed(cause);
      },
    );
    this.batch = batch;
    return batch.settled;
  }

  private written(batch: UnwrittenBatch): void {
    this.entries -= batch.entries;
    this.bytes -= batch.bytes;
    if (this.batch === batch) this.batch = null;
  }
}
