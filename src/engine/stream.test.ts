import assert from "node:assert/strict";
import { test } from "node:test";
import { compareIds, ConsumerGroup, formatId, MAX_ID, MIN_ID, nextId, previousId, Stream, UINT64_MAX, type StreamId } from "./stream.js";

const id = (ms: number | bigint, seq: number | bigint): StreamId => ({ ms: BigInt(ms), seq: BigInt(seq) });
const ids = (entries: Array<{ id: StreamId }>): string[] => entries.map((entry) => formatId(entry.id));

function streamOf(count: number): Stream {
  const stream = new Stream();
  for (let ms = 1; ms <= count; ms++) stream.append(id(ms, 0), ["f", String(ms)]);
  return stream;
}

test("IDs order by milliseconds, then sequence; next and previous carry across the sequence's 64 bits", () => {
  assert.ok(compareIds(id(1, 5), id(2, 0)) < 0);
  assert.ok(compareIds(id(2, 1), id(2, 0)) > 0);
  assert.equal(compareIds(id(3, 3), id(3, 3)), 0);
  assert.deepEqual(nextId(id(1, UINT64_MAX)), id(2, 0));
  assert.deepEqual(previousId(id(2, 0)), id(1, UINT64_MAX));
  assert.equal(nextId(MAX_ID), undefined);
  assert.equal(previousId(MIN_ID), undefined);
  assert.equal(formatId(MAX_ID), "18446744073709551615-18446744073709551615");
});

test("range and reverseRange read inclusive intervals in order, at most count entries", () => {
  const stream = streamOf(10);
  assert.deepEqual(ids(stream.range(id(3, 0), id(6, 0))), ["3-0", "4-0", "5-0", "6-0"]);
  assert.deepEqual(ids(stream.range(id(3, 1), MAX_ID, 2)), ["4-0", "5-0"]);
  assert.deepEqual(ids(stream.reverseRange(id(3, 0), id(6, 0), 3)), ["6-0", "5-0", "4-0"]);
  assert.deepEqual(stream.range(id(6, 0), id(3, 0)), []);
  assert.deepEqual(stream.range(MIN_ID, MAX_ID, 0), []);
});

test("deleting keeps the last ID and entries added, and remembers the largest ID XDEL deleted", () => {
  const stream = streamOf(5);
  assert.equal(stream.delete(id(4, 0)), true);
  assert.equal(stream.delete(id(2, 0)), true);
  assert.equal(stream.delete(id(2, 0)), false);
  assert.equal(stream.length, 3);
  assert.equal(formatId(stream.maxDeletedId), "4-0");
  assert.equal(formatId(stream.lastId), "5-0");
  assert.equal(stream.entriesAdded, 5n);
  assert.equal(stream.trimHead((_, length) => length > 1), 2);
  assert.deepEqual(ids([...stream.allEntries()]), ["5-0"]);
  assert.equal(formatId(stream.maxDeletedId), "4-0", "trimming does not move the largest deleted ID");
});

test("trimHead stops at its limit", () => {
  const stream = streamOf(10);
  assert.equal(stream.trimHead(() => true, 3), 3);
  assert.equal(formatId(stream.firstEntry()!.id), "4-0");
});

test("a clone is independent: entries, groups, PELs and consumers of the copy change alone", () => {
  const stream = streamOf(3);
  const group = new ConsumerGroup("g", id(2, 0), 2n);
  stream.groups.set("g", group);
  const { consumer } = group.consumer("alice", 1000);
  const pending = { id: id(1, 0), consumer: "alice", deliveryTimeMs: 1000, deliveryCount: 1 };
  group.pending.set(pending.id, pending);
  consumer.pending.set(pending.id, pending);

  const copy = stream.clone();
  copy.append(id(9, 0), ["x", "y"]);
  copy.delete(id(1, 0));
  const copiedGroup = copy.groups.get("g")!;
  copiedGroup.pending.get(id(1, 0))!.deliveryCount = 7;
  copiedGroup.lastId = id(9, 0);
  copiedGroup.consumer("bob", 2000);

  assert.equal(stream.length, 3);
  assert.equal(formatId(stream.lastId), "3-0");
  assert.equal(group.pending.get(id(1, 0))!.deliveryCount, 1);
  assert.equal(formatId(group.lastId), "2-0");
  assert.deepEqual([...group.consumers.keys()], ["alice"]);
  // In the copy, the group's PEL and the consumer's share one pending entry, as in the original.
  assert.equal(copiedGroup.consumers.get("alice")!.pending.get(id(1, 0)), copiedGroup.pending.get(id(1, 0)));
});
