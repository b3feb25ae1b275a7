/**
 * `walnut backup --host H -p HTTP_PORT --out FILE`: a consistent copy of a live node.
 *
 * Talks to the node's HTTP API (GET /backup, server/http/backup_route.ts), so -p is the
 * HTTP port (serve's --http-port, 8380 by default), not the RESP port. The checkpoint
 * streams into FILE.tmp; only once its size and CRC match the headers and the whole file
 * reads back as a valid checkpoint (every frame's CRC, every structure) is it fsynced and
 * renamed to FILE. A failed backup leaves FILE as it was.
 */
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { readFileSync } from "node:fs";
import { open, rm, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { crc32 } from "node:zlib";
import { formatOptions, type OptionSpec } from "../config/options.js";
import { resolveSettings, settingBoolean, settingNumber, settingString } from "../config/resolve.js";
import { WalnutError, describeError, systemErrorCode } from "../lib/errors.js";
import { stderrLog } from "../lib/log.js";
import { renameDurably } from "../lib/durable_file.js";
import { readCheckpoint } from "../snapshot/reader.js";
import { downloadProgress } from "./download_progress.js";

/** Give up when the node sends nothing for this long (taking the checkpoint included). */
const IDLE_TIMEOUT_MS = 10 * 60_000;
/** Largest error body read from the node. */
const ERROR_BODY_BYTES_MAX = 64 * 1024;

const backupOptions: readonly OptionSpec[] = [
  { name: "host", alias: "h", kind: "string", default: "127.0.0.1", description: "The node's host" },
  { name: "http-port", alias: "p", kind: "port", default: "8380", description: "The node's HTTP port (serve's --http-port), not its RESP port" },
  { name: "out", kind: "path", description: "Where to write the backup (required); written to FILE.tmp first" },
  { name: "user", kind: "string", default: "default", description: "User to sign in as; it needs the admin category" },
  { name: "password", alias: "a", kind: "string", description: "The user's password (--requirepass for the default user)" },
  { name: "tls", kind: "boolean", default: "false", description: "Connect with HTTPS (the node runs with --tls-cert)" },
  { name: "tls-ca", kind: "path", description: "CA certificate to verify the node with" },
];

interface Download {
  index: number;
  term: number;
  crc: number;
  sizeBytes: number;
}

export async function runBackup(argv: string[]): Promise<number> {
  if (argv.includes("--help")) {
    process.stdout.write(`usage: walnut backup [-h host] [-p http-port] [-a password] --out FILE\n\n${formatOptions(backupOptions, "text")}\n`);
    return 0;
  }
  const settings = resolveSettings(backupOptions, { argv, env: {}, command: "backup" });
  const out = settingString(settings, "out");
  if (out === undefined) throw new WalnutError("BAD_ARGUMENT", "Cannot back up: --out FILE is required");
  if (settings.positionals.length > 0) throw new WalnutError("BAD_ARGUMENT", `Cannot back up: unexpected argument "${settings.positionals[0]}"`);
  await checkOutputDirectory(out);
  const log = stderrLog("walnut backup");
  const response = await requestBackup({
    host: settingString(settings, "host") ?? "127.0.0.1",
    port: settingNumber(settings, "http-port"),
    user: settingString(settings, "user") ?? "default",
    password: settingString(settings, "password") ?? null,
    tls: settingBoolean(settings, "tls"),
    caPath: settingString(settings, "tls-ca") ?? null,
  });
  const expected = expectedDownload(response);
  log(`receiving the checkpoint at index ${expected.index}, term ${expected.term}: ${expected.sizeBytes} bytes`);
  const temporaryPath = `${out}.tmp`;
  try {
    const received = await receive(response, temporaryPath, expected.sizeBytes, log);
    if (received.sizeBytes !== expected.sizeBytes || received.crc !== expected.crc) {
      throw new WalnutError(
        "CHECKPOINT_CORRUPT",
        `Cannot back up: received ${received.sizeBytes} bytes with CRC ${received.crc}, the node sent ${expected.sizeBytes} bytes with CRC ${expected.crc}`,
      );
    }
    const loaded = await readCheckpoint(temporaryPath);
    if (loaded.index !== expected.index || loaded.term !== expected.term) {
      throw new WalnutError("CHECKPOINT_CORRUPT", `Cannot back up: the file holds index ${loaded.index}, term ${loaded.term}, the node announced ${expected.index}, ${expected.term}`);
    }
    await renameDurably(temporaryPath, resolve(out));
    process.stdout.write(`backup ${out}: index ${loaded.index}, term ${loaded.term}, ${loaded.keys} keys, ${expected.sizeBytes} bytes\n`);
    return 0;
  } catch (error) {
    await rm(temporaryPath, { force: true });
    throw error;
  }
}

/** Refuses an --out whose directory is missing, before the node spends a checkpoint on it. */
async function checkOutputDirectory(out: string): Promise<void> {
  const directory = dirname(resolve(out));
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(directory)).isDirectory();
  } catch (error) {
    const reason = systemErrorCode(error) === "ENOENT" ? "it does not exist" : describeError(error);
    throw new WalnutError("BAD_ARGUMENT", `Cannot back up into ${out}: its directory ${directory}: ${reason}`);
  }
  if (!isDirectory) throw new WalnutError("BAD_ARGUMENT", `Cannot back up into ${out}: ${directory} is not a directory`);
}

function requestBackup(options: { host: string; port: number; user: string; password: string | null; tls: boolean; caPath: string | null }): Promise<IncomingMessage> {
  const where = `${options.tls ? "https" : "http"}://${options.host}:${options.port}/backup`;
  const headers: Record<string, string> = {};
  if (options.password !== null) headers.authorization = `Basic ${Buffer.from(`${options.user}:${options.password}`, "latin1").toString("base64")}`;
  const ca = options.caPath === null ? undefined : readCa(options.caPath);
  return new Promise((resolvePromise, reject) => {
    const send = options.tls ? httpsRequest : httpRequest;
    const request = send({ host: options.host, port: options.port, path: "/backup", method: "GET", headers, ...(ca === undefined ? {} : { ca }) });
    request.setTimeout(IDLE_TIMEOUT_MS, () => request.destroy(new Error(`no answer for ${IDLE_TIMEOUT_MS / 1000}s`)));
    request.on("error", (error) => {
      // A RESP port answers in RESP, which the HTTP parser rejects (HPE_INVALID_CONSTANT...).
      const hint = systemErrorCode(error)?.startsWith("HPE_") === true ? " (is -p the node's HTTP port, serve's --http-port?)" : "";
      reject(new WalnutError("CHECKPOINT_IO", `Cannot back up from ${where}: ${describeError(error)}${hint}`, { cause: error }));
    });
    request.on("response", (response) => {
      if (response.statusCode === 200) return resolvePromise(response);
      void errorDetail(response).then((detail) =>
        reject(new WalnutError("CHECKPOINT_IO", `Cannot back up from ${where}: HTTP ${response.statusCode ?? "?"} ${detail}`)),
      );
    });
    request.end();
  });
}

function readCa(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new WalnutError("BAD_CONFIG", `Cannot read --tls-ca ${path}: ${describeError(error)}`);
  }
}

/** The node's JSON {"detail": ...} of a failed request, or its first bytes as text. */
async function errorDetail(response: IncomingMessage): Promise<string> {
  let body = "";
  try {
    for await (const chunk of response) {
      body += (chunk as Buffer).toString("utf8");
      if (body.length > ERROR_BODY_BYTES_MAX) break;
    }
    const parsed = JSON.parse(body) as { detail?: unknown };
    return typeof parsed.detail === "string" ? parsed.detail : body;
  } catch {
    return body.slice(0, 200);
  }
}

function expectedDownload(response: IncomingMessage): Download {
  const number = (name: string): number => {
    const text = response.headers[name];
    const value = typeof text === "string" && /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(value)) {
      response.destroy();
      throw new WalnutError("CHECKPOINT_IO", `Cannot back up: the node's answer has no valid ${name} header (got ${JSON.stringify(text)})`);
    }
    return value;
  };
  return { index: number("x-walnut-index"), term: number("x-walnut-term"), crc: number("x-walnut-crc32"), sizeBytes: number("content-length") };
}

/** Writes the body to `path` (fsynced), computing its CRC; reports progress on stderr. */
async function receive(response: IncomingMessage, path: string, totalBytes: number, log: (line: string) => void): Promise<{ sizeBytes: number; crc: number }> {
  const progress = downloadProgress({ totalBytes, stream: process.stderr, log });
  const handle = await open(path, "w", 0o644);
  let sizeBytes = 0;
  let crc = 0;
  try {
    for await (const chunk of response) {
      const bytes = chunk as Buffer;
      crc = crc32(bytes, crc);
      await handle.write(bytes);
      sizeBytes += bytes.length;
      progress.update(sizeBytes);
    }
    await handle.sync();
  } catch (error) {
    throw new WalnutError("CHECKPOINT_IO", `Cannot back up into ${path}: ${describeError(error)}`, { cause: error });
  } finally {
    await handle.close();
  }
  progress.finish();
  return { sizeBytes, crc };
}
