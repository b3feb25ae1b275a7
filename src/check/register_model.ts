/**
 * The sequential model of one walnut key under the fault campaign's commands (history.ts):
 * GET, SET, compare-and-set and INCR, for the linearizability search.
 *
 * The state is the key's value, null when absent. INCR reads an absent key as 0 and any
 * other value as a signed 64-bit integer written the way Redis writes one ("0", "-12",
 * never "+1" or "007"); on anything else, or on overflow, INCR answers an error and
 * changes nothing (the client records that as "failed", which never reaches the model,
 * so an INCR with a known answer on such a value is impossible).
 *
 * The results checked are the ones history.ts defines: a read's value, a CAS's "true" or
 * "false", an INCR's new value. A SET's answer carries no information and is not checked.
 *
 * For the shrinker there is one more state, ANY_VALUE: "the value is not known", used as
 * the initial state when a history's beginning was cut away. From it a read or an INCR
 * reveals the value, a successful CAS or a SET sets it, and anything else keeps not
 * knowing. Allowing every value is a relaxation: it never rejects what a known value
 * would accept.
 */
import type { OperationCommand } from "./history.js";
import type { Model } from "./linearizability.js";

export const ANY_VALUE: unique symbol = Symbol("any value");

export type RegisterState = string | null | typeof ANY_VALUE;
export type RegisterResult = string | null;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const CANONICAL_INTEGER = /^(0|-?[1-9][0-9]*)$/;

/** The integer INCR reads from `value`, or null when INCR answers an error. */
export function counterValue(value: string | null): bigint | null {
  if (value === null) return 0n;
  if (value.length > 20 || !CANONICAL_INTEGER.test(value)) return null;
  const integer = BigInt(value);
  return integer < INT64_MIN || integer > INT64_MAX ? null : integer;
}

function stepKnown(value: string | null, command: OperationCommand, result: RegisterResult | undefined): RegisterState[] {
  switch (command.kind) {
    case "read":
      return result === undefined || result === value ? [value] : [];
    case "write":
      return [command.value];
    case "cas": {
      const swaps = value === command.expected;
      if (result === undefined) return [swaps ? command.value : value];
      return result === String(swaps) ? [swaps ? command.value : value] : [];
    }
    case "incr": {
      const current = counterValue(value);
      if (current === null || current === INT64_MAX) return result === undefined ? [value] : [];
      const next = String(current + 1n);
      return result === undefined || result === next ? [next] : [];
    }
  }
}

function stepUnknown(command: OperationCommand, result: RegisterResult | undefined): RegisterState[] {
  switch (command.kind) {
    case "read":
      return [result === undefined ? ANY_VALUE : result];
    case "write":
      return [command.value];
    case "cas":
      if (result === "true") return [command.value];
      if (result === "false") return [ANY_VALUE];
      return result === undefined ? [command.value, ANY_VALUE] : [];
    case "incr":
      if (result === undefined) return [ANY_VALUE];
      return result !== null && counterValue(result) !== null ? [result] : [];
  }
}

/** The model of one key, starting absent or (for a cut history) at an unknown value. */
export function registerModel(initialState: RegisterState = null): Model<RegisterState, OperationCommand, RegisterResult> {
  return {
    initialState,
    step: (state, command, result) => (state === ANY_VALUE ? stepUnknown(command, result) : stepKnown(state, command, result)),
    stateKey: (state) => state,
    isReadOnly: (command) => command.kind === "read",
    commandKey: (command) => JSON.stringify(command),
  };
}
