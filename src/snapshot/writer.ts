/**
 * Writes a checkpoint (format.ts) from an EngineView while the node keeps serving.
 *
 * The view is serialized in slices: each slice synchronously encodes up to `sliceKeys`
 * entries (fewer if they reach 1 MiB or take 10 ms), hands the bytes to zlib (which
 * deflates on libuv's thread pool, at most two blocks at a time), and yields to the event
 * loop with setImmediate before the next one. So the event loop is never held for longer
 * than one slice, whatever the number of keys. Blocks are written to the file in order as
 * their compression finishes.
 *
 * Durability: the file is written under a temporary name, fsynced, renamed to
 * `<index>-<term>.ckpt`, and its directory fsynced. On any failure the temporary file is
 * removed and a CHECKPOINT_IO error names the checkpoint. The view is always closed.
 */
import { renameDurably } from "../lib/durable_file.js";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import type { FileHandleLike } from "../lib/files.js";
import { realCheckpointIo, type CheckpointIo } from "./io.js";
import type { EngineView } from "../engine/engine.js";
import type { ByteString } from "../engine/bytes.js";
import type { Item } from "../engine/values.js";
import { assert } from "../lib/assert.js";
import { WalnutError, describeError } from "../lib/errors.js";
import { limits } from "../lib/limits.js";
import { ByteWriter } from "./binary.js";
import {
  checkpointFileName,
  claimTemporaryPath,
  forgetTemporaryPath,
  isSystemError,
  removeQuietly,
} from "./checkpoint_files.js";
import {
  BLOCK_BYTES_MAX,
  Compression,
  FrameType,
  METADATA_BYTES_MAX,
  encodeBlockPrefix,
  encodeEndPayload,
  encodeFrameHeader,
  encodeHeaderPayload,
  encodePreamble,
  writeCollectionRecord,
  writeEntryRecord,
} from "./format.js";
import { writeRemovedRecord } from "./delta_format.js";

/** zlib level for checkpoint blocks: 1 (fastest); see docs/checkpoint-format.md for the measurements. */
export const CHECKPOINT_COMPRESSION_LEVEL = 1;
/** A slice also ends once its records reach this size, so that large values keep slices short. */
const SLICE_BYTES_TARGET = 1024 * 1024;
/** A slice also ends after this long, so that a slow or busy machine keeps slices short too. */
const SLICE_TIME_BUDGET_MS = 10;
/** Entries taken from the view at a time while filling a slice, to check the size target. */
const VIEW_BATCH_KEYS = 256;
/**
 * Blocks being compressed at once: two, but never so many that the compressing threads
 * leave no core to the event loop (on two cores, one).
 */
const BLOCKS_IN_FLIGHT_MAX = Math.max(1, Math.min(2, availableParallelism() - 1));
/** A slice buffer grown past this (a huge value) is dropped after use rather than reused. */
const SLICE_BUFFER_REUSE_BYTES_MAX = 4 * SLICE_BYTES_TARGET;


export interface CheckpointInfo {
  path: string;
  index: number;
  term: number;
  /** The checkpoint this one is a delta on (delta_writer.ts); null for a full checkpoint. */
  previousIndex: number | null;
  sizeBytes: number;
  /** Entries written; a hash collection's key rewritten during the checkpoint may count twice. */
  keys: number;
  durationMs: number;
  /** The longest time one slice held the event loop. */
  longestSliceMs: number;
}

export interface WriteCheckpointOptions {
  /** Directory of checkpoints, created if missing. */
  dir: string;
  /** JSON-serializable facts stored in the header (cluster id, membership, ...). */
  metadata?: Record<string, unknown>;
  /** Entries serialized per slice, between yields to the event loop (default 4096). */
  sliceKeys?: number;
  /** zlib level 0-9 (default CHECKPOINT_COMPRESSION_LEVEL); for measurements. */
  compressionLevel?: number;
  /** Files, compression and time to write with (the real ones by default). */
  io?: CheckpointIo;
}

/**
 * Writes `view` to `<dir>/<index>-<term>.ckpt` and closes the view, on success or failure.
 *
 * @example
 * const info = await writeCheckpoint(engine.openView(), { dir: "walnut-data/checkpoints" });
 */
export async function writeCheckpoint(view: EngineView, options: WriteCheckpointOptions): Promise<CheckpointInfo> {
  return writeCheckpointFile(view, options, {
    fileName: checkpointFileName(view.index, view.term),
    previousIndex: null,
    headerFrame: (metadataJson) => ({
      type: FrameType.header,
      payload: encodeHeaderPayload({ index: view.index, term: view.term, compression: Compression.deflateRaw, metadataJson }),
    }),
    sections: view.collections.map((collection) => ({
      open: (writer: ByteWriter) => writeCollectionRecord(writer, collection.name, collection.type),
      next: (maxEntries: number) => collection.next(maxEntries),
      get exhausted() {
        return collection.exhausted;
      },
    })),
  });
}

/** One collection's part of a checkpoint's records: its opening record, then its entries. */
export interface RecordSection {
  open(writer: ByteWriter): void;
  /** Up to `maxEntries` entries (maybe none before the end); an item undefined is a removal (deltas only). */
  next(maxEntries: number): ReadonlyArray<readonly [ByteString, Item | undefined]>;
  readonly exhausted: boolean;
}

/** What sets a full checkpoint and a delta apart (delta_writer.ts). */
export interface CheckpointFileKind {
  fileName: string;
  /** The checkpoint a delta follows; null for a full checkpoint. */
  previousIndex: number | null;
  headerFrame(metadataJson: string): { type: number; payload: Buffer };
  sections: RecordSection[];
}

/** Writes a checkpoint file of either kind from `view` and closes the view, on success or failure. */
export async function writeCheckpointFile(
  view: EngineView,
  options: WriteCheckpointOptions,
  kind: CheckpointFileKind,
): Promise<CheckpointInfo> {
  const io = options.io ?? realCheckpointIo;
  const startedMs = io.clock.monotonicMs();
  const path = join(options.dir, kind.fileName);
  const temporaryPath = claimTemporaryPath(path);
  let viewOpen = true;
  const closeView = (): void => {
    // Exactly once: a second close() could close a view opened after this one.
    if (viewOpen) view.close();
    viewOpen = false;
  };
  try {
    const metadataJson = encodeMetadata(options.metadata ?? {}, path);
    const sliceKeys = options.sliceKeys ?? limits.checkpointSliceKeys;
    const compressionLevel = options.compressionLevel ?? CHECKPOINT_COMPRESSION_LEVEL;
    assert(Number.isInteger(sliceKeys) && sliceKeys > 0, `sliceKeys must be a positive integer, not ${sliceKeys}`);
    assert(Number.isInteger(compressionLevel) && compressionLevel >= 0 && compressionLevel <= 9, "zlib level 0-9");
    await io.files.mkdir(options.dir, { recursive: true });
    const written = await writeTemporaryFile({ path, temporaryPath }, {
      index: view.index,
      headerFrame: kind.headerFrame(metadataJson),
      sections: kind.sections,
      sliceKeys,
      compressionLevel,
      afterLastSlice: closeView,
      io,
    });
    await renameDurably(temporaryPath, path, io.files);
    const durationMs = io.clock.monotonicMs() - startedMs;
    return { path, index: view.index, term: view.term, previousIndex: kind.previousIndex, ...written, durationMs };
  } catch (error) {
    await removeQuietly(temporaryPath, io.files);
    throw asCheckpointError(error, path);
  } finally {
    closeView();
    forgetTemporaryPath(temporaryPath);
  }
}

function encodeMetadata(metadata: Record<string, unknown>, path: string): string {
  let json: string;
  try {
    json = JSON.stringify(metadata);
  } catch (error) {
    throw new WalnutError("BAD_ARGUMENT", `Cannot write checkpoint ${path}: metadata is not JSON (${describeError(error)})`);
  }
  if (Buffer.byteLength(json, "utf8") > METADATA_BYTES_MAX) {
    throw new WalnutError("BAD_ARGUMENT", `Cannot write checkpoint ${path}: metadata beyond ${METADATA_BYTES_MAX} bytes`);
  }
  return json;
}

/** System errors (ENOSPC, EIO, ...) become CHECKPOINT_IO; walnut's own errors and bugs pass through. */
function asCheckpointError(error: unknown, path: string): unknown {
  if (!isSystemError(error)) return error;
  return new WalnutError("CHECKPOINT_IO", `Cannot write checkpoint ${path}: ${describeError(error)}`, { cause: error });
}

interface FileContent {
  /** The view's index: no entry may carry a later version. */
  index: number;
  headerFrame: { type: number; payload: Buffer };
  sections: RecordSection[];
  sliceKeys: number;
  compressionLevel: number;
  /** Called once the view has been read to the end, before the file is synced. */
  afterLastSlice: () => void;
  io: CheckpointIo;
}

async function writeTemporaryFile(
  paths: { path: string; temporaryPath: string },
  content: FileContent,
): Promise<{ sizeBytes: number; keys: number; longestSliceMs: number }> {
  const handle = await content.io.files.open(paths.temporaryPath, "wx");
  try {
    const file = new BlockFile(handle, { path: paths.path, compressionLevel: content.compressionLevel, io: content.io });
    await file.writeFrame(content.headerFrame.type, [content.headerFrame.payload]);
    const serialized = await serializeSections(content, file);
    content.afterLastSlice();
    await file.drain();
    await file.writeFrame(FrameType.end, [encodeEndPayload({ blockCount: file.blockCount, ...serialized.counts })]);
    await handle.sync();
    return { sizeBytes: file.sizeBytes, keys: serialized.counts.entryCount, longestSliceMs: serialized.longestSliceMs };
  } finally {
    await handle.close();
  }
}

interface SerializedCounts {
  collectionCount: number;
  entryCount: number;
}

/** Runs the slices, yielding to the event loop between them. */
async function serializeSections(content: FileContent, file: BlockFile): Promise<{ counts: SerializedCounts; longestSliceMs: number }> {
  const { index, sections, sliceKeys, io } = content;
  const counts: SerializedCounts = { collectionCount: 0, entryCount: 0 };
  const slices = encodeSlices({ index, sections, sliceKeys, counts, buffers: file.sliceBuffers, clock: io.clock });
  let longestSliceMs = 0;
  for (;;) {
    const sliceStartedMs = io.clock.monotonicMs();
    const slice = slices.next();
    longestSliceMs = Math.max(longestSliceMs, io.clock.monotonicMs() - sliceStartedMs);
    if (slice.done) break;
    await file.writeBlock(slice.value);
    await io.yieldTurn();
  }
  return { counts, longestSliceMs };
}

/**
 * Slice buffers in use and spare. Reusing them matters: a fresh 1 MiB Buffer per slice is
 * memory outside V8's heap, and allocating it quickly makes V8 run extra collections.
 */
class SliceBuffers {
  private readonly spare: ByteWriter[] = [];

  take(): ByteWriter {
    const writer = this.spare.pop();
    if (writer === undefined) return new ByteWriter(SLICE_BYTES_TARGET + SLICE_BYTES_TARGET / 4);
    writer.reset();
    return writer;
  }

  /** Takes back a slice whose bytes have been consumed. */
  give(writer: ByteWriter): void {
    if (writer.capacityBytes <= SLICE_BUFFER_REUSE_BYTES_MAX) this.spare.push(writer);
  }
}

interface SliceSource {
  index: number;
  sections: RecordSection[];
  sliceKeys: number;
  counts: SerializedCounts;
  buffers: SliceBuffers;
  clock: CheckpointIo["clock"];
}

/** Each step encodes one slice of records (the view's next entries) and yields it. */
function* encodeSlices(source: SliceSource): Generator<ByteWriter, void, void> {
  const { index, sections, sliceKeys, counts, buffers, clock } = source;
  let slice = buffers.take();
  let keysInSlice = 0;
  let sliceStartedMs = clock.monotonicMs();
  for (const section of sections) {
    section.open(slice);
    counts.collectionCount += 1;
    while (!section.exhausted) {
      const entries = section.next(Math.min(VIEW_BATCH_KEYS, sliceKeys - keysInSlice));
      for (const [key, item] of entries) {
        if (item === undefined) {
          writeRemovedRecord(slice, key);
          continue;
        }
        assert(item.version <= index, `version ${item.version} of a key is beyond the view's index ${index}`);
        writeEntryRecord(slice, key, item);
      }
      keysInSlice += entries.length;
      counts.entryCount += entries.length;
      const full = keysInSlice >= sliceKeys || slice.length >= SLICE_BYTES_TARGET;
      if (full || clock.monotonicMs() - sliceStartedMs >= SLICE_TIME_BUDGET_MS) {
        yield slice;
        slice = buffers.take();
        keysInSlice = 0;
        sliceStartedMs = clock.monotonicMs();
      }
    }
  }
  if (slice.length > 0) yield slice;
}

/**
 * The temporary file, appended to frame by frame. Blocks are compressed concurrently
 * and written in the order they were given.
 */
class BlockFile {
  sizeBytes = 0;
  blockCount = 0;
  readonly sliceBuffers = new SliceBuffers();
  private readonly compressing: Array<{ sequence: number; slice: ByteWriter; compressed: Promise<Buffer> }> = [];
  private started = false;

  constructor(
    private readonly handle: FileHandleLike,
    private readonly options: { path: string; compressionLevel: number; io: CheckpointIo },
  ) {}

  private get path(): string {
    return this.options.path;
  }

  async writeFrame(type: number, payload: Buffer[]): Promise<void> {
    const chunks = [encodeFrameHeader(type, payload), ...payload];
    if (!this.started) chunks.unshift(encodePreamble());
    this.started = true;
    await this.append(chunks);
  }

  /** Queues a slice for compression; the slice goes back to sliceBuffers once compressed. */
  async writeBlock(slice: ByteWriter): Promise<void> {
    if (slice.length > BLOCK_BYTES_MAX) {
      throw new WalnutError(
        "LIMIT",
        `Cannot write checkpoint ${this.path}: a block of ${slice.length} bytes is beyond ${BLOCK_BYTES_MAX} (one huge value?)`,
      );
    }
    const compressed = this.options.io.deflateRaw(slice.finish(), this.options.compressionLevel);
    compressed.catch(() => undefined); // awaited in order by writeOldest; this only silences an early abort
    this.compressing.push({ sequence: this.blockCount, slice, compressed });
    this.blockCount += 1;
    while (this.compressing.length >= BLOCKS_IN_FLIGHT_MAX) await this.writeOldest();
  }

  /** Writes every block still being compressed. */
  async drain(): Promise<void> {
    while (this.compressing.length > 0) await this.writeOldest();
  }

  private async writeOldest(): Promise<void> {
    const oldest = this.compressing.shift();
    assert(oldest !== undefined, "no block to write");
    const compressed = await oldest.compressed;
    const rawLength = oldest.slice.length;
    this.sliceBuffers.give(oldest.slice);
    assert(compressed.length <= BLOCK_BYTES_MAX, `block ${oldest.sequence} grew beyond the block limit`);
    await this.writeFrame(FrameType.block, [encodeBlockPrefix(oldest.sequence, rawLength), compressed]);
  }

  /** Writes all of `chunks`, continuing after a short write (a filling disk shows up as one). */
  private async append(chunks: Buffer[]): Promise<void> {
    const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    let done = (await this.handle.writev(chunks, this.sizeBytes)).bytesWritten;
    if (done < total) {
      const whole = Buffer.concat(chunks, total);
      while (done < total) {
        const { bytesWritten } = await this.handle.write(whole, done, total - done, this.sizeBytes + done);
        if (bytesWritten === 0) {
          throw new WalnutError("CHECKPOINT_IO", `Cannot write checkpoint ${this.path}: a write made no progress`);
        }
        done += bytesWritten;
      }
    }
    this.sizeBytes += total;
  }
}
