/**
 * The checkpoint directory as a whole: which checkpoints exist, which state to load at
 * start (the newest that verifies), and which files to delete once newer ones are safely
 * down.
 *
 * Two kinds of file: full checkpoints `<index 20 digits>-<term 20 digits>.ckpt`, and
 * deltas `<index>-<term>-<previous index>.delta` (delta_format.ts), each holding what
 * changed since the checkpoint at its previous index. A state is a chain: a full
 * checkpoint, then deltas each on the one before. Temporary
 * files (`*.tmp`) are never checkpoints; those not being written by this process right
 * now are leftovers of a crash or a failed write and are removed when the directory is
 * listed. Corrupt checkpoints are renamed `*.ckpt.corrupt` once an older one has loaded.
 */
import { basename, join } from "node:path";
import { assert } from "../lib/assert.js";
import { WalnutError, describeError, isWalnutError, systemErrorCode } from "../lib/errors.js";
import {
  displayName,
  isStaleTemporaryFile,
  parseCheckpointFileName,
  removeQuietly,
} from "./checkpoint_files.js";
import { syncDirectory } from "../lib/durable_file.js";
import { realCheckpointIo, type CheckpointIo } from "./io.js";
import { readCheckpoint, type LoadedCheckpoint } from "./reader.js";
import { applyDelta } from "./delta_reader.js";
import { parseDeltaFileName } from "./delta_format.js";

/** Appended to the name of a corrupt checkpoint once an older one has loaded instead. */
export const CORRUPT_SUFFIX = ".corrupt";

/** How many checkpoints pruning keeps by default: the newest, and one to fall back to. */
export const CHECKPOINTS_KEPT_DEFAULT = 2;

export interface CheckpointFile {
  path: string;
  index: number;
  term: number;
}

/** A checkpoint file of either kind: a full checkpoint, or a delta on the one at `previousIndex`. */
export interface CheckpointPiece extends CheckpointFile {
  /** null for a full checkpoint. */
  previousIndex: number | null;
}

/** The state a node can load: a full checkpoint, then the deltas that lead from it to `index`, in order. */
export type CheckpointChain = CheckpointPiece[];

export interface LoadedState extends LoadedCheckpoint {
  /** The pieces loaded, the full checkpoint first. */
  chain: CheckpointChain;
}

/** Full checkpoints in `dir`, newest (highest index) first; an absent directory holds none. */
export async function listCheckpoints(dir: string, io: CheckpointIo = realCheckpointIo): Promise<CheckpointFile[]> {
  return (await listCheckpointPieces(dir, io)).filter((piece) => piece.previousIndex === null).map(({ path, index, term }) => ({ path, index, term }));
}

/**
 * Checkpoint files of both kinds in `dir`, newest first (at one index, full checkpoints
 * before deltas); stale temporary files are removed on the way.
 */
export async function listCheckpointPieces(dir: string, io: CheckpointIo = realCheckpointIo): Promise<CheckpointPiece[]> {
  let names: string[];
  try {
    names = await io.files.readdir(dir);
  } catch (error) {
    if (systemErrorCode(error) === "ENOENT") return [];
    throw new WalnutError("CHECKPOINT_IO", `Cannot list checkpoints in ${dir}: ${describeError(error)}`, { cause: error });
  }
  const pieces: CheckpointPiece[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const full = parseCheckpointFileName(name);
    const delta = full === null ? parseDeltaFileName(name) : null;
    if (full !== null) pieces.push({ path, ...full, previousIndex: null });
    else if (delta !== null) pieces.push({ path, ...delta });
    else if (isStaleTemporaryFile(path)) await removeQuietly(path, io.files);
  }
  return pieces.sort(
    (a, b) => b.index - a.index || Number(a.previousIndex !== null) - Number(b.previousIndex !== null) || b.term - a.term || (a.previousIndex ?? 0) - (b.previousIndex ?? 0),
  );
}

/**
 * The chain that ends with `piece`: a full checkpoint, then deltas each on the one before,
 * none of them in `excluded`; null when there is none. At each index a full checkpoint is
 * preferred (every file at one index holds the same state: the log is committed there).
 */
export function chainEndingWith(
  piece: CheckpointPiece,
  pieces: readonly CheckpointPiece[],
  excluded: ReadonlySet<string> = new Set(),
): CheckpointChain | null {
  if (excluded.has(piece.path)) return null;
  if (piece.previousIndex === null) return [piece];
  for (const candidate of pieces) {
    if (candidate.index !== piece.previousIndex) continue;
    const rest = chainEndingWith(candidate, pieces, excluded);
    if (rest !== null) return [...rest, piece];
  }
  return null;
}

/** The newest `count` states (distinct indices) that have a whole chain, newest first. */
export function newestChains(pieces: readonly CheckpointPiece[], count: number, excluded: ReadonlySet<string> = new Set()): CheckpointChain[] {
  const chains: CheckpointChain[] = [];
  for (const piece of pieces) {
    if (chains.length >= count) break;
    if (chains.some((chain) => (chain[chain.length - 1] as CheckpointPiece).index === piece.index)) continue;
    const chain = chainEndingWith(piece, pieces, excluded);
    if (chain !== null) chains.push(chain);
  }
  return chains;
}

/**
 * The newest state in `dir` that loads: a full checkpoint and the deltas after it, all
 * verified; null when there is no checkpoint. A corrupt file is reported through `log`
 * and the next newest state without it tried; once one loads, the corrupt files are
 * renamed to `<name>.corrupt` (kept for inspection, no longer counted as checkpoints, so
 * pruning cannot keep them in place of good ones). If checkpoints exist and none loads,
 * that is an error, not null: starting empty would silently drop the state they held
 * (the WAL before them may be gone).
 */
export async function loadNewestCheckpoint(
  dir: string,
  log: (message: string) => void,
  io: CheckpointIo = realCheckpointIo,
): Promise<LoadedState | null> {
  const pieces = await listCheckpointPieces(dir, io);
  const corrupt = new Set<string>();
  for (let chain = newestChains(pieces, 1)[0]; chain !== undefined; ) {
    try {
      const loaded = await loadChainPieces(chain, io);
      await moveAside([...corrupt], log, io);
      return loaded;
    } catch (error) {
      if (!(error instanceof ChainDamage)) throw error;
      corrupt.add(error.piece.path);
      chain = newestChains(pieces, 1, corrupt)[0];
      const next = chain?.[chain.length - 1];
      log(next === undefined ? error.cause.message : `${error.cause.message}; falling back to the checkpoint at index ${next.index}`);
    }
  }
  if (pieces.length === 0) return null;
  const what =
    corrupt.size === pieces.length
      ? `all ${pieces.length} checkpoints are corrupt`
      : corrupt.size === 0
        ? `its ${pieces.length} checkpoint files are deltas without the checkpoints they follow`
        : `${corrupt.size} of ${pieces.length} checkpoint files are corrupt, and the others are deltas that follow them or missing ones`;
  throw new WalnutError("CHECKPOINT_CORRUPT", `Cannot load a checkpoint from ${dir}: ${what}`);
}

/** A piece of a chain that would not load: damaged, or not the continuation its name says. */
class ChainDamage extends Error {
  constructor(
    readonly piece: CheckpointPiece,
    override readonly cause: WalnutError,
  ) {
    super(cause.message);
  }
}

/** Loads a full checkpoint and applies the deltas after it, in order; damage is CHECKPOINT_CORRUPT naming the file. */
export async function loadChain(chain: CheckpointChain, io: CheckpointIo = realCheckpointIo): Promise<LoadedState> {
  try {
    return await loadChainPieces(chain, io);
  } catch (error) {
    throw error instanceof ChainDamage ? error.cause : error;
  }
}

/** loadChain, with damage as a ChainDamage naming the piece. */
async function loadChainPieces(chain: CheckpointChain, io: CheckpointIo): Promise<LoadedState> {
  const [first, ...deltas] = chain;
  assert(first !== undefined && first.previousIndex === null, "a chain starts with a full checkpoint");
  const loaded = await loadPiece(first, () => readCheckpoint(first.path, io));
  let state: LoadedCheckpoint = loaded;
  for (const delta of deltas) {
    const applied = await loadPiece(delta, () => applyDelta(delta.path, state.collections, io));
    const expected = `${delta.index}, term ${delta.term}, after ${delta.previousIndex}`;
    if (applied.index !== delta.index || applied.term !== delta.term || applied.previousIndex !== delta.previousIndex || applied.previousTerm !== state.term) {
      const found = `${applied.index}, term ${applied.term}, after ${applied.previousIndex} (term ${applied.previousTerm})`;
      const message = `Cannot read checkpoint ${displayName(delta.path)}: it holds index ${found}, not ${expected} (term ${state.term})`;
      throw new ChainDamage(delta, new WalnutError("CHECKPOINT_CORRUPT", message));
    }
    const keys = applied.collections.reduce((sum, collection) => sum + collection.size, 0);
    state = { path: applied.path, index: applied.index, term: applied.term, metadata: applied.metadata, collections: applied.collections, keys };
  }
  return { ...state, chain };
}

async function loadPiece<T>(piece: CheckpointPiece, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (isWalnutError(error, "CHECKPOINT_CORRUPT")) throw new ChainDamage(piece, error);
    throw error;
  }
}

async function moveAside(corruptPaths: string[], log: (message: string) => void, io: CheckpointIo): Promise<void> {
  for (const path of corruptPaths) {
    try {
      await io.files.rename(path, `${path}${CORRUPT_SUFFIX}`);
      log(`moved the corrupt checkpoint ${displayName(path)} aside to ${basename(path)}${CORRUPT_SUFFIX}`);
    } catch (error) {
      log(`Cannot move the corrupt checkpoint ${displayName(path)} aside: ${describeError(error)}`);
    }
  }
}

/** Deletes every checkpoint file but those of the newest `keep` states; returns the deleted paths. */
export async function pruneCheckpoints(
  dir: string,
  keep: number = CHECKPOINTS_KEPT_DEFAULT,
  io: CheckpointIo = realCheckpointIo,
): Promise<string[]> {
  return (await pruneCheckpointPieces(dir, keep, io)).deleted;
}

/**
 * Keeps the pieces of the newest `keep` states (a full checkpoint and the deltas after
 * it, for each) and deletes every other checkpoint file: older states, and deltas whose
 * chain is broken. The kept states share files when deltas follow one full checkpoint,
 * so one damaged file could break them all; so the newest state whose chain shares no
 * file with the newest state's is kept too, when there is one (with the WAL after it, the
 * node then survives any one damaged file, as with two full checkpoints). A full
 * checkpoint that merges deltas therefore removes the pieces before it only once a newer
 * full checkpoint stands in for them. Returns the deleted paths and the kept states'
 * indices, newest first.
 */
export async function pruneCheckpointPieces(
  dir: string,
  keep: number = CHECKPOINTS_KEPT_DEFAULT,
  io: CheckpointIo = realCheckpointIo,
): Promise<{ deleted: string[]; keptStates: number[] }> {
  assert(Number.isInteger(keep) && keep >= 1, `pruning must keep at least one checkpoint, not ${keep}`);
  const pieces = await listCheckpointPieces(dir, io);
  const chains = newestChains(pieces, keep);
  const newest = new Set((chains[0] ?? []).map((piece) => piece.path));
  const independent = (chain: CheckpointChain): boolean => chain.every((piece) => !newest.has(piece.path));
  if (keep >= 2 && chains.length > 0 && !chains.slice(1).some(independent)) {
    const fallback = newestChains(pieces, pieces.length).find(independent);
    if (fallback !== undefined) chains.push(fallback);
  }
  const kept = new Set(chains.flat().map((piece) => piece.path));
  const doomed = pieces.filter((piece) => !kept.has(piece.path)).map((piece) => piece.path);
  try {
    for (const path of doomed) await io.files.rm(path, { force: true });
    if (doomed.length > 0) await syncDirectory(dir, io.files);
  } catch (error) {
    throw new WalnutError("CHECKPOINT_IO", `Cannot prune checkpoints in ${dir}: ${describeError(error)}`, { cause: error });
  }
  return { deleted: doomed, keptStates: chains.map((chain) => (chain[chain.length - 1] as CheckpointPiece).index) };
}
