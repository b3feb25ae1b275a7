/**
 * Membership changes as log entries: the byte format of a ConfChange inside a "confChange"
 * entry, and how a change (or a log's worth of them) transforms a ConfState.
 *
 * Layout (9 bytes, then an optional address):
 *
 *   u8  kind      1 = addVoter, 2 = addLearner, 3 = remove
 *   u32 nodeLow   node id, low 32 bits, little-endian
 *   u32 nodeHigh  node id, high 21 bits (ids are numbers below 2^53), little-endian
 *   ...address    optional UTF-8 "host:port" where the node listens for peers (the driver's
 *                 business: every member learns a new member's address from its log entry)
 *
 * Worked example: { type: "addLearner", node: 4 } encodes as
 *
 *   02  04 00 00 00  00 00 00 00
 *
 * Every change *sets* one node's membership (voter, learner, absent), so folding the same
 * sequence of changes twice gives the same ConfState as folding it once.
 */
import { WalnutError } from "../lib/errors.js";
import type { ConfChange, ConfState, Entry, NodeId } from "./types.js";

export const CONF_CHANGE_BYTES = 9;
/** Longest address a change may carry, in bytes. */
const ADDRESS_BYTES_MAX = 1024;

const KIND_BY_TYPE: Record<ConfChange["type"], number> = { addVoter: 1, addLearner: 2, remove: 3 };
const TYPE_BY_KIND: ReadonlyMap<number, ConfChange["type"]> = new Map([
  [1, "addVoter"],
  [2, "addLearner"],
  [3, "remove"],
]);
const TWO_TO_32 = 2 ** 32;

/** The entry payload for `change`. */
export function encodeConfChange(change: ConfChange): Uint8Array {
  if (!Number.isSafeInteger(change.node) || change.node <= 0) {
    throw new WalnutError("BAD_ARGUMENT", `Cannot encode membership change: node id ${change.node} is not a positive integer`);
  }
  const address = new TextEncoder().encode(change.address ?? "");
  if (address.length > ADDRESS_BYTES_MAX) {
    throw new WalnutError("BAD_ARGUMENT", `Cannot encode membership change: address longer than ${ADDRESS_BYTES_MAX} bytes`);
  }
  const bytes = new Uint8Array(CONF_CHANGE_BYTES + address.length);
  bytes.set(address, CONF_CHANGE_BYTES);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, KIND_BY_TYPE[change.type]);
  view.setUint32(1, change.node % TWO_TO_32, true);
  view.setUint32(5, Math.floor(change.node / TWO_TO_32), true);
  return bytes;
}

/** The ConfChange inside a "confChange" entry's data. */
export function decodeConfChange(data: Uint8Array): ConfChange {
  if (data.length < CONF_CHANGE_BYTES || data.length > CONF_CHANGE_BYTES + ADDRESS_BYTES_MAX) {
    throw new WalnutError("BAD_ARGUMENT", `Cannot decode membership change: ${data.length} bytes, expected ${CONF_CHANGE_BYTES} and an address`);
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const type = TYPE_BY_KIND.get(view.getUint8(0));
  if (type === undefined) {
    throw new WalnutError("BAD_ARGUMENT", `Cannot decode membership change: unknown kind ${view.getUint8(0)}`);
  }
  const node = view.getUint32(1, true) + view.getUint32(5, true) * TWO_TO_32;
  if (!Number.isSafeInteger(node) || node <= 0) {
    throw new WalnutError("BAD_ARGUMENT", `Cannot decode membership change: node id ${node} is out of range`);
  }
  if (data.length === CONF_CHANGE_BYTES) return { type, node };
  return { type, node, address: new TextDecoder().decode(data.subarray(CONF_CHANGE_BYTES)) };
}

/** `confState` with `change` applied; the input is not modified. */
export function applyConfChange(confState: ConfState, change: ConfChange): ConfState {
  const voters = confState.voters.filter((id) => id !== change.node);
  const learners = confState.learners.filter((id) => id !== change.node);
  if (change.type === "addVoter") voters.push(change.node);
  if (change.type === "addLearner") learners.push(change.node);
  return { voters: voters.sort(byNumber), learners: learners.sort(byNumber) };
}

/** `base` with the changes of every confChange entry in `entries` applied in order. */
export function foldConfChanges(base: ConfState, entries: readonly Entry[]): ConfState {
  let confState = copyConfState(base);
  for (const entry of entries) {
    if (entry.type === "confChange") confState = applyConfChange(confState, decodeConfChange(entry.data));
  }
  return confState;
}

export function copyConfState(confState: ConfState): ConfState {
  return { voters: [...confState.voters].sort(byNumber), learners: [...confState.learners].sort(byNumber) };
}

export function isVoter(confState: ConfState, id: NodeId): boolean {
  return confState.voters.includes(id);
}

export function isLearner(confState: ConfState, id: NodeId): boolean {
  return confState.learners.includes(id);
}

/** Voters and learners: everyone the leader replicates to. */
export function members(confState: ConfState): NodeId[] {
  return [...confState.voters, ...confState.learners];
}

function byNumber(left: number, right: number): number {
  return left - right;
}
