import assert from "node:assert/strict";
import { test } from "node:test";
import { ConsumerGroup, formatId, Stream, UINT64_MAX, type StreamId } from "../engine/stream.js";
import { Item } from "../engine/values.js";
import { ByteReader, ByteWriter, MalformedInput } from "./binary.js";
import { readItem, writeItem } from "./item_codec.js";

const id = (ms: number | bigint, seq: number | bigint): StreamId => ({ ms: BigInt(ms), seq: BigInt(seq) });

function roundTrip(item: Item): Item {
  const writer = new ByteWriter(16);
  writeItem(writer, item);
  const reader = new ByteReader(writer.finish());
  const decoded = readItem(reader);
  assert.equal(reader.remaining, 0);
  return decoded;
}

/** A stream with deletions, 64-bit IDs, and two groups with consumers and pending entries. */
function richStream(): Stream {
  const stream = new Stream();
  stream.append(id(1, 0), ["a", "1", "a", "2"]);
  stream.append(id(1, 1), ["\x00\xff", ""]);
  stream.append(id(5, 0), ["b", "3"]);
  stream.append(id(UINT64_MAX - 1n, UINT64_MAX), ["c", "4"]);
  stream.delete(id(1, 1));
  stream.entriesAdded = 17n;
  const group = new ConsumerGroup("workers", id(5, 0), 3n);
  const alice = group.consumer("alice", 1_700_000_000_000).consumer;
  group.consumer("idle", 1_700_000_000_500);
  for (const [entryId, deliveryCount] of [[id(1, 0), 1], [id(5, 0), 4]] as const) {
    const pending = { id: entryId, consumer: "alice", deliveryTimeMs: 1_700_000_000_100, deliveryCount };
    group.pending.set(entryId, pending);
    alice.pending.set(entryId, pending);
  }
  stream.groups.set("workers", group);
  stream.groups.set("unknown-read", new ConsumerGroup("unknown-read", id(0, 0), -1n));
  return stream;
}

test("a stream with groups, PELs, last ID, entries added and max deleted ID survives the codec", () => {
  const item = new Item({ kind: "stream", value: richStream() }, 42, 1_800_000_000_000);
  const decoded = roundTrip(item);
  assert.deepEqual(decoded, item);
  const stream = decoded.value as Stream;
  assert.equal(formatId(stream.maxDeletedId), "1-1");
  assert.equal(stream.entriesAdded, 17n);
  const group = stream.groups.get("workers")!;
  assert.equal(group.consumers.get("alice")!.pending.get(id(5, 0)), group.pending.get(id(5, 0)));
  assert.equal(stream.groups.get("unknown-read")!.entriesRead, -1n);
});

test("an empty stream (its entries trimmed) keeps its last ID", () => {
  const stream = new Stream();
  stream.append(id(3, 0), ["a", "b"]);
  stream.delete(id(3, 0));
  const decoded = roundTrip(new Item({ kind: "stream", value: stream }, 1, 0)).value as Stream;
  assert.equal(decoded.length, 0);
  assert.equal(formatId(decoded.lastId), "3-0");
});

test("a damaged stream is reported, not loaded: a pending entry of no consumer, a truncated value", () => {
  const writer = new ByteWriter(16);
  writeItem(writer, new Item({ kind: "stream", value: richStream() }, 1, 0));
  const bytes = writer.finish();
  // The last byte of the only pending-entry-owner name "alice" becomes "alicf": an unknown consumer.
  const damaged = Buffer.from(bytes);
  const at = damaged.lastIndexOf(Buffer.from("alice", "latin1"));
  damaged[at + 4] = "f".charCodeAt(0);
  assert.throws(() => readItem(new ByteReader(damaged)), MalformedInput);
  assert.throws(() => readItem(new ByteReader(bytes.subarray(0, bytes.length - 3))), MalformedInput);
});
