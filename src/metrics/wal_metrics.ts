/**
 * The WAL's metrics, observed where its writer writes and syncs (wal/writer.ts):
 *
 *   walnut_wal_bytes_written_total       counter    bytes of frames written
 *   walnut_wal_fsync_duration_seconds    histogram  each fdatasync of the active segment
 *   walnut_wal_batch_entries             histogram  entries per batch written (group commit)
 *
 * One batch is one write and, under fsync "always", one fsync: a few per thousand
 * commands when busy, so prom-client's instruments are cheap enough here.
 */
import { Counter, Histogram, type Registry } from "prom-client";
import type { WalObserver } from "../wal/wal.js";

export const FSYNC_DURATION_BUCKETS_SECONDS: readonly number[] = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];
export const BATCH_ENTRIES_BUCKETS: readonly number[] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096];

export class WalMetrics implements WalObserver {
  private readonly bytesWritten: Counter;
  private readonly fsyncDuration: Histogram;
  private readonly batchEntries: Histogram;

  constructor(registry: Registry) {
    const registers = [registry];
    this.bytesWritten = new Counter({ name: "walnut_wal_bytes_written_total", help: "Bytes of frames written to the WAL.", registers });
    this.fsyncDuration = new Histogram({
      name: "walnut_wal_fsync_duration_seconds",
      help: "Duration of each fdatasync of the active WAL segment.",
      buckets: [...FSYNC_DURATION_BUCKETS_SECONDS],
      registers,
    });
    this.batchEntries = new Histogram({
      name: "walnut_wal_batch_entries",
      help: "Log entries per batch written to the WAL: how many writes share one write (and fsync).",
      buckets: [...BATCH_ENTRIES_BUCKETS],
      registers,
    });
  }

  batchWritten(entries: number, bytes: number): void {
    this.bytesWritten.inc(bytes);
    if (entries > 0) this.batchEntries.observe(entries); // hard-state or checkpoint-marker batches carry none
  }

  synced(durationMs: number): void {
    this.fsyncDuration.observe(durationMs / 1000);
  }
}
