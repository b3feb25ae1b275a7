/**
 * One process per data directory. A second walnut on the same directory would interleave
 * two logs in one file: the LOCK file (holding the owner's pid) prevents it. A lock left
 * by a process that no longer exists (after kill -9) is taken over.
 */
import { join } from "node:path";
import { WalnutError, describeError, systemErrorCode } from "../lib/errors.js";
import { realFiles, type Files } from "../lib/files.js";
import { realProcesses, type Processes } from "../lib/environment.js";

const LOCK_FILE_NAME = "LOCK";

async function createLockFile(path: string, files: Files, pid: number): Promise<boolean> {
  try {
    const handle = await files.open(path, "wx", 0o644);
    await handle.writeFile(`${pid}\n`);
    await handle.close();
    return true;
  } catch (error) {
    if (systemErrorCode(error) === "EEXIST") return false;
    throw new WalnutError("DATA_DIR", `Cannot lock data directory: ${describeError(error)}`, { cause: error });
  }
}

export interface DataDirLock {
  release(): Promise<void>;
}

/**
 * Takes `dataDir`'s LOCK. `action` names what the caller was about to do, for the refusal
 * ("Cannot repair the WAL in D: a node (process 123) is running on it; stop it first").
 */
export async function lockDataDir(
  dataDir: string,
  action = `open data directory ${dataDir}`,
  files: Files = realFiles,
  processes: Processes = realProcesses,
): Promise<DataDirLock> {
  const path = join(dataDir, LOCK_FILE_NAME);
  for (let attempt = 0; attempt < 2; attempt++) {
    if (await createLockFile(path, files, processes.pid)) return { release: () => files.rm(path, { force: true }) };
    const owner = Number.parseInt(await files.readFile(path, "utf8").catch(() => ""), 10);
    if (Number.isInteger(owner) && owner !== processes.pid && processes.isAlive(owner)) {
      throw new WalnutError("DATA_DIR", `Cannot ${action}: it is in use by process ${owner} (a running node? stop it first)`);
    }
    if (owner === processes.pid) {
      throw new WalnutError("DATA_DIR", `Cannot ${action}: this process already has ${dataDir} open`);
    }
    await files.rm(path, { force: true }); // stale: its owner is gone
  }
  throw new WalnutError("DATA_DIR", `Cannot ${action}: another process keeps taking the lock of ${dataDir}`);
}
