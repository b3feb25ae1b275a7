/**
 * `walnut wal inspect|verify|repair --data-dir D`: offline tools over a stopped node's WAL.
 *   inspect  one line per frame (segment, offset, type, index, term, size, crc)
 *   verify   exit 1 and the first bad offset if the WAL is damaged
 *   repair   truncate at the first damage, after saying what will be dropped (--dry-run: only say)
 */
import { join } from "node:path";
import { dataDirOptions, type OptionSpec } from "../config/options.js";
import { resolveSettings, settingBoolean, settingString } from "../config/resolve.js";
import { readControlFile } from "../node/control_file.js";
import { printHelp, wantsHelp } from "./help.js";
import { formatFrameReport, inspectWal, repairWal, verifyWal } from "../wal/tools.js";

const walOptions: readonly OptionSpec[] = [
  ...dataDirOptions,
  { name: "dry-run", kind: "boolean", default: "false", description: "repair: only say what would be dropped" },
];

async function walDirectory(dataDir: string): Promise<string> {
  const control = await readControlFile(dataDir);
  return control?.walDirectory ?? join(dataDir, "wal");
}

export async function runWal(argv: string[]): Promise<number> {
  const [action, ...rest] = argv;
  if (wantsHelp(argv)) {
    return printHelp("walnut wal inspect|verify|repair --data-dir D [--dry-run]", walOptions,
      "  inspect  one line per frame (segment, offset, type, index, term, size, crc)\n" +
      "  verify   exit 1 and the first bad offset if the WAL is damaged\n" +
      "  repair   truncate at the first damage, after saying what will be dropped");
  }
  const settings = resolveSettings(walOptions, { argv: rest, env: process.env, command: `wal ${action ?? ""}`.trim() });
  const dir = await walDirectory(settingString(settings, "data-dir") ?? "./walnut-data");
  switch (action) {
    case "inspect": {
      for await (const frame of inspectWal(dir)) process.stdout.write(`${formatFrameReport(frame)}\n`);
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
      const dryRun = settingBoolean(settings, "dry-run");
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
      process.stderr.write("usage: walnut wal inspect|verify|repair --data-dir D [--dry-run]\n");
      return 2;
  }
}
