/**
 * Reading a checkpoint file that a restore is about to rely on: all of it is loaded and
 * verified (every frame's CRC, every structure), and any problem becomes one clear refusal.
 */
import { WalnutError, isWalnutError, systemErrorCode } from "../lib/errors.js";
import { readCheckpoint, type LoadedCheckpoint } from "../snapshot/reader.js";
import { loadChain, type CheckpointChain } from "../snapshot/store.js";

/** @param action what the caller is doing, for the message: "restore from backup.ckpt" */
export async function verifiedCheckpoint(path: string, action: string): Promise<LoadedCheckpoint> {
  try {
    return await readCheckpoint(path);
  } catch (error) {
    if (systemErrorCode(error) === "ENOENT") throw new WalnutError("BAD_ARGUMENT", `Cannot ${action}: ${path} does not exist`);
    if (!isWalnutError(error)) throw error;
    throw new WalnutError(error.code, `Cannot ${action}: ${path} is not a valid checkpoint (${error.message})`, { cause: error });
  }
}

/** A full checkpoint and the deltas after it (snapshot/store.ts), all verified; as verifiedCheckpoint. */
export async function verifiedChain(chain: CheckpointChain, action: string): Promise<LoadedCheckpoint> {
  try {
    return await loadChain(chain);
  } catch (error) {
    if (!isWalnutError(error)) throw error;
    throw new WalnutError(error.code, `Cannot ${action}: ${error.message}`, { cause: error });
  }
}
