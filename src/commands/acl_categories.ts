/**
 * Redis 7.0's ACL categories of a command (COMMAND INFO's seventh field), worked out as
 * Redis works them out, so that a family of commands gets them without each command
 * listing them:
 *
 * - the family's category, given once per family where table.ts gathers the families
 *   (strings: @string, lists: @list, keys: @keyspace, hashes: @hash, ...), unless the
 *   command names its own (`categories`, which replaces the family's: FLUSHALL's
 *   keyspace and dangerous, EXEC's transaction, TIME's none);
 * - then from its flags: write gives @write, readonly @read, admin @admin and @dangerous,
 *   fast @fast, blocking @blocking, and a command that is not fast is @slow.
 *
 * They are printed in Redis' order of categories, whatever order they were found in.
 */
import type { TableEntry } from "./spec.js";

export const ACL_CATEGORIES = [
  "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap", "hyperloglog", "geo", "stream",
  "pubsub", "admin", "fast", "slow", "blocking", "dangerous", "connection", "transaction", "scripting",
] as const;

export type AclCategory = (typeof ACL_CATEGORIES)[number];

/** The command's categories, "@"-prefixed, in Redis' order. */
export function aclCategories(entry: TableEntry): string[] {
  if (entry.info !== undefined) return [...entry.info.categories];
  const found = new Set<AclCategory>(entry.categories ?? (entry.family === undefined ? [] : [entry.family]));
  if (entry.flags.includes("write")) found.add("write");
  if (entry.flags.includes("readonly")) found.add("read");
  if (entry.flags.includes("admin")) {
    found.add("admin");
    found.add("dangerous");
  }
  if (entry.flags.includes("fast")) found.add("fast");
  if (entry.flags.includes("blocking")) found.add("blocking");
  if (!found.has("fast")) found.add("slow");
  return ACL_CATEGORIES.filter((category) => found.has(category)).map((category) => `@${category}`);
}
