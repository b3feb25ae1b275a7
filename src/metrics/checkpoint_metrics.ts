/**
 * Checkpoints, observed by the checkpointer (node/checkpointer.ts):
 *
 *   walnut_checkpoint_duration_seconds   histogram  a whole successful checkpoint, from the engine view to the WAL trimmed
 *   walnut_checkpoint_size_bytes         gauge      size of the last checkpoint file written
 *   walnut_checkpoints_total{outcome}    counter    checkpoints finished ("ok") or failed ("error")
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export const CHECKPOINT_DURATION_BUCKETS_SECONDS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export class CheckpointMetrics {
  private readonly duration: Histogram;
  private readonly sizeBytes: Gauge;
  private readonly finished: Counter.Internal;
  private readonly failures: Counter.Internal;

  constructor(registry: Registry) {
    const registers = [registry];
    this.duration = new Histogram({
      name: "walnut_checkpoint_duration_seconds",
      help: "Duration of each checkpoint, from taking the engine's view to trimming the WAL.",
      buckets: [...CHECKPOINT_DURATION_BUCKETS_SECONDS],
      registers,
    });
    this.sizeBytes = new Gauge({ name: "walnut_checkpoint_size_bytes", help: "Size of the last checkpoint file written.", registers });
    const total = new Counter({ name: "walnut_checkpoints_total", help: "Checkpoints taken, by outcome (ok or error).", labelNames: ["outcome"], registers });
    this.finished = total.labels("ok");
    this.failures = total.labels("error");
    this.finished.inc(0); // both outcomes from the start, so that rate() and alerts see them
    this.failures.inc(0);
  }

  succeeded(durationMs: number, sizeBytes: number): void {
    this.duration.observe(durationMs / 1000);
    this.sizeBytes.set(sizeBytes);
    this.finished.inc();
  }

  /** A failed checkpoint counts, but its duration does not: the histogram is of checkpoints taken. */
  failed(): void {
    this.failures.inc();
  }
}
