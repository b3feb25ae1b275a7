/**
 * The payload DUMP answers and RESTORE takes: one value, in walnut's own format. Redis'
 * payload is an RDB object (with Redis' RDB version and CRC64); walnut is not Redis' RDB,
 * so its payload is the checkpoint's value layout (item_codec.ts) with a footer of its own.
 * A Redis payload given to walnut's RESTORE (or walnut's to Redis') fails the footer check
 * and is answered "ERR DUMP payload version or checksum are wrong", as Redis answers a
 * payload from an unknown RDB version.
 *
 * Layout (little-endian):
 *
 *   payload = body | u16 formatVersion | u32 crc32
 *   body    = u8 kind | value            (item_codec.ts's value layout)
 *   crc32   = zlib.crc32 (IEEE) of body and formatVersion
 *
 * Example: the string "hi":
 *
 *   01                kind string
 *   02000000 6869     length 2, "hi"
 *   0100              formatVersion 1
 *   xxxxxxxx          crc32 of the 9 bytes before it
 *
 * The key, its version and its expiry are not in the payload: RESTORE is given a key and
 * a TTL, as in Redis.
 */
import { crc32 } from "node:zlib";
import type { ByteString } from "../engine/bytes.js";
import type { Item, StoredValue } from "../engine/values.js";
import { ByteReader, ByteWriter, MalformedInput } from "./binary.js";
import { readKindAndValue, writeKindAndValue } from "./item_codec.js";

export const DUMP_FORMAT_VERSION = 1;
const FOOTER_BYTES = 2 + 4;

/** The payload for `item`'s value, as a byte string (what DUMP answers). */
export function encodeDumpPayload(item: Item): ByteString {
  const writer = new ByteWriter(64);
  writeKindAndValue(writer, item);
  writer.u16(DUMP_FORMAT_VERSION);
  const checked = writer.finish();
  const crc = crc32(checked);
  writer.u32(crc);
  return writer.finish().toString("latin1");
}

/** Why a payload was refused: its footer (version, checksum) or its body (after a good footer). */
export type DumpPayloadProblem = "version or checksum" | "bad data format";

/** The value in `payload`, or the problem that kept it from being read. */
export function decodeDumpPayload(payload: ByteString): StoredValue | DumpPayloadProblem {
  if (payload.length < FOOTER_BYTES + 1) return "version or checksum";
  const bytes = Buffer.from(payload, "latin1");
  const versionAt = bytes.length - FOOTER_BYTES;
  const version = bytes.readUInt16LE(versionAt);
  const crc = bytes.readUInt32LE(versionAt + 2);
  if (version !== DUMP_FORMAT_VERSION || crc32(bytes.subarray(0, versionAt + 2)) !== crc) return "version or checksum";
  const reader = new ByteReader(bytes.subarray(0, versionAt));
  try {
    const value = readKindAndValue(reader);
    return reader.remaining === 0 ? value : "bad data format";
  } catch (error) {
    if (error instanceof MalformedInput) return "bad data format";
    throw error;
  }
}
