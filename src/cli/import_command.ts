/**
 * `walnut import --from redis://host:port[/db] [--to host:port | --to DATA_DIR]`: copies a
 * live Redis into walnut (redis_import.ts). With `--to host:port` (default 127.0.0.1:6380)
 * keys are written through a running walnut's RESP server, so they are logged and
 * replicated; with `--to DATA_DIR` walnut is opened in this process on that data directory
 * (no node may be running on it) and written through the embedded API.
 *
 * On a terminal, a progress line is redrawn on stderr; the summary (keys copied by type,
 * skipped by type, gone) and the count check go to stdout. Exit code 1 when the counts do
 * not agree (the source changed during the import) or keys were skipped.
 */
import type { ByteString } from "../engine/bytes.js";
import { RespClient } from "../client/resp_client.js";
import { formatOptions, type OptionSpec } from "../config/options.js";
import { resolveSettings, settingNumber, settingString } from "../config/resolve.js";
import { lookupDataCommand } from "../commands/table.js";
import { open, type Db } from "../db.js";
import { WalnutError } from "../lib/errors.js";
import { importFromRedis, keysAccountedFor, type CommandSource, type CommandTarget, type ImportReport } from "./redis_import.js";

const importOptions: readonly OptionSpec[] = [
  { name: "from", kind: "string", description: "The Redis to copy: redis://[user:password@]host[:port][/db] (required)" },
  { name: "to", kind: "string", default: "127.0.0.1:6380", description: "A running walnut's RESP address host:port, or a data directory to open here" },
  { name: "user", kind: "string", default: "default", description: "walnut user to sign in as (over RESP)" },
  { name: "password", alias: "a", kind: "string", description: "walnut password (over RESP)" },
  { name: "scan-count", kind: "integer", default: "1000", description: "Keys asked of the source per SCAN call" },
];

const USAGE = "walnut import --from redis://host:port[/db] [--to host:port | --to DATA_DIR] [-a password]";
const REDIS_PORT_DEFAULT = 6379;
/** Redraw the progress line at most this often. */
const PROGRESS_INTERVAL_MS = 200;

interface RedisAddress {
  host: string;
  port: number;
  user: string | null;
  password: string | null;
  db: number;
}

/** Parses redis://[user[:password]@]host[:port][/db]. */
export function parseRedisUrl(text: string): RedisAddress {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new WalnutError("BAD_ARGUMENT", `Cannot import: --from "${text}" is not a URL like redis://127.0.0.1:6379`);
  }
  if (url.protocol !== "redis:") throw new WalnutError("BAD_ARGUMENT", `Cannot import: --from must be a redis:// URL, not ${url.protocol}//`);
  const dbText = url.pathname.replace(/^\//, "");
  if (dbText !== "" && !/^[0-9]+$/.test(dbText)) throw new WalnutError("BAD_ARGUMENT", `Cannot import: database "${dbText}" in --from is not a number`);
  return {
    host: url.hostname === "" ? "127.0.0.1" : url.hostname.replace(/^\[|\]$/g, ""),
    port: url.port === "" ? REDIS_PORT_DEFAULT : Number(url.port),
    user: url.username === "" ? null : decodeURIComponent(url.username),
    password: url.password === "" ? null : decodeURIComponent(url.password),
    db: dbText === "" ? 0 : Number(dbText),
  };
}

/** host:port (optionally redis://host:port) names a running node; anything else is a data directory. */
function respAddress(to: string): { host: string; port: number } | null {
  const match = /^(?:redis:\/\/)?([^/:]+|\[[^\]]+\]):([0-9]{1,5})$/.exec(to);
  return match === null ? null : { host: match[1].replace(/^\[|\]$/g, ""), port: Number(match[2]) };
}

function latin1(argv: readonly ByteString[]): Buffer[] {
  return argv.map((argument) => Buffer.from(argument, "latin1"));
}

async function expectOk(client: RespClient, argv: ByteString[], what: string): Promise<void> {
  const reply = await client.command(latin1(argv));
  if (reply.type === "error") throw new WalnutError("BAD_ARGUMENT", `Cannot import: ${what} answered ${reply.text}`);
}

async function connectSource(address: RedisAddress): Promise<{ source: CommandSource; close(): void }> {
  const client = await RespClient.connect({ host: address.host, port: address.port });
  if (address.password !== null) {
    await expectOk(client, address.user === null ? ["AUTH", address.password] : ["AUTH", address.user, address.password], "the source's AUTH");
  }
  if (address.db !== 0) await expectOk(client, ["SELECT", String(address.db)], `the source's SELECT ${address.db}`);
  return { source: { command: (argv) => client.command(latin1(argv)) }, close: () => client.close() };
}

function respTarget(client: RespClient): CommandTarget {
  return {
    command: (argv) => client.command(latin1(argv)),
    async atomically(commands) {
      const replies = await Promise.all([["MULTI"], ...commands, ["EXEC"]].map((argv) => client.command(latin1(argv))));
      const exec = replies[replies.length - 1];
      if (exec.type !== "array") {
        const refused = replies.find((reply) => reply.type === "error");
        const why = refused?.type === "error" ? refused.text : `EXEC answered ${exec.type}`;
        throw new WalnutError("BAD_ARGUMENT", `Cannot import: walnut refused the write of ${commands[0]?.[1] ?? "a key"}: ${why}`);
      }
    },
    async hasCommands(names) {
      const reply = await client.command(["COMMAND", "INFO", ...names]);
      if (reply.type !== "array") throw new WalnutError("BAD_ARGUMENT", "Cannot import: the target did not answer COMMAND INFO");
      return names.map((_, index) => reply.items[index]?.type === "array");
    },
  };
}

async function connectTarget(settings: { to: string; user: string; password: string | undefined }): Promise<{ target: CommandTarget; close(): Promise<void> }> {
  const address = respAddress(settings.to);
  if (address === null) {
    const db = await open({ dir: settings.to });
    return { target: embeddedTarget(db), close: () => db.close() };
  }
  const client = await RespClient.connect(address);
  if (settings.password !== undefined) await expectOk(client, ["AUTH", settings.user, settings.password], "walnut's AUTH");
  return { target: respTarget(client), close: async () => client.close() };
}

function embeddedTarget(db: Db): CommandTarget {
  return {
    command: (argv) => db.command(...latin1(argv)),
    async atomically(commands) {
      await db.batch(commands.map((argv) => ({ op: "command" as const, args: latin1(argv) })));
    },
    hasCommands: async (names) => names.map((name) => lookupDataCommand(name) !== undefined),
  };
}

/** A progress line redrawn on a terminal (at most every PROGRESS_INTERVAL_MS, and once at the end); nothing when stderr is not one. */
function progressLine(stream: NodeJS.WriteStream): { update(read: number, total: number): void; finish(): void } {
  let lastDrawMs = 0;
  let last: { read: number; total: number } | null = null;
  const draw = ({ read, total }: { read: number; total: number }): void => {
    const percent = total === 0 ? 100 : Math.min(100, Math.floor((read * 100) / total));
    stream.write(`\rimporting: ${read} of ${total} keys (${percent}%)`);
  };
  return {
    update(read, total) {
      if (stream.isTTY !== true) return;
      last = { read, total };
      const nowMs = Date.now();
      if (nowMs - lastDrawMs < PROGRESS_INTERVAL_MS) return;
      lastDrawMs = nowMs;
      draw(last);
    },
    finish() {
      if (last === null) return;
      draw(last);
      stream.write("\n");
    },
  };
}

function byType(counts: Map<string, number>): string {
  return [...counts].map(([type, count]) => `${type} ${count}`).join(", ");
}

/** The summary lines, and whether the import is complete (nothing skipped, the counts agree). */
export function summarize(report: ImportReport): { lines: string[]; complete: boolean } {
  const copied = [...report.copied.values()].reduce((sum, count) => sum + count, 0);
  const skipped = [...report.skipped.values()].reduce((sum, count) => sum + count, 0);
  const lines = [`copied ${copied} keys${copied > 0 ? ` (${byType(report.copied)})` : ""}`];
  if (skipped > 0) lines.push(`skipped ${skipped} keys of types walnut does not hold yet (${byType(report.skipped)})`);
  if (report.gone > 0) lines.push(`${report.gone} keys were deleted or expired at the source before they could be read`);
  const accounted = keysAccountedFor(report);
  const agree = accounted === report.sourceKeysAtStart && report.sourceKeysAtEnd === report.sourceKeysAtStart;
  lines.push(
    agree
      ? `count check: the source's DBSIZE ${report.sourceKeysAtStart} = ${copied} copied + ${skipped} skipped + ${report.gone} gone`
      : `count check FAILED: the source's DBSIZE was ${report.sourceKeysAtStart} at the start and ${report.sourceKeysAtEnd} at the end, ${accounted} keys were read (${copied} copied, ${skipped} skipped, ${report.gone} gone): the source changed during the import; run it again to copy the rest`,
  );
  return { lines, complete: agree && skipped === 0 };
}

export async function runImport(argv: string[]): Promise<number> {
  if (argv.includes("--help")) {
    process.stdout.write(`usage: ${USAGE}\n\n${formatOptions(importOptions, "text")}\n`);
    return 0;
  }
  const settings = resolveSettings(importOptions, { argv, env: {}, command: "import" });
  if (settings.positionals.length > 0) throw new WalnutError("BAD_ARGUMENT", `Cannot import: unexpected argument "${settings.positionals[0]}"`);
  const from = settingString(settings, "from");
  if (from === undefined) throw new WalnutError("BAD_ARGUMENT", "Cannot import: --from redis://host:port is required");
  const scanCount = settingNumber(settings, "scan-count");
  if (scanCount < 1) throw new WalnutError("BAD_ARGUMENT", "Cannot import: --scan-count must be at least 1");
  const { source, close: closeSource } = await connectSource(parseRedisUrl(from));
  try {
    const { target, close: closeTarget } = await connectTarget({
      to: settingString(settings, "to") ?? "127.0.0.1:6380",
      user: settingString(settings, "user") ?? "default",
      password: settingString(settings, "password"),
    });
    try {
      const progress = progressLine(process.stderr);
      const report = await importFromRedis({ source, target, scanCount, progress: (read, total) => progress.update(read, total) });
      progress.finish();
      const { lines, complete } = summarize(report);
      process.stdout.write(`${lines.join("\n")}\n`);
      return complete ? 0 : 1;
    } finally {
      await closeTarget();
    }
  } finally {
    closeSource();
  }
}
