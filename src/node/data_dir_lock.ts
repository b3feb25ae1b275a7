/**
 * One process per data directory. A second walnut on the same directory would interleave
 * two logs in one file: the LOCK file (holding the owner's pid) prevents it. A lock left
 * by a process that no longer exists (after kill -9) is taken over.
 */
import { open, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { WalnutError, describeError, systemErrorCode } from "../lib/errors.js";

const LOCK_FILE_NAME = "LOCK";

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return systemErrorCode(error) === "EPERM";
  }
}

async function createLockFile(path: string): Promise<boolean> {
  try {
    const handle = await open(path, "wx", 0o644);
    await handle.writeFile(`${process.pid}\n`);
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

export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const path = join(dataDir, LOCK_FILE_NAME);
  for (let attempt = 0; attempt < 2; attempt++) {
    if (await createLockFile(path)) return { release: () => rm(path, { force: true }) };
    const owner = Number.parseInt(await readFile(path, "utf8").catch(() => ""), 10);
    if (Number.isInteger(owner) && owner !== process.pid && processIsAlive(owner)) {
      throw new WalnutError("DATA_DIR", `Cannot open data directory ${dataDir}: it is in use by process ${owner}`);
    }
    if (owner === process.pid) {
      throw new WalnutError("DATA_DIR", `Cannot open data directory ${dataDir}: this process already has it open`);
    }
    await rm(path, { force: true }); // stale: its owner is gone
  }
  throw new WalnutError("DATA_DIR", `Cannot lock data directory ${dataDir}: another process keeps taking the lock`);
}
