/**
 * pcall, xpcall and the coroutine library (resume, wrap, yield, status, running), as Redis
 * 7.0's Lua 5.1 answers them, written so that a run can pause inside them.
 *
 * Lua 5.1 cannot yield across a C call: a script looping inside pcall, or inside a
 * coroutine it resumed, could never be paused by the count hook (script_vm.ts), so no
 * other client was told BUSY and no SCRIPT KILL was heard. Here each of these functions
 * runs its function in a Lua thread of its own (a "link": the calling thread is the
 * parent, the thread it runs the child), resumed with lua_resume from JS. When the hook
 * pauses the innermost thread, every function of ours between it and the run's own
 * thread yields its parent in turn (a C function may yield as it returns), so the whole
 * chain is suspended and the run's lua_resume returns. ScriptVm later resumes the chain
 * from the innermost thread outward, handing each parent what its call answers (settle
 * below), exactly what it would have answered unpaused.
 *
 * What a script sees is Lua 5.1's: pcall is Redis' (an error table {err=...} becomes its
 * text; pcall() calls `true`), xpcall calls its handler with the error (again with the
 * handler's own error when it fails, "error in error handling" in the end), resume and wrap
 * answer as luaB_coresume and auxwrap, a yield inside a protected call (or outside any
 * coroutine) raises "attempt to yield across metamethod/C-call boundary", status and
 * running see the threads of protected calls as the coroutine that made the call, and
 * nesting is bounded by Lua's 200 C calls ("C stack overflow"). Two differences remain, as
 * a protected function runs at the bottom of a thread of its own: error(message, level)
 * with a level that reaches past the pcall finds no frame (no position), and an xpcall
 * handler runs after the failed function's frames are gone (no script can look at them:
 * there is no debug library).
 */
import {
  argumentErrorText,
  callerWhere,
  cCalls,
  cFunction,
  LUA_ERRMEM,
  LUA_GLOBALSINDEX,
  LUA_MAX_C_CALLS,
  LUA_REGISTRYINDEX,
  LUA_YIELD,
  lua,
  LuaType,
  pushBytes,
  rawGetField,
  rawSetField,
  setCCalls,
} from "./lua_wasm.js";

/** A thread of ours running for a call made in another (see the top). */
export interface ThreadLink {
  parent: number;
  child: number;
  /** A coroutine of the script (resume, wrap), else the thread of a protected call (pcall, xpcall). */
  user: boolean;
  /** The child's registry reference, held while it is linked. */
  reference: number;
  /** The child ended (0), yielded (LUA_YIELD, a user coroutine only) or failed: what the parent's call answers, pushed onto the parent. */
  settle(status: number): Settled;
  /** Lets go of what the link holds, when the run ends without settling it. */
  release(): void;
}

/** What a parent's call answers: results on its stack, an error on its stack to raise, or another child to run first. */
export type Settled = { kind: "return"; count: number } | { kind: "raise" } | { kind: "run"; link: ThreadLink; argCount: number };

/** What these functions need of the run (ScriptVm). */
export interface ThreadDriver {
  /** Runs `link.child` (its function and `argCount` arguments on its stack) for our function running in `parent`: the count of results it pushed, RAISE, or PAUSE when the run pauses. */
  callChild(parent: number, link: ThreadLink, argCount: number): number;
  /** The running run's links, outermost first. */
  links(): readonly ThreadLink[];
  /** A thread for a protected call (reused when one is idle), and its return. */
  takeThread(): { thread: number; reference: number };
  returnThread(thread: { thread: number; reference: number }, reusable: boolean): void;
  /** A bug thrown by one of these functions: kept for the run to rethrow. */
  noteBug(bug: unknown): void;
}

/** lua_upvalueindex(1). */
const UPVALUE_1 = LUA_GLOBALSINDEX - 1;
/** The sandbox's chunk name: its frames stand in for C functions (see argumentErrorText). */
export const SANDBOX_CHUNK = "=walnut_sandbox";
const YIELD_ACROSS = "attempt to yield across metamethod/C-call boundary";
/** How often xpcall calls a handler that keeps failing before it gives up, as Lua's C stack would. */
const HANDLER_ATTEMPTS_MAX = 200;
/**
 * What one of our functions (and ThreadDriver.callChild) returns, besides a count of
 * results, for what must happen outside its try (lua_error and lua_yield may unwind
 * through the frame, which no catch may intercept): raise the error value it pushed; yield
 * the thread without values (the run pauses); yield the thread's values (coroutine.yield).
 */
export const RAISE = -2;
export const PAUSE = -3;
const YIELD_VALUES = -4;

/**
 * Installs pcall and xpcall (globals) and resume, wrap, yield, status and running (into the
 * coroutine table) in `L` before the sandbox makes them read-only. The sandbox prelude must
 * then put `walnut_trampoline` (function(f, ...) return f(...) end) in the registry.
 */
export function installThreadFunctions(L: number, driver: ThreadDriver): void {
  const pausable = new Set<number>();
  const ours = (body: (L: number) => number): number =>
    cFunction((thread) => {
      let results: number;
      try {
        results = body(thread);
      } catch (bug) {
        driver.noteBug(bug);
        pushBytes(thread, "ERR internal error in a walnut script function");
        results = RAISE;
      }
      if (results === RAISE) lua._lua_error(thread); // unwinds through this frame, outside the try
      if (results === PAUSE) return lua._lua_yield(thread, 0);
      if (results === YIELD_VALUES) return lua._lua_yield(thread, lua._lua_gettop(thread)); // Lua's own check still refuses a yield inside a metamethod or a C callback
      return results;
    });

  /**
   * A protected child running the value at `index` of `parent` with the `argCount` values
   * above it; `dropped` runs when the link is let go unsettled (the run stopped or was given up).
   */
  const protectedChild = (
    parent: number,
    index: number,
    argCount: number,
    settle: (link: ThreadLink, status: number) => Settled,
    dropped?: () => void,
  ): { link: ThreadLink; argCount: number } => {
    const taken = driver.takeThread();
    const child = taken.thread;
    let count = argCount;
    // One of our pausable functions must not be a thread's bottom frame: a C function there cannot yield.
    if (lua._lua_iscfunction(parent, index) === 1 && pausable.has(lua._lua_tocfunction(parent, index))) {
      rawGetField(child, LUA_REGISTRYINDEX, "walnut_trampoline");
      count += 1;
    }
    lua._lua_xmove(parent, child, argCount + 1);
    let released = false;
    let settled = false;
    let endedWell = false;
    const link: ThreadLink = {
      parent,
      child,
      user: false,
      reference: taken.reference,
      settle: (status) => {
        settled = true;
        endedWell = status === 0;
        const answer = settle(link, status);
        link.release();
        return answer;
      },
      release: () => {
        if (released) return;
        released = true;
        if (!settled) dropped?.();
        // A thread whose function returned can run another; one that failed, or was let go unsettled, cannot.
        if (endedWell) lua._lua_settop(child, 0);
        driver.returnThread(taken, endedWell);
      },
    };
    return { link, argCount: count };
  };

  /** Runs a protected child from our function in `parent`; "C stack overflow" past Lua's nesting bound. */
  const runProtected = (parent: number, prepared: { link: ThreadLink; argCount: number }): number => {
    if (cCalls(parent) + 1 >= LUA_MAX_C_CALLS) {
      prepared.link.release();
      lua._lua_pushboolean(parent, 0);
      pushBytes(parent, "C stack overflow");
      return 2;
    }
    setCCalls(prepared.link.child, cCalls(parent));
    return driver.callChild(parent, prepared.link, prepared.argCount);
  };

  // pcall, as Redis 7.0's: a failure's error table {err=...} becomes its text; pcall() calls the boolean it pushed.
  const pcall = ours((parent) => {
    const argCount = lua._lua_gettop(parent) - 1;
    if (argCount < 0) {
      lua._lua_pushboolean(parent, 0);
      pushBytes(parent, "attempt to call a boolean value");
      return 2;
    }
    return runProtected(parent, protectedChild(parent, 1, argCount, (link, status) => {
      if (status === 0) return returnAll(link.child, parent, true);
      lua._lua_pushboolean(parent, 0);
      lua._lua_xmove(link.child, parent, 1);
      if (lua._lua_type(parent, -1) === LuaType.Table) {
        const type = rawGetField(parent, -1, "err");
        if (type === LuaType.String || type === LuaType.Number) lua._lua_remove(parent, -2);
        else lua._lua_settop(parent, -2);
      }
      return { kind: "return", count: 2 };
    }));
  });

  // xpcall(f, handler), as Lua 5.1's: f gets no arguments; a failure answers false and what the handler made of the error.
  const xpcall = ours((parent) => {
    if (lua._lua_type(parent, 2) === LuaType.None) {
      pushBytes(parent, argumentErrorText(parent, 2, "value expected", SANDBOX_CHUNK));
      return RAISE;
    }
    lua._lua_settop(parent, 2);
    const handlerIsFunction = lua._lua_type(parent, 2) === LuaType.Function;
    const handler = lua._luaL_ref(parent, LUA_REGISTRYINDEX);
    let held = true;
    const done = (): void => {
      if (held) lua._luaL_unref(parent, LUA_REGISTRYINDEX, handler);
      held = false;
    };
    const failed = (text: string): Settled => {
      done();
      lua._lua_pushboolean(parent, 0);
      pushBytes(parent, text);
      return { kind: "return", count: 2 };
    };
    /** Calls the handler with the error on top of `from`, again with its own error while it fails. */
    const handle = (from: number, attempt: number): Settled => {
      if (!handlerIsFunction || attempt > HANDLER_ATTEMPTS_MAX) return failed("error in error handling");
      lua._lua_rawgeti(parent, LUA_REGISTRYINDEX, handler);
      lua._lua_xmove(from, parent, 1);
      const next = protectedChild(parent, lua._lua_gettop(parent) - 1, 1, (link, status) => {
        if (status !== 0) return handle(link.child, attempt + 1);
        done();
        lua._lua_pushboolean(parent, 0);
        if (lua._lua_gettop(link.child) === 0) lua._lua_pushnil(parent);
        else {
          lua._lua_settop(link.child, 1);
          lua._lua_xmove(link.child, parent, 1);
        }
        return { kind: "return", count: 2 };
      }, done);
      setCCalls(next.link.child, cCalls(parent));
      return { kind: "run", link: next.link, argCount: next.argCount };
    };
    return runProtected(parent, protectedChild(parent, 1, 0, (link, status) => {
      if (status === 0) {
        done();
        return returnAll(link.child, parent, true);
      }
      if (status === LUA_ERRMEM) {
        done();
        lua._lua_pushboolean(parent, 0);
        lua._lua_xmove(link.child, parent, 1);
        return { kind: "return", count: 2 };
      }
      return handle(link.child, 1);
    }, done));
  });

  /** coroutine.status as the script sees it: a protected call's thread counts as the coroutine that made it. */
  const statusOf = (thread: number): string => {
    if (thread === runningCoroutine(driver)?.child) return "running";
    const status = lua._lua_status(thread);
    if (status === LUA_YIELD) return "suspended";
    if (status !== 0) return "dead";
    if (hasFrames(thread)) return "normal";
    return lua._lua_gettop(thread) === 0 ? "dead" : "suspended";
  };

  /** Resumes a coroutine of the script (resume, wrap): null when it cannot be resumed (the reason pushed). */
  const resumeCoroutine = (parent: number, co: number, coIndex: number, argCount: number, settle: (link: ThreadLink, status: number) => Settled): number | null => {
    const status = statusOf(co);
    if (status !== "suspended") {
      pushBytes(parent, `cannot resume ${status} coroutine`);
      return null;
    }
    if (lua._lua_checkstack(co, argCount) === 0) {
      pushBytes(parent, "too many arguments to resume");
      return null;
    }
    lua._lua_xmove(parent, co, argCount);
    lua._lua_pushvalue(parent, coIndex);
    const reference = lua._luaL_ref(parent, LUA_REGISTRYINDEX);
    setCCalls(co, cCalls(parent)); // lua_setlevel: nesting counts across coroutines
    const link: ThreadLink = {
      parent,
      child: co,
      user: true,
      reference,
      settle: (ended) => {
        link.release();
        return settle(link, ended);
      },
      release: () => lua._luaL_unref(parent, LUA_REGISTRYINDEX, reference),
    };
    return driver.callChild(parent, link, argCount);
  };

  const resume = ours((parent) => {
    const co = lua._lua_tothread(parent, 1);
    if (co === 0) {
      pushBytes(parent, argumentErrorText(parent, 1, "coroutine expected", SANDBOX_CHUNK));
      return RAISE;
    }
    const outcome = resumeCoroutine(parent, co, 1, lua._lua_gettop(parent) - 1, (link, status) => {
      if (status === 0 || status === LUA_YIELD) return returnAll(link.child, parent, true);
      lua._lua_pushboolean(parent, 0);
      lua._lua_xmove(link.child, parent, 1);
      return { kind: "return", count: 2 };
    });
    if (outcome !== null) return outcome;
    lua._lua_pushboolean(parent, 0);
    lua._lua_insert(parent, -2);
    return 2;
  });

  // What coroutine.wrap returns: resumes its coroutine (the upvalue), answers its values, raises its error ("where: " first for a text).
  const wrapped = ours((parent) => {
    const co = lua._lua_tothread(parent, UPVALUE_1);
    const raiseWithWhere = (): Settled => {
      if (lua._lua_type(parent, -1) === LuaType.String || lua._lua_type(parent, -1) === LuaType.Number) {
        pushBytes(parent, whereOfCaller(parent));
        lua._lua_insert(parent, -2);
        lua._lua_concat(parent, 2);
      }
      return { kind: "raise" };
    };
    const outcome = resumeCoroutine(parent, co, UPVALUE_1, lua._lua_gettop(parent), (link, status) => {
      if (status === 0 || status === LUA_YIELD) return returnAll(link.child, parent, false);
      lua._lua_xmove(link.child, parent, 1);
      return raiseWithWhere();
    });
    if (outcome !== null) return outcome;
    raiseWithWhere();
    return RAISE;
  });

  const wrap = ours((parent) => {
    if (lua._lua_type(parent, 1) !== LuaType.Function || lua._lua_iscfunction(parent, 1) === 1) {
      pushBytes(parent, argumentErrorText(parent, 1, "Lua function expected", SANDBOX_CHUNK));
      return RAISE;
    }
    const co = lua._lua_newthread(parent);
    lua._lua_pushvalue(parent, 1);
    lua._lua_xmove(parent, co, 1);
    lua._lua_pushcclosure(parent, wrapped, 1);
    return 1;
  });

  const yieldFromCoroutine = ours((thread) => {
    const innermost = driver.links().at(-1);
    if (innermost === undefined || !innermost.user || innermost.child !== thread) {
      pushBytes(thread, YIELD_ACROSS);
      return RAISE;
    }
    return YIELD_VALUES;
  });

  const status = ours((thread) => {
    const co = lua._lua_tothread(thread, 1);
    if (co === 0) {
      pushBytes(thread, argumentErrorText(thread, 1, "coroutine expected", SANDBOX_CHUNK));
      return RAISE;
    }
    pushBytes(thread, statusOf(co));
    return 1;
  });

  const running = ours((thread) => {
    const coroutine = runningCoroutine(driver);
    if (coroutine === null) lua._lua_pushnil(thread);
    else lua._lua_rawgeti(thread, LUA_REGISTRYINDEX, coroutine.reference);
    return 1;
  });

  for (const pointer of [pcall, xpcall, resume, wrapped]) pausable.add(pointer);
  lua._lua_pushcclosure(L, pcall, 0);
  rawSetField(L, LUA_GLOBALSINDEX, "pcall");
  lua._lua_pushcclosure(L, xpcall, 0);
  rawSetField(L, LUA_GLOBALSINDEX, "xpcall");
  rawGetField(L, LUA_GLOBALSINDEX, "coroutine");
  for (const [name, pointer] of [["resume", resume], ["wrap", wrap], ["yield", yieldFromCoroutine], ["status", status], ["running", running]] as const) {
    lua._lua_pushcclosure(L, pointer, 0);
    rawSetField(L, -2, name);
  }
  lua._lua_settop(L, -2);
}


/** The innermost coroutine of the script's own in the running chain: what coroutine.running answers (null: the main script). */
function runningCoroutine(driver: ThreadDriver): ThreadLink | null {
  const links = driver.links();
  for (let at = links.length - 1; at >= 0; at--) if (links[at]!.user) return links[at]!;
  return null;
}

function hasFrames(thread: number): boolean {
  return lua._lua_getstack(thread, 0, frameRecord) !== 0;
}
const frameRecord = lua._malloc(128);

/** Moves every value on `child`'s stack to `parent`, after `true` when `withTrue`. */
function returnAll(child: number, parent: number, withTrue: boolean): Settled {
  const count = lua._lua_gettop(child);
  if (lua._lua_checkstack(parent, count + 1) === 0) {
    pushBytes(parent, "too many results to resume");
    return { kind: "raise" };
  }
  if (withTrue) lua._lua_pushboolean(parent, 1);
  lua._lua_xmove(child, parent, count);
  return { kind: "return", count: count + (withTrue ? 1 : 0) };
}

/** luaL_where(L, 1) for a thread whose running C function is ours, the sandbox's frames counting as C. */
function whereOfCaller(parent: number): string {
  return callerWhere(parent, SANDBOX_CHUNK);
}
