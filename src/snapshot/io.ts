/**
 * What checkpoint files are read and written through: a file system, compression, and a
 * clock and a yield for the writer's slices. The real ones by default; the deterministic
 * simulator (src/sim/) hands in an in-memory disk, compression on the calling thread
 * (the thread pool's timing would make a run unrepeatable) and its virtual time.
 */
import { promisify } from "node:util";
import { deflateRaw, deflateRawSync, inflateRaw, inflateRawSync } from "node:zlib";
import { realClock, realTimers, type Clock, type Timers } from "../lib/environment.js";
import { realFiles, type Files } from "../lib/files.js";

export interface CheckpointIo {
  files: Files;
  deflateRaw(data: Buffer, level: number): Promise<Buffer>;
  /** Inflates to at most `maxOutputLength` bytes (more is an error). */
  inflateRaw(data: Buffer, maxOutputLength: number): Promise<Buffer>;
  clock: Pick<Clock, "monotonicMs">;
  /** Between slices of a checkpoint: lets the event loop serve clients. */
  yieldTurn: Timers["yieldTurn"];
}

const deflateRawAsync = promisify(deflateRaw);
const inflateRawAsync = promisify(inflateRaw);

/** The real file system; compression on the thread pool. */
export const realCheckpointIo: CheckpointIo = {
  files: realFiles,
  deflateRaw: (data, level) => deflateRawAsync(data, { level }),
  inflateRaw: (data, maxOutputLength) => inflateRawAsync(data, { maxOutputLength }),
  clock: realClock,
  yieldTurn: realTimers.yieldTurn,
};

/** Checkpoint I/O over `files` that compresses on the calling thread: the same bytes, in a repeatable order. */
export function inlineCheckpointIo(files: Files, clock: Pick<Clock, "monotonicMs">, yieldTurn: Timers["yieldTurn"]): CheckpointIo {
  return {
    files,
    deflateRaw: (data, level) => Promise.resolve(deflateRawSync(data, { level })),
    inflateRaw: async (data, maxOutputLength) => inflateRawSync(data, { maxOutputLength }),
    clock,
    yieldTurn,
  };
}
