/**
 * GET /checkpoints: the checkpoint files in this node's checkpoint directory, newest
 * first, and the last checkpoint its control file records:
 *
 *   {"directory": "/data/checkpoints",
 *    "last": {"index": 1200, "term": 3, "id": 7},
 *    "checkpoints": [{"name": "00000000000000001200-00000000000000000003.ckpt", "previousIndex": null,
 *                     "index": 1200, "term": 3, "size": 48213, "modified": "2026-11-21T10:40:02.115Z"}]}
 *
 * Full checkpoints have previousIndex null; an incremental one (a delta,
 * `<index>-<term>-<previous index>.delta`) names the checkpoint it follows.
 * Only names that parse as checkpoints are listed (snapshot/checkpoint_files.ts); the
 * listing only reads the directory (unlike snapshot/store.ts's listCheckpoints, it
 * removes no stale temporary file: a GET changes nothing). A file pruned between the
 * listing and its stat is left out.
 */
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { assert } from "../../lib/assert.js";
import { describeError, systemErrorCode } from "../../lib/errors.js";
import { parseCheckpointFileName } from "../../snapshot/checkpoint_files.js";
import { parseDeltaFileName } from "../../snapshot/delta_format.js";
import type { ServerContext } from "../server_context.js";
import { HttpError } from "./json.js";

/** Most checkpoint files listed (pruning keeps two; more means something to look at, not to send). */
const CHECKPOINTS_LISTED_MAX = 100;

export interface CheckpointListing {
  name: string;
  index: number;
  term: number;
  /** The checkpoint a delta follows; null for a full checkpoint. */
  previousIndex: number | null;
  size: number;
  modified: string;
}

export async function checkpointsReport(context: ServerContext): Promise<Record<string, unknown>> {
  const status = context.executor.node.status();
  const directory = status.checkpointDirectory;
  assert(directory !== undefined, "a node reports its checkpoint directory");
  return { directory, last: status.lastCheckpoint, checkpoints: await listCheckpointFiles(directory) };
}

async function listCheckpointFiles(directory: string): Promise<CheckpointListing[]> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (error) {
    if (systemErrorCode(error) === "ENOENT") return [];
    throw new HttpError(500, `Cannot list checkpoints in ${directory}: ${describeError(error)}`);
  }
  const named = names
    .map((name) => ({ name, parsed: parseCheckpointFileName(name) ?? parseDeltaFileName(name) }))
    .filter((each): each is { name: string; parsed: { index: number; term: number; previousIndex?: number } } => each.parsed !== null)
    .sort((a, b) => b.parsed.index - a.parsed.index || b.parsed.term - a.parsed.term)
    .slice(0, CHECKPOINTS_LISTED_MAX);
  const listed = await Promise.all(
    named.map(async ({ name, parsed }): Promise<CheckpointListing | null> => {
      try {
        const info = await stat(join(directory, name));
        const previousIndex = parsed.previousIndex ?? null;
        return { name, index: parsed.index, term: parsed.term, previousIndex, size: info.size, modified: info.mtime.toISOString() };
      } catch (error) {
        if (systemErrorCode(error) === "ENOENT") return null;
        throw new HttpError(500, `Cannot read checkpoint ${join(directory, name)}: ${describeError(error)}`);
      }
    }),
  );
  return listed.filter((each): each is CheckpointListing => each !== null);
}
