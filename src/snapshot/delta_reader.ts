/**
 * Reads and verifies an incremental checkpoint (delta_format.ts) and applies it to the
 * collections of the checkpoint it follows. Verification is the full reader's (every
 * frame's CRC, lengths, block order, the END counts: reader.ts), plus the delta's own
 * rules: each collection named once, REMOVED only after CHANGES, a CHANGES record only
 * for a collection the previous checkpoint holds with that type, no version beyond the
 * delta's index. Damage is CHECKPOINT_CORRUPT.
 *
 * The previous collections are changed in place (a CHANGES collection is the previous
 * object, updated): when a delta turns out damaged part way, they are no longer the
 * previous checkpoint's, and the caller loads again from the start (store.ts does).
 */
import { createCollection, type Collection } from "../engine/collection.js";
import { limits } from "../lib/limits.js";
import { ByteReader } from "./binary.js";
import { realCheckpointIo, type CheckpointIo } from "./io.js";
import { FrameType, RecordTag, readCollectionDescriptor } from "./format.js";
import { decodeDeltaHeaderPayload, readRemovedKey, type DeltaHeader } from "./delta_format.js";
import { readEntry } from "./item_codec.js";
import { readCheckpointFrames, type RecordLoader } from "./reader.js";

export interface AppliedDelta {
  path: string;
  index: number;
  term: number;
  previousIndex: number;
  previousTerm: number;
  metadata: Record<string, unknown>;
  /** The collections as of the delta's index, in its order. */
  collections: Collection[];
}

/**
 * Reads the delta at `path` and applies it to `previous` (the collections as of its
 * previous index, which it may change).
 */
export async function applyDelta(path: string, previous: readonly Collection[], io: CheckpointIo = realCheckpointIo): Promise<AppliedDelta> {
  let loader: DeltaLoader | null = null;
  const read = await readCheckpointFrames(path, io, {
    headerType: FrameType.deltaHeader,
    decodeHeader: decodeDeltaHeaderPayload,
    loader: (header: DeltaHeader) => (loader = new DeltaLoader(header.index, previous)),
  });
  const { index, term, previousIndex, previousTerm } = read.header;
  const collections = (loader as DeltaLoader | null)?.collections ?? [];
  return { path, index, term, previousIndex, previousTerm, metadata: read.metadata, collections };
}

class DeltaLoader implements RecordLoader {
  readonly collections: Collection[] = [];
  entryCount = 0;
  private readonly previous: Map<string, Collection>;
  private readonly names = new Set<string>();
  private current: Collection | null = null;
  /** The current collection came from a CHANGES record (REMOVED records may follow). */
  private changing = false;

  constructor(
    private readonly index: number,
    previous: readonly Collection[],
  ) {
    this.previous = new Map(previous.map((collection) => [collection.name, collection]));
  }

  get collectionCount(): number {
    return this.collections.length;
  }

  loadRecords(raw: Buffer): void {
    const reader = new ByteReader(raw);
    while (reader.remaining > 0) {
      const tagOffset = reader.offset;
      const tag = reader.u8("record tag");
      if (tag === RecordTag.entry) this.loadEntry(reader, tagOffset);
      else if (tag === RecordTag.removed) this.remove(reader, tagOffset);
      else if (tag === RecordTag.collection || tag === RecordTag.changes) this.beginCollection(reader, tagOffset, tag === RecordTag.changes);
      else reader.fail(`unknown record tag ${tag}`, tagOffset);
    }
  }

  private beginCollection(reader: ByteReader, recordOffset: number, changes: boolean): void {
    const { name, type } = readCollectionDescriptor(reader);
    if (this.names.has(name)) reader.fail(`collection "${name}" appears twice`, recordOffset);
    if (this.collections.length >= limits.collectionsMax) reader.fail(`more than ${limits.collectionsMax} collections`, recordOffset);
    let collection: Collection;
    if (changes) {
      const previous = this.previous.get(name);
      if (previous === undefined) reader.fail(`changes to collection "${name}", which the previous checkpoint lacks`, recordOffset);
      if (previous.type !== type) reader.fail(`changes to ${type} collection "${name}", a ${previous.type} collection before`, recordOffset);
      collection = previous;
    } else {
      collection = createCollection(name, type);
    }
    this.names.add(name);
    this.current = collection;
    this.changing = changes;
    this.collections.push(collection);
  }

  private loadEntry(reader: ByteReader, recordOffset: number): void {
    const collection = this.current;
    if (collection === null) reader.fail("entry before any collection record", recordOffset);
    const [key, item] = readEntry(reader);
    if (item.version > this.index) reader.fail(`version ${item.version} of key beyond the checkpoint's index ${this.index}`, recordOffset);
    collection.put(key, item);
    this.entryCount += 1;
  }

  private remove(reader: ByteReader, recordOffset: number): void {
    const collection = this.current;
    if (collection === null || !this.changing) reader.fail("removal outside a changes record", recordOffset);
    collection.delete(readRemovedKey(reader));
    this.entryCount += 1;
  }
}
