/**
 * The wire form of a Raft Message (src/raft/types.ts): every field, the entries with
 * their data, the snapshot metadata with its membership, and the context bytes. This file
 * owns the layout; frames.ts carries the result as the payload of a "message" frame.
 *
 * Layout (primitives from wire_bytes.ts: varint is unsigned LEB128 below 2^53, bytes is
 * a varint length then the bytes):
 *
 *   u8      codec version, 1
 *   u8      message type: 1 prevote, 2 prevoteResponse, 3 vote, 4 voteResponse,
 *           5 append, 6 appendResponse, 7 heartbeat, 8 heartbeatResponse, 9 snapshot,
 *           10 snapshotStatus, 11 timeoutNow, 12 readIndex, 13 readIndexResponse,
 *           14 propose, 15 unreachable
 *   u8      flags: bit 0 reject, bit 1 snapshot present; the other bits must be zero
 *   varint  from, to, term, logIndex, logTerm, commit, rejectHint, index (in this order)
 *   bytes   context
 *   varint  entry count, then per entry:
 *             varint index, varint term, u8 type (0 normal, 1 confChange), bytes data
 *   when the snapshot flag is set:
 *             varint index, varint term,
 *             varint voter count, varint per voter, varint learner count, varint per learner
 *
 * Nothing may follow the last field. Worked example: the heartbeat
 * { from: 1, to: 2, term: 3, commit: 7, context: "ab", everything else empty } is 15 bytes:
 *
 *   01                          codec version 1
 *   07                          type 7, heartbeat
 *   00                          flags: not a rejection, no snapshot
 *   01 02 03 00 00 07 00 00     from 1, to 2, term 3, logIndex 0, logTerm 0, commit 7,
 *                               rejectHint 0, index 0
 *   02 61 62                    context: 2 bytes, "ab"
 *   00                          no entries
 *
 * decodeMessage trusts nothing: every count and length is checked against the bytes that
 * remain and against the bounds below, and any failure is a WalnutError BAD_ARGUMENT
 * "Cannot decode peer message: ...".
 */
import { assert } from "../lib/assert.js";
import { limits } from "../lib/limits.js";
import type { ConfState, Entry, EntryType, Message, MessageType, NodeId, SnapshotMetadata } from "../raft/types.js";
import { ByteReader, ByteWriter } from "./wire_bytes.js";

export const MESSAGE_CODEC_VERSION = 1;
/** Largest read-index context, in bytes. */
export const CONTEXT_BYTES_MAX = 64 * 1024;
/** Most voters or learners a snapshot's membership may list. */
export const MEMBERS_MAX = 10_000;

const MESSAGE_TYPES: readonly MessageType[] = [
  "prevote",
  "prevoteResponse",
  "vote",
  "voteResponse",
  "append",
  "appendResponse",
  "heartbeat",
  "heartbeatResponse",
  "snapshot",
  "snapshotStatus",
  "timeoutNow",
  "readIndex",
  "readIndexResponse",
  "propose",
  "unreachable",
];
const ENTRY_TYPES: readonly EntryType[] = ["normal", "confChange"];

const FLAG_REJECT = 0b01;
const FLAG_SNAPSHOT = 0b10;
/** index, term, type and an empty data length: one byte each at least. */
const ENTRY_BYTES_MIN = 4;

/** The wire form of `message`. */
export function encodeMessage(message: Message): Buffer {
  const dataBytes = message.entries.reduce((sum, entry) => sum + entry.data.length, 0);
  const typeCode = MESSAGE_TYPES.indexOf(message.type) + 1;
  assert(typeCode > 0, `unknown message type ${message.type}`);
  const writer = new ByteWriter(64 + message.context.length + dataBytes + message.entries.length * 20);
  writer.u8(MESSAGE_CODEC_VERSION).u8(typeCode);
  writer.u8((message.reject ? FLAG_REJECT : 0) | (message.snapshot !== null ? FLAG_SNAPSHOT : 0));
  writer.varint(message.from).varint(message.to).varint(message.term);
  writer.varint(message.logIndex).varint(message.logTerm).varint(message.commit);
  writer.varint(message.rejectHint).varint(message.index);
  writer.bytes(message.context);
  writer.varint(message.entries.length);
  for (const entry of message.entries) {
    writer.varint(entry.index).varint(entry.term).u8(entry.type === "normal" ? 0 : 1).bytes(entry.data);
  }
  if (message.snapshot !== null) writeSnapshotMetadata(writer, message.snapshot);
  return writer.finish();
}

/** The Message in `buffer`; refuses anything that is not exactly one well-formed message. */
export function decodeMessage(buffer: Uint8Array): Message {
  const reader = new ByteReader(buffer, "peer message");
  const version = reader.u8("codec version");
  if (version !== MESSAGE_CODEC_VERSION) reader.fail(`codec version ${version} is not ${MESSAGE_CODEC_VERSION}`);
  const typeCode = reader.u8("message type");
  const type = MESSAGE_TYPES[typeCode - 1];
  if (type === undefined) reader.fail(`message type ${typeCode} is unknown`);
  const flags = reader.u8("flags");
  if ((flags & ~(FLAG_REJECT | FLAG_SNAPSHOT)) !== 0) reader.fail(`flags 0x${flags.toString(16)} has unknown bits`);
  const message: Message = {
    type,
    from: reader.varint("from"),
    to: reader.varint("to"),
    term: reader.varint("term"),
    logIndex: reader.varint("logIndex"),
    logTerm: reader.varint("logTerm"),
    commit: reader.varint("commit"),
    reject: (flags & FLAG_REJECT) !== 0,
    rejectHint: reader.varint("rejectHint"),
    index: reader.varint("index"),
    context: reader.bytes("context", CONTEXT_BYTES_MAX),
    entries: readEntries(reader),
    snapshot: null,
  };
  if ((flags & FLAG_SNAPSHOT) !== 0) message.snapshot = readSnapshotMetadata(reader);
  reader.end();
  return message;
}

/** The wire form of snapshot metadata alone (the snapshotBegin frame carries it). */
export function encodeSnapshotMetadata(metadata: SnapshotMetadata): Buffer {
  const writer = new ByteWriter(16 + 4 * (metadata.confState.voters.length + metadata.confState.learners.length));
  writeSnapshotMetadata(writer, metadata);
  return writer.finish();
}

/** The snapshot metadata in `buffer`, which must hold nothing else. */
export function decodeSnapshotMetadata(buffer: Uint8Array): SnapshotMetadata {
  const reader = new ByteReader(buffer, "snapshot metadata");
  const metadata = readSnapshotMetadata(reader);
  reader.end();
  return metadata;
}

function readEntries(reader: ByteReader): Entry[] {
  const count = reader.count("entry count", ENTRY_BYTES_MIN);
  const entries: Entry[] = [];
  for (let position = 0; position < count; position += 1) {
    // Field names are constants: building "entry 7 index" per read would dominate decoding.
    const index = reader.varint("entry index");
    const term = reader.varint("entry term");
    const typeCode = reader.u8("entry type");
    const type = ENTRY_TYPES[typeCode];
    if (type === undefined) reader.fail(`entry ${position} type ${typeCode} is unknown`);
    const data = reader.bytes("entry data", limits.entryBytesMax);
    entries.push({ index, term, type, data });
  }
  return entries;
}

function writeSnapshotMetadata(writer: ByteWriter, metadata: SnapshotMetadata): void {
  writer.varint(metadata.index).varint(metadata.term);
  writeNodeIds(writer, metadata.confState.voters);
  writeNodeIds(writer, metadata.confState.learners);
}

function readSnapshotMetadata(reader: ByteReader): SnapshotMetadata {
  const index = reader.varint("snapshot index");
  const term = reader.varint("snapshot term");
  const confState: ConfState = { voters: readNodeIds(reader, "voter"), learners: readNodeIds(reader, "learner") };
  return { index, term, confState };
}

function writeNodeIds(writer: ByteWriter, ids: readonly NodeId[]): void {
  writer.varint(ids.length);
  for (const id of ids) writer.varint(id);
}

function readNodeIds(reader: ByteReader, role: string): NodeId[] {
  const count = reader.count(`${role} count`, 1);
  if (count > MEMBERS_MAX) reader.fail(`${role} count ${count} exceeds ${MEMBERS_MAX}`);
  const ids: NodeId[] = [];
  for (let position = 0; position < count; position += 1) ids.push(reader.varint(role));
  return ids;
}
