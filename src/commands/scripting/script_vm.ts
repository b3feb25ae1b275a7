/**
 * One Lua state and the scripts compiled in it: what runs EVAL's body and FCALL's
 * functions. A node has one (script_host.ts), used by apply() and by the read path in
 * turn.
 *
 * A script runs as a Lua coroutine. A run that may pause (the caller can wait for a
 * promise: a script command alone in a log entry, or on the read path) is yielded by the
 * count hook once it has run for PAUSE_AFTER_MS, and resumed after setImmediate: Node
 * serves its clients meanwhile (they are told BUSY, script_busy.ts) and SCRIPT KILL can
 * arrive. pcall, xpcall and the coroutine library run their functions in threads of their
 * own, linked to the thread that called them (script_threads.ts), so a pause inside them
 * suspends the whole chain and is resumed from the innermost thread outward (drive). The
 * hook yields only when no thread of the chain is inside a C call that is not ours (a
 * metamethod, an iterator, a gsub or sort callback: lua_wasm.ts yieldableNow), because
 * Lua 5.1 cannot yield across one and would raise an error the script could catch; a
 * script that spends long inside one pauses once back outside it. So a pause never
 * changes what a script does, only when Node gets to serve others.
 *
 * A run is bounded: a count hook adds up the VM instructions the script executes in all
 * its threads, and past the budget (or past the Lua heap limit) the script is stopped.
 * The count is exact: at every switch between threads (a call of ours starting or ending a
 * child, the hook) what the thread left ran is added and the next thread's count starts
 * afresh, and the instruction a yielding hook fired at is counted when it runs again. So
 * every replica stops a runaway write script at the same instruction, however often it
 * paused. Once stopped, the hook fires at every instruction so that no pcall inside the
 * script can catch it and carry on; once killed, at every new line, as Redis' kill.
 */
import type { ByteString } from "../../engine/bytes.js";
import { error as errorReply, type Reply } from "../../engine/reply.js";
import { assert } from "../../lib/assert.js";
import {
  LUA_ERRRUN,
  LUA_GCCOUNT,
  LUA_GLOBALSINDEX,
  LUA_MASKCOUNT,
  LUA_MASKLINE,
  LUA_REGISTRYINDEX,
  loadChunk,
  lua,
  LuaType,
  pushBytes,
  rawGetField,
  rawSetField,
  toBytes,
  LUA_YIELD,
  yieldableNow,
  baseHookCount,
  hookCountLeft,
  hasFrame,
  raise,
  rewindOneInstruction,
  setCCalls,
} from "./lua_wasm.js";
import { installThreadFunctions, PAUSE, RAISE, type ThreadLink } from "./script_threads.js";
import { replyOf, type ScriptProtocol } from "./lua_replies.js";
import { SANDBOX_PRELUDE } from "./sandbox.js";
import { installRedisApi, LuaRaise, type ScriptCalls } from "./redis_api.js";
import { pushLoaderRedis, type RegisteredFunction } from "./register_function.js";
import { installLibraries } from "./libraries.js";

/** The limits of one run: deterministic instructions, and the Lua heap. */
export interface ScriptLimits {
  instructionsMax: number;
  heapBytesMax: number;
  /** How long a run that may pause runs before it lets Node serve others (PAUSE_AFTER_MS unless given; tests pause at every hook with 0). */
  pauseAfterMs?: number;
}

/** A library load may call no command (its `redis` has no call). */
const NO_CALLS: ScriptCalls = { call: () => ({ type: "error", text: "ERR no commands while a library loads" }) };

/** Instructions between two looks of the hook at the budget (and at the clock). */
const HOOK_EVERY = 1000;

/** Idle threads kept for the next runs and protected calls (more are let go). */
const IDLE_THREADS_MAX = 64;

/** How long a run that may pause runs before it lets Node serve others for a turn. */
const PAUSE_AFTER_MS = 100;

/** What a killed script raises (redis-server 7.0's text). */
export const KILLED_BY_USER = "ERR Script killed by user with SCRIPT KILL...";


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

/** One run, from its start to its reply (kept while it is paused). */
interface ActiveRun {
  state: RunState;
  /** The coroutine it runs in, and that coroutine's registry reference. */
  thread: number;
  threadReference: number;
  /**
   * Instructions the run's threads have executed, exactly, up to the start of the running
   * thread's count period (so the budget stops it at the same instruction on every
   * replica, however often it paused).
   */
  executed: number;
  /** The chain of threads below the run's own one (script_threads.ts), outermost first. */
  links: ThreadLink[];
  /**
   * Links from this index on have a running parent (drive resumed the thread at the
   * chain's end when it was this long): the ones before have their parent suspended since
   * the last pause, waiting for drive to hand it its call's answer.
   */
  liveFrom: number;
  /** The hook yielded the innermost thread: every running call of ours up the chain yields in turn. */
  pausing: boolean;
  /** An error (a registry reference) that a parent resumed after a pause raises at its next instruction, as its call would have. */
  pendingRaise: { thread: number; reference: number } | null;
  /** Why a limit stopped it, once one did. */
  stopped: string | null;
  killed: boolean;
  /** When it yields at its next chance (performance.now() ms); Infinity when it may not pause. */
  pauseAtMs: number;
  argumentGlobals: boolean;
  /** Set while paused when its caller gives it up (the node closes): the run ends with this, never resumed. */
  abandoned: Error | null;
}

export class ScriptVm {
  readonly L: number;
  /** Compiled EVAL bodies by sha: a registry reference to each function. */
  private readonly compiled = new Map<string, number>();
  /** The run the Lua state is executing right now (the hook's), null between runs and while one is paused. */
  private active: ActiveRun | null = null;
  /** The run that is paused, waiting for its next turn. */
  private paused: ActiveRun | null = null;
  /** Coroutines of runs that ended well, kept for the next runs (a failed one is dead). */
  private readonly idleThreads: Array<{ thread: number; reference: number }> = [];
  private lastStopped = false;
  private readonly hook: number;
  private readonly pauseAfterMs: number;

  constructor(private readonly limits: ScriptLimits) {
    this.L = lua._luaL_newstate();
    if (this.L === 0) throw new Error("Cannot create a Lua state: out of memory");
    lua._luaL_openlibs(this.L);
    installRedisApi(this.L, () => this.runState());
    installLibraries(this.L, () => this.runState());
    installThreadFunctions(this.L, {
      callChild: (parent, link, argCount) => this.callChild(parent, link, argCount),
      links: () => this.active?.links ?? [],
      takeThread: () => this.idleThreads.pop() ?? this.newThread(),
      returnThread: (thread, reusable) => this.returnThread(thread, reusable),
      noteBug: (bug) => {
        if (this.active !== null) this.active.state.bug ??= bug;
      },
    });
    this.runPrelude();
    this.pauseAfterMs = limits.pauseAfterMs ?? PAUSE_AFTER_MS;
    this.hook = lua.addFunction((L: number) => this.onHook(L), "vii");
  }

  runState(): RunState {
    if (this.active === null) throw new Error("redis.* called outside a script run");
    return this.active.state;
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
      const outcome = this.runReference(reference, { keys: [], args: [], calls: NO_CALLS, randomSeed: 0, name: limits.name }, { argCount: 0, argumentGlobals: false, pausable: false });
      assert(!(outcome instanceof Promise), "a library load never pauses");
      reply = outcome;
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
  runFunction(registered: RegisteredFunction, run: ScriptRun): Reply;
  runFunction(registered: RegisteredFunction, run: ScriptRun, pausable: boolean): Reply | Promise<Reply>;
  runFunction(registered: RegisteredFunction, run: ScriptRun, pausable = false): Reply | Promise<Reply> {
    const pushArgs = (thread: number): void => {
      pushList(thread, run.keys);
      pushList(thread, run.args);
    };
    return this.runReference(registered.reference, run, { argCount: 2, pushArgs, argumentGlobals: false, pausable });
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

  /** Runs a compiled EVAL body; a promise when it may pause and did. */
  runBody(sha: string, run: ScriptRun): Reply;
  runBody(sha: string, run: ScriptRun, pausable: boolean): Reply | Promise<Reply>;
  runBody(sha: string, run: ScriptRun, pausable = false): Reply | Promise<Reply> {
    const reference = this.compiled.get(sha);
    if (reference === undefined) throw new Error(`script ${sha} is not compiled`);
    return this.runReference(reference, run, { argCount: 0, argumentGlobals: true, pausable });
  }

  /** Whether a run is paused (it holds the engine until it ends: script_busy.ts). */
  get hasPausedRun(): boolean {
    return this.paused !== null;
  }

  /**
   * Kills the paused run (SCRIPT KILL, FUNCTION KILL): as Redis' kill, at its next new
   * line (or jump back) it raises "Script killed by user", and again at every one after,
   * so that no pcall inside it can carry on in a loop (a pcall that catches it and the
   * rest of its line runs on, as in Redis). False when no run is paused.
   */
  killPausedRun(): boolean {
    if (this.paused === null) return false;
    this.paused.killed = true;
    return true;
  }

  /**
   * Gives up the paused run (its node closes without finishing it): it is never resumed,
   * and its promise rejects with `why` at its next turn. False when no run is paused.
   */
  abandonPausedRun(why: Error): boolean {
    if (this.paused === null) return false;
    this.paused.abandoned = why;
    return true;
  }

  /**
   * Runs the function in the registry at `reference` as a coroutine, with `argCount`
   * arguments pushed by `pushArgs` (FCALL's keys and args tables); answers its reply, or
   * a promise of it when the run may pause and did.
   */
  runReference(
    reference: number,
    run: ScriptRun,
    how: { argCount: number; pushArgs?: (thread: number) => void; argumentGlobals: boolean; pausable: boolean },
  ): Reply | Promise<Reply> {
    const { thread, reference: threadReference } = this.idleThreads.pop() ?? this.newThread();
    lua._lua_settop(thread, 0);
    setCCalls(thread, 0); // a reused thread may have served a nested protected call
    lua._lua_rawgeti(thread, LUA_REGISTRYINDEX, reference);
    if (how.argumentGlobals) this.setArgumentGlobals(run);
    how.pushArgs?.(thread);
    const active: ActiveRun = {
      state: { run, protocol: 2, random: seedOf(run.randomSeed), bug: undefined },
      thread,
      threadReference,
      executed: 0,
      links: [],
      liveFrom: 0,
      pausing: false,
      pendingRaise: null,
      stopped: null,
      killed: false,
      pauseAtMs: how.pausable ? performance.now() + this.pauseAfterMs : Infinity,
      argumentGlobals: how.argumentGlobals,
      abandoned: null,
    };
    const status = this.drive(active, thread, how.argCount);
    if (status !== LUA_YIELD) return this.finish(active, status);
    return this.runPaused(active);
  }

  private newThread(): { thread: number; reference: number } {
    const thread = lua._lua_newthread(this.L);
    return { thread, reference: lua._luaL_ref(this.L, LUA_REGISTRYINDEX) };
  }

  private returnThread(taken: { thread: number; reference: number }, reusable: boolean): void {
    if (reusable && this.idleThreads.length < IDLE_THREADS_MAX) this.idleThreads.push(taken);
    else lua._luaL_unref(this.L, LUA_REGISTRYINDEX, taken.reference);
  }

  /**
   * Resumes `target`, the innermost suspended thread of the run (`argCount` values on its
   * stack for it), and carries the run on outward: each child that ends settles its
   * parent's call (script_threads.ts), and the parent is resumed with what the call
   * answers. LUA_YIELD when the run paused again, else the status its own thread ended
   * with. The hook sees the run as the active one meanwhile (a library load may nest
   * inside a pause).
   */
  private drive(active: ActiveRun, target: number, argCount: number): number {
    const outer = this.active;
    this.active = active;
    try {
      for (;;) {
        active.liveFrom = active.links.length;
        const status = this.resumeThread(active, target, argCount);
        if (status === LUA_YIELD && active.pausing) return LUA_YIELD;
        if (target === active.thread) {
          assert(status !== LUA_YIELD, "a script's own thread yields only to pause (coroutine.yield refuses outside a coroutine)");
          return status;
        }
        const link = active.links.pop();
        assert(link !== undefined && link.child === target, "the resumed thread is the innermost link's child");
        const settled = this.settleLink(active, link, status);
        if (settled.kind === "run") {
          active.links.push(settled.link);
          target = settled.link.child;
          argCount = settled.argCount;
          continue;
        }
        target = link.parent;
        argCount = 0;
        if (settled.kind === "return") argCount = settled.count;
        else active.pendingRaise = { thread: link.parent, reference: lua._luaL_ref(link.parent, LUA_REGISTRYINDEX) };
      }
    } finally {
      this.active = outer;
    }
  }

  /**
   * From a call of ours running in `parent` (script_threads.ts): runs the link's child, and
   * the children its settling asks for, until the call has its answer: the count of results
   * on `parent`'s stack, RAISE for an error on top of it, or PAUSE when the run pauses
   * (the chain stays linked; drive resumes it later).
   */
  private callChild(parent: number, link: ThreadLink, argCount: number): number {
    const active = this.active;
    assert(active !== null, "pcall, xpcall and coroutines run inside a script run");
    active.executed += partialCount(parent);
    this.startCount(active, parent); // what it ran so far is counted: nothing of it again when its resumer adds its count
    let current = link;
    let count = argCount;
    for (;;) {
      active.links.push(current);
      const status = this.resumeThread(active, current.child, count);
      if (status === LUA_YIELD && active.pausing) return PAUSE;
      active.links.pop();
      const settled = this.settleLink(active, current, status);
      if (settled.kind === "run") {
        current = settled.link;
        count = settled.argCount;
        continue;
      }
      this.startCount(active, parent);
      return settled.kind === "return" ? settled.count : RAISE;
    }
  }

  /** A child ended: its parent's answer, or none to speak of once the run is stopped (the parent raises at its next instruction). */
  private settleLink(active: ActiveRun, link: ThreadLink, status: number): ReturnType<ThreadLink["settle"]> {
    if (active.stopped !== null) {
      link.release();
      return { kind: "return", count: 0 };
    }
    return link.settle(status);
  }

  /** Resumes one thread of the run with a fresh count period, and adds what it ran. */
  private resumeThread(active: ActiveRun, thread: number, argCount: number): number {
    this.startCount(active, thread);
    const status = lua._lua_resume(thread, argCount);
    active.executed += partialCount(thread);
    return status;
  }

  /**
   * Starts a thread's count period: the hook fires when the budget is used up at the
   * latest, at the next instruction when the run is stopped or the thread has an error to
   * raise, at the next new line when the run is killed (as Redis' kill hook).
   */
  private startCount(active: ActiveRun, thread: number): void {
    if (active.killed && active.stopped === null && active.pendingRaise?.thread !== thread) {
      lua._lua_sethook(thread, this.hook, LUA_MASKLINE, 0);
      return;
    }
    const now = active.stopped !== null || active.pendingRaise?.thread === thread;
    const left = this.limits.instructionsMax + 1 - active.executed;
    lua._lua_sethook(thread, this.hook, LUA_MASKCOUNT, now ? 1 : Math.max(1, Math.min(HOOK_EVERY, left)));
  }

  /** A paused run: resumed turn after turn (setImmediate lets sockets and timers in between) until it ends. */
  private async runPaused(active: ActiveRun): Promise<Reply> {
    assert(this.paused === null, "one script run pauses at a time (script_busy.ts holds other scripts back)");
    this.paused = active;
    try {
      let status = LUA_YIELD;
      while (status === LUA_YIELD) {
        active.pausing = false;
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (active.abandoned !== null) throw this.abandon(active, active.abandoned);
        active.pauseAtMs = performance.now() + this.pauseAfterMs;
        status = this.drive(active, active.links.at(-1)?.child ?? active.thread, 0);
      }
      return this.finish(active, status);
    } finally {
      this.paused = null;
    }
  }

  /** Lets go of a paused run that will never be resumed: its threads, its globals; answers why (what the run's promise rejects with). */
  private abandon(active: ActiveRun, why: Error): Error {
    for (const link of active.links.splice(0).reverse()) link.release();
    if (active.pendingRaise !== null) lua._luaL_unref(this.L, LUA_REGISTRYINDEX, active.pendingRaise.reference);
    lua._luaL_unref(this.L, LUA_REGISTRYINDEX, active.threadReference);
    if (active.argumentGlobals) this.clearArgumentGlobals();
    return why;
  }

  /** The reply of an ended run (its first result, as lua_pcall with one result gives it), its coroutine kept or freed. */
  private finish(active: ActiveRun, status: number): Reply {
    const thread = active.thread;
    lua._lua_sethook(thread, 0, 0, 0);
    for (const link of active.links.splice(0).reverse()) link.release();
    if (active.pendingRaise !== null) lua._luaL_unref(this.L, LUA_REGISTRYINDEX, active.pendingRaise.reference);
    this.lastStopped = active.stopped !== null;
    try {
      if (active.state.bug !== undefined) throw active.state.bug;
      if (active.stopped !== null) return { type: "error", text: active.stopped };
      if (status !== 0) return this.threadFailure(active, status);
      if (lua._lua_gettop(thread) === 0) lua._lua_pushnil(thread);
      lua._lua_settop(thread, 1);
      return replyOf(thread, -1, active.state.protocol);
    } finally {
      if (active.argumentGlobals) this.clearArgumentGlobals();
      if (status === 0) lua._lua_settop(thread, 0);
      this.returnThread({ thread, reference: active.threadReference }, status === 0); // a dead coroutine cannot run again
    }
  }

  /** The error reply of a failed run: a runtime error is located by walnut_thread_handler first (sandbox.ts). */
  private threadFailure(active: ActiveRun, status: number): Reply {
    const L = this.L;
    lua._lua_settop(L, 0);
    if (status === LUA_ERRRUN) {
      rawGetField(L, LUA_REGISTRYINDEX, "walnut_thread_handler");
      lua._lua_xmove(active.thread, L, 1);
      lua._lua_rawgeti(L, LUA_REGISTRYINDEX, active.threadReference);
      if (lua._lua_pcall(L, 2, 1, 0) !== 0) return errorReply("ERR", `Error running script: ${toBytes(L, -1)}`);
    } else {
      lua._lua_xmove(active.thread, L, 1);
    }
    try {
      return this.failure(active.state.run.name);
    } finally {
      lua._lua_settop(L, 0);
    }
  }

  /** Whether the last run was stopped by a limit (its writes are then undone). */
  get wasStopped(): boolean {
    return this.lastStopped;
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
    const active = this.active;
    if (active === null) return;
    const pending = active.pendingRaise;
    if (pending !== null && pending.thread === L) {
      // The error of the call this thread was resumed from: raised at that call's line, the thread's count left as it was.
      active.pendingRaise = null;
      rewindOneInstruction(L);
      this.startCount(active, L);
      lua._lua_rawgeti(L, LUA_REGISTRYINDEX, pending.reference);
      lua._luaL_unref(L, LUA_REGISTRYINDEX, pending.reference);
      raise(L);
    }
    if (active.stopped !== null) {
      pushBytes(L, active.stopped);
      raise(L);
    }
    if (active.killed) {
      // As Redis: from now on every new line (and every jump back) raises, so no pcall can carry on after a kill in a loop.
      lua._lua_sethook(L, this.hook, LUA_MASKLINE, 0);
      lua._lua_createtable(L, 0, 1);
      pushBytes(L, KILLED_BY_USER);
      rawSetField(L, -2, "err");
      raise(L);
    }
    // The period's instructions, the one that fired the hook included (it runs next, or again after a yield).
    const total = active.executed + baseHookCount(L);
    let why: string | null = null;
    if (total > this.limits.instructionsMax) {
      why = `ERR Script stopped: it ran more than ${this.limits.instructionsMax} Lua instructions (walnut's deterministic script limit); its writes were undone`;
    } else if (lua._lua_gc(L, LUA_GCCOUNT, 0) * 1024 > this.limits.heapBytesMax) {
      why = `ERR Script stopped: the Lua heap grew past ${this.limits.heapBytesMax} bytes (walnut's script memory limit); its writes were undone`;
    }
    if (why !== null) {
      active.stopped = why;
      // From now on every instruction raises, so a pcall inside the script cannot swallow the stop.
      lua._lua_sethook(L, this.hook, LUA_MASKCOUNT, 1);
      pushBytes(L, why);
      raise(L);
    }
    if (performance.now() >= active.pauseAtMs && this.mayPause(active, L)) {
      // The instruction that fired the hook is fetched again, so counted, when the thread resumes.
      active.executed = total - 1;
      active.pausing = true;
      this.startCount(active, L);
      lua._lua_yield(L, 0);
      return;
    }
    active.executed = total;
    this.startCount(active, L);
  }

  /**
   * Whether the chain can yield: the innermost thread `L` at its own level, and every
   * running parent up the chain inside a call of ours only, called from a Lua function (a
   * C function at a thread's bottom cannot yield). Parents suspended since the last pause
   * need not yield again.
   */
  private mayPause(active: ActiveRun, L: number): boolean {
    if (!yieldableNow(L)) return false;
    for (let at = active.liveFrom; at < active.links.length; at++) {
      const parent = active.links[at]!.parent;
      if (!yieldableNow(parent) || !hasFrame(parent, 1)) return false;
    }
    return true;
  }

  close(): void {
    lua._lua_close(this.L);
  }
}

/** Instructions a thread fetched since its count period started. */
function partialCount(L: number): number {
  return baseHookCount(L) - hookCountLeft(L);
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
