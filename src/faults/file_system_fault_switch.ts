/**
 * The runner's side of file_system_faults_preload.ts: one switch file per node, the
 * environment that loads the preload into that node, set/clear of its faults, and the
 * node's sync log (how far each of its files is durable). A
 * switch is rewritten atomically (write to a temporary name, rename) so the preload
 * never reads half of one.
 */
import { readFile, rename, writeFile } from "node:fs/promises";
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

  /** From node's sync log: each file's size at its last successful fsync (path → bytes), renames applied. */
  async syncedSizes(node: number): Promise<Map<string, number>> {
    const text = await readFile(`${this.path(node)}.synced`, "utf8").catch(() => "");
    const sizes = new Map<string, number>();
    for (const line of text.split("\n")) {
      const fields = line.split("\t");
      if (fields[0] === "rename" && fields.length === 3) {
        const [, from, to] = fields as [string, string, string];
        const size = sizes.get(from);
        sizes.delete(from);
        if (size === undefined) sizes.delete(to);
        else sizes.set(to, size);
      } else if (fields.length === 2 && fields[0] !== "") {
        sizes.set(fields[0] as string, Number(fields[1]));
      }
    }
    return sizes;
  }

  private path(node: number): string {
    return join(this.directory, `node-${node}.json`);
  }
}
