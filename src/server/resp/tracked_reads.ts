/**
 * Which keys of a tracking client's commands client-side caching remembers, and when
 * (client_tracking.ts): a read-only command's keys, found as Redis finds them (COMMAND
 * GETKEYS: the command's key specifications), remembered when the read starts and pinned
 * until it answers.
 */
import type { ByteString } from "../../engine/bytes.js";
import type { Reply } from "../../engine/reply.js";
import { commandKeys } from "../../commands/docs/command_keys.js";
import type { CommandSpec } from "../../commands/spec.js";
import type { ClientTracking } from "./client_tracking.js";

/**
 * Scripts and functions: Redis 7.0 remembers the keys of the read commands a script runs;
 * walnut remembers the keys the call declares (numkeys), read or written (docs).
 */
const SCRIPTS = new Set(["EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO"]);

/** Whether `spec` is a script or function call (its declared keys are remembered). */
export function isScriptCall(spec: CommandSpec): boolean {
  return SCRIPTS.has(spec.name);
}

/** The keys a read-only command (or a script) reads, found as Redis finds them (its key specs); none for pub/sub commands. */
export function readKeys(spec: CommandSpec, argv: readonly ByteString[]): ByteString[] {
  if (!SCRIPTS.has(spec.name) && (!spec.flags.includes("readonly") || spec.flags.includes("pubsub"))) return [];
  const found = commandKeys(argv);
  return typeof found === "string" ? [] : found.map((key) => key.key);
}

/**
 * Runs `read` (a read-only command's) for a client whose read is remembered: its `keys`
 * are remembered when the read starts and stay pinned until it answers.
 */
export function trackedRead(tracking: ClientTracking, id: number, keys: readonly ByteString[], read: () => Reply | Promise<Reply>): () => Reply | Promise<Reply> {
  return () => {
    const release = tracking.remember(id, keys);
    if (release === null) return read();
    let answer: Reply | Promise<Reply>;
    try {
      answer = read();
    } catch (thrown) {
      release();
      throw thrown;
    }
    if (!(answer instanceof Promise)) {
      release();
      return answer;
    }
    return answer.finally(release);
  };
}
