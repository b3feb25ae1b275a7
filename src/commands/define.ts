/**
 * Writing command specs as readable data: `defineCommand({ name: "GET", arity: 2, ... })`
 * fills the key positions Redis' COMMAND INFO reports from the common case (one key,
 * the first argument) unless the definition says otherwise.
 */
import type { CommandSpec } from "./spec.js";

export interface CommandDefinition extends Omit<CommandSpec, "firstKey" | "lastKey" | "keyStep" | "scope"> {
  /** Position of the first key (1 = the first argument); 0 for commands without keys. Default 1. */
  firstKey?: number;
  /** Position of the last key, -1 for the last argument. Default: firstKey. */
  lastKey?: number;
  /** Step between keys (2 for MSET's key value pairs). Default 1, or 0 without keys. */
  keyStep?: number;
}

export function defineCommand(definition: CommandDefinition): CommandSpec {
  const firstKey = definition.firstKey ?? 1;
  return {
    ...definition,
    scope: "data",
    firstKey,
    lastKey: definition.lastKey ?? firstKey,
    keyStep: definition.keyStep ?? (firstKey === 0 ? 0 : 1),
  };
}
