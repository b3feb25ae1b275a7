/**
 * Redis's documented mass insertion: a file of RESP SET commands piped into
 * `redis-cli --pipe`, which sends them as fast as the server reads and reports how many
 * replies were errors. Used by the load benchmark and the bulk-load tests.
 */
import { spawn } from "node:child_process";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { Redis } from "ioredis";

/** Keys are written in chunks of this many commands (a 10M-key file is 1.4 GB: never one string). */
const COMMANDS_PER_CHUNK = 10_000;

export interface MassInsertionFile {
  readonly path: string;
  readonly keys: number;
  remove(): Promise<void>;
}

export interface PipeResult {
  errors: number;
  replies: number;
  /** What redis-cli printed (its summary, and the first error replies if any). */
  output: string;
}

/** A file of `keys` SETs of key:<n> to a value of `valueBytes` bytes, in a temporary directory. */
export async function writeMassInsertionFile(keys: number, valueBytes = 100): Promise<MassInsertionFile> {
  const dir = await mkdtemp(join(tmpdir(), "walnut-pipe-"));
  const path = join(dir, "sets.resp");
  const value = "v".repeat(valueBytes);
  const out = createWriteStream(path);
  for (let first = 0; first < keys; first += COMMANDS_PER_CHUNK) {
    const commands: string[] = [];
    for (let n = first; n < Math.min(first + COMMANDS_PER_CHUNK, keys); n++) {
      const key = `key:${n}`;
      commands.push(`*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${value.length}\r\n${value}\r\n`);
    }
    if (!out.write(commands.join(""))) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
  return { path, keys, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Runs `redis-cli -p port --pipe` with the file as its input; resolves with its summary. */
export function pipeInto(port: number, file: MassInsertionFile): Promise<PipeResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("redis-cli", ["-h", "127.0.0.1", "-p", String(port), "--pipe"], { stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    const keep = (chunk: Buffer): void => {
      if (output.length < 64 * 1024) output += chunk.toString();
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    createReadStream(file.path).pipe(child.stdin);
    child.on("error", reject);
    child.on("close", () => {
      const summary = /errors: (\d+), replies: (\d+)/.exec(output);
      if (summary === null) reject(new Error(`redis-cli --pipe printed no summary:\n${output}`));
      else resolve({ errors: Number(summary[1]), replies: Number(summary[2]), output });
    });
  });
}

/** DBSIZE of the server on `port`, through a connection of its own. */
export async function keyCount(port: number): Promise<number> {
  const client = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await client.connect();
    return await client.dbsize();
  } finally {
    client.disconnect();
  }
}
