/**
 * The file system as the node's checkpoint, control-file and snapshot-transfer code sees it:
 * the few promise calls of node:fs/promises they make, as an interface, so that the
 * deterministic simulator (src/sim/) can run the real node over an in-memory disk that
 * loses unsynced writes on a crash. `realFiles` is node:fs/promises itself.
 *
 * The WAL's append path has its own callback interface (src/wal/file_system.ts) for speed;
 * a simulated disk implements both over one store.
 */
import * as fsPromises from "node:fs/promises";

/** An open file: the FileHandle methods walnut uses. */
export interface FileHandleLike {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  write(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  writev(buffers: Buffer[], position: number): Promise<{ bytesWritten: number }>;
  /** Replaces the file's contents (the handle was opened for writing at offset 0). */
  writeFile(data: string | Uint8Array): Promise<void>;
  stat(): Promise<{ size: number }>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface Files {
  /** `flags` as node:fs takes them: "r", "r+", "w", "wx". */
  open(path: string, flags: string, mode?: number): Promise<FileHandleLike>;
  readFile(path: string, encoding: "utf8"): Promise<string>;
  readdir(path: string): Promise<string[]>;
  rename(from: string, to: string): Promise<void>;
  rm(path: string, options: { force: boolean }): Promise<void>;
  mkdir(path: string, options: { recursive: true }): Promise<unknown>;
}

/** The real file system (node:fs/promises). */
export const realFiles: Files = {
  open: (path, flags, mode) => fsPromises.open(path, flags, mode),
  readFile: (path, encoding) => fsPromises.readFile(path, encoding),
  readdir: (path) => fsPromises.readdir(path),
  rename: (from, to) => fsPromises.rename(from, to),
  rm: (path, options) => fsPromises.rm(path, options),
  mkdir: (path, options) => fsPromises.mkdir(path, options),
};

/** Reads a whole file in chunks of `chunkBytes` (what createReadStream does, over any Files). */
export async function* readChunks(files: Files, path: string, chunkBytes: number): AsyncGenerator<Buffer> {
  const handle = await files.open(path, "r");
  try {
    for (let position = 0; ; ) {
      const buffer = Buffer.allocUnsafe(chunkBytes);
      const { bytesRead } = await handle.read(buffer, 0, chunkBytes, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}
