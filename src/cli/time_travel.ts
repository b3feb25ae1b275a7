/**
 * `walnut restore --checkpoint INDEX --data-dir D`: LokiKV's TIMETRAVEL. A stopped node
 * goes back to one of its own older checkpoints (it keeps the two newest): a full one, or
 * an incremental one with the full checkpoint and deltas it stands on.
 *
 * Steps, holding D's LOCK so no node runs meanwhile:
 *   1. find the checkpoint at INDEX (checkpoints/<INDEX>-<term>.ckpt, or a delta
 *      <INDEX>-<term>-<previous>.delta and the files before it) and verify all of it;
 *   2. move every newer checkpoint file into D/restore-backup-<time>/checkpoints/;
 *   3. move the WAL directory whole to D/restore-backup-<time>/wal/ and leave an empty one;
 *   4. keep a copy of control.toml there, then record the checkpoint as the latest.
 * The next start loads that checkpoint, finds no WAL after it and continues the log from
 * its index: every write after it is gone from the node (but kept in the set-aside WAL).
 *
 * The WAL also holds the node's Raft term and vote: a cluster member that dropped them
 * could vote twice in a term, or lose entries a majority acknowledged. So a checkpoint
 * that records more than one voter is refused; a cluster goes back by seeding every
 * stopped node from the same checkpoint file (walnut restore --from FILE --force).
 */
import { mkdir } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { WalnutError } from "../lib/errors.js";
import { CONTROL_FILE_NAME, writeControlFile } from "../node/control_file.js";
import { lockNodeDataDir } from "./offline_data_dir.js";
import { syncDirectory } from "../lib/durable_file.js";
import { listCheckpointPieces, newestChains, type CheckpointPiece } from "../snapshot/store.js";
import { SetAside } from "./set_aside.js";
import { verifiedChain, verifiedCheckpoint } from "./verified_checkpoint.js";

export interface TimeTravel {
  index: number;
  term: number;
  keys: number;
  checkpointsMoved: number;
  /** Where the WAL, the newer checkpoints and the old control file went. */
  setAside: string;
}

export async function travelToCheckpoint(options: { dataDir: string; index: number }): Promise<TimeTravel> {
  const { dataDir, index } = options;
  const { control, lock } = await lockNodeDataDir(dataDir, `go back to checkpoint ${index} in ${dataDir}`);
  try {
    const checkpoints = await listCheckpointPieces(control.checkpointDirectory);
    const chains = newestChains(checkpoints, checkpoints.length);
    const chain = chains.find((each) => (each[each.length - 1] as CheckpointPiece).index === index);
    const chosen = chain?.[chain.length - 1];
    if (chain === undefined || chosen === undefined) {
      const available = chains.map((each) => (each[each.length - 1] as CheckpointPiece).index).join(", ") || "none";
      throw new WalnutError("BAD_ARGUMENT", `Cannot go back to checkpoint ${index}: ${control.checkpointDirectory} has no checkpoint at that index (it has: ${available})`);
    }
    const loaded = chain.length === 1 ? await verifiedCheckpoint(chosen.path, `go back to checkpoint ${index}`) : await verifiedChain(chain, `go back to checkpoint ${index}`);
    const voters = votersOf(loaded.metadata);
    if (voters.length > 1) {
      throw new WalnutError(
        "BAD_ARGUMENT",
        `Cannot go back to checkpoint ${index} on this node alone: it is one of the voters ${voters.join(", ")} and its WAL holds its Raft term and vote; ` +
          "stop every node and seed each from the same checkpoint file with walnut restore --from FILE --force (docs/operations.md)",
      );
    }
    const newer = checkpoints.filter((checkpoint) => checkpoint.index > chosen.index || (checkpoint.index === chosen.index && checkpoint.term > chosen.term));
    const aside = await SetAside.create(dataDir);
    await aside.copy(join(dataDir, CONTROL_FILE_NAME));
    for (const checkpoint of newer) await aside.move(checkpoint.path, join("checkpoints", basename(checkpoint.path)));
    await aside.move(control.walDirectory, "wal");
    await mkdir(control.walDirectory);
    await aside.sync();
    await syncDirectory(dirname(control.walDirectory));
    await writeControlFile(dataDir, { ...control, lastCheckpointIndex: loaded.index, lastCheckpointTerm: loaded.term, leaderHint: 0 });
    return { index: loaded.index, term: loaded.term, keys: loaded.keys, checkpointsMoved: newer.length, setAside: aside.directory };
  } finally {
    await lock.release();
  }
}

/** The voters a checkpoint recorded (metadata.confState.voters); none when absent. */
function votersOf(metadata: Record<string, unknown>): number[] {
  const confState = metadata.confState;
  if (typeof confState !== "object" || confState === null) return [];
  const voters = (confState as { voters?: unknown }).voters;
  return Array.isArray(voters) ? voters.filter((id): id is number => Number.isSafeInteger(id)) : [];
}
