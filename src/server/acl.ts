/**
 * Who may do what, for both servers (RESP and HTTP): the users, checking a name/password
 * pair, and the one decision of which category a request needs.
 *
 * There are three categories: read, write and admin; a user holds any set of them ("all"
 * in the ACL file is the three). Some commands need none: they act only on the connection
 * itself (PING, AUTH, HELLO, MULTI, ...). Which a command needs comes from its entry in the
 * command table (commands/table.ts), connection commands included.
 *
 * The default user comes from the ACL file when it defines one (acl_file.ts); otherwise it
 * holds every category and its password is --requirepass (changeable by CONFIG SET), or
 * none at all. Users from the file have scrypt hashes (password_hash.ts). A successful
 * scrypt check is remembered as an HMAC of name and password under a key made at start,
 * so reconnecting clients and HTTP requests (which send their credentials every time) do
 * not pay for scrypt again. scrypt checks run one at a time: they use libuv's thread pool,
 * which the WAL's fsyncs share, so a flood of wrong passwords can hold one thread, not all.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { isWriteCall } from "../commands/executor.js";
import type { AccessCategory } from "../commands/spec.js";
import { lookupCommand } from "../commands/table.js";
import { fromText, toBuffer, type ByteString } from "../engine/bytes.js";
import { verifyPassword, type PasswordHash } from "./password_hash.js";

export type Category = AccessCategory;

export const CATEGORIES: readonly Category[] = ["read", "write", "admin"];

/** Most remembered successful checks; the memory is forgotten at once when full. */
const MAX_VERIFIED_CREDENTIALS = 4096;

export interface AclUser {
  readonly name: string;
  readonly enabled: boolean;
  readonly categories: ReadonlySet<Category>;
  /** null: the user needs no password (nopass) and any password is accepted. */
  readonly passwordHash: PasswordHash | null;
}

/** What asks for access: a RESP command, or an HTTP request. */
export type AccessRequest =
  | { protocol: "resp"; argv: ByteString[] }
  | { protocol: "http"; method: string; path: string };

/**
 * The category a RESP command needs, from its table entry: an admin subcommand needs admin;
 * a connection command needs its entry's `access`; a data command needs admin when flagged
 * so, else write or read as the call does.
 */
function commandCategory(argv: ByteString[]): Category | null {
  const spec = lookupCommand(argv[0] ?? "");
  if (spec === undefined) return null; // unknown: the client gets "unknown command", not NOPERM
  if (spec.adminSubcommands?.includes((argv[1] ?? "").toUpperCase()) === true) return "admin";
  if (spec.scope === "connection") return spec.access;
  if (spec.flags.includes("admin")) return "admin";
  if (spec.access !== undefined) return spec.access;
  return isWriteCall(spec, argv) ? "write" : "read";
}

/** HTTP paths for operators whatever the method: GET /backup hands out every key at once. */
const HTTP_ADMIN_PATHS = new Set(["/backup"]);

/**
 * The category a request needs, or null when any connection may make it. Over HTTP, the
 * admin paths (/backup) need admin; otherwise GET and HEAD read (keys, /keys, /status,
 * /segments, /metrics, the status page) and every other method writes.
 */
export function requiredCategory(request: AccessRequest): Category | null {
  if (request.protocol === "resp") return commandCategory(request.argv);
  if (HTTP_ADMIN_PATHS.has(request.path)) return "admin";
  return request.method === "GET" || request.method === "HEAD" ? "read" : "write";
}

export function permits(user: AclUser, category: Category | null): boolean {
  return category === null || user.categories.has(category);
}

/** Whether `user` may run every command: then no command needs its category worked out. */
export function permitsEverything(user: AclUser): boolean {
  return user.categories.size === CATEGORIES.length;
}

/** The NOPERM text in Redis 7's words: "User alice has no permissions to run the 'set' command". */
export function noPermissionText(user: AclUser, argv: readonly ByteString[]): string {
  const name = argv[0] ?? "";
  const named = lookupCommand(name)?.hasSubcommands === true && argv[1] !== undefined;
  const shown = named ? `${name}|${argv[1]}` : name;
  return `User ${user.name} has no permissions to run the '${shown.toLowerCase()}' command`;
}

function sameSecret(given: ByteString, expected: ByteString): boolean {
  const digest = (text: ByteString): Buffer => createHash("sha256").update(toBuffer(text)).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

export class AccessControl {
  private readonly verified = new Set<string>();
  private readonly verifiedKey = randomBytes(32);
  /** The last scrypt check queued: the next one starts after it. */
  private verifications: Promise<unknown> = Promise.resolve();
  private readonly builtInDefault: AclUser = {
    name: "default",
    enabled: true,
    categories: new Set(CATEGORIES),
    passwordHash: null,
  };

  /**
   * @param fileUsers the users of the ACL file, by name (empty without one)
   * @param requirePass the default user's password when the file has no default user
   */
  constructor(
    private readonly fileUsers: ReadonlyMap<string, AclUser>,
    private readonly requirePass: () => string | null,
  ) {}

  /**
   * One line per user, the default user first, in the spirit of Redis' ACL LIST:
   * "user alice on scrypt +@read +@write".
   */
  describeUsers(): string[] {
    const others = [...this.fileUsers.values()].filter((user) => user.name !== "default");
    return [this.defaultUser(), ...others].map((user) => {
      const held = CATEGORIES.filter((category) => user.categories.has(category));
      const rules = held.length === CATEGORIES.length ? ["+@all"] : held.map((category) => `+@${category}`);
      const password = this.needsPassword(user) ? (user.passwordHash === null ? "requirepass" : "scrypt") : "nopass";
      return [`user ${user.name}`, user.enabled ? "on" : "off", password, ...rules].join(" ");
    });
  }

  /** The user a new connection (or a request without credentials) acts as; null until it signs in. */
  initialUser(): AclUser | null {
    const user = this.defaultUser();
    return user.enabled && !this.needsPassword(user) ? user : null;
  }

  /** True when the default user has no password, so AUTH for it is a mistake (Redis answers ERR). */
  defaultHasNoPassword(): boolean {
    return !this.needsPassword(this.defaultUser());
  }

  /**
   * The user a name/password pair signs in as, or null when the pair is wrong or the user
   * is disabled. Answers at once when no scrypt is needed; otherwise a promise.
   */
  authenticate(name: ByteString, password: ByteString): AclUser | null | Promise<AclUser | null> {
    const user = name === "default" ? this.defaultUser() : this.fileUsers.get(name);
    if (user === undefined || !user.enabled) return null;
    if (user === this.builtInDefault) {
      const required = this.requirePass();
      return required === null || sameSecret(password, fromText(required)) ? user : null;
    }
    const hash = user.passwordHash;
    if (hash === null) return user;
    const memo = createHmac("sha256", this.verifiedKey).update(toBuffer(`${name}\0${password}`)).digest("base64");
    if (this.verified.has(memo)) return user;
    const verification = this.verifications.then(() => verifyPassword(password, hash));
    this.verifications = verification.catch(() => undefined);
    return verification.then((matches) => {
      if (!matches) return null;
      if (this.verified.size >= MAX_VERIFIED_CREDENTIALS) this.verified.clear();
      this.verified.add(memo);
      return user;
    });
  }

  private defaultUser(): AclUser {
    return this.fileUsers.get("default") ?? this.builtInDefault;
  }

  private needsPassword(user: AclUser): boolean {
    return user === this.builtInDefault ? this.requirePass() !== null : user.passwordHash !== null;
  }
}
