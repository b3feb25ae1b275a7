/**
 * The ACL file given by --aclfile: TOML, one table per user.
 *
 *   # Read and write, with a password (the line printed by `walnut acl hash-password`).
 *   [users.alice]
 *   password_scrypt = "scrypt$16384$8$1$q2cW2b0o0S8kz2H7b2Wc1g==$4m1cJ0l3...="
 *   categories = ["read", "write"]
 *
 *   # Dashboards: read without a password; this one replaces --requirepass's default user.
 *   [users.default]
 *   nopass = true
 *   categories = ["read"]
 *
 *   [users.ops]
 *   password_scrypt = "scrypt$16384$8$1$...$..."
 *   categories = ["all"]          # read, write and admin
 *   enabled = false               # optional, true when absent
 *
 * Every user has exactly one of password_scrypt and `nopass = true`, and a non-empty list
 * of categories (read, write, admin, all). Anything else is refused at start with the
 * file, the line of the user's table and the problem.
 */
import { readFileSync, statSync } from "node:fs";
import { parse, TomlError } from "smol-toml";
import { WalnutError, describeError } from "../lib/errors.js";
import { CATEGORIES, type AclUser, type Category } from "./acl.js";
import { parsePasswordHash, type PasswordHash } from "./password_hash.js";

const MAX_ACL_FILE_BYTES = 1024 * 1024;
const MAX_USERS = 10_000;
/** User names: printable, no spaces or colons (HTTP Basic splits at the first colon). */
const USER_NAME = /^[A-Za-z0-9_.@+-]{1,128}$/;
const USER_KEYS = new Set(["password_scrypt", "nopass", "categories", "enabled"]);

function problem(path: string, where: string, what: string): WalnutError {
  return new WalnutError("BAD_CONFIG", `Cannot load ACL file ${path}: ${where}${what}`);
}

/** "line 7, user alice: " where the user's table header is, else "user alice: ". */
function userLocation(text: string, name: string): string {
  const lines = text.split("\n");
  const escaped = name.replace(/[.*+?^${}()|[\]\\"']/g, "\\$&");
  const header = new RegExp(`^\\s*\\[\\s*users\\s*\\.\\s*("${escaped}"|'${escaped}'|${escaped})\\s*\\]`);
  const index = lines.findIndex((line) => header.test(line));
  return index < 0 ? `user ${name}: ` : `line ${index + 1}, user ${name}: `;
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function readCategories(value: unknown): Set<Category> | string {
  const accepted = `a non-empty list of ${[...CATEGORIES, "all"].map((name) => `"${name}"`).join(", ")}`;
  if (!Array.isArray(value) || value.length === 0) return `categories must be ${accepted}`;
  const categories = new Set<Category>();
  for (const entry of value) {
    if (entry === "all") CATEGORIES.forEach((category) => categories.add(category));
    else if (typeof entry === "string" && (CATEGORIES as readonly string[]).includes(entry)) categories.add(entry as Category);
    else return `categories: unknown category ${JSON.stringify(entry)}; expected ${accepted}`;
  }
  return categories;
}

function readPassword(entry: Record<string, unknown>): PasswordHash | null | string {
  const hash = entry.password_scrypt;
  const nopass = entry.nopass;
  if (nopass !== undefined && typeof nopass !== "boolean") return "nopass must be true or false";
  if (hash !== undefined && nopass === true) return "give either password_scrypt or nopass = true, not both";
  if (hash === undefined) return nopass === true ? null : 'no password: give password_scrypt (see "walnut acl hash-password") or nopass = true';
  if (typeof hash !== "string") return "password_scrypt must be a string";
  try {
    return parsePasswordHash(hash);
  } catch (error) {
    return `password_scrypt: ${describeError(error).replace(/^Cannot read password hash: /, "")}`;
  }
}

/** One user's table, or the problem with it. */
function readUser(name: string, entry: unknown): AclUser | string {
  if (!USER_NAME.test(name)) return "the name must be 1 to 128 letters, digits or _ . @ + -";
  if (!isTable(entry)) return "must be a table ([users.<name>])";
  const unknown = Object.keys(entry).find((key) => !USER_KEYS.has(key));
  if (unknown !== undefined) return `unknown key "${unknown}"; expected ${[...USER_KEYS].join(", ")}`;
  const enabled = entry.enabled ?? true;
  if (typeof enabled !== "boolean") return "enabled must be true or false";
  const categories = readCategories(entry.categories);
  if (typeof categories === "string") return categories;
  const passwordHash = readPassword(entry);
  if (typeof passwordHash === "string") return passwordHash;
  return { name, enabled, categories, passwordHash };
}

/** The users of an ACL file's text, by name; `path` names the file in errors. */
export function parseAclFile(text: string, path: string): Map<string, AclUser> {
  let document: Record<string, unknown>;
  try {
    document = parse(text);
  } catch (error) {
    const where = error instanceof TomlError ? `line ${error.line}, column ${error.column}: ` : "";
    throw problem(path, where, `not valid TOML: ${describeError(error).split("\n")[0]}`);
  }
  const stray = Object.keys(document).find((key) => key !== "users");
  if (stray !== undefined) throw problem(path, "", `unknown top-level key "${stray}"; users go in [users.<name>] tables`);
  const tables = document.users ?? {};
  if (!isTable(tables)) throw problem(path, "", "users must be tables: [users.<name>]");
  const names = Object.keys(tables);
  if (names.length > MAX_USERS) throw problem(path, "", `${names.length} users; at most ${MAX_USERS}`);
  const users = new Map<string, AclUser>();
  for (const name of names) {
    const user = readUser(name, tables[name]);
    if (typeof user === "string") throw problem(path, userLocation(text, name), user);
    users.set(name, user);
  }
  return users;
}

/** Reads and checks the ACL file at `path`; throws BAD_CONFIG naming the file and the problem. */
export function loadAclFile(path: string): Map<string, AclUser> {
  let text: string;
  try {
    const sizeBytes = statSync(path).size;
    if (sizeBytes > MAX_ACL_FILE_BYTES) throw new Error(`it is ${sizeBytes} bytes; at most ${MAX_ACL_FILE_BYTES}`);
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw problem(path, "", `cannot read it: ${describeError(error)}`);
  }
  return parseAclFile(text, path);
}
