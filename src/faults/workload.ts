/**
 * What the campaign's clients ask: a small, shared, rotating key space and a seeded mix
 * of reads, writes, compare-and-sets and increments on it.
 *
 * Few keys make operations contend (that is where linearizability bugs live); rotation
 * keeps each key's history short, so the checker's search stays small: after
 * OPERATIONS_PER_KEY operations a key slot moves on to a fresh key ("k3.0" → "k3.1").
 *
 * Two kinds of keys: registers ("k…": reads, writes, CAS) and counters ("c…": INCR and
 * reads only), so that the counter check (check/counter_check.ts) has keys to judge.
 * A write or CAS value is (client + 1) · 10^7 + sequence: unique per client and
 * operation, so a read names the write it saw. A CAS expects the last value this client
 * saw for the key, so it often matches.
 */
import type { OperationCommand } from "../check/history.js";
import type { Random } from "../lib/seeded_random.js";

/** Operations on one key before its slot moves on to a fresh key. */
export const OPERATIONS_PER_KEY = 200;
const CLIENT_VALUE_STRIDE = 10_000_000;

/** The mix, in percent: reads, writes, CAS; the rest are INCRs (RESP only; HTTP has no INCR). */
const READ_PERCENT = 40;
const WRITE_PERCENT = 25;
const CAS_PERCENT = 20;
/** Of the reads, the share (percent) that read a counter. */
const COUNTER_READ_PERCENT = 20;

/** The key slots every client shares. */
export class KeySpace {
  private readonly generations: number[];
  private readonly operations: number[];

  constructor(
    readonly slots: number,
    private readonly prefix: string,
  ) {
    this.generations = new Array<number>(slots).fill(0);
    this.operations = new Array<number>(slots).fill(0);
  }

  /** The key of `slot` for one more operation; the slot moves on after OPERATIONS_PER_KEY. */
  take(slot: number): string {
    const key = `${this.prefix}${slot}.${this.generations[slot] ?? 0}`;
    this.operations[slot] = (this.operations[slot] ?? 0) + 1;
    if ((this.operations[slot] ?? 0) >= OPERATIONS_PER_KEY) {
      this.operations[slot] = 0;
      this.generations[slot] = (this.generations[slot] ?? 0) + 1;
    }
    return key;
  }
}

/** One client's choice of operations; remembers the last value it saw of each key. */
export class OperationPicker {
  private sequence = 0;
  private readonly lastSeen = new Map<string, string | null>();

  constructor(
    private readonly options: { client: number; registers: KeySpace; counters: KeySpace; random: Random; incrAllowed: boolean },
  ) {}

  next(): OperationCommand {
    const { registers, counters, random, client } = this.options;
    const roll = random.below(100);
    if (roll < READ_PERCENT) {
      const keys = random.below(100) < COUNTER_READ_PERCENT ? counters : registers;
      return { kind: "read", key: keys.take(random.below(keys.slots)) };
    }
    if (roll >= READ_PERCENT + WRITE_PERCENT + CAS_PERCENT && this.options.incrAllowed) {
      return { kind: "incr", key: counters.take(random.below(counters.slots)) };
    }
    const key = registers.take(random.below(registers.slots));
    const value = String((client + 1) * CLIENT_VALUE_STRIDE + ++this.sequence);
    if (roll < READ_PERCENT + WRITE_PERCENT) return { kind: "write", key, value };
    return { kind: "cas", key, expected: this.lastSeen.get(key) ?? null, value };
  }

  /** Notes what an "ok" operation showed of its key. */
  saw(command: OperationCommand, result: string | null): void {
    if (command.kind === "read" || command.kind === "incr") this.lastSeen.set(command.key, result);
    else if (command.kind === "write" || (command.kind === "cas" && result === "true")) this.lastSeen.set(command.key, command.value);
  }
}
