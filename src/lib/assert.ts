/**
 * Invariant checks. A failed assertion is a bug in walnut, never bad input: bad input
 * gets a WalnutError. Assertions stay on in production; they are cheap and a storage
 * engine that continues past a broken invariant can corrupt data.
 */
export class AssertionError extends Error {
  constructor(message: string) {
    super(`walnut invariant violated: ${message}`);
    this.name = "AssertionError";
  }
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

export function unreachable(value: never, what: string): never {
  throw new AssertionError(`unexpected ${what}: ${String(value)}`);
}
