/**
 * The function libraries of FUNCTION LOAD (Redis 7.0 functions): replicated state, beside
 * the collections. The engine keeps only each library's name and code; the node's Lua
 * state compiles them (commands/scripting/functions.ts) whenever `generation` has moved.
 * Changes record their undo in the engine's batch journal, so a transaction that aborts
 * takes its FUNCTION LOAD back with it. Checkpoints carry the libraries in their metadata
 * (node/function_metadata.ts; docs/checkpoint-format.md).
 */
import type { ByteString } from "./bytes.js";
import type { Journaled } from "./journal.js";

export class FunctionLibraries {
  private libraries = new Map<string, ByteString>();
  /** Bumped by every change (and every undo): what compiled copies compare against. */
  generation = 0;

  constructor(private readonly owner: Journaled) {}

  get size(): number {
    return this.libraries.size;
  }

  code(name: string): ByteString | undefined {
    return this.libraries.get(name);
  }

  /** Every library, name and code, in load order. */
  entries(): Array<[string, ByteString]> {
    return [...this.libraries.entries()];
  }

  /** Sets the whole set of libraries (FUNCTION LOAD, DELETE, FLUSH, RESTORE all end here). */
  replaceAll(entries: Array<[string, ByteString]>): void {
    const before = this.libraries;
    this.owner.journal?.record(() => {
      this.libraries = before;
      this.generation++;
    });
    this.libraries = new Map(entries);
    this.generation++;
  }

  /** Loads a checkpoint's libraries (no journal: not inside a batch). */
  restore(entries: Array<[string, ByteString]>): void {
    this.libraries = new Map(entries);
    this.generation++;
  }
}
