/**
 * `walnut acl hash-password`: reads a password from stdin (its first line, without the
 * line ending) and prints the ACL file line that stores it as an scrypt hash:
 *
 *   $ printf '%s\n' 'correct horse' | walnut acl hash-password
 *   password_scrypt = "scrypt$16384$8$1$...$..."
 *
 * The password never goes on the command line, where other users could see it in ps.
 */
import { WalnutError } from "../lib/errors.js";
import { hashPassword } from "../server/password_hash.js";

/** Longest password read, in bytes: more is surely the wrong input. */
const MAX_PASSWORD_BYTES = 4096;

const USAGE = `usage: walnut acl hash-password < password.txt

Reads a password from stdin (the first line) and prints a password_scrypt line for the
--aclfile user table (see docs/security.md).`;

async function readFirstLine(input: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let sizeBytes = 0;
  for await (const chunk of input) {
    const buffer = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
    chunks.push(buffer);
    sizeBytes += buffer.length;
    if (buffer.includes(0x0a) || sizeBytes > MAX_PASSWORD_BYTES) break;
  }
  const bytes = Buffer.concat(chunks);
  const newline = bytes.indexOf(0x0a);
  const line = newline < 0 ? bytes : bytes.subarray(0, newline > 0 && bytes[newline - 1] === 0x0d ? newline - 1 : newline);
  if (line.length > MAX_PASSWORD_BYTES) {
    throw new WalnutError("BAD_ARGUMENT", `Cannot hash the password: it is longer than ${MAX_PASSWORD_BYTES} bytes`);
  }
  return line.toString("latin1");
}

export async function runAcl(argv: string[]): Promise<number> {
  const [action, ...rest] = argv;
  if (action === undefined || action === "--help" || action === "-h" || action === "help") {
    process.stdout.write(`${USAGE}\n`);
    return action === undefined ? 2 : 0;
  }
  if (action === "hash-password" && (rest.includes("--help") || rest.includes("-h"))) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (action !== "hash-password" || rest.length > 0) {
    process.stderr.write(`walnut acl: unknown arguments "${argv.join(" ")}"\n\n${USAGE}\n`);
    return 2;
  }
  if (process.stdin.isTTY === true) process.stderr.write("Password (shown as you type; end with Enter): ");
  const password = await readFirstLine(process.stdin);
  if (password === "") throw new WalnutError("BAD_ARGUMENT", "Cannot hash the password: stdin gave an empty password");
  process.stdout.write(`password_scrypt = "${await hashPassword(password)}"\n`);
  return 0;
}
