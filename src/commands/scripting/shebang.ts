/**
 * The shebang line Redis 7.0 reads at the top of an EVAL script: `#!lua` alone, or
 * `#!lua flags=no-writes,allow-oom`. A script with a shebang declares its flags; one
 * without runs as Redis' legacy scripts do (it may write). `no-writes` makes it a
 * read-only script, which takes the read path (docs/scripting.md).
 */
import type { ByteString } from "../../engine/bytes.js";

export const SCRIPT_FLAGS = ["no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys"] as const;
export type ScriptFlag = (typeof SCRIPT_FLAGS)[number];

export interface Shebang {
  /** False for a script without a shebang line. */
  declared: boolean;
  flags: ReadonlySet<ScriptFlag>;
}

const NONE: Shebang = { declared: false, flags: new Set() };

/** The script's shebang, or Redis' error text for a malformed one. */
export function readShebang(body: ByteString): Shebang | string {
  if (!body.startsWith("#!")) return NONE;
  const end = body.indexOf("\n");
  const line = end < 0 ? body.slice(2) : body.slice(2, end);
  const parts = line.split(" ").filter((part) => part !== "");
  if (parts[0] !== "lua") return `ERR Unexpected engine in script shebang: #!${parts[0] ?? ""}`;
  const flags = new Set<ScriptFlag>();
  for (const part of parts.slice(1)) {
    if (!part.startsWith("flags=")) return `ERR Unknown lua shebang option: ${part}`;
    const names = part.slice("flags=".length);
    for (const name of names === "" ? [] : names.split(",")) {
      if (!(SCRIPT_FLAGS as readonly string[]).includes(name)) return `ERR Unexpected flag in script shebang: ${name}`;
      flags.add(name as ScriptFlag);
    }
  }
  return { declared: true, flags };
}
