/**
 * `walnut cli [-h host] [-p port] [-a secret] [--tls [--tls-ca F]] [--raw] [COMMAND ...]`:
 * a REPL in the spirit of redis-cli and LokiKV's prompt, or one command and exit.
 *
 * It speaks RESP to any walnut node. Besides walnut's commands it accepts LokiKV's slash
 * commands, so that the seeds' sessions replay unchanged:
 *   /c_hcol NAME     create a hash collection        /selectcol NAME   switch to it (USE)
 *   /c_bcol NAME     create an ordered collection    /listcolnames     list collections
 *   /c_bcust NAME    create an ordered collection    /getcur_colname   the current collection
 *   DISPLAY          every key and value of the current collection
 */
import { readFileSync } from "node:fs";
import { appendFile, readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { RespClient } from "../client/resp_client.js";
import type { Reply } from "../commands/reply.js";
import type { OptionSpec } from "../config/options.js";
import { resolveSettings, settingBoolean, settingNumber, settingString } from "../config/resolve.js";
import { fromText } from "../engine/bytes.js";
import { splitInlineArguments } from "../server/resp/inline.js";
import { formatPretty, formatRaw } from "./format_reply.js";

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
LokiKV aliases: /c_hcol NAME, /c_bcol NAME, /c_bcust NAME, /selectcol NAME, /listcolnames,
/getcur_colname, DISPLAY.`;

interface Session {
  client: RespClient;
  collection: string;
  raw: boolean;
  print(text: string): void;
}

/** Splits a typed line with redis-cli's quoting rules; null when quotes are unbalanced. */
function splitLine(line: string): string[] | null {
  const bytes = Buffer.from(fromText(line), "latin1");
  return splitInlineArguments(bytes, 0, bytes.length);
}

/** LokiKV's slash commands as walnut commands; the argv unchanged when it is not one. */
function translateAlias(argv: string[], session: Session): string[] | "handled" {
  const [name, ...rest] = argv;
  switch (name?.toLowerCase()) {
    case "/c_hcol":
      return ["COLLECTION", "CREATE", ...rest, "hash"];
    case "/c_bcol":
    case "/c_bcust":
      return ["COLLECTION", "CREATE", ...rest, "ordered"];
    case "/selectcol":
      return ["USE", ...rest];
    case "/listcolnames":
      return ["COLLECTION", "LIST"];
    case "/getcur_colname":
      session.print(session.raw ? session.collection : `"${session.collection}"`);
      return "handled";
    default:
      return argv;
  }
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
  const translated = translateAlias(argv, session);
  if (translated === "handled") return null;
  const reply = await session.client.command(translated.map((arg) => Buffer.from(arg, "latin1")));
  if (translated[0]?.toUpperCase() === "USE" && reply.type === "status" && translated[1] !== undefined) {
    session.collection = translated[1];
  }
  session.print(session.raw ? formatRaw(reply) : formatPretty(reply));
  return reply;
}

async function loadHistory(): Promise<string[]> {
  const text = await readFile(HISTORY_FILE, "utf8").catch(() => "");
  return text.split("\n").filter((line) => line !== "").slice(-HISTORY_LINES_MAX).reverse();
}

async function repl(session: Session, prompt: () => string): Promise<void> {
  const lines = createInterface({
    input: process.stdin,
    output: process.stdout,
    history: await loadHistory(),
    historySize: HISTORY_LINES_MAX,
    terminal: process.stdin.isTTY === true,
  });
  lines.setPrompt(prompt());
  lines.prompt();
  for await (const line of lines) {
    const trimmed = line.trim();
    if (trimmed !== "") {
      await appendFile(HISTORY_FILE, `${trimmed}\n`).catch(() => undefined);
      if (/^(quit|exit)$/i.test(trimmed)) break;
      if (/^help$/i.test(trimmed)) session.print(HELP);
      else {
        const argv = splitLine(trimmed);
        if (argv === null) session.print("Invalid argument(s): unbalanced quotes");
        else if (argv.length > 0) await run(session, argv).catch((error: Error) => session.print(`(error) ${error.message}`));
      }
    }
    lines.setPrompt(prompt());
    lines.prompt();
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
  const session: Session = { client, collection: "default", raw, print: (text) => void process.stdout.write(`${text}\n`) };
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
