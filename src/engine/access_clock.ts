/**
 * Redis' LRU clock, as OBJECT IDLETIME and RESTORE ... IDLETIME use it: whole seconds since
 * the Unix epoch modulo 2^24 (LRU_CLOCK_MAX + 1), the 24 bits Redis keeps per value in
 * robj.lru. It wraps every 194 days; an idle time is read across the wrap the way Redis
 * reads it (estimateObjectIdleTime), so a key idle longer than that looks recent, in
 * walnut as in Redis. Item keeps the clock in a small integer beside the value's kind
 * (values.ts), which is why it is 24 bits here too and not an absolute instant.
 */

/** The largest clock value (Redis' LRU_CLOCK_MAX). */
export const ACCESS_CLOCK_MAX = 2 ** 24 - 1;

/** The clock at `instantMs` (milliseconds since the Unix epoch). */
export function accessClockAt(instantMs: number): number {
  return Math.floor(instantMs / 1000) % (ACCESS_CLOCK_MAX + 1);
}

/** Seconds from `accessClock` to the clock at `nowMs`, across a wrap as Redis' estimateObjectIdleTime counts it. */
export function idleSecondsSince(accessClock: number, nowMs: number): number {
  const now = accessClockAt(nowMs);
  return now >= accessClock ? now - accessClock : now + (ACCESS_CLOCK_MAX - accessClock);
}

/**
 * The access clock of a value restored `idleSeconds` ago (RESTORE ... IDLETIME), as Redis'
 * objectSetLRUOrLFU sets it: before the clock's zero it is put half-way round the clock,
 * so that the key looks long idle for a long while.
 */
export function accessClockIdleFor(idleSeconds: number, nowMs: number): number {
  const now = accessClockAt(nowMs);
  const accessed = now - idleSeconds;
  return accessed >= 0 ? accessed : (now + Math.floor(ACCESS_CLOCK_MAX / 2)) % ACCESS_CLOCK_MAX;
}
