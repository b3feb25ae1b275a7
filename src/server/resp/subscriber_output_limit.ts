/**
 * Redis' client-output-buffer-limit for pub/sub clients, at its default `pubsub 32mb 8mb
 * 60`: a subscribed client whose unsent output passes the hard limit, or stays above the
 * soft limit for the soft period, is to be disconnected. Messages are never dropped
 * silently, and a slow subscriber never makes the server hold more than the hard limit.
 *
 * Pure: the connection tells it the unsent bytes and the time at each message.
 */
export const PUBSUB_OUTPUT_HARD_LIMIT_BYTES = 32 * 1024 * 1024;
export const PUBSUB_OUTPUT_SOFT_LIMIT_BYTES = 8 * 1024 * 1024;
export const PUBSUB_OUTPUT_SOFT_LIMIT_MS = 60_000;

export class SubscriberOutputLimit {
  /** Since when unsent output has been over the soft limit; null while under it. */
  private overSoftLimitSinceMs: number | null = null;

  /** True when a client with `unsentBytes` of unsent output at `nowMs` must be disconnected. */
  exceeded(unsentBytes: number, nowMs: number): boolean {
    if (unsentBytes > PUBSUB_OUTPUT_HARD_LIMIT_BYTES) return true;
    if (unsentBytes <= PUBSUB_OUTPUT_SOFT_LIMIT_BYTES) {
      this.overSoftLimitSinceMs = null;
      return false;
    }
    this.overSoftLimitSinceMs ??= nowMs;
    return nowMs - this.overSoftLimitSinceMs >= PUBSUB_OUTPUT_SOFT_LIMIT_MS;
  }
}
