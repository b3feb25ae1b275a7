/**
 * `walnut cli [-h host] [-p port] [-a secret] [--tls [--tls-ca F]] [--raw] [COMMAND ...]`:
 * a REPL in the spirit of redis-cli and LokiKV's prompt, or one command and exit.
 *
 * It speaks RESP to any walnut node. Besides walnut's commands it accepts LokiKV's
 * (lokikv.ts), so that the seeds' sessions replay: slash commands, blob markers, PERSIST
 * and LOAD_* with a collection name, SHUTDOWN, and DISPLAY (every key and value of the
 * current collection, handled here).
 */
import { readFileSync } from "node:fs";
import { appendFile, readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { RespClient } from "../client/resp_client.js";
import type { Reply } from "../engine/reply.js";
import type { OptionSpec } from "../config/options.js";
import { resolveSettings, settingBoolean, settingNumber, settingString } from "../config/resolve.js";
import { fromText } from "../engine/bytes.js";
import { splitInlineArguments } from "../resp/inline.js";
import { formatPretty, formatRaw } from "./format_reply.js";
import { translateLokiKv } from "./lokikv.js";

const cliOptions: readonly OptionSpec[] = [
  { name: "host", alias: "h", kind: "string", default: "127.0.0.1", description: "Server host" },
  { name: "port", alias: "p", kind: "port", default: "6380", description: "Server port" },
  { name: "password", alias: "a", kind: "string", description: "Password (AUTH)" },
  { name: "tls", kind: "boolean", default: "false", description: "Connect with TLS" },
  { name: "tls-ca", kind: "path", description: "CA certificate to verify the server with" },
  { name: "raw", kind: "boolean", description: "Print raw replies (default when output is not a terminal)" },
];

const HISTORY_FILE = join(homedir(), ".walnut_history");
const HISTORY_LINES_MAX = 1000;

const HELP = `walnut cli: type a command (SET k v, GET k, COLLECTION CREATE users ordered, USE users,
RANGE a z LIMIT 10, ...), "help" for this text, "quit" to leave.
Persistence is automatic: every write is in the WAL before it is answered, and checkpoints
follow. COLLECTION EXPORT name path / COLLECTION IMPORT path name hash|ordered copy one
collection to and from a file; SHUTDOWN [SAVE] stops the server.
LokiKV aliases: /c_hcol NAME, /c_bcol NAME, /c_bcust NAME, /selectcol NAME, /listcolnames,
/getcur_colname, DISPLAY, SET k <BLOB_BEGINS>bytes<BLOB_ENDS> (SET k bytes AS blob);
PERSIST NAME and LOAD_HMAP|LOAD_BMAP|LOAD_BCUST NAME answer with walnut's equivalent.`;

/** What a server's "invalid bulk length" most often means, which Redis' words do not say. */
const BULK_LIMIT_HINT =
  "(walnut cli) the server refused an argument larger than its --max-request-bytes (64 MiB unless set; CONFIG GET max-request-bytes shows it)";

interface Session {
  client: RespClient;
  collection: string;
  raw: boolean;
  print(text: string): void;
  /** Set once SHUTDOWN closed the connection: the REPL ends. */
  serverShutDown: boolean;
}

/** Splits a typed line with redis-cli's quoting rules; null when quotes are unbalanced. */
function splitLine(line: string): string[] | null {
  const bytes = Buffer.from(fromText(line), "latin1");
  return splitInlineArguments(bytes, 0, bytes.length);
}

async function display(session: Session): Promise<void> {
  let cursor = "0";
  const keys: string[] = [];
  do {
    const reply = await session.client.command(["SCAN", cursor, "COUNT", "1000"]);
    if (reply.type !== "array" || reply.items.length !== 2) return session.print(formatPretty(reply));
    const [next, batch] = reply.items;
    cursor = next?.type === "bulk" ? next.value : "0";
    if (batch?.type === "array") for (const item of batch.items) if (item.type === "bulk") keys.push(item.value);
  } while (cursor !== "0");
  if (keys.length === 0) return session.print("(empty collection)");
  keys.sort();
  const values = await session.client.command(["MGET", ...keys.map((k) => Buffer.from(k, "latin1"))]);
  const items = values.type === "array" ? values.items : [];
  keys.forEach((key, index) => {
    const value = items[index];
    session.print(`${formatRaw({ type: "bulk", value: key })} => ${value === undefined ? "?" : formatPretty(value)}`);
  });
}

async function run(session: Session, argv: string[]): Promise<Reply | null> {
  if (argv[0]?.toUpperCase() === "DISPLAY" && argv.length === 1) {
    await display(session);
    return null;
  }
  const command = (words: string[]): Promise<Reply> => session.client.command(words.map((arg) => Buffer.from(arg, "latin1")));
  const outcome = await translateLokiKv(argv, { collection: session.collection, raw: session.raw, command });
  if (outcome.kind === "answer") {
    for (const line of outcome.lines) session.print(line);
    return null;
  }
  const translated = outcome.argv;
  let reply: Reply;
  try {
    reply = await command(translated);
  } catch (error) {
    // Redis' SHUTDOWN answers nothing: the connection closing is its success.
    if (translated[0]?.toUpperCase() === "SHUTDOWN") {
      session.serverShutDown = true;
      if (!session.raw) session.print("(the server shut down)");
      return null;
    }
    throw error;
  }
  if (translated[0]?.toUpperCase() === "USE" && reply.type === "status" && translated[1] !== undefined) {
    session.collection = translated[1];
  }
  session.print(session.raw ? formatRaw(reply) : formatPretty(reply));
  if (reply.type === "error" && /invalid bulk length|request larger than/.test(reply.text)) session.print(BULK_LIMIT_HINT);
  return reply;
}

async function loadHistory(): Promise<string[]> {
  const text = await readFile(HISTORY_FILE, "utf8").catch(() => "");
  return text.split("\n").filter((line) => line !== "").slice(-HISTORY_LINES_MAX).reverse();
}

/**
 * On a terminal: a prompt, line editing and history (~/.walnut_history). Fed from a pipe
 * or a file (`echo "GET k" | walnut cli`), as redis-cli: no prompt in the output and
 * nothing added to the history, only the replies.
 */
async function repl(session: Session, prompt: () => string): Promise<void> {
  const interactive = process.stdin.isTTY === true;
  const lines = createInterface({
    input: process.stdin,
    output: process.stdout,
    history: interactive ? await loadHistory() : [],
    historySize: HISTORY_LINES_MAX,
    terminal: interactive,
  });
  const showPrompt = (): void => {
    if (!interactive) return;
    lines.setPrompt(prompt());
    lines.prompt();
  };
  showPrompt();
  for await (const line of lines) {
    const trimmed = line.trim();
    if (trimmed !== "") {
      if (interactive) await appendFile(HISTORY_FILE, `${trimmed}\n`).catch(() => undefined);
      if (/^(quit|exit)$/i.test(trimmed)) break;
      if (/^help$/i.test(trimmed)) session.print(HELP);
      else {
        const argv = splitLine(trimmed);
        if (argv === null) session.print("Invalid argument(s): unbalanced quotes");
        else if (argv.length > 0) await run(session, argv).catch((error: Error) => session.print(`(error) ${error.message}`));
      }
    }
    if (session.serverShutDown) break;
    showPrompt();
  }
  lines.close();
}

export async function runCli(argv: string[]): Promise<number> {
  if (argv.includes("--help")) {
    process.stdout.write(`usage: walnut cli [-h host] [-p port] [-a password] [--tls [--tls-ca F]] [--raw] [COMMAND ...]\n\n${HELP}\n`);
    return 0;
  }
  const settings = resolveSettings(cliOptions, { argv, env: {}, command: "cli", flagsEndAtFirstPositional: true });
  const host = settingString(settings, "host") ?? "127.0.0.1";
  const port = settingNumber(settings, "port");
  const caPath = settingString(settings, "tls-ca");
  const tls = settingBoolean(settings, "tls") ? (caPath === undefined ? {} : { ca: readFileSync(caPath) }) : undefined;
  const client = await RespClient.connect({ host, port, ...(tls === undefined ? {} : { tls }) });
  const raw = settings.values.has("raw") ? settingBoolean(settings, "raw") : process.stdout.isTTY !== true;
  const session: Session = { client, collection: "default", raw, print: (text) => void process.stdout.write(`${text}\n`), serverShutDown: false };
  try {
    const password = settingString(settings, "password");
    if (password !== undefined) {
      const reply = await client.command(["AUTH", password]);
      if (reply.type === "error") {
        session.print(`AUTH failed: ${reply.text}`);
        return 1;
      }
    }
    if (settings.positionals.length > 0) {
      const reply = await run(session, settings.positionals);
      return reply?.type === "error" ? 1 : 0;
    }
    await repl(session, () => `${host}:${port}${session.collection === "default" ? "" : `[${session.collection}]`}> `);
    return 0;
  } finally {
    client.close();
  }
}
