/**
 * A node's scripting state, beside its engine: the Lua state that runs scripts and the
 * script cache (sha → body, filled by SCRIPT LOAD and every EVAL, emptied by SCRIPT
 * FLUSH). The cache is the node's own, as each Redis server's is: it is not replicated
 * and not checkpointed, because a replicated script carries its body in the log entry
 * (the node that receives EVALSHA looks the body up before logging, executor.ts).
 * Function libraries, which are replicated state, live in the engine (functions.ts).
 */
import type { Engine } from "../../engine/engine.js";
import type { ByteString } from "../../engine/bytes.js";
import { limits } from "../../lib/limits.js";
import { ScriptVm } from "./script_vm.js";
import type { RegisteredFunction } from "./register_function.js";
import type { Reply } from "../../engine/reply.js";
import type { RunningScript } from "./script_busy.js";

/** A compiled function of a loaded library. */
export interface LoadedFunction extends RegisteredFunction {
  library: string;
}

export class ScriptHost {
  private vmInstance: ScriptVm | null = null;
  /** The script cache: every body by its sha1 (lower-case hex). */
  readonly bodies = new Map<string, ByteString>();
  /** busy-reply-threshold (lua-time-limit): how long a script runs before others are told BUSY (script_busy.ts). */
  busyReplyThresholdMs = 5000;
  /** The script that holds the engine while it is paused (script_busy.ts), else null. */
  running: RunningScript | null = null;
  /**
   * The command being run under runPausable (script_busy.ts): whether its script may
   * pause, when it started, and its reply's promise once it paused.
   */
  pause: { allowed: boolean; startedMs: number; reply: Promise<Reply> | null } = { allowed: false, startedMs: 0, reply: null };

  /** The Lua state, made on first use (a node that runs no script pays nothing). */
  get vm(): ScriptVm {
    this.vmInstance ??= new ScriptVm({ instructionsMax: limits.scriptInstructionsMax, heapBytesMax: limits.scriptHeapBytesMax });
    return this.vmInstance;
  }

  /** The functions of the engine's libraries, compiled, by name; as of `compiledGeneration`. */
  private compiledFunctions = new Map<string, LoadedFunction>();
  private compiledGeneration = -1;

  /**
   * The functions of `engine`'s libraries, compiling them again when the libraries changed
   * (FUNCTION LOAD, DELETE, RESTORE, FLUSH, an aborted transaction, a checkpoint installed).
   * Every replica compiles the same code, so every replica has the same functions.
   */
  functions(engine: Engine): ReadonlyMap<string, LoadedFunction> {
    const libraries = engine.functionLibraries;
    if (this.compiledGeneration === libraries.generation) return this.compiledFunctions;
    for (const compiled of this.compiledFunctions.values()) this.vm.releaseFunctions(new Map([[compiled.name, compiled]]));
    const functions = new Map<string, LoadedFunction>();
    for (const [library, code] of libraries.entries()) {
      const loaded = this.vm.loadLibrary(code, { name: library });
      if (typeof loaded === "string") continue; // it loaded when FUNCTION LOAD accepted it; Lua is deterministic
      for (const registered of loaded.values()) functions.set(registered.name, { ...registered, library });
    }
    this.compiledFunctions = functions;
    this.compiledGeneration = libraries.generation;
    return functions;
  }

  /** SCRIPT FLUSH: the cache and the compiled bodies go; function libraries stay. */
  flushBodies(): void {
    this.bodies.clear();
    this.vmInstance?.forgetBodies();
  }
}

const hosts = new WeakMap<Engine, ScriptHost>();

/** The scripting state of this engine's node, if it has made one (no allocation for nodes that run no script). */
export function existingScriptHost(engine: Engine): ScriptHost | undefined {
  return hosts.get(engine);
}

/** The scripting state of the node whose engine this is. */
export function scriptHost(engine: Engine): ScriptHost {
  let host = hosts.get(engine);
  if (host === undefined) {
    host = new ScriptHost();
    hosts.set(engine, host);
  }
  return host;
}
