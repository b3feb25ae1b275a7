/**
 * `walnut wal inspect|verify|repair --data-dir D`: offline tools over a stopped node's WAL.
 * Each refuses a path without a node and a running node (offline_data_dir.ts).
 *   inspect  one line per frame (segment, offset, type, index, term, size, crc)
 *   verify   exit 1 and the first bad offset if the WAL is damaged
 *   repair   truncate at the first damage, after saying what will be dropped (--dry-run: only say)
 */
import { WalnutError } from "../lib/errors.js";
import { dataDirOptions, type OptionSpec } from "../config/options.js";
import { resolveSettings, settingBoolean, settingString } from "../config/resolve.js";
import { lockNodeDataDir } from "./offline_data_dir.js";
import { writeStdout } from "./stdout.js";
import { printHelp, wantsHelp } from "./help.js";
import { formatFrameReport, inspectWal, repairWal, verifyWal } from "../wal/tools.js";

const walOptions: readonly OptionSpec[] = [
  ...dataDirOptions,
  { name: "dry-run", kind: "boolean", default: "false", description: "repair: only say what would be dropped" },
];

/** How much `inspect` prints at a time. */
const INSPECT_BATCH_CHARS = 64 * 1024;

const ACTIONS: Record<string, string> = { inspect: "inspect the WAL", verify: "verify the WAL", repair: "repair the WAL" };


export async function runWal(argv: string[]): Promise<number> {
  const [action, ...rest] = argv;
  if (wantsHelp(argv)) {
    return printHelp("walnut wal inspect|verify|repair --data-dir D [--dry-run]", walOptions,
      "  inspect  one line per frame (segment, offset, type, index, term, size, crc)\n" +
      "  verify   exit 1 and the first bad offset if the WAL is damaged\n" +
      "  repair   truncate at the first damage, after saying what will be dropped");
  }
  const what = ACTIONS[action ?? ""];
  if (what === undefined) {
    process.stderr.write("usage: walnut wal inspect|verify|repair --data-dir D [--dry-run]\n");
    return 2;
  }
  const settings = resolveSettings(walOptions, { argv: rest, env: process.env, command: `wal ${action}` });
  if (settings.positionals.length > 0) throw new WalnutError("BAD_ARGUMENT", `Cannot ${what}: unexpected argument "${settings.positionals[0]}"`);
  const dataDir = settingString(settings, "data-dir") ?? "./walnut-data";
  const { control, lock } = await lockNodeDataDir(dataDir, `${what} in ${dataDir}`);
  try {
    return await runAction(action as string, control.walDirectory, settingBoolean(settings, "dry-run"));
  } finally {
    await lock.release();
  }
}

async function runAction(action: string, dir: string, dryRun: boolean): Promise<number> {
  switch (action) {
    case "inspect": {
      // Lines go out in batches, each awaited, so that a reader that left (| head) stops the scan.
      let batch = "";
      for await (const frame of inspectWal(dir)) {
        batch += `${formatFrameReport(frame)}\n`;
        if (batch.length < INSPECT_BATCH_CHARS) continue;
        if (!(await writeStdout(batch))) return 0;
        batch = "";
      }
      if (batch !== "") await writeStdout(batch);
      return 0;
    }
    case "verify": {
      const result = await verifyWal(dir);
      if (result.ok) {
        process.stdout.write(`WAL ok: ${result.frames} frames in ${dir}\n`);
        return 0;
      }
      const damage = result.firstDamage;
      process.stdout.write(`WAL damaged: ${damage?.path} at offset ${damage?.offset}: ${damage?.reason}\n`);
      return 1;
    }
    case "repair": {
      const result = await repairWal(dir, { dryRun });
      if (result === null) {
        process.stdout.write("WAL ok: nothing to repair\n");
        return 0;
      }
      const verb = dryRun ? "would drop" : "dropped";
      process.stdout.write(
        `${verb} ${result.droppedFrames} frame(s), ${result.droppedBytes} bytes, from ${result.path} at offset ${result.offset}` +
          (result.removedSegments.length > 0 ? `, and segment(s) ${result.removedSegments.join(", ")}` : "") + "\n",
      );
      return 0;
    }
    default:
      throw new Error(`unreachable wal action ${action}`);
  }
}
