/**
 * `walnut checkpoint --data-dir D`: recover a stopped node's state and write a checkpoint
 * of it, so the next start replays less. Always a full checkpoint (one self-contained
 * file, which also merges any incremental deltas before it). Refuses a path that holds no node (it would
 * otherwise open a new, empty one there) and, through the LOCK open takes, a running node.
 */
import { open } from "../db.js";
import { dataDirOptions } from "../config/options.js";
import { resolveSettings, settingString } from "../config/resolve.js";
import { WalnutError } from "../lib/errors.js";
import { stderrLog } from "../lib/log.js";
import { requireNodeDataDir } from "./offline_data_dir.js";
import { printHelp, wantsHelp } from "./help.js";

export async function runCheckpoint(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) return printHelp("walnut checkpoint --data-dir D   (the node must be stopped)", dataDirOptions);
  const settings = resolveSettings(dataDirOptions, { argv, env: process.env, command: "checkpoint" });
  if (settings.positionals.length > 0) throw new WalnutError("BAD_ARGUMENT", `Cannot take a checkpoint: unexpected argument "${settings.positionals[0]}"`);
  const dir = settingString(settings, "data-dir") ?? "./walnut-data";
  await requireNodeDataDir(dir, `take a checkpoint of ${dir}`);
  const db = await open({ dir, checkpointInterval: 0, checkpointWalBytes: 0, log: stderrLog() });
  try {
    const info = await db.checkpoint({ full: true });
    process.stdout.write(`checkpoint ${info.path}: index ${info.index}, term ${info.term}, ${info.keys} keys, ${info.sizeBytes} bytes\n`);
  } finally {
    await db.close();
  }
  return 0;
}
