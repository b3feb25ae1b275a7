/**
 * A script that runs long, as Redis 7.0 handles one: while it runs past
 * busy-reply-threshold (lua-time-limit, 5000 ms by default), other clients are answered
 * BUSY; before that, their commands wait for it to end. SCRIPT KILL and FUNCTION KILL stop
 * a read-only script. The script itself pauses every PAUSE_AFTER_MS so that Node can serve
 * them at all (script_vm.ts); this file is what the rest of walnut sees of a paused script:
 *
 * - runPausable(): the one way a script command is run so that its script may pause (a
 *   script command alone in a log entry, commands/apply.ts; a read-only script on the read
 *   path, commands/executor.ts): the reply, or a promise of it once the script paused.
 *   The script holds the engine until the caller, done with the reply, calls
 *   endPausedScript(): apply() applies nothing else and reads wait (scriptsIdle) meanwhile,
 *   so no one sees half of a script and no write slips in between its reads.
 * - busyGate(): what a client's command meets while a script holds the engine.
 * - killScript(): SCRIPT KILL and FUNCTION KILL.
 * - abandonPausedScript(): the node closes (SHUTDOWN NOSAVE, a signal) without waiting for
 *   the paused script. A logged one stays a committed, unapplied log entry: after a restart
 *   the log applies it whole, once. So SHUTDOWN NOSAVE stops at once, as in Redis, and
 *   loses nothing. shutdownGate(): SHUTDOWN without NOSAVE meets BUSY, as in Redis.
 *
 * A script that may write is a log entry that every replica runs (docs/scripting.md).
 * Killing it on one replica and not on another would make them diverge, so walnut never
 * kills it: SCRIPT KILL answers UNKILLABLE with walnut's reason, and the script ends on its
 * own or at walnut's instruction limit, on every replica alike.
 */
import type { ByteString } from "../../engine/bytes.js";
import type { Engine } from "../../engine/engine.js";
import { array, bulk, error, integer, map, OK, type Reply } from "../../engine/reply.js";
import { existingScriptHost, scriptHost, type ScriptHost } from "./script_host.js";

export const BUSY_EVAL = error("BUSY", "Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.");
export const BUSY_FUNCTION = error("BUSY", "Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.");
const NOTBUSY = error("NOTBUSY", "No scripts in execution right now.");
/** walnut's own: Redis kills a script that has not written yet; walnut never kills a logged one (see the top). */
export const UNKILLABLE_LOGGED = error(
  "UNKILLABLE",
  "The busy script is a log entry that every replica runs: killing it on one node would make the replicas diverge. It ends on its own or at walnut's instruction limit, on every replica alike.",
);

/** What a paused script is, for BUSY, KILL and FUNCTION STATS. */
export interface RunningScript {
  kind: "eval" | "function";
  /** A log entry that every replica runs (never killed), or a read-only script on this node's read path. */
  logged: boolean;
  /** FUNCTION STATS' running_script: the function's name and the command that called it. */
  name: ByteString;
  argv: ByteString[];
  /** performance.now() when the script started. */
  startedMs: number;
  /** Resolves once the script's caller is done with it (endPausedScript). */
  ended: Promise<void>;
  end(): void;
}

/** Script commands: the only ones whose run may pause. */
const SCRIPT_COMMANDS = new Set(["EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO"]);

/** Redis 7.0's commands flagged allow-busy (they run while a script is busy), as "NAME" or "NAME|SUB". */
const ALLOWED_WHILE_BUSY = new Set([
  "AUTH",
  "DISCARD",
  "FUNCTION|KILL",
  "FUNCTION|STATS",
  "HELLO",
  "MULTI",
  "QUIT",
  "REPLCONF",
  "RESET",
  "SCRIPT|KILL",
  "SHUTDOWN",
  "UNWATCH",
  "WATCH",
]);

/** The reply a script command gives its handler's caller while the real reply is a promise (runPausable takes that instead). */
const PAUSED: Reply = error("ERR", "walnut: the script paused (runPausable answers its reply)");

/**
 * Runs a command handler (`run`) so that a script it runs may pause: its reply, or a
 * promise of it when the script paused. After a promise, the caller must call
 * endPausedScript() once done with the reply. `name` is the command's table name.
 */
/** Whether runPausable may pause a command of this name (a script command); any other runs straight through. */
export function isPausable(name: string): boolean {
  return SCRIPT_COMMANDS.has(name);
}

export function runPausable(engine: Engine, name: string, run: () => Reply): Reply | Promise<Reply> {
  if (!SCRIPT_COMMANDS.has(name)) return run();
  const host = scriptHost(engine);
  host.pause = { allowed: true, startedMs: performance.now(), reply: null };
  let reply: Reply;
  try {
    reply = run();
  } catch (bug) {
    host.pause = notPausable();
    throw bug;
  }
  const paused = host.pause.reply;
  host.pause = notPausable();
  return paused ?? reply;
}

/**
 * Called by a script command's handler with its run's outcome: a reply as it is, or, when
 * the script paused, the placeholder reply, the promise kept for runPausable and the
 * script recorded as running.
 */
export function settleRun(host: ScriptHost, outcome: Reply | Promise<Reply>, what: Omit<RunningScript, "startedMs" | "ended" | "end">): Reply {
  if (!(outcome instanceof Promise)) return outcome;
  let end = (): void => undefined;
  const ended = new Promise<void>((resolve) => (end = resolve));
  host.running = { ...what, startedMs: host.pause.startedMs, ended, end };
  host.pause.reply = outcome;
  return PAUSED;
}

/** Whether a run may pause: only under runPausable, and only its first script (consumed). */
export function takePausable(host: ScriptHost): boolean {
  if (!host.pause.allowed) return false;
  host.pause.allowed = false;
  return true;
}

function notPausable(): ScriptHost["pause"] {
  return { allowed: false, startedMs: 0, reply: null };
}

/** The caller of a paused script is done with its reply: other commands and entries go on. */
export function endPausedScript(engine: Engine): void {
  const host = existingScriptHost(engine);
  const running = host?.running;
  if (host === undefined || running === null || running === undefined) return;
  host.running = null;
  running.end();
}

/** null when no script holds the engine, else a promise that resolves once none does. */
export function scriptsIdle(engine: Engine): Promise<void> | null {
  return existingScriptHost(engine)?.running?.ended ?? null;
}

function commandKey(argv: readonly ByteString[]): string {
  const name = (argv[0] ?? "").toUpperCase();
  return name === "SCRIPT" || name === "FUNCTION" ? `${name}|${(argv[1] ?? "").toUpperCase()}` : name;
}

/** SCRIPT KILL, FUNCTION KILL and FUNCTION STATS: they act on or report the paused script, so they never wait for it. */
export function reachesPausedScript(argv: readonly ByteString[]): boolean {
  const name = argv[0];
  if (name === undefined || (name.length !== 6 && name.length !== 8)) return false;
  const key = commandKey(argv);
  return key === "SCRIPT|KILL" || key === "FUNCTION|KILL" || key === "FUNCTION|STATS";
}

/**
 * What a client's command meets while a script holds the engine: null (no script, or a
 * command Redis lets through), the BUSY error once the script has run for
 * busy-reply-threshold, or before that a promise that resolves when the script ends or
 * the threshold passes (then ask again).
 */
export function busyGate(engine: Engine, argv: readonly ByteString[]): Reply | Promise<void> | null {
  if (ALLOWED_WHILE_BUSY.has(commandKey(argv))) return null;
  return scriptGate(engine);
}

/**
 * What SHUTDOWN meets while a script holds the engine: with NOSAVE nothing (the node closes
 * and gives the script up: abandonPausedScript); without, the BUSY error once the script
 * has run for busy-reply-threshold (Redis' words, also for SAVE, NOW and FORCE), and before
 * that a promise that resolves when the script ends or the threshold passes (then ask
 * again): Redis reads SHUTDOWN only once the script lets it.
 */
export function shutdownGate(engine: Engine, nosave: boolean): Reply | Promise<void> | null {
  return nosave ? null : scriptGate(engine);
}

function scriptGate(engine: Engine): Reply | Promise<void> | null {
  const host = existingScriptHost(engine);
  const running = host?.running;
  if (host === undefined || running === null || running === undefined) return null;
  const leftMs = running.startedMs + host.busyReplyThresholdMs - performance.now();
  if (leftMs <= 0) return running.kind === "eval" ? BUSY_EVAL : BUSY_FUNCTION;
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, Math.ceil(leftMs));
    void running.ended.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** The node closes: the paused script, if any, is given up; its promise rejects with `why` (node/state_machine.ts ApplyAbandoned). */
export function abandonPausedScript(engine: Engine, why: Error): boolean {
  return existingScriptHost(engine)?.vm.abandonPausedRun(why) ?? false;
}

/** SCRIPT KILL (`by` "eval") and FUNCTION KILL ("function"), as redis-server 7.0 answers them. */
export function killScript(engine: Engine, by: "eval" | "function"): Reply {
  const host = scriptHost(engine);
  const running = host.running;
  if (running === null) return NOTBUSY;
  if (running.logged) return UNKILLABLE_LOGGED;
  if (by === "eval" && running.kind === "function") return BUSY_FUNCTION;
  if (by === "function" && running.kind === "eval") return BUSY_EVAL;
  return host.vm.killPausedRun() ? OK : NOTBUSY;
}

/** FUNCTION STATS' running_script: nil, or the running function's name, command and run time. */
export function runningScriptStats(engine: Engine): Reply | null {
  const running = existingScriptHost(engine)?.running;
  if (running === null || running === undefined) return null;
  if (running.kind === "eval") return BUSY_EVAL;
  return map([
    [bulk("name"), bulk(running.name)],
    [bulk("command"), array(running.argv.map((arg) => bulk(arg)))],
    [bulk("duration_ms"), integer(Math.floor(performance.now() - running.startedMs))],
  ]);
}
