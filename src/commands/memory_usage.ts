/**
 * MEMORY USAGE's figure: an estimate of the bytes walnut's own heap spends on one key and
 * its value (not what Redis would spend: Redis' encodings are not walnut's). It counts the
 * key, the Item record and the value's objects with V8's usual sizes on a 64-bit heap:
 * a one-byte string is a 16-byte header plus its bytes rounded up to 8, a JS array 16 bytes
 * plus 8 per slot (a compact list, hash or sorted set is one string packing its elements:
 * list_packed.ts, sorted_set_packed.ts), a Map or Set about 80 bytes plus 24 per entry (its hash table), a bigint
 * 24 bytes, a HyperLogLog's Uint8Array 96 bytes plus its 16384 registers.
 *
 * Every element is counted (Redis samples 5 of an aggregate's elements unless SAMPLES says
 * otherwise; walnut's figure is exact for its own layout, so SAMPLES changes nothing).
 */
import type { ByteString } from "../engine/bytes.js";
import { ListDeque } from "../engine/list_deque.js";
import { NODE_BYTES_MAX } from "../engine/list_chunks.js";
import { packedSize } from "../engine/list_packed.js";
import { HashFields } from "../engine/hash_fields.js";
import { SortedSet } from "../engine/sorted_set.js";
import { Stream } from "../engine/stream.js";
import { NO_EXPIRY, type Item } from "../engine/values.js";
import { sortedSetMembers } from "./encoding.js";

const STRING_HEADER_BYTES = 16;
const ITEM_BYTES = 56; // the Item object: header (24) and 4 fields (values.ts)
const MAP_ENTRY_KEY_BYTES = 24; // a Map/Set's hash table share per entry
const COLLECTION_BYTES = 80;
const ARRAY_BYTES = 16;
const POINTER_BYTES = 8;
const BIGINT_BYTES = 24;
const HEAP_NUMBER_BYTES = 16;
const TYPED_ARRAY_BYTES = 96;
const SKIPLIST_NODE_BYTES = 64; // a sorted set's node: member, score, level links
const STREAM_ENTRY_BYTES = 96; // a stream entry: its B+tree slot, the entry object, its ID object and two bigints
const PENDING_ENTRY_BYTES = 64; // a pending entry object and its slots in the group's and the consumer's B+trees

/** The heap bytes of a one-byte string of `text`'s length. */
export function stringBytes(text: ByteString): number {
  return STRING_HEADER_BYTES + Math.ceil(text.length / 8) * 8;
}

function valueBytes(item: Item): number {
  const value = item.value;
  if (typeof value === "string") return stringBytes(value);
  if (typeof value === "bigint") return BIGINT_BYTES;
  if (typeof value === "number") return HEAP_NUMBER_BYTES;
  if (typeof value === "boolean") return 0; // true and false are shared
  if (value instanceof Uint8Array) return TYPED_ARRAY_BYTES + value.length;
  if (value instanceof ListDeque && value.isCompact) {
    // One packed string: the elements and two or four framing bytes each (list_packed.ts).
    return STRING_HEADER_BYTES + Math.ceil(value.packedBytes / 8) * 8;
  }
  if (value instanceof ListDeque) {
    // 8 KB packed nodes (list_chunks.ts): the elements' packed bytes, and per node a string
    // header and two ring slots (the node and its count).
    let bytes = 0;
    for (const element of value) bytes += packedSize(element);
    const nodes = Math.max(1, Math.ceil(bytes / NODE_BYTES_MAX));
    return 2 * ARRAY_BYTES + bytes + nodes * (STRING_HEADER_BYTES + 2 * POINTER_BYTES);
  }
  if (value instanceof HashFields && value.isCompact) {
    // One packed string: fields, values and two to four framing bytes each (hash_fields.ts).
    return COLLECTION_BYTES + STRING_HEADER_BYTES + Math.ceil(value.packedBytes / 8) * 8;
  }
  if (value instanceof HashFields) {
    let total = COLLECTION_BYTES;
    for (const [field, text] of value) total += MAP_ENTRY_KEY_BYTES + stringBytes(field) + stringBytes(text);
    return total;
  }
  if (value instanceof Set) {
    let total = COLLECTION_BYTES;
    for (const member of value) total += MAP_ENTRY_KEY_BYTES + stringBytes(member);
    return total;
  }
  if (value instanceof Stream) return streamBytes(value);
  if (value instanceof SortedSet && value.isCompact) {
    // One packed string: members, framing and 8-byte scores (sorted_set_packed.ts).
    return COLLECTION_BYTES + STRING_HEADER_BYTES + Math.ceil(value.packedBytes / 8) * 8;
  }
  const members = sortedSetMembers(value);
  if (members !== null) {
    let total = COLLECTION_BYTES;
    for (const [member] of members) total += MAP_ENTRY_KEY_BYTES + SKIPLIST_NODE_BYTES + stringBytes(member);
    return total;
  }
  return 0;
}

function streamBytes(stream: Stream): number {
  let total = COLLECTION_BYTES;
  for (const entry of stream.allEntries()) {
    total += STREAM_ENTRY_BYTES + ARRAY_BYTES + POINTER_BYTES * entry.fields.length;
    for (const field of entry.fields) total += stringBytes(field);
  }
  for (const group of stream.groups.values()) {
    total += COLLECTION_BYTES + stringBytes(group.name) + PENDING_ENTRY_BYTES * group.pending.size;
    for (const consumer of group.consumers.values()) total += COLLECTION_BYTES + stringBytes(consumer.name);
  }
  return total;
}

/** walnut's estimate of the heap bytes `key` and its item take. */
export function memoryUsageBytes(key: ByteString, item: Item): number {
  const expiryBytes = item.expiresAtMs === NO_EXPIRY ? 0 : HEAP_NUMBER_BYTES; // a boxed number, only when it expires
  return stringBytes(key) + ITEM_BYTES + expiryBytes + valueBytes(item);
}
