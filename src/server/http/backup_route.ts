/**
 * GET /backup: a consistent copy of this node's state, as one checkpoint file.
 *
 * The node takes a fresh full checkpoint (joining one already running, unless that one is
 * an incremental delta, which is not self-contained) and streams that file
 * as application/octet-stream. The headers say what arrives before it does:
 *
 *   Content-Length:  the file's size in bytes
 *   X-Walnut-Index:  the last log index the checkpoint covers
 *   X-Walnut-Term:   that entry's term
 *   X-Walnut-Crc32:  zlib.crc32 (IEEE) of the whole file, as an unsigned decimal
 *
 * The file is opened as soon as the checkpoint is written and read through that one
 * handle, so pruning (which keeps the two newest checkpoints) may delete its name while
 * it streams without cutting the download short. It is read twice, once for the CRC the
 * headers carry and once to send; the second read comes from the page cache. On a
 * follower the copy is of what the follower has applied, which may trail the leader.
 * The route needs the admin category (server/acl.ts).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { open, type FileHandle } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { crc32 } from "node:zlib";
import { assert } from "../../lib/assert.js";
import { describeError, systemErrorCode } from "../../lib/errors.js";
import type { ServerContext } from "../server_context.js";
import { HttpError } from "./json.js";

/** Bytes read per step while computing the CRC. */
const CRC_READ_CHUNK_BYTES = 1024 * 1024;

/** Streams a fresh checkpoint of `context.db` to the client. */
export async function sendBackup(context: ServerContext, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const info = await context.db.checkpoint({ full: true }).catch((error: unknown) => {
    throw new HttpError(503, `Cannot take a checkpoint for the backup: ${describeError(error)}`);
  });
  const handle = await openCheckpoint(info.path);
  try {
    const sizeBytes = (await handle.stat()).size;
    assert(sizeBytes > 0, `checkpoint ${info.path} is empty`);
    const crc = await fileCrc32(handle, sizeBytes);
    response.writeHead(200, {
      "content-type": "application/octet-stream",
      "content-length": sizeBytes,
      "content-disposition": `attachment; filename="walnut-${info.index}-${info.term}.ckpt"`,
      "x-walnut-index": String(info.index),
      "x-walnut-term": String(info.term),
      "x-walnut-crc32": String(crc),
    });
    if (request.method === "HEAD") {
      response.end();
      return;
    }
    await pipeline(handle.createReadStream({ start: 0, end: sizeBytes - 1, autoClose: false }), response);
  } finally {
    await handle.close();
  }
}

async function openCheckpoint(path: string): Promise<FileHandle> {
  try {
    return await open(path, "r");
  } catch (error) {
    // Two newer checkpoints finished between writing this one and opening it: pruned.
    if (systemErrorCode(error) === "ENOENT") throw new HttpError(503, "Cannot send the backup: its checkpoint was pruned already; retry");
    throw error;
  }
}

async function fileCrc32(handle: FileHandle, sizeBytes: number): Promise<number> {
  const buffer = Buffer.allocUnsafe(Math.min(CRC_READ_CHUNK_BYTES, sizeBytes));
  let crc = 0;
  let position = 0;
  while (position < sizeBytes) {
    const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, sizeBytes - position), position);
    if (bytesRead === 0) throw new HttpError(500, `Cannot read the checkpoint for the backup: it ended at byte ${position} of ${sizeBytes}`);
    crc = crc32(buffer.subarray(0, bytesRead), crc);
    position += bytesRead;
  }
  return crc;
}
