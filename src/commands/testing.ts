/**
 * Helpers for tests of commands: run a command line through the whole write path (encode
 * the log entry, decode it, apply it at the next index), or straight through a read
 * handler, the way the read path does.
 *
 *   const engine = new Engine();
 *   run(engine, "SET k v EX 10");            // { type: "status", text: "OK" }
 *   read(engine, "TTL k", { nowMs: NOW_MS + 1000 });
 *
 * Words are split on spaces; "double quoted" words may hold spaces and be empty.
 */
import type { ByteString } from "../engine/bytes.js";
import { DEFAULT_COLLECTION, type Engine } from "../engine/engine.js";
import { assert } from "../lib/assert.js";
import { applyEntryNow } from "./apply.js";
import { decodeEntry, encodeEntry, type EntryPayload, type VersionCondition } from "../node/entry.js";
import type { Reply } from "../engine/reply.js";
import { lookupDataCommand } from "./table.js";

/** The clock tests run at unless they say otherwise: 2023-11-14T22:13:20Z. */
export const NOW_MS = 1_700_000_000_000;

export interface RunOptions {
  nowMs?: number;
  collection?: string;
  clientId?: string;
  requestId?: number;
}

/** Splits `SET k "a b" ""` into ["SET", "k", "a b", ""]. */
export function words(line: string): ByteString[] {
  const found: ByteString[] = [];
  for (const match of line.matchAll(/"([^"]*)"|(\S+)/g)) found.push(match[1] ?? match[2]);
  return found;
}

/** Encodes, decodes and applies `payload` at the engine's next index (term 1). */
export function applyNext(engine: Engine, payload: EntryPayload): Reply {
  const term = Math.max(1, engine.appliedTerm);
  return applyEntryNow(engine, engine.appliedIndex + 1, term, decodeEntry(encodeEntry(payload)));
}

/** Applies one command line as a log entry. */
export function run(engine: Engine, line: string, options: RunOptions = {}): Reply {
  return applyNext(engine, {
    type: "command",
    nowMs: options.nowMs ?? NOW_MS,
    clientId: options.clientId ?? "",
    requestId: options.requestId ?? 0,
    call: { collection: options.collection ?? DEFAULT_COLLECTION, argv: words(line) },
  });
}

/** Applies command lines as one atomic batch. */
export function runBatch(
  engine: Engine,
  lines: string[],
  options: RunOptions & { conditions?: VersionCondition[] } = {},
): Reply {
  return applyNext(engine, {
    type: "batch",
    nowMs: options.nowMs ?? NOW_MS,
    clientId: options.clientId ?? "",
    requestId: options.requestId ?? 0,
    conditions: options.conditions ?? [],
    calls: lines.map((line) => ({ collection: options.collection ?? DEFAULT_COLLECTION, argv: words(line) })),
  });
}

/** Runs a command line through its handler alone, as the read path does. */
export function read(engine: Engine, line: string, options: RunOptions = {}): Reply {
  const [name, ...args] = words(line);
  const spec = lookupDataCommand(name);
  assert(spec !== undefined, `test reads unknown command ${name}`);
  const collection = engine.requireCollection(options.collection ?? DEFAULT_COLLECTION);
  return spec.run({ engine, collection, nowMs: options.nowMs ?? NOW_MS, index: engine.appliedIndex }, args);
}
