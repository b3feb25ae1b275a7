/**
 * torn-wal and corrupt-checkpoint: kill -9 a follower, damage its disk, and restart it.
 *   - torn-wal: its newest WAL segment gets a torn last frame, as a crash in the middle
 *     of a write leaves one: either a few random bytes, or a frame header (u32 length,
 *     u32 crc, u8 type; see wal/record.ts) promising more payload than follows. Recovery
 *     must truncate it. Only bytes past the end are damaged: what the node wrote and
 *     fsynced before it acknowledged stays intact, as on a disk that keeps its promises.
 *     (Cutting into acknowledged frames breaks Raft's assumption that a follower never
 *     loses what it acknowledged; FAULTS.md says what walnut does then.)
 *   - corrupt-checkpoint: the node first takes a checkpoint (SAVE), then random bytes of
 *     its newest checkpoint file are overwritten; it must fall back to an older one or
 *     refuse to start with a clear error.
 * A node that refuses to start is replaced as an operator would (nemesis.ts,
 * replaceNode): removed, wiped, added back as a learner, restarted empty, made a voter;
 * the heal notes say so. Only followers are damaged, one at a time, and healing waits until
 * the node has caught up: a disk that loses acknowledged frames is outside Raft's fault
 * model, and damage to a second copy of an entry before it is re-replicated could lose it.
 */
import { open, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { randomFollower, restartOrReplace, type Nemesis, type NemesisContext } from "./nemesis.js";

/** Most bytes of a torn frame. */
const TORN_FRAME_BYTES_MAX = 64;
/** A torn frame's header promises up to this many payload bytes. */
const TORN_PAYLOAD_BYTES_MAX = 4096;
const FRAME_HEADER_BYTES = 9;
/** Bytes overwritten in a corrupted checkpoint. */
const CHECKPOINT_DAMAGE_BYTES = 16;

function storageDamage(kind: "torn-wal" | "corrupt-checkpoint"): Nemesis {
  return {
    kind,
    async inject(context) {
      const node = await randomFollower(context);
      if (kind === "corrupt-checkpoint") {
        const saved = await context.cluster.command(node, ["SAVE"]);
        if (saved.type === "error") context.log(`node ${node}: SAVE answered ${saved.text}`);
      }
      await context.cluster.stop(node, "SIGKILL");
      const damage = kind === "torn-wal" ? await tearWalTail(context, node) : await corruptCheckpoint(context, node);
      return {
        description: `kill -9 node ${node}; ${damage}; restart`,
        heal: () => restartOrReplace(context, node),
      };
    },
  };
}

export const tornWalNemesis = storageDamage("torn-wal");
export const corruptCheckpointNemesis = storageDamage("corrupt-checkpoint");

/** Newest file in `directory` whose name ends with `suffix` (names sort by sequence). */
async function newestFile(directory: string, suffix: string): Promise<string | null> {
  const names = (await readdir(directory).catch(() => [] as string[])).filter((name) => name.endsWith(suffix)).sort();
  const newest = names[names.length - 1];
  return newest === undefined ? null : join(directory, newest);
}

async function tearWalTail(context: NemesisContext, node: number): Promise<string> {
  const segment = await newestFile(join(context.cluster.dataDir(node), "wal"), ".wal");
  if (segment === null) return "no WAL segment to tear";
  const sizeBytes = (await stat(segment)).size;
  const name = segment.slice(segment.lastIndexOf("wal/"));
  const { random } = context;
  if (random.below(2) === 0) {
    const garbage = random.bytes(1 + random.below(TORN_FRAME_BYTES_MAX));
    await overwrite(segment, sizeBytes, garbage);
    return `appended ${garbage.length} random bytes to ${name} (${sizeBytes} bytes)`;
  }
  const payloadBytes = 1 + random.below(TORN_PAYLOAD_BYTES_MAX);
  const header = Buffer.alloc(FRAME_HEADER_BYTES);
  header.writeUInt32LE(payloadBytes, 0);
  header.writeUInt32LE(random.below(2 ** 32), 4);
  header[8] = 1 + random.below(4);
  const torn = Buffer.concat([header, random.bytes(random.below(payloadBytes))]);
  await overwrite(segment, sizeBytes, torn);
  return `appended a torn frame (${torn.length} of ${FRAME_HEADER_BYTES + payloadBytes} bytes) to ${name} (${sizeBytes} bytes)`;
}

async function corruptCheckpoint(context: NemesisContext, node: number): Promise<string> {
  const checkpoint = await newestFile(join(context.cluster.dataDir(node), "checkpoints"), ".ckpt");
  if (checkpoint === null) return "no checkpoint to corrupt";
  const sizeBytes = (await stat(checkpoint)).size;
  const offset = context.random.below(Math.max(1, sizeBytes - CHECKPOINT_DAMAGE_BYTES));
  await overwrite(checkpoint, offset, context.random.bytes(Math.min(CHECKPOINT_DAMAGE_BYTES, sizeBytes)));
  return `overwrote ${CHECKPOINT_DAMAGE_BYTES} bytes at offset ${offset} of ${sizeBytes} in ${checkpoint.slice(checkpoint.lastIndexOf("checkpoints/"))}`;
}

async function overwrite(path: string, offset: number, bytes: Buffer): Promise<void> {
  const handle = await open(path, "r+");
  try {
    await handle.write(bytes, 0, bytes.length, offset);
  } finally {
    await handle.close();
  }
}
