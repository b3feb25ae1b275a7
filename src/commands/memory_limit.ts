/**
 * maxmemory with Redis' noeviction policy: once used memory is over the limit, commands
 * flagged `denyoom` in the command table (those that can add data: SET, INCR, LPUSH,
 * APPEND, MSET, PFADD, ...) are refused with Redis' OOM error, while reads and commands
 * that free memory (DEL, EXPIRE, LPOP, FLUSHDB, ...) go on. walnut never evicts keys.
 *
 * Used memory is the V8 heap in use plus V8's external memory (lib/heap_usage.ts: sampled
 * every 100 ms, garbage collected before a refusal counts) plus the argument bytes of the denyoom writes admitted
 * since that sample, so that a burst of large writes between two samples cannot run past
 * the limit unseen. Checking it is one addition and one comparison.
 *
 * The default limit is DEFAULT_HEAP_FRACTION of V8's heap limit, and no limit may be above
 * MOST_HEAP_FRACTION of it: beyond that V8 dies of heap exhaustion before walnut could
 * refuse anything (docs/operations.md, "Memory", has the measurements).
 */
import type { ByteString } from "../engine/bytes.js";
import { WalnutError } from "../lib/errors.js";
import { heapSizeLimit, heapUsage } from "../lib/heap_usage.js";
import { limits } from "../lib/limits.js";
import { formatBytes } from "../lib/units.js";
import { isGrowingCall } from "./collections.js";
import { error, type Reply } from "../engine/reply.js";
import type { CommandSpec } from "./spec.js";

/** The default maxmemory, as a fraction of V8's heap limit. */
export const DEFAULT_HEAP_FRACTION = limits.maxmemoryDefaultHeapFraction;
/** The highest maxmemory accepted, as a fraction of V8's heap limit. */
export const MOST_HEAP_FRACTION = limits.maxmemoryMostHeapFraction;

/** Redis 7.0's text, word for word. */
export const OOM_TEXT = "command not allowed when used memory > 'maxmemory'.";
export const OOM_REPLY: Reply = error("OOM", OOM_TEXT, "OOM");
/** What EXEC (and any atomic batch) answers when one of its commands is refused. */
export const EXECABORT_OOM_REPLY: Reply = error("EXECABORT", `Transaction discarded because of: OOM ${OOM_TEXT}`, "OOM");

/** The only maxmemory-policy walnut has. */
export const MAXMEMORY_POLICY = "noeviction";

/** True when the call may add data, so that it is refused while used memory is over maxmemory. */
export function isDenyoomCall(spec: CommandSpec, argv: readonly ByteString[]): boolean {
  // COLLECTION's subcommands differ: CREATE and LOAD add data, DROP frees it.
  return spec.flags.includes("denyoom") || (spec.name === "COLLECTION" && isGrowingCall(argv));
}

/** True for the replies an OOM refusal gives, alone or as an aborted batch. */
export function isOutOfMemoryReply(reply: Reply): boolean {
  return reply.type === "error" && reply.code === "OOM";
}

/** The largest maxmemory this process's heap can hold. */
export function mostMaxmemory(): number {
  return Math.floor(heapSizeLimit() * MOST_HEAP_FRACTION);
}

/** The maxmemory used when none is given (or 0 is). */
export function defaultMaxmemory(): number {
  return Math.floor(heapSizeLimit() * DEFAULT_HEAP_FRACTION);
}

/**
 * The maxmemory `requested` stands for (0: the default), or an error naming `setting` and
 * how to give the heap more room when it is more than the heap can hold.
 */
export function resolveMaxmemory(requested: number, setting: string): number {
  if (!Number.isSafeInteger(requested) || requested < 0) {
    throw new WalnutError("BAD_CONFIG", `Cannot use ${setting} ${requested}: it must be a whole number of bytes (0: the default)`);
  }
  if (requested === 0) return defaultMaxmemory();
  const most = mostMaxmemory();
  if (requested > most) throw new WalnutError("BAD_CONFIG", tooLargeText(requested, setting));
  return requested;
}

function tooLargeText(requested: number, setting: string): string {
  const limit = heapSizeLimit();
  const neededMiB = Math.ceil(requested / MOST_HEAP_FRACTION / 1024 / 1024);
  return (
    `Cannot use ${setting} ${formatBytes(requested)}: the V8 heap limit is ${formatBytes(limit)}, which holds at most ` +
    `${formatBytes(mostMaxmemory())} of data; raise the heap with NODE_OPTIONS=--max-old-space-size=${neededMiB} (MiB) or lower ${setting}`
  );
}

/** Counts refusals (metrics/memory_metrics.ts); optional so that the limit stands alone. */
export interface RefusalObserver {
  writeRefused(): void;
}

export class MemoryLimit {
  private limit: number;
  /** Argument bytes of denyoom writes admitted since the last heap sample. */
  private admittedBytes = 0;
  private unwatch: (() => void) | null;
  private observer: RefusalObserver | null = null;

  /** @param requested bytes, 0 for the default; checked by resolveMaxmemory */
  constructor(requested = 0, setting = "maxmemory") {
    this.limit = resolveMaxmemory(requested, setting);
    this.unwatch = heapUsage.watch(() => this.sampled());
  }

  /** The limit in bytes. */
  get maxmemory(): number {
    return this.limit;
  }

  /** Changes the limit (CONFIG SET maxmemory); 0 restores the default. Throws as resolveMaxmemory does. */
  setMaxmemory(requested: number, setting = "maxmemory"): void {
    this.limit = resolveMaxmemory(requested, setting);
  }

  /** Used memory as walnut counts it: the heap at the last sample plus what was admitted since. */
  get usedBytes(): number {
    return heapUsage.usedBytes + this.admittedBytes;
  }

  /** The highest heap sample of this process. */
  get peakBytes(): number {
    return Math.max(heapUsage.peakBytes, this.usedBytes);
  }

  /** True while used memory is over the limit: denyoom commands are refused. */
  isOver(): boolean {
    return heapUsage.usedBytes + this.admittedBytes > this.limit;
  }

  observe(observer: RefusalObserver): void {
    this.observer = observer;
  }

  /**
   * Admits one write: the OOM refusal when the call is denyoom and memory is over, else
   * null (and the call's bytes count as used until the next sample).
   */
  admit(spec: CommandSpec, argv: readonly ByteString[]): Reply | null {
    if (!isDenyoomCall(spec, argv)) return null;
    if (this.confirmOver()) {
      this.observer?.writeRefused();
      return OOM_REPLY;
    }
    this.admittedBytes += argumentBytes(argv);
    return null;
  }

  /**
   * Admits an atomic batch (EXEC) as Redis does: refused whole when one of its calls is
   * denyoom and memory is over, judged once before any of it counts. False when refused.
   */
  admitBatch(specs: readonly CommandSpec[], calls: ReadonlyArray<{ argv: readonly ByteString[] }>): boolean {
    let bytes = 0;
    let denyoom = false;
    specs.forEach((spec, index) => {
      const argv = calls[index]?.argv ?? [];
      if (!isDenyoomCall(spec, argv)) return;
      denyoom = true;
      bytes += argumentBytes(argv);
    });
    if (!denyoom) return true;
    if (this.confirmOver()) {
      this.observer?.writeRefused();
      return false;
    }
    this.admittedBytes += bytes;
    return true;
  }

  /** Stops sampling for this limit (the db closed). */
  close(): void {
    this.unwatch?.();
    this.unwatch = null;
  }

  /**
   * Whether memory is over the limit once garbage is out of the count (what a refusal rests
   * on; isOver() is the cached figure alone): when the cached
   * figure says over, a full collection (rate-limited by heap_usage.ts) and a fresh sample
   * decide. Between two allowed collections the cached figure stands.
   */
  confirmOver(): boolean {
    if (!this.isOver()) return false;
    if (heapUsage.collect()) this.admittedBytes = 0; // the fresh sample holds what was admitted
    return this.isOver();
  }

  private sampled(): void {
    this.admittedBytes = 0;
    heapUsage.collectIfOver(this.limit);
  }
}

function argumentBytes(argv: readonly ByteString[]): number {
  let bytes = 0;
  for (const arg of argv) bytes += arg.length;
  return bytes;
}
