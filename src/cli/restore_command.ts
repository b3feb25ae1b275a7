/**
 * `walnut restore`, in two forms:
 *
 *   walnut restore --from FILE --data-dir D [--id N] [--peers ... [--cluster-secret S]] [--force]
 *       seeds D from a backup (walnut backup) so that `walnut serve --data-dir D` starts
 *       with its data: a new control.toml, the checkpoint copied into checkpoints/, an
 *       empty wal/. Recovery continues the log after a checkpoint newer than the WAL. The
 *       membership the backup recorded is replaced by the one the node will serve with
 *       (--peers, or the node alone): restore_membership.ts says why.
 *   walnut restore --checkpoint INDEX --data-dir D
 *       time travel (time_travel.ts): a stopped node goes back to an older local checkpoint.
 *
 * Both hold D's LOCK while they work, so neither runs beside a live node, and neither
 * deletes anything: replaced files move into D/restore-backup-<time>/ (set_aside.ts).
 */
import { copyFile, mkdir, readdir, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { formatOptions, type OptionSpec } from "../config/options.js";
import { parsePeers, type PeerAddress } from "../config/peers.js";
import { resolveSettings, settingBoolean, settingNumber, settingString, type ResolvedSettings } from "../config/resolve.js";
import { WalnutError, describeError, isWalnutError, systemErrorCode } from "../lib/errors.js";
import { CONTROL_FILE_NAME, newControlFile, readControlFile, writeControlFile, type ControlFile } from "../node/control_file.js";
import { lockDataDir } from "../node/data_dir_lock.js";
import { clusterIdOf } from "../node/node.js";
import { prepareDataDir } from "../node/recovery.js";
import { checkpointFileName, TEMPORARY_SUFFIX } from "../snapshot/checkpoint_files.js";
import { renameDurably, syncDirectory, syncFile } from "../lib/durable_file.js";
import type { LoadedCheckpoint } from "../snapshot/reader.js";
import { membershipFor, recordsMembership, writeWithMembership, type Membership } from "./restore_membership.js";
import { SetAside } from "./set_aside.js";
import { travelToCheckpoint } from "./time_travel.js";
import { verifiedCheckpoint } from "./verified_checkpoint.js";

const restoreOptions: readonly OptionSpec[] = [
  { name: "data-dir", kind: "path", default: "./walnut-data", description: "The node's data directory" },
  { name: "from", kind: "path", description: "A backup file (walnut backup) to seed the data directory with" },
  { name: "checkpoint", kind: "integer", description: "Go back to this local checkpoint (its index) on a stopped node" },
  { name: "id", kind: "integer", default: "1", description: "With --from: the node id the directory is for (serve's --id)" },
  {
    name: "peers",
    kind: "string",
    description: "With --from, for a cluster: the --peers the node will serve with; they become the restored membership and fix the cluster id",
  },
  { name: "cluster-secret", kind: "string", description: "With --peers: the --cluster-secret the node will serve with (it is part of the cluster id)" },
  { name: "force", kind: "boolean", default: "false", description: "With --from: seed a directory that holds a node, moving its files aside" },
];

const USAGE = "usage: walnut restore --from FILE --data-dir D [--id N] [--peers ... [--cluster-secret S]] [--force]\n       walnut restore --checkpoint INDEX --data-dir D";

export async function runRestore(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${USAGE}\n\n${formatOptions(restoreOptions, "text")}\n`);
    return 0;
  }
  const settings = resolveSettings(restoreOptions, { argv, env: {}, command: "restore" });
  if (settings.positionals.length > 0) throw new WalnutError("BAD_ARGUMENT", `Cannot restore: unexpected argument "${settings.positionals[0]}"`);
  const dataDir = settingString(settings, "data-dir") ?? "./walnut-data";
  const from = settingString(settings, "from");
  const checkpointIndex = settings.values.get("checkpoint");
  if ((from === undefined) === (checkpointIndex === undefined)) {
    throw new WalnutError("BAD_ARGUMENT", `Cannot restore: give exactly one of --from FILE or --checkpoint INDEX\n${USAGE}`);
  }
  if (typeof checkpointIndex === "number") {
    if (settings.values.has("peers") || settings.values.has("cluster-secret") || settingBoolean(settings, "force")) {
      throw new WalnutError("BAD_ARGUMENT", "Cannot restore: --peers, --cluster-secret and --force go with --from, not --checkpoint");
    }
    const moved = await travelToCheckpoint({ dataDir, index: checkpointIndex });
    process.stdout.write(
      `restored ${dataDir} to its checkpoint at index ${moved.index}, term ${moved.term} (${moved.keys} keys); ` +
        `the WAL and ${moved.checkpointsMoved} newer checkpoint${moved.checkpointsMoved === 1 ? "" : "s"} are in ${moved.setAside}\n`,
    );
    return 0;
  }
  const { control, peers } = controlFor(settings, dataDir);
  const membership = membershipFor(control.nodeId, peers);
  const seeded = await seedFromBackup({ from: from as string, dataDir, control, membership, force: settingBoolean(settings, "force") });
  process.stdout.write(
    `restored ${dataDir} from ${from}: index ${seeded.index}, term ${seeded.term}, ${seeded.keys} keys, voters ${membership.confState.voters.join(",")}` +
      `${seeded.setAside === null ? "" : `; the files it held are in ${seeded.setAside}`}\n`,
  );
  return 0;
}

/** The control file a seeded directory starts with: node id, and the cluster id serve derives from --peers. */
function controlFor(settings: ResolvedSettings, dataDir: string): { control: ControlFile; peers: Map<number, PeerAddress> | null } {
  const nodeId = settingNumber(settings, "id");
  const control = newControlFile({ dataDir: resolve(dataDir), nodeId });
  const peersText = settingString(settings, "peers");
  if (peersText === undefined) {
    if (settings.values.has("cluster-secret")) throw new WalnutError("BAD_ARGUMENT", "Cannot restore: --cluster-secret goes with --peers");
    return { control, peers: null };
  }
  const peers = parsePeers(peersText);
  const self = peers.get(nodeId);
  if (self === undefined) throw new WalnutError("BAD_CONFIG", `--peers must include this node (--id ${nodeId})`);
  control.clusterId = clusterIdOf({ listen: self, peers, secret: settingString(settings, "cluster-secret") ?? null });
  return { control, peers };
}

/**
 * Seeds `dataDir` from the checkpoint file `from`: copied as it is when it records
 * `membership` already, else written again with it (restore_membership.ts). The control
 * file is written last: until it exists the directory is not a node.
 */
export async function seedFromBackup(options: {
  from: string;
  dataDir: string;
  control: ControlFile;
  membership: Membership;
  force: boolean;
}): Promise<LoadedCheckpoint & { setAside: string | null }> {
  const { from, dataDir, control } = options;
  const loaded = await verifiedCheckpoint(from, `restore from ${from}`);
  const name = checkpointFileName(loaded.index, loaded.term);
  await prepareDataDir(dataDir);
  const lock = await lockDataDir(dataDir, `restore into ${dataDir}`);
  let staged: string | null = null;
  try {
    // Staged before anything moves: FILE may sit in the checkpoints/ that --force moves aside.
    if (recordsMembership(loaded.metadata, options.membership)) staged = await stageCopy(from, join(dataDir, `.restore-${name}${TEMPORARY_SUFFIX}`));
    const setAside = await clearDataDir(dataDir, options.force);
    await mkdir(control.walDirectory, { recursive: true });
    await mkdir(control.checkpointDirectory, { recursive: true });
    if (staged !== null) {
      await renameDurably(staged, join(control.checkpointDirectory, name));
    } else {
      const { clusterId, nodeId, checkpointDirectory: dir } = control;
      await writeWithMembership(loaded, { dir, membership: options.membership, clusterId, nodeId });
    }
    control.lastCheckpointId = 1;
    control.lastCheckpointIndex = loaded.index;
    control.lastCheckpointTerm = loaded.term;
    await writeControlFile(dataDir, control);
    await syncDirectory(dataDir);
    return { ...loaded, setAside };
  } finally {
    if (staged !== null) await rm(staged, { force: true });
    await lock.release();
  }
}

/**
 * Refuses a directory that holds a node (a control file, or WAL segments or checkpoints
 * left without one) unless `force`; with it, moves those aside. Returns where they went.
 */
async function clearDataDir(dataDir: string, force: boolean): Promise<string | null> {
  const existing = await readControlFile(dataDir).catch((error: unknown) => {
    if (force && isWalnutError(error, "CONTROL_CORRUPT")) return null;
    throw error;
  });
  const controlPath = join(dataDir, CONTROL_FILE_NAME);
  const candidates = [controlPath, existing?.walDirectory ?? join(dataDir, "wal"), existing?.checkpointDirectory ?? join(dataDir, "checkpoints")];
  const occupied: string[] = [];
  for (const path of candidates) if (await holdsSomething(path)) occupied.push(path);
  if (occupied.length === 0) return null;
  if (!force) {
    throw new WalnutError(
      "DATA_DIR",
      `Cannot restore into ${dataDir}: it already holds a node (${occupied.join(", ")}); ` +
        `--force moves those into ${dataDir}/restore-backup-<time>/ first`,
    );
  }
  const aside = await SetAside.create(dataDir);
  for (const path of occupied) await aside.move(path);
  await aside.sync();
  return aside.directory;
}

/** True for a file, or for a directory with entries. */
async function holdsSomething(path: string): Promise<boolean> {
  try {
    const info = await stat(path);
    return info.isDirectory() ? (await readdir(path)).length > 0 : true;
  } catch (error) {
    if (systemErrorCode(error) === "ENOENT") return false;
    throw new WalnutError("DATA_DIR", `Cannot inspect ${path}: ${describeError(error)}`, { cause: error });
  }
}

/** Copies `from` to `temporary`, fsynced, ready to be renamed into place. */
async function stageCopy(from: string, temporary: string): Promise<string> {
  try {
    await copyFile(from, temporary);
    await syncFile(temporary);
    return temporary;
  } catch (error) {
    await rm(temporary, { force: true });
    throw new WalnutError("CHECKPOINT_IO", `Cannot copy ${from} to ${temporary}: ${describeError(error)}`, { cause: error });
  }
}
