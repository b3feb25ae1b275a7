/**
 * Invariant checks. A failed assertion is a bug in walnut, never bad input: bad input
 * gets a WalnutError. Assertions stay on in production; they are cheap and a storage
 * engine that continues past a broken invariant can corrupt data.
 *
 * Cheap only if the message is: a template literal argument is built on every call, even
 * when the condition holds. On paths run per command or per log entry, write
 * `if (!(condition)) assert(false, \`...\`)`, which builds it only when it fails.
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
