/**
 * LokiKV's vocabulary in `walnut cli`, so that the seeds' sessions replay: each LokiKV
 * command either becomes its walnut equivalent or is answered, without being sent, with
 * one line pointing to it. Only the CLI translates; over RESP every name keeps its Redis
 * meaning (PERSIST key removes a TTL there, as in Redis).
 *
 *   /c_hcol NAME, /c_bcol NAME, /c_bcust NAME   COLLECTION CREATE NAME hash|ordered
 *   /selectcol NAME                             USE NAME
 *   /listcolnames, /getcur_colname              COLLECTION LIST, the current collection
 *   SET k <BLOB_BEGINS>bytes<BLOB_ENDS>         SET k bytes AS blob
 *   PERSIST NAME (NAME a collection, not a key) a pointer: persistence is automatic; COLLECTION EXPORT
 *   LOAD_HMAP|LOAD_BMAP|LOAD_BCUST NAME         a pointer: collections are always loaded; COLLECTION IMPORT
 *   SHUTDOWN                                    sent as it is: walnut's SHUTDOWN works as Redis'
 *   DISPLAY                                     handled by the REPL (repl.ts)
 */
import type { Reply } from "../engine/reply.js";

/** What the CLI does with a typed command. */
export type LokiOutcome =
  | { kind: "send"; argv: string[] }
  /** Answered here, not sent: the lines to print. */
  | { kind: "answer"; lines: string[] };

export interface LokiSession {
  collection: string;
  raw: boolean;
  command(argv: string[]): Promise<Reply>;
}

const BLOB_BEGINS = "<BLOB_BEGINS>";
const BLOB_ENDS = "<BLOB_ENDS>";

/** The collections the server has, as [name, type] pairs. */
async function collections(session: LokiSession): Promise<Map<string, string>> {
  const reply = await session.command(["COLLECTION", "LIST"]);
  const found = new Map<string, string>();
  if (reply.type !== "array") return found;
  for (const row of reply.items) {
    if (row.type !== "array") continue;
    const [name, type] = row.items;
    if (name?.type === "bulk") found.set(name.value, type?.type === "bulk" ? type.value : "?");
  }
  return found;
}

/**
 * Joins a value LokiKV wrote as <BLOB_BEGINS>...<BLOB_ENDS> (it may have been split at
 * spaces) back into one argument. Returns the arguments with the blob's bytes in place
 * and where it is, or null when there are no markers.
 */
function findBlob(argv: string[]): { argv: string[]; at: number } | null | "unbalanced" {
  const start = argv.findIndex((arg) => arg.startsWith(BLOB_BEGINS));
  if (start < 0) return argv.some((arg) => arg.includes(BLOB_ENDS)) ? "unbalanced" : null;
  const end = argv.findIndex((arg, index) => index >= start && arg.endsWith(BLOB_ENDS));
  if (end < 0) return "unbalanced";
  const joined = argv.slice(start, end + 1).join(" ");
  const bytes = joined.slice(BLOB_BEGINS.length, joined.length - BLOB_ENDS.length);
  return { argv: [...argv.slice(0, start), bytes, ...argv.slice(end + 1)], at: start };
}

function blob(argv: string[]): LokiOutcome | null {
  const found = findBlob(argv);
  if (found === null) return null;
  const usage = `blob markers go around a SET value: SET key ${BLOB_BEGINS}bytes${BLOB_ENDS} (walnut's SET key bytes AS blob)`;
  if (found === "unbalanced") return { kind: "answer", lines: [`(error) ${usage}: a marker is missing`] };
  if (argv[0]?.toUpperCase() !== "SET" || found.at !== 2) return { kind: "answer", lines: [`(error) ${usage}`] };
  const [name, key, value, ...options] = found.argv as [string, string, string, ...string[]];
  return { kind: "send", argv: [name, key, value, "AS", "blob", ...options] };
}

/** PERSIST NAME meaning LokiKV's "write collection NAME to disk"; null to send Redis' PERSIST. */
async function persist(argv: string[], session: LokiSession): Promise<LokiOutcome | null> {
  const name = argv[1];
  if (argv.length !== 2 || name === undefined) return null;
  if (!(await collections(session)).has(name)) return null;
  const exists = await session.command(["EXISTS", name]);
  if (exists.type === "integer" && Number(exists.value) > 0) return null; // a key by that name: Redis' PERSIST
  return {
    kind: "answer",
    lines: [
      `walnut persists every write by itself (WAL, then checkpoints), so collection "${name}" is already on disk; ` +
        `to copy it to a file: COLLECTION EXPORT ${name} /path/on/server (PERSIST key removes a key's TTL, as in Redis)`,
    ],
  };
}

/** LOAD_HMAP NAME and friends: walnut never unloads a collection; IMPORT loads an exported file. */
async function load(argv: string[], session: LokiSession): Promise<LokiOutcome> {
  const command = (argv[0] as string).toUpperCase();
  const type = command === "LOAD_HMAP" ? "hash" : "ordered";
  const name = argv[1];
  if (argv.length !== 2 || name === undefined) return { kind: "answer", lines: [`(error) usage: ${command} collection`] };
  const existing = (await collections(session)).get(name);
  const importLine = `to load a file written by COLLECTION EXPORT: COLLECTION IMPORT /path/on/server ${name} ${type}`;
  return {
    kind: "answer",
    lines: [
      existing === undefined
        ? `walnut has no collection "${name}" (COLLECTION LIST shows them); ${importLine}`
        : `walnut keeps every collection loaded: "${name}" is here (${existing}); /selectcol ${name} uses it; ${importLine}`,
    ],
  };
}

/** The command to run for a typed line, or the answer to print instead. */
export async function translateLokiKv(argv: string[], session: LokiSession): Promise<LokiOutcome> {
  const [name, ...rest] = argv;
  const upper = name?.toUpperCase() ?? "";
  switch (name?.toLowerCase()) {
    case "/c_hcol":
      return { kind: "send", argv: ["COLLECTION", "CREATE", ...rest, "hash"] };
    case "/c_bcol":
    case "/c_bcust":
      return { kind: "send", argv: ["COLLECTION", "CREATE", ...rest, "ordered"] };
    case "/selectcol":
      return { kind: "send", argv: ["USE", ...rest] };
    case "/listcolnames":
      return { kind: "send", argv: ["COLLECTION", "LIST"] };
    case "/getcur_colname":
      return { kind: "answer", lines: [session.raw ? session.collection : `"${session.collection}"`] };
    default:
      break;
  }
  const blobbed = blob(argv);
  if (blobbed !== null) return blobbed;
  if (upper === "PERSIST") return (await persist(argv, session)) ?? { kind: "send", argv };
  if (upper === "LOAD_HMAP" || upper === "LOAD_BMAP" || upper === "LOAD_BCUST") return load(argv, session);
  return { kind: "send", argv };
}
