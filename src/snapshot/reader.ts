/**
 * Reads and verifies a checkpoint file (format.ts) into collections.
 *
 * Nothing in the file is trusted: the magic and version, every frame's CRC, each length
 * against the bytes that remain and against the format's bounds, the order of frames,
 * block sequence numbers, the inflated size of each block, the records inside, and the
 * END frame's counts. Any damage is a CHECKPOINT_CORRUPT error saying what is wrong and
 * where, never a partial or wrong load.
 */
import { createCollection, type Collection } from "../engine/collection.js";
import { WalnutError, describeError } from "../lib/errors.js";
import { limits } from "../lib/limits.js";
import { ByteReader, MalformedInput } from "./binary.js";
import { displayName, isSystemError } from "./checkpoint_files.js";
import type { FileHandleLike } from "../lib/files.js";
import { realCheckpointIo, type CheckpointIo } from "./io.js";
import {
  BLOCK_BYTES_MAX,
  BLOCK_PREFIX_BYTES,
  CHECKPOINT_FORMAT_VERSION,
  CHECKPOINT_MAGIC,
  FRAME_HEADER_BYTES,
  FRAME_PAYLOAD_BYTES_MAX,
  FrameType,
  PREAMBLE_BYTES,
  RecordTag,
  decodeEndPayload,
  decodeHeaderPayload,
  frameCrc,
  readCollectionDescriptor,
} from "./format.js";
import { readEntry } from "./item_codec.js";


export interface LoadedCheckpoint {
  path: string;
  index: number;
  term: number;
  metadata: Record<string, unknown>;
  collections: Collection[];
  /** Keys loaded, across collections. */
  keys: number;
}

/** Damage found at a place in the file; turned into CHECKPOINT_CORRUPT naming the file. */
class Damage extends Error {
  constructor(
    readonly what: string,
    readonly where: string,
  ) {
    super(`${what} at ${where}`);
  }
}

/**
 * Loads the checkpoint at `path`, verifying all of it.
 *
 * @example
 * const { index, collections } = await readCheckpoint("walnut-data/checkpoints/<index>-<term>.ckpt");
 */
export async function readCheckpoint(path: string, io: CheckpointIo = realCheckpointIo): Promise<LoadedCheckpoint> {
  let loader: CollectionLoader | null = null;
  const read = await readCheckpointFrames(path, io, {
    headerType: FrameType.header,
    decodeHeader: decodeHeaderPayload,
    loader: (header) => (loader = new CollectionLoader(header.index)),
  });
  const collections = (loader as CollectionLoader | null)?.collections ?? [];
  const keys = collections.reduce((sum, collection) => sum + collection.size, 0);
  return { path, index: read.header.index, term: read.header.term, metadata: read.metadata, collections, keys };
}

/** Takes a checkpoint's records block by block; throws MalformedInput with offsets within a block. */
export interface RecordLoader {
  loadRecords(raw: Buffer): void;
  /** What the END frame must count. */
  readonly collectionCount: number;
  readonly entryCount: number;
}

/** How to read one kind of checkpoint file: its first frame, and what takes its records. */
export interface CheckpointFileReading<Header extends { index: number; metadataJson: string }> {
  headerType: number;
  decodeHeader(payload: Buffer): Header;
  loader(header: Header): RecordLoader;
}

/**
 * Reads and verifies the checkpoint file at `path` frame by frame, handing each block's
 * records to the kind's loader; damage is CHECKPOINT_CORRUPT, a system error CHECKPOINT_IO.
 */
export async function readCheckpointFrames<Header extends { index: number; metadataJson: string }>(
  path: string,
  io: CheckpointIo,
  kind: CheckpointFileReading<Header>,
): Promise<{ header: Header; metadata: Record<string, unknown> }> {
  let handle: FileHandleLike | undefined;
  try {
    handle = await io.files.open(path, "r");
    const frames = new FrameSource(handle, (await handle.stat()).size);
    return await readFrames(frames, io, kind);
  } catch (error) {
    if (error instanceof Damage) {
      throw new WalnutError("CHECKPOINT_CORRUPT", `Cannot read checkpoint ${displayName(path)}: ${error.message}`);
    }
    if (isSystemError(error)) {
      throw new WalnutError("CHECKPOINT_IO", `Cannot read checkpoint ${displayName(path)}: ${describeError(error)}`, {
        cause: error,
      });
    }
    throw error;
  } finally {
    await handle?.close();
  }
}

async function readFrames<Header extends { index: number; metadataJson: string }>(
  frames: FrameSource,
  io: CheckpointIo,
  kind: CheckpointFileReading<Header>,
): Promise<{ header: Header; metadata: Record<string, unknown> }> {
  await frames.readPreamble();
  const headerFrame = await frames.next();
  if (headerFrame.type !== kind.headerType) {
    throw new Damage(`frame type ${headerFrame.type} where the header frame belongs`, `offset ${headerFrame.offset}`);
  }
  const header = parsePayload(headerFrame, kind.decodeHeader);
  const metadata = parseMetadata(header, headerFrame);
  const loader = kind.loader(header);
  let blockCount = 0;
  let upcoming = readAndInflate(frames, blockCount, io);
  for (;;) {
    const frame = await upcoming;
    if (frame.type === FrameType.block) {
      // The next frame is read and inflated (on the thread pool) while this one is parsed.
      upcoming = readAndInflate(frames, blockCount + 1, io);
      upcoming.catch(() => undefined); // awaited next round; this only silences it if parsing fails first
      loadRecords(frame, blockCount, loader);
      blockCount += 1;
    } else if (frame.type === FrameType.end) {
      checkEnd(parsePayload(frame, decodeEndPayload), { blockCount, loader, frame });
      if (!frames.atEnd) throw new Damage("unexpected bytes after the end frame", `offset ${frames.offset}`);
      break;
    } else {
      throw new Damage(`unexpected frame type ${frame.type}`, `offset ${frame.offset}`);
    }
  }
  return { header, metadata };
}

interface Frame {
  type: number;
  payload: Buffer;
  /** File offset of the frame header. */
  offset: number;
}

/** Parses a frame's payload, placing a MalformedInput at its file offset. */
function parsePayload<T>(frame: Frame, parse: (payload: Buffer) => T): T {
  try {
    return parse(frame.payload);
  } catch (error) {
    if (!(error instanceof MalformedInput)) throw error;
    throw new Damage(error.what, `offset ${frame.offset + FRAME_HEADER_BYTES + error.offset}`);
  }
}

function parseMetadata(header: { metadataJson: string }, frame: Frame): Record<string, unknown> {
  let metadata: unknown;
  try {
    metadata = JSON.parse(header.metadataJson);
  } catch {
    throw new Damage("metadata is not JSON", `offset ${frame.offset} (header frame)`);
  }
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) {
    throw new Damage("metadata is not a JSON object", `offset ${frame.offset} (header frame)`);
  }
  return metadata as Record<string, unknown>;
}

interface InflatedFrame extends Frame {
  /** A block's records, inflated; empty for other frame types. */
  records: Buffer;
}

/** Reads the next frame; a block is checked against its expected sequence and inflated. */
async function readAndInflate(frames: FrameSource, expectedSequence: number, io: CheckpointIo): Promise<InflatedFrame> {
  const frame = await frames.next();
  if (frame.type !== FrameType.block) return { ...frame, records: Buffer.alloc(0) };
  const where = `offset ${frame.offset} (block ${expectedSequence})`;
  if (frame.payload.length < BLOCK_PREFIX_BYTES) throw new Damage("block frame shorter than its prefix", where);
  const sequence = frame.payload.readUInt32LE(0);
  const rawLength = frame.payload.readUInt32LE(4);
  if (sequence !== expectedSequence) throw new Damage(`block numbered ${sequence}`, where);
  if (rawLength === 0 || rawLength > BLOCK_BYTES_MAX) throw new Damage(`inflated block length ${rawLength}`, where);
  let records: Buffer;
  try {
    records = await io.inflateRaw(frame.payload.subarray(BLOCK_PREFIX_BYTES), rawLength);
  } catch (error) {
    throw new Damage(`block does not inflate to ${rawLength} bytes (${describeError(error)})`, where);
  }
  if (records.length !== rawLength) throw new Damage(`block inflates to ${records.length} bytes, not ${rawLength}`, where);
  return { ...frame, records };
}

function loadRecords(block: InflatedFrame, sequence: number, loader: RecordLoader): void {
  try {
    loader.loadRecords(block.records);
  } catch (error) {
    if (!(error instanceof MalformedInput)) throw error;
    throw new Damage(error.what, `byte ${error.offset} of block ${sequence} inflated (frame at offset ${block.offset})`);
  }
}

function checkEnd(
  end: { blockCount: number; collectionCount: number; entryCount: number },
  found: { blockCount: number; loader: RecordLoader; frame: Frame },
): void {
  const where = `offset ${found.frame.offset} (end frame)`;
  if (end.blockCount !== found.blockCount) throw new Damage(`${end.blockCount} blocks recorded, ${found.blockCount} found`, where);
  const collectionCount = found.loader.collectionCount;
  if (end.collectionCount !== collectionCount) {
    throw new Damage(`${end.collectionCount} collections recorded, ${collectionCount} found`, where);
  }
  if (end.entryCount !== found.loader.entryCount) {
    throw new Damage(`${end.entryCount} entries recorded, ${found.loader.entryCount} found`, where);
  }
}

/** Builds collections from the records of successive blocks. */
class CollectionLoader implements RecordLoader {
  readonly collections: Collection[] = [];
  entryCount = 0;
  private readonly names = new Set<string>();
  private current: Collection | null = null;

  constructor(private readonly index: number) {}

  get collectionCount(): number {
    return this.collections.length;
  }

  /** Loads a block's records; throws MalformedInput with offsets within `raw`. */
  loadRecords(raw: Buffer): void {
    const reader = new ByteReader(raw);
    while (reader.remaining > 0) {
      const tagOffset = reader.offset;
      const tag = reader.u8("record tag");
      if (tag === RecordTag.entry) this.loadEntry(reader, tagOffset);
      else if (tag === RecordTag.collection) this.beginCollection(reader, tagOffset);
      else reader.fail(`unknown record tag ${tag}`, tagOffset);
    }
  }

  private beginCollection(reader: ByteReader, recordOffset: number): void {
    const { name, type } = readCollectionDescriptor(reader);
    if (this.names.has(name)) reader.fail(`collection "${name}" appears twice`, recordOffset);
    if (this.collections.length >= limits.collectionsMax) reader.fail(`more than ${limits.collectionsMax} collections`, recordOffset);
    this.names.add(name);
    this.current = createCollection(name, type);
    this.collections.push(this.current);
  }

  private loadEntry(reader: ByteReader, recordOffset: number): void {
    const collection = this.current;
    if (collection === null) reader.fail("entry before any collection record", recordOffset);
    const [key, item] = readEntry(reader);
    if (item.version > this.index) {
      reader.fail(`version ${item.version} of key beyond the checkpoint's index ${this.index}`, recordOffset);
    }
    // A hash view may yield a key twice with the same item (collection.ts): keep the last.
    collection.put(key, item);
    this.entryCount += 1;
  }
}

/** Reads frames one at a time from the file, checking lengths and CRCs. */
class FrameSource {
  private position = 0;

  constructor(
    private readonly handle: FileHandleLike,
    private readonly fileSizeBytes: number,
  ) {}

  get offset(): number {
    return this.position;
  }

  get atEnd(): boolean {
    return this.position === this.fileSizeBytes;
  }

  async readPreamble(): Promise<void> {
    if (this.fileSizeBytes < PREAMBLE_BYTES) throw new Damage(`file of ${this.fileSizeBytes} bytes is too short`, "offset 0");
    const preamble = await this.read(PREAMBLE_BYTES);
    if (!preamble.subarray(0, CHECKPOINT_MAGIC.length).equals(CHECKPOINT_MAGIC)) {
      throw new Damage("not a walnut checkpoint (bad magic)", "offset 0");
    }
    const version = preamble.readUInt32LE(CHECKPOINT_MAGIC.length);
    if (version !== CHECKPOINT_FORMAT_VERSION) {
      throw new Damage(`unsupported format version ${version}`, `offset ${CHECKPOINT_MAGIC.length}`);
    }
  }

  async next(): Promise<Frame> {
    const offset = this.position;
    const left = this.fileSizeBytes - offset;
    if (left < FRAME_HEADER_BYTES) throw new Damage(left === 0 ? "file ends before the end frame" : "truncated frame header", `offset ${offset}`);
    const header = await this.read(FRAME_HEADER_BYTES);
    const payloadLength = header.readUInt32LE(0);
    const crc = header.readUInt32LE(4);
    const type = header.readUInt8(8);
    if (payloadLength > FRAME_PAYLOAD_BYTES_MAX) throw new Damage(`frame length ${payloadLength} beyond the limit`, `offset ${offset}`);
    if (payloadLength > left - FRAME_HEADER_BYTES) {
      throw new Damage(`truncated frame (${payloadLength} bytes declared, ${left - FRAME_HEADER_BYTES} left)`, `offset ${offset}`);
    }
    const payload = await this.read(payloadLength);
    if (frameCrc(type, payload) !== crc) throw new Damage("bad checksum", `offset ${offset} (frame of ${payloadLength} bytes)`);
    return { type, payload, offset };
  }

  private async read(length: number): Promise<Buffer> {
    const buffer = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(buffer, done, length - done, this.position + done);
      if (bytesRead === 0) throw new Damage("file shrank while being read", `offset ${this.position + done}`);
      done += bytesRead;
    }
    this.position += length;
    return buffer;
  }
}
