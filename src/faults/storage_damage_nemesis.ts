/**
 * torn-wal and corrupt-checkpoint: kill -9 a follower, damage its disk, and restart it.
 *   - torn-wal: the tail of its newest WAL segment is cut off (a write torn mid-frame)
 *     or overwritten with random bytes; recovery must truncate the torn last frame.
 *   - corrupt-checkpoint: the node first takes a checkpoint (SAVE), then random bytes of
 *     its newest checkpoint file are overwritten; it must fall back to an older one or
 *     refuse to start with a clear error.
 * A node that refuses to start is replaced as an operator would (nemesis.ts,
 * replaceNode): removed, wiped, added back as a learner, restarted with --join; the
 * heal notes say so. Only followers are damaged, one at a time, and healing waits until
 * the node has caught up: a disk that loses acknowledged frames is outside Raft's fault
 * model, and damage to a second copy of an entry before it is re-replicated could lose it.
 */
import { open, readdir, stat, truncate } from "node:fs/promises";
import { join } from "node:path";
import { randomFollower, replaceNode, waitCaughtUp, type Nemesis, type NemesisContext } from "./nemesis.js";

/** Most bytes a torn tail loses or has overwritten. */
const TAIL_DAMAGE_BYTES_MAX = 64;
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

async function restartOrReplace(context: NemesisContext, node: number): Promise<string | null> {
  try {
    await context.cluster.restart(node);
    await waitCaughtUp(context.cluster, node);
    return null;
  } catch (error) {
    const reason = refusal(String(error));
    context.log(`node ${node} refused to start (${reason}): replacing it`);
    await replaceNode(context.cluster, node);
    return `node ${node} refused to start (${reason}); wiped and re-added`;
  }
}

/** The line of the last run's stderr that says why it exited ("walnut serve: Cannot ..."). */
function refusal(text: string): string {
  const lastRun = text.slice(text.lastIndexOf("=== started with"));
  const lines = lastRun.split("\n");
  const line = lines.find((candidate) => candidate.startsWith("walnut serve:")) ?? lines.find((candidate) => /Cannot/.test(candidate));
  return (line ?? lines[1] ?? "").trim().slice(0, 200);
}

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
  const damagedBytes = Math.min(sizeBytes, 1 + context.random.below(TAIL_DAMAGE_BYTES_MAX));
  const name = segment.slice(segment.lastIndexOf("wal/"));
  if (context.random.below(2) === 0) {
    await truncate(segment, sizeBytes - damagedBytes);
    return `cut the last ${damagedBytes} of ${sizeBytes} bytes off ${name}`;
  }
  await overwrite(segment, sizeBytes - damagedBytes, context.random.bytes(damagedBytes));
  return `overwrote the last ${damagedBytes} of ${sizeBytes} bytes of ${name} with random bytes`;
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
