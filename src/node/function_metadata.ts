/**
 * FUNCTION LOAD's libraries travel in a checkpoint's metadata, as `functions`: a list of
 * [name, code] pairs (code as a JSON string of its latin1 bytes). A checkpoint written
 * before functions existed has no such field and loads with no library.
 */
import type { ByteString } from "../engine/bytes.js";
import type { FunctionLibraries } from "../engine/function_libraries.js";
import { WalnutError } from "../lib/errors.js";

export function encodeFunctions(libraries: Array<[string, ByteString]>): Array<[string, ByteString]> {
  return libraries;
}

export function restoreFunctions(target: FunctionLibraries, encoded: unknown, path: string): void {
  if (encoded === undefined) {
    target.restore([]);
    return;
  }
  const malformed = (): WalnutError => new WalnutError("CHECKPOINT_CORRUPT", `Cannot read checkpoint ${path}: functions is not a list of [name, code] pairs`);
  if (!Array.isArray(encoded)) throw malformed();
  const entries: Array<[string, ByteString]> = [];
  for (const entry of encoded as unknown[]) {
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== "string" || typeof entry[1] !== "string") throw malformed();
    entries.push([entry[0], entry[1]]);
  }
  target.restore(entries);
}
