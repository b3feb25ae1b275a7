/**
 * What the campaign's clients ask: a small, shared, rotating key space and a seeded mix
 * of reads, writes, compare-and-sets and increments on it.
 *
 * Few keys make operations contend (that is where linearizability bugs live); rotation
 * keeps each key's history short, so the checker's search stays small: after
 * OPERATIONS_PER_KEY operations a key slot moves on to a fresh key ("k3.0" → "k3.1").
 *
 * Every value is a decimal integer, so INCR applies to any key: a write or CAS value is
 * (client + 1) · 10^7 + sequence · 1000, unique per client and operation, and INCRs
 * (fewer than 1000 per key) never reach another client's values. A CAS expects the last
 * value this client saw for the key, so it often matches.
 */
import type { OperationCommand } from "../check/history.js";
import type { Random } from "../scenarios/server_fixtures.js";

/** Operations on one key before its slot moves on to a fresh key. */
export const OPERATIONS_PER_KEY = 200;
const CLIENT_VALUE_STRIDE = 10_000_000;
const SEQUENCE_VALUE_STRIDE = 1_000;

/** The mix, in percent: reads, writes, CAS; the rest are INCRs (RESP only; HTTP has no INCR). */
const READ_PERCENT = 40;
const WRITE_PERCENT = 25;
const CAS_PERCENT = 20;

/** The key slots every client shares. */
export class KeySpace {
  private readonly generations: number[];
  private readonly operations: number[];

  constructor(readonly slots: number) {
    this.generations = new Array<number>(slots).fill(0);
    this.operations = new Array<number>(slots).fill(0);
  }

  /** The key of `slot` for one more operation; the slot moves on after OPERATIONS_PER_KEY. */
  take(slot: number): string {
    const key = `k${slot}.${this.generations[slot] ?? 0}`;
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
    private readonly options: { client: number; keys: KeySpace; random: Random; incrAllowed: boolean },
  ) {}

  next(): OperationCommand {
    const { keys, random, client } = this.options;
    const key = keys.take(random.below(keys.slots));
    const value = String((client + 1) * CLIENT_VALUE_STRIDE + ++this.sequence * SEQUENCE_VALUE_STRIDE);
    const roll = random.below(100);
    if (roll < READ_PERCENT) return { kind: "read", key };
    if (roll < READ_PERCENT + WRITE_PERCENT) return { kind: "write", key, value };
    if (roll < READ_PERCENT + WRITE_PERCENT + CAS_PERCENT || !this.options.incrAllowed) {
      return { kind: "cas", key, expected: this.lastSeen.get(key) ?? null, value };
    }
    return { kind: "incr", key };
  }

  /** Notes what an "ok" operation showed of its key. */
  saw(command: OperationCommand, result: string | null): void {
    if (command.kind === "read" || command.kind === "incr") this.lastSeen.set(command.key, result);
    else if (command.kind === "write" || (command.kind === "cas" && result === "true")) this.lastSeen.set(command.key, command.value);
  }
}
