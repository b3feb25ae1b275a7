/**
 * One Lua state and the scripts compiled in it: what runs EVAL's body and FCALL's
 * functions. A node has one (script_host.ts), used by apply() and by the read path in
 * turn: Node runs one thing at a time, and a script runs to its end before anything else.
 *
 * A run is bounded: a count hook adds up the VM instructions the script executes, and past
 * the budget (or past the Lua heap limit) the script is stopped. The instruction count is
 * the same on every replica for the same script over the same data, so every replica stops
 * a runaway write script at the same instruction. Once stopped, the hook fires at every
 * instruction so that no pcall inside the script can catch it and carry on.
 */
import type { ByteString } from "../../engine/bytes.js";
import { error as errorReply, type Reply } from "../../engine/reply.js";
import {
  LUA_GCCOUNT,
  LUA_GLOBALSINDEX,
  LUA_MASKCOUNT,
  LUA_REGISTRYINDEX,
  loadChunk,
  lua,
  LuaType,
  pushBytes,
  rawGetField,
  rawSetField,
  toBytes,
} from "./lua_wasm.js";
import { replyOf, type ScriptProtocol } from "./lua_replies.js";
import { SANDBOX_PRELUDE } from "./sandbox.js";
import { installRedisApi, LuaRaise, type ScriptCalls } from "./redis_api.js";
import { pushLoaderRedis, type RegisteredFunction } from "./register_function.js";
import { installLibraries } from "./libraries.js";

/** The limits of one run: deterministic instructions, and the Lua heap. */
export interface ScriptLimits {
  instructionsMax: number;
  heapBytesMax: number;
}

/** A library load may call no command (its `redis` has no call). */
const NO_CALLS: ScriptCalls = { call: () => ({ type: "error", text: "ERR no commands while a library loads" }) };

/** Instructions between two looks of the hook at the budget. */
const HOOK_EVERY = 1000;


/** What a run gets: its keys and arguments, who answers redis.call, and where it starts its random sequence. */
export interface ScriptRun {
  keys: ByteString[];
  args: ByteString[];
  calls: ScriptCalls;
  randomSeed: number;
  /** What error replies name the script by: "script: <sha>" for EVAL, the function's name for FCALL. */
  name: string;
}

/** The state a running script's redis.* functions read. */
export interface RunState {
  run: ScriptRun;
  protocol: ScriptProtocol;
  random: bigint;
  /** A bug thrown by a JS function inside the script: rethrown once the Lua call unwound. */
  bug: unknown;
}

export class ScriptVm {
  readonly L: number;
  /** Compiled EVAL bodies by sha: a registry reference to each function. */
  private readonly compiled = new Map<string, number>();
  private current: RunState | null = null;
  private instructions = 0;
  private stopped: string | null = null;
  private readonly hook: number;

  constructor(private readonly limits: ScriptLimits) {
    this.L = lua._luaL_newstate();
    if (this.L === 0) throw new Error("Cannot create a Lua state: out of memory");
    lua._luaL_openlibs(this.L);
    installRedisApi(this.L, () => this.runState());
    installLibraries(this.L, () => this.runState());
    this.runPrelude();
    this.hook = lua.addFunction((L: number) => this.onHook(L), "vii");
  }

  runState(): RunState {
    if (this.current === null) throw new Error("redis.* called outside a script run");
    return this.current;
  }

  private runPrelude(): void {
    const L = this.L;
    lua._lua_createtable(L, 0, 2);
    lua._lua_pushvalue(L, LUA_REGISTRYINDEX);
    rawSetField(L, -2, "registry");
    pushLoaderRedis(L, () => this.runState(), (registration) => this.register(registration));
    rawSetField(L, -2, "loader_redis");
    rawSetField(L, LUA_GLOBALSINDEX, "__walnut");
    if (loadChunk(L, SANDBOX_PRELUDE, "=walnut_sandbox") !== 0 || lua._lua_pcall(L, 0, 0, 0) !== 0) {
      throw new Error(`Cannot set up the Lua sandbox: ${toBytes(L, -1)}`);
    }
  }

  /**
   * Compiles an EVAL body (once per sha) into a function of the sandbox; null when
   * compiled, else Lua's compile error ("user_script:1: '=' expected near 'x'").
   */
  compileBody(sha: string, body: ByteString): string | null {
    if (this.compiled.has(sha)) return null;
    const L = this.L;
    // A shebang line ("#!lua flags=no-writes") is Redis' syntax, not Lua's: it compiles as a comment.
    const code = body.startsWith("#!") ? `--${body}` : body;
    if (loadChunk(L, code, "@user_script") !== 0) {
      const message = toBytes(L, -1);
      lua._lua_settop(L, 0);
      return message;
    }
    this.setSandboxEnvironment();
    this.compiled.set(sha, lua._luaL_ref(L, LUA_REGISTRYINDEX));
    return null;
  }

  /** Gives the function on top of the stack the sandbox's read-only environment (or the libraries'). */
  setSandboxEnvironment(environment = "walnut_env"): void {
    const L = this.L;
    rawGetField(L, LUA_REGISTRYINDEX, "walnut_setfenv");
    lua._lua_pushvalue(L, -2);
    rawGetField(L, LUA_REGISTRYINDEX, environment);
    lua._lua_pcall(L, 2, 0, 0);
  }

  private registering: Map<string, RegisteredFunction> | null = null;

  private register(registration: RegisteredFunction): void {
    const registering = this.registering;
    if (registering === null) throw new Error("register_function outside a library load");
    if (registering.has(registration.name)) {
      lua._luaL_unref(this.L, LUA_REGISTRYINDEX, registration.reference);
      throw new LuaRaise("Function already exists in the library");
    }
    registering.set(registration.name, registration);
  }

  /**
   * Runs a library's code (FUNCTION LOAD) and answers the functions it registered, or
   * Redis' error text. The caller owns the functions' registry references (releaseFunctions).
   */
  loadLibrary(code: ByteString, limits: { name: string }): Map<string, RegisteredFunction> | string {
    const L = this.L;
    lua._lua_settop(L, 0);
    if (loadChunk(L, `--${code}`, "@user_function") !== 0) {
      const message = toBytes(L, -1);
      lua._lua_settop(L, 0);
      return `ERR Error compiling function: ${message}`;
    }
    this.setSandboxEnvironment("walnut_library_env");
    const reference = lua._luaL_ref(L, LUA_REGISTRYINDEX);
    this.registering = new Map();
    this.libraryLoading(true);
    let reply: Reply;
    try {
      reply = this.runReference(reference, { keys: [], args: [], calls: NO_CALLS, randomSeed: 0, name: limits.name }, 0, undefined, false);
    } finally {
      this.libraryLoading(false);
      lua._luaL_unref(L, LUA_REGISTRYINDEX, reference);
    }
    const registered = this.registering;
    this.registering = null;
    if (reply.type === "error") {
      this.releaseFunctions(registered);
      const text = reply.text.replace(/ script: .*$/, "");
      return `ERR Error registering functions: ${text}`;
    }
    if (registered.size === 0) return "ERR No functions registered";
    return registered;
  }

  releaseFunctions(functions: Map<string, RegisteredFunction>): void {
    for (const registered of functions.values()) lua._luaL_unref(this.L, LUA_REGISTRYINDEX, registered.reference);
  }

  private libraryLoading(loading: boolean): void {
    const L = this.L;
    rawGetField(L, LUA_REGISTRYINDEX, "walnut_library_loading");
    lua._lua_pushboolean(L, loading ? 1 : 0);
    lua._lua_pcall(L, 1, 0, 0);
    lua._lua_settop(L, 0);
  }

  /** Runs a registered function with its keys and arguments as its two table arguments (FCALL). */
  runFunction(registered: RegisteredFunction, run: ScriptRun): Reply {
    return this.runReference(registered.reference, run, 2, () => {
      pushList(this.L, run.keys);
      pushList(this.L, run.args);
    }, false);
  }

  hasCompiled(sha: string): boolean {
    return this.compiled.has(sha);
  }

  /** Forgets every compiled body (SCRIPT FLUSH). */
  forgetBodies(): void {
    for (const reference of this.compiled.values()) lua._luaL_unref(this.L, LUA_REGISTRYINDEX, reference);
    this.compiled.clear();
    lua._lua_gc(this.L, 2, 0);
  }

  /** Runs a compiled EVAL body. */
  runBody(sha: string, run: ScriptRun): Reply {
    const reference = this.compiled.get(sha);
    if (reference === undefined) throw new Error(`script ${sha} is not compiled`);
    return this.runReference(reference, run, 0);
  }

  /**
   * Runs the function in the registry at `reference`, with `extra` arguments already
   * pushed after... (FCALL pushes the keys and args tables itself); answers its reply.
   */
  runReference(reference: number, run: ScriptRun, argCount: number, pushArgs?: () => void, argumentGlobals = true): Reply {
    const L = this.L;
    lua._lua_settop(L, 0);
    rawGetField(L, LUA_REGISTRYINDEX, "walnut_handler");
    lua._lua_rawgeti(L, LUA_REGISTRYINDEX, reference);
    if (argumentGlobals) this.setArgumentGlobals(run);
    pushArgs?.();
    this.current = { run, protocol: 2, random: seedOf(run.randomSeed), bug: undefined };
    this.instructions = 0;
    this.stopped = null;
    lua._lua_sethook(L, this.hook, LUA_MASKCOUNT, HOOK_EVERY);
    let outcome: number;
    try {
      outcome = lua._lua_pcall(L, argCount, 1, 1);
    } finally {
      lua._lua_sethook(L, 0, 0, 0);
    }
    const state = this.current;
    this.current = null;
    try {
      if (state.bug !== undefined) throw state.bug;
      if (this.stopped !== null) return { type: "error", text: this.stopped };
      if (outcome !== 0) return this.failure(run.name);
      return replyOf(L, -1, state.protocol);
    } finally {
      lua._lua_settop(L, 0);
      if (argumentGlobals) this.clearArgumentGlobals();
    }
  }

  /** Whether the last run was stopped by a limit (its writes are then undone). */
  get wasStopped(): boolean {
    return this.stopped !== null;
  }

  private setArgumentGlobals(run: ScriptRun): void {
    const L = this.L;
    rawGetField(L, LUA_REGISTRYINDEX, "walnut_globals");
    pushList(L, run.keys);
    rawSetField(L, -2, "KEYS");
    pushList(L, run.args);
    rawSetField(L, -2, "ARGV");
    lua._lua_settop(L, -2);
  }

  private clearArgumentGlobals(): void {
    const L = this.L;
    rawGetField(L, LUA_REGISTRYINDEX, "walnut_globals");
    lua._lua_pushnil(L);
    rawSetField(L, -2, "KEYS");
    lua._lua_pushnil(L);
    rawSetField(L, -2, "ARGV");
    lua._lua_settop(L, 0);
  }

  /** The error reply of a failed run: the handler's table {err, source, line}, as Redis words it. */
  private failure(name: string): Reply {
    const L = this.L;
    if (lua._lua_type(L, -1) !== LuaType.Table) return errorReply("ERR", `Error running script: ${toBytes(L, -1)}`);
    const read = (field: string): string | null => {
      const type = rawGetField(L, -1, field);
      const value = type === LuaType.String || type === LuaType.Number ? toBytes(L, -1) : null;
      lua._lua_settop(L, -2);
      return value;
    };
    const message = read("err");
    if (message === null) return errorReply("ERR", `Error running script ${name}: unknown error`);
    const source = read("source");
    const line = read("line");
    const where = source !== null && line !== null ? ` script: ${name}, on ${source}:${line}.` : "";
    return { type: "error", text: `${message}${where}`.replace(/[\r\n]/g, " ") };
  }

  private onHook(L: number): void {
    if (this.stopped !== null) {
      pushBytes(L, this.stopped);
      lua._lua_error(L);
      return;
    }
    this.instructions += HOOK_EVERY;
    let why: string | null = null;
    if (this.instructions > this.limits.instructionsMax) {
      why = `ERR Script stopped: it ran more than ${this.limits.instructionsMax} Lua instructions (walnut's deterministic script limit); its writes were undone`;
    } else if (lua._lua_gc(L, LUA_GCCOUNT, 0) * 1024 > this.limits.heapBytesMax) {
      why = `ERR Script stopped: the Lua heap grew past ${this.limits.heapBytesMax} bytes (walnut's script memory limit); its writes were undone`;
    }
    if (why === null) return;
    this.stopped = why;
    // From now on every instruction raises, so a pcall inside the script cannot swallow the stop.
    lua._lua_sethook(L, this.hook, LUA_MASKCOUNT, 1);
    pushBytes(L, why);
    lua._lua_error(L);
  }

  close(): void {
    lua._lua_close(this.L);
  }
}

function pushList(L: number, values: readonly ByteString[]): void {
  lua._lua_createtable(L, values.length, 0);
  for (let at = 0; at < values.length; at++) {
    pushBytes(L, values[at]!);
    lua._lua_rawseti(L, -2, at + 1);
  }
}

/** srand48's state for a seed: the seed in the high 32 bits, 0x330E below. */
export function seedOf(seed: number): bigint {
  return ((BigInt(seed >>> 0) << 16n) | 0x330en) & 0xffffffffffffn;
}
