/**
 * `walnut serve`: open the data directory, start the servers, run until SIGINT/SIGTERM,
 * then close cleanly (queued writes written, WAL synced and closed).
 */
import { open } from "../db.js";
import { serveOptions, formatOptions } from "../config/options.js";
import { resolveSettings, settingBoolean, settingNumber, settingString } from "../config/resolve.js";
import { stderrLog } from "../lib/log.js";
import type { FsyncMode } from "../wal/wal.js";

export async function runServe(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`usage: walnut serve [flags]\n\n${formatOptions(serveOptions, "text")}\n\n` +
      "Every flag can also be set as WALNUT_<FLAG> in the environment or as <flag> = value in --config.\n");
    return 0;
  }
  const settings = resolveSettings(serveOptions, { argv, env: process.env, command: "serve" });
  if (settings.positionals.length > 0) {
    process.stderr.write(`walnut serve: unexpected argument "${settings.positionals[0]}" (see walnut serve --help)\n`);
    return 2;
  }
  const log = stderrLog();
  const dataDir = settingString(settings, "data-dir") ?? "./walnut-data";
  const db = await open({
    dir: dataDir,
    fsync: settingString(settings, "fsync") as FsyncMode,
    segmentSize: settingNumber(settings, "segment-size"),
    checkpointInterval: settingNumber(settings, "checkpoint-interval"),
    checkpointWalBytes: settingNumber(settings, "checkpoint-wal-bytes"),
    archiveWal: settingBoolean(settings, "archive-wal"),
    log,
  });
  log(`walnut node ${db.node.id} ready: data in ${dataDir}, fsync ${db.node.fsyncMode}`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      log(`${signal}: closing`);
      resolve();
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
  });
  await db.close();
  log("closed cleanly");
  return 0;
}
