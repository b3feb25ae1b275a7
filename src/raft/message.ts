/**
 * Building Message values. Every field of a Message is required (so that a driver or a
 * wire codec never meets `undefined`); createMessage fills the fields a message type does
 * not use with neutral defaults, so call sites name only what matters.
 */
import type { Message, MessageType } from "./types.js";

/** The empty byte string, shared: a message's context or an entry's data when absent. */
export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);

/** The fields every message needs; everything else is optional. */
export type MessageFields = Pick<Message, "type" | "from" | "to"> & Partial<Message>;

/**
 * A complete Message from the fields that matter.
 *
 * @example
 * createMessage({ type: "heartbeat", from: 1, to: 2, term: 3, commit: 7 })
 */
export function createMessage(fields: MessageFields): Message {
  return {
    term: 0,
    logIndex: 0,
    logTerm: 0,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
    index: 0,
    snapshot: null,
    context: EMPTY_BYTES,
    ...fields,
  };
}

/** Messages the driver hands to its own node; they carry no term and never cross the network. */
export function isLocalMessage(type: MessageType): boolean {
  return type === "snapshotStatus" || type === "unreachable";
}

/** True when two byte strings hold the same bytes (read-index contexts are compared so). */
export function sameBytes(left: Uint8Array, right: Uint8Array): boolean {
  if (left.length !== right.length) return false;
  for (let position = 0; position < left.length; position += 1) {
    if (left[position] !== right[position]) return false;
  }
  return true;
}
