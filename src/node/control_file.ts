/**
 * control.toml: the node's record of itself, after LokiKV's control file (itself a small
 * cousin of PostgreSQL's pg_control). It names the node and its cluster, where the WAL and
 * checkpoints live, which checkpoint is the latest, and who the node last knew as leader.
 * It is always replaced atomically (lib/durable_file.ts), never edited in place.
 *
 *   format_version = 1
 *   node_id = 1
 *   self_identifier = 1
 *   cluster_id = "5f1c0a3e9b2d4c6e"
 *   wal_directory_path = "/var/lib/walnut/wal"
 *   checkpoint_directory_path = "/var/lib/walnut/checkpoints"
 *   last_checkpoint_id = 3
 *   last_checkpoint_index = 120000
 *   last_checkpoint_term = 2
 *   current_leader_value = 1
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { parse, stringify } from "smol-toml";
import { WalnutError, describeError, systemErrorCode } from "../lib/errors.js";
import { writeFileDurably } from "../lib/durable_file.js";
import { realFiles, type Files } from "../lib/files.js";

export const CONTROL_FILE_NAME = "control.toml";
const FORMAT_VERSION = 1;

export interface ControlFile {
  nodeId: number;
  clusterId: string;
  walDirectory: string;
  checkpointDirectory: string;
  /** Checkpoints taken over the node's life; LokiKV's last_checkpoint_id. */
  lastCheckpointId: number;
  lastCheckpointIndex: number;
  lastCheckpointTerm: number;
  /** The last leader this node knew of (0: none); LokiKV's current_leader_value. */
  leaderHint: number;
}

export function newControlFile(options: { dataDir: string; nodeId: number; random?: () => number }): ControlFile {
  return {
    nodeId: options.nodeId,
    clusterId: options.random === undefined ? randomBytes(8).toString("hex") : randomHex(options.random, 16),
    walDirectory: join(options.dataDir, "wal"),
    checkpointDirectory: join(options.dataDir, "checkpoints"),
    lastCheckpointId: 0,
    lastCheckpointIndex: 0,
    lastCheckpointTerm: 0,
    leaderHint: 0,
  };
}

/** Reads control.toml from `dataDir`; null when the directory has none (a new node). */
export async function readControlFile(dataDir: string, files: Files = realFiles): Promise<ControlFile | null> {
  const path = join(dataDir, CONTROL_FILE_NAME);
  let text: string;
  try {
    text = await files.readFile(path, "utf8");
  } catch (error) {
    if (systemErrorCode(error) === "ENOENT") return null;
    throw new WalnutError("DATA_DIR", `Cannot read ${path}: ${describeError(error)}`, { cause: error });
  }
  let table: Record<string, unknown>;
  try {
    table = parse(text);
  } catch (error) {
    throw new WalnutError("CONTROL_CORRUPT", `Cannot parse ${path}: ${describeError(error)}`, { cause: error });
  }
  const number = (key: string): number => {
    const value = table[key];
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
      throw new WalnutError("CONTROL_CORRUPT", `Cannot parse ${path}: ${key} must be a non-negative integer`);
    }
    return value;
  };
  const text_ = (key: string): string => {
    const value = table[key];
    if (typeof value !== "string" || value === "") {
      throw new WalnutError("CONTROL_CORRUPT", `Cannot parse ${path}: ${key} must be a non-empty string`);
    }
    return value;
  };
  if (number("format_version") !== FORMAT_VERSION) {
    throw new WalnutError("CONTROL_CORRUPT", `Cannot parse ${path}: unsupported format_version ${String(table.format_version)}`);
  }
  return {
    nodeId: number("node_id"),
    clusterId: text_("cluster_id"),
    walDirectory: text_("wal_directory_path"),
    checkpointDirectory: text_("checkpoint_directory_path"),
    lastCheckpointId: number("last_checkpoint_id"),
    lastCheckpointIndex: number("last_checkpoint_index"),
    lastCheckpointTerm: number("last_checkpoint_term"),
    leaderHint: number("current_leader_value"),
  };
}

export async function writeControlFile(dataDir: string, control: ControlFile, files: Files = realFiles): Promise<void> {
  const text = stringify({
    format_version: FORMAT_VERSION,
    node_id: control.nodeId,
    self_identifier: control.nodeId,
    cluster_id: control.clusterId,
    wal_directory_path: control.walDirectory,
    checkpoint_directory_path: control.checkpointDirectory,
    last_checkpoint_id: control.lastCheckpointId,
    last_checkpoint_index: control.lastCheckpointIndex,
    last_checkpoint_term: control.lastCheckpointTerm,
    current_leader_value: control.leaderHint,
  });
  const contents = `# walnut control file: replaced atomically, do not edit while running\n${text}\n`;
  await writeFileDurably(join(dataDir, CONTROL_FILE_NAME), contents, { files });
}

/** `digits` hex digits from an injected random source (a simulated node's seeded one). */
function randomHex(random: () => number, digits: number): string {
  let text = "";
  for (let i = 0; i < digits; i++) text += Math.floor(random() * 16).toString(16);
  return text;
}
