/**
 * The runner's side of file_system_faults_preload.ts: one switch file per node, the
 * environment that loads the preload into that node, and set/clear of its faults. A
 * switch is rewritten atomically (write to a temporary name, rename) so the preload
 * never reads half of one.
 */
import { rename, writeFile } from "node:fs/promises";
import { join } from "node:path";

const preloadUrl = new URL("./file_system_faults_preload.js", import.meta.url).href;

export interface FileSystemFaults {
  /** Every write under the data directory fails with ENOSPC. */
  diskFull?: boolean;
  /** Every fsync / fdatasync under the data directory waits this long first. */
  fsyncDelayMs?: number;
}

export class FileSystemFaultSwitch {
  /** `directory` holds the switch files (one per node); it must exist. */
  constructor(private readonly directory: string) {}

  /** The environment that starts a node with the preload, switched by its own file. */
  environment(node: number, dataDir: string): Record<string, string> {
    const inherited = process.env.NODE_OPTIONS ?? "";
    return {
      NODE_OPTIONS: `${inherited} --import=${preloadUrl}`.trim(),
      WALNUT_FAULTS_CONTROL: this.path(node),
      WALNUT_FAULTS_DATA_DIR: dataDir,
    };
  }

  async set(node: number, faults: FileSystemFaults): Promise<void> {
    const path = this.path(node);
    await writeFile(`${path}.tmp`, JSON.stringify(faults));
    await rename(`${path}.tmp`, path);
  }

  async clear(node: number): Promise<void> {
    await this.set(node, {});
  }

  private path(node: number): string {
    return join(this.directory, `node-${node}.json`);
  }
}
