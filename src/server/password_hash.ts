/**
 * Password hashes for the ACL file: scrypt (node:crypto) with its cost in the string, so
 * the cost can rise later without invalidating old hashes.
 *
 * Layout, fields separated by "$":
 *
 *   scrypt $ <N> $ <r> $ <p> $ <salt, base64> $ <derived key, base64>
 *
 * Example (N=16384, r=8, p=1, a 16-byte salt, a 32-byte key):
 *
 *   scrypt$16384$8$1$q2cW2b0o0S8kz2H7b2Wc1g==$4m1cJ0l3...=
 *
 * Passwords are byte strings (engine/bytes.ts): what the client sent, byte for byte.
 * Verifying runs scrypt on libuv's thread pool (about 100 ms at the default cost), never on
 * the event loop, and compares keys with timingSafeEqual.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";
import { toBuffer, type ByteString } from "../engine/bytes.js";
import { WalnutError } from "../lib/errors.js";

/** Cost of new hashes: N=2^14, r=8, p=1 (16 MiB, the scrypt paper's interactive cost). */
const DEFAULT_COST = { N: 16384, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Bounds on a hash read from a file: at most 256 MiB of memory per verification. */
const MAX_COST_N = 1 << 20;
const MAX_BLOCK_SIZE_R = 32;
const MAX_PARALLELISM_P = 16;
const MAX_SCRYPT_MEMORY_BYTES = 256 * 1024 * 1024;

export interface PasswordHash {
  cost: { N: number; r: number; p: number };
  salt: Buffer;
  key: Buffer;
}

function derive(password: ByteString, salt: Buffer, keyBytes: number, cost: PasswordHash["cost"]): Promise<Buffer> {
  const options: ScryptOptions = { ...cost, maxmem: MAX_SCRYPT_MEMORY_BYTES };
  return new Promise((resolve, reject) => {
    scrypt(toBuffer(password), salt, keyBytes, options, (error, key) => (error === null ? resolve(key) : reject(error)));
  });
}

/** A new hash of `password` with a random salt, in the string form above. */
export async function hashPassword(password: ByteString): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, KEY_BYTES, DEFAULT_COST);
  return formatPasswordHash({ cost: { ...DEFAULT_COST }, salt, key });
}

export function formatPasswordHash(hash: PasswordHash): string {
  const { N, r, p } = hash.cost;
  return `scrypt$${N}$${r}$${p}$${hash.salt.toString("base64")}$${hash.key.toString("base64")}`;
}

function positiveInteger(text: string | undefined): number | null {
  return text !== undefined && /^[1-9]\d{0,9}$/.test(text) ? Number(text) : null;
}

function invalid(problem: string): WalnutError {
  const expected = 'expected scrypt$N$r$p$<salt base64>$<key base64>, as printed by "walnut acl hash-password"';
  return new WalnutError("BAD_CONFIG", `Cannot read password hash: ${problem} (${expected})`);
}

/** Parses the string form; throws BAD_CONFIG saying what is wrong (never echoing the hash). */
export function parsePasswordHash(text: string): PasswordHash {
  const fields = text.split("$");
  if (fields.length !== 6 || fields[0] !== "scrypt") throw invalid(`it has ${fields.length} fields starting with "${fields[0] ?? ""}"`);
  const [N, r, p] = [positiveInteger(fields[1]), positiveInteger(fields[2]), positiveInteger(fields[3])];
  if (N === null || N < 2 || N > MAX_COST_N || (N & (N - 1)) !== 0) throw invalid(`N must be a power of two from 2 to ${MAX_COST_N}`);
  if (r === null || r > MAX_BLOCK_SIZE_R) throw invalid(`r must be from 1 to ${MAX_BLOCK_SIZE_R}`);
  if (p === null || p > MAX_PARALLELISM_P) throw invalid(`p must be from 1 to ${MAX_PARALLELISM_P}`);
  if (128 * N * r > MAX_SCRYPT_MEMORY_BYTES) throw invalid(`128 * N * r must be at most ${MAX_SCRYPT_MEMORY_BYTES} bytes`);
  const base64 = /^[A-Za-z0-9+/]+={0,2}$/;
  if (!base64.test(fields[4] as string) || !base64.test(fields[5] as string)) throw invalid("the salt and key must be base64");
  const salt = Buffer.from(fields[4] as string, "base64");
  const key = Buffer.from(fields[5] as string, "base64");
  if (salt.length < 8) throw invalid("the salt must be at least 8 bytes");
  if (key.length < 16) throw invalid("the key must be at least 16 bytes");
  return { cost: { N, r, p }, salt, key };
}

/** True when `password` derives `hash`'s key; the comparison takes the same time either way. */
export async function verifyPassword(password: ByteString, hash: PasswordHash): Promise<boolean> {
  const key = await derive(password, hash.salt, hash.key.length, hash.cost);
  return timingSafeEqual(key, hash.key);
}
