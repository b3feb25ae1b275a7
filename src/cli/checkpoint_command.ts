/**
 * `walnut checkpoint --data-dir D`: recover a stopped node's state and write a checkpoint
 * of it, so the next start replays less. Refuses while a node runs on the directory.
 */
import { open } from "../db.js";
import { dataDirOptions } from "../config/options.js";
import { resolveSettings, settingString } from "../config/resolve.js";
import { stderrLog } from "../lib/log.js";
import { printHelp, wantsHelp } from "./help.js";

export async function runCheckpoint(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) return printHelp("walnut checkpoint --data-dir D   (the node must be stopped)", dataDirOptions);
  const settings = resolveSettings(dataDirOptions, { argv, env: process.env, command: "checkpoint" });
  const dir = settingString(settings, "data-dir") ?? "./walnut-data";
  const db = await open({ dir, checkpointInterval: 0, checkpointWalBytes: 0, log: stderrLog() });
  try {
    const info = await db.checkpoint();
    process.stdout.write(`checkpoint ${info.path}: index ${info.index}, term ${info.term}, ${info.keys} keys, ${info.sizeBytes} bytes\n`);
  } finally {
    await db.close();
  }
  return 0;
}
