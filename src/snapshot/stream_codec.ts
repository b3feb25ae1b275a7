/**
 * The byte layout of a stream value (kind 11 in item_codec.ts), for checkpoints, collection
 * images and DUMP payloads alike. Everything a stream carries is kept: entries, last ID,
 * entries added, largest deleted ID, and each consumer group's last ID, entries read,
 * consumers (with seen time) and PEL (owner, delivery time, delivery count).
 *
 * Layout (little-endian; u64b is an unsigned 64-bit bigint, id = u64b ms | u64b seq,
 * bytes = u32 length | latin1 bytes):
 *
 *   stream   = id lastId | u64b entriesAdded | id maxDeletedId
 *              | u32 entryCount | entryCount × (id | u32 fieldCount | fieldCount × bytes)
 *              | u32 groupCount | groupCount × group
 *   group    = bytes name | id lastId | i64 entriesRead (-1: unknown)
 *              | u32 consumerCount | consumerCount × (bytes name | u64 seenTimeMs)
 *              | u32 pendingCount | pendingCount × (id | bytes consumer | u64 deliveryTimeMs | u64 deliveryCount)
 *
 * Entries and pending entries are written in ascending ID order; decoding checks that order,
 * every count against the bytes left, and that each pending entry's consumer exists.
 */
import type { ByteString } from "../engine/bytes.js";
import { compareIds, ConsumerGroup, formatId, MIN_ID, Stream, type PendingEntry, type StreamId } from "../engine/stream.js";
import { limits } from "../lib/limits.js";
import type { ByteReader, ByteWriter } from "./binary.js";

function writeU64Big(writer: ByteWriter, value: bigint): void {
  writer.i64(BigInt.asIntN(64, value));
}

function readU64Big(reader: ByteReader, what: string): bigint {
  return BigInt.asUintN(64, reader.i64(what));
}

function writeId(writer: ByteWriter, id: StreamId): void {
  writeU64Big(writer, id.ms);
  writeU64Big(writer, id.seq);
}

function readId(reader: ByteReader, what: string): StreamId {
  const ms = readU64Big(reader, `${what} ms`);
  return { ms, seq: readU64Big(reader, `${what} seq`) };
}

function writeBytes(writer: ByteWriter, bytes: ByteString): void {
  writer.u32(bytes.length);
  writer.latin1(bytes);
}

function readBytes(reader: ByteReader, what: string): ByteString {
  const offset = reader.offset;
  const length = reader.u32(`${what} length`);
  if (length > limits.valueBytesMax) reader.fail(`${what} length ${length} beyond ${limits.valueBytesMax}`, offset);
  return reader.latin1(length, what);
}

/** A count whose elements take at least `bytesEach` bytes: a larger one cannot be real. */
function readCount(reader: ByteReader, what: string, bytesEach: number): number {
  const offset = reader.offset;
  const count = reader.u32(`${what} count`);
  if (count > reader.remaining / bytesEach) reader.fail(`${what} count ${count} beyond the ${reader.remaining} bytes left`, offset);
  return count;
}

export function writeStream(writer: ByteWriter, stream: Stream): void {
  writeId(writer, stream.lastId);
  writeU64Big(writer, stream.entriesAdded);
  writeId(writer, stream.maxDeletedId);
  writer.u32(stream.length);
  for (const entry of stream.allEntries()) {
    writeId(writer, entry.id);
    writer.u32(entry.fields.length);
    for (const field of entry.fields) writeBytes(writer, field);
  }
  writer.u32(stream.groups.size);
  for (const group of stream.groups.values()) writeGroup(writer, group);
}

function writeGroup(writer: ByteWriter, group: ConsumerGroup): void {
  writeBytes(writer, group.name);
  writeId(writer, group.lastId);
  writer.i64(group.entriesRead);
  writer.u32(group.consumers.size);
  for (const consumer of group.consumers.values()) {
    writeBytes(writer, consumer.name);
    writer.u64(consumer.seenTimeMs);
  }
  writer.u32(group.pending.size);
  for (const entry of group.pending.values()) {
    writeId(writer, entry.id);
    writeBytes(writer, entry.consumer);
    writer.u64(entry.deliveryTimeMs);
    writer.u64(entry.deliveryCount);
  }
}

export function readStream(reader: ByteReader): Stream {
  const stream = new Stream();
  const lastId = readId(reader, "stream last ID");
  const entriesAdded = readU64Big(reader, "stream entries added");
  const maxDeletedId = readId(reader, "stream max deleted ID");
  const entryCount = readCount(reader, "stream entry", 20);
  let previous: StreamId = MIN_ID;
  for (let i = 0; i < entryCount; i++) {
    const offset = reader.offset;
    const id = readId(reader, "stream entry ID");
    if (compareIds(id, previous) <= 0) reader.fail(`stream entry ${formatId(id)} out of order`, offset);
    if (compareIds(id, lastId) > 0) reader.fail(`stream entry ${formatId(id)} beyond the last ID`, offset);
    const fieldCount = readCount(reader, "stream field", 4);
    if (fieldCount === 0 || fieldCount % 2 !== 0) reader.fail(`stream entry with ${fieldCount} fields and values`, offset);
    const fields: ByteString[] = [];
    for (let f = 0; f < fieldCount; f++) fields.push(readBytes(reader, "stream field"));
    stream.append(id, fields);
    previous = id;
  }
  // append() counted the entries it saw; the stream's own bookkeeping is what was written.
  stream.lastId = lastId;
  stream.entriesAdded = entriesAdded;
  stream.maxDeletedId = maxDeletedId;
  const groupCount = readCount(reader, "stream group", 36);
  for (let i = 0; i < groupCount; i++) {
    const offset = reader.offset;
    const group = readGroup(reader);
    if (stream.groups.has(group.name)) reader.fail("stream group repeated", offset);
    stream.groups.set(group.name, group);
  }
  return stream;
}

function readGroup(reader: ByteReader): ConsumerGroup {
  const name = readBytes(reader, "group name");
  const lastId = readId(reader, "group last ID");
  const entriesRead = reader.i64("group entries read");
  const group = new ConsumerGroup(name, lastId, entriesRead);
  const consumerCount = readCount(reader, "group consumer", 12);
  for (let i = 0; i < consumerCount; i++) {
    const offset = reader.offset;
    const consumerName = readBytes(reader, "consumer name");
    const seenTimeMs = reader.u64("consumer seen time");
    const { consumer, created } = group.consumer(consumerName, seenTimeMs);
    if (!created) reader.fail("consumer repeated", offset);
    consumer.seenTimeMs = seenTimeMs;
  }
  const pendingCount = readCount(reader, "group pending entry", 36);
  let previous: StreamId | undefined;
  for (let i = 0; i < pendingCount; i++) {
    const offset = reader.offset;
    const id = readId(reader, "pending entry ID");
    if (previous !== undefined && compareIds(id, previous) <= 0) reader.fail(`pending entry ${formatId(id)} out of order`, offset);
    const consumerName = readBytes(reader, "pending entry consumer");
    const owner = group.consumers.get(consumerName);
    if (owner === undefined) reader.fail("pending entry of an unknown consumer", offset);
    const entry: PendingEntry = {
      id,
      consumer: consumerName,
      deliveryTimeMs: reader.u64("pending delivery time"),
      deliveryCount: reader.u64("pending delivery count"),
    };
    group.pending.set(id, entry);
    owner.pending.set(id, entry);
    previous = id;
  }
  return group;
}
