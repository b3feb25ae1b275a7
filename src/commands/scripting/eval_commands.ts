/**
 * EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT: Redis 7.0's scripts over walnut's log.
 *
 * A script that may write runs inside apply(), on every replica, as one log entry
 * carrying its body: EVAL as the client sent it, EVALSHA rewritten to EVAL by the node
 * that received it (executor.ts asks resolveScriptCall below), so no replica needs the
 * script cache. Its redis.call runs commands against the same engine with the entry's
 * clock and index; randomness is seeded from the index. A read-only script (EVAL_RO,
 * EVALSHA_RO, or a `#!lua flags=no-writes` shebang) runs on the read path instead.
 *
 * Atomicity: a script runs to its end before anything else runs (a long one pauses so
 * that Node can answer BUSY, but holds the engine meanwhile: script_busy.ts). A runtime error keeps
 * the writes made before it, as in Redis; a script stopped by walnut's instruction or
 * heap limit has every write undone (the engine's batch journal), so a replica never
 * holds half of a runaway script.
 *
 * SCRIPT LOAD | EXISTS | FLUSH act on this node's script cache (script_host.ts); SCRIPT
 * KILL stops a long read-only script (a logged one is never killed: script_busy.ts).
 */
import type { ByteString } from "../../engine/bytes.js";
import type { Engine } from "../../engine/engine.js";
import { array, bulk, error, integer, OK, type Reply } from "../../engine/reply.js";
import { defineCommand } from "../define.js";
import { parseInteger } from "../numbers.js";
import type { CommandContext, CommandSpec } from "../spec.js";
import { scriptCalls } from "./script_calls.js";
import { scriptHost } from "./script_host.js";
import { sha1hex } from "./sha1.js";
import { readShebang } from "./shebang.js";
import { killScript, settleRun, takePausable } from "./script_busy.js";

const NOSCRIPT = error("NOSCRIPT", "No matching script. Please use EVAL.");
const NOT_AN_INTEGER = error("ERR", "value is not an integer or out of range");

/** The keys and arguments of EVAL-like calls (numkeys key... arg...), or Redis' error. */
export function splitKeys(numkeysText: ByteString, rest: ByteString[]): { keys: ByteString[]; args: ByteString[] } | Reply {
  const numkeys = parseInteger(numkeysText);
  if (numkeys === null) return NOT_AN_INTEGER;
  if (numkeys < 0n) return error("ERR", "Number of keys can't be negative");
  if (numkeys > BigInt(rest.length)) return error("ERR", "Number of keys can't be greater than number of args");
  const count = Number(numkeys);
  return { keys: rest.slice(0, count), args: rest.slice(count) };
}

/**
 * True when this context is apply()'s (a log entry being applied) rather than the read
 * path's: apply() raises engine.appliedIndex only after the entry ran.
 */
export function inApply(ctx: CommandContext): boolean {
  return ctx.index > ctx.engine.appliedIndex;
}

interface EvalMode {
  bySha: boolean;
  readOnly: boolean;
}

function runEval(ctx: CommandContext, args: ByteString[], mode: EvalMode): Reply {
  const split = splitKeys(args[1]!, args.slice(2));
  if ("type" in split) return split;
  const host = scriptHost(ctx.engine);
  let body: ByteString;
  let sha: string;
  if (mode.bySha) {
    sha = args[0]!.toLowerCase();
    // In apply() only a body in the entry counts: a replica's cache is its own (see the top).
    const cached = inApply(ctx) ? undefined : host.bodies.get(sha);
    if (cached === undefined) return NOSCRIPT;
    body = cached;
  } else {
    body = args[0]!;
    sha = sha1hex(body);
  }
  const shebang = readShebang(body);
  if (typeof shebang === "string") return { type: "error", text: shebang };
  const compileError = host.vm.compileBody(sha, body);
  if (compileError !== null) return error("ERR", `Error compiling script (new function): ${compileError}`);
  host.bodies.set(sha, body);
  const readOnly = mode.readOnly || shebang.flags.has("no-writes");
  const run = { keys: split.keys, args: split.args, calls: scriptCalls(ctx, readOnly), randomSeed: ctx.index, name: sha };
  const pausable = takePausable(host);
  const outcome = readOnly ? host.vm.runBody(sha, run, pausable) : atomically(ctx.engine, () => host.vm.runBody(sha, run, pausable), () => host.vm.wasStopped);
  return settleRun(host, outcome, { kind: "eval", logged: inApply(ctx), name: sha, argv: [] });
}

/**
 * Runs a writing script so that a stop by a limit undoes its writes: in a batch journal
 * of its own, unless it already runs inside one (MULTI), whose abort undoes it all.
 */
export function atomically(engine: Engine, run: () => Reply, stopped: () => boolean): Reply;
export function atomically(engine: Engine, run: () => Reply | Promise<Reply>, stopped: () => boolean): Reply | Promise<Reply>;
export function atomically(engine: Engine, run: () => Reply | Promise<Reply>, stopped: () => boolean): Reply | Promise<Reply> {
  if (engine.journal !== null) return run();
  engine.beginBatch();
  const rollback = (bug: unknown): never => {
    engine.rollbackBatch();
    throw bug;
  };
  const settle = (reply: Reply): Reply => {
    if (stopped()) engine.rollbackBatch();
    else engine.commitBatch();
    return reply;
  };
  let reply: Reply | Promise<Reply>;
  try {
    reply = run();
  } catch (bug) {
    return rollback(bug);
  }
  // A paused script keeps its journal open until it ends: nothing else writes meanwhile (script_busy.ts).
  return reply instanceof Promise ? reply.then(settle, rollback) : settle(reply);
}

/** True when an EVAL-family call, as given, only reads: a no-writes shebang (its body looked up for EVALSHA). */
function declaredReadOnly(engine: Engine, argv: ByteString[], bySha: boolean): boolean {
  const body = bySha ? scriptHost(engine).bodies.get((argv[1] ?? "").toLowerCase()) : argv[1];
  if (body === undefined) return false;
  const shebang = readShebang(body);
  return typeof shebang !== "string" && shebang.flags.has("no-writes");
}

/**
 * The call to log for an EVALSHA-family write: EVALSHA becomes EVAL with the body this
 * node has cached, so that replicas run the body; NOSCRIPT when this node has none.
 * Other calls are returned as they are.
 */
export function resolveScriptCall(engine: Engine, argv: ByteString[]): ByteString[] | Reply {
  const name = (argv[0] ?? "").toUpperCase();
  if (name !== "EVALSHA" || argv.length < 3) return argv;
  const body = scriptHost(engine).bodies.get(argv[1]!.toLowerCase());
  // Without a body, apply() answers what Redis would: a bad numkeys error, else NOSCRIPT.
  if (body === undefined) return "type" in splitKeys(argv[2]!, argv.slice(3)) ? argv : NOSCRIPT;
  return ["EVAL", body, ...argv.slice(2)];
}

const SCRIPT_HELP = [
  "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "DEBUG (YES|SYNC|NO)",
  "    Set the debug mode for subsequent scripts executed.",
  "EXISTS <sha1> [<sha1> ...]",
  "    Return information about the existence of the scripts in the script cache.",
  "FLUSH [ASYNC|SYNC]",
  "    Flush the Lua scripts cache. Very dangerous on replicas.",
  "    When called without the optional mode argument, the behavior is determined by the",
  "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
  "    * ASYNC: Asynchronously flush the scripts cache.",
  "    * SYNC: Synchronously flush the scripts cache.",
  "KILL",
  "    Kill the currently executing Lua script.",
  "LOAD <script>",
  "    Load a script into the scripts cache without executing it.",
  "HELP",
  "    Prints this help.",
];

/** Redis' answer to a subcommand it does not know, or one it knows given the wrong number of arguments. */
export function badSubcommand(command: string, known: readonly string[], sub: ByteString): Reply {
  if (known.includes(sub.toUpperCase())) {
    return error("ERR", `wrong number of arguments for '${command.toLowerCase()}|${sub.toLowerCase()}' command`);
  }
  return error("ERR", `unknown subcommand '${sub}'. Try ${command} HELP.`);
}

const SCRIPT_SUBCOMMANDS = ["DEBUG", "EXISTS", "FLUSH", "KILL", "LOAD", "HELP"];

function script(ctx: CommandContext, args: ByteString[]): Reply {
  const sub = args[0]!.toUpperCase();
  const host = scriptHost(ctx.engine);
  if (sub === "HELP" && args.length === 1) return array(SCRIPT_HELP.map((line) => ({ type: "status", text: line })));
  if (sub === "LOAD" && args.length === 2) {
    const body = args[1]!;
    const shebang = readShebang(body);
    if (typeof shebang === "string") return { type: "error", text: shebang };
    const sha = sha1hex(body);
    const compileError = host.vm.compileBody(sha, body);
    if (compileError !== null) return error("ERR", `Error compiling script (new function): ${compileError}`);
    host.bodies.set(sha, body);
    return bulk(sha);
  }
  if (sub === "EXISTS" && args.length >= 2) return array(args.slice(1).map((sha) => integer(host.bodies.has(sha.toLowerCase()) ? 1 : 0)));
  if (sub === "FLUSH" && args.length <= 2) {
    const mode = (args[1] ?? "SYNC").toUpperCase();
    if (mode !== "SYNC" && mode !== "ASYNC") return error("ERR", "SCRIPT FLUSH only support SYNC|ASYNC option");
    host.flushBodies();
    return OK;
  }
  if (sub === "KILL" && args.length === 1) return killScript(ctx.engine, "eval");
  if (sub === "DEBUG" && args.length === 2) {
    const mode = args[1]!.toUpperCase();
    if (mode === "NO") return OK;
    if (mode === "YES" || mode === "SYNC") return error("ERR", "walnut has no Lua debugger (SCRIPT DEBUG NO is accepted)");
    return error("ERR", "Use SCRIPT DEBUG YES/SYNC/NO");
  }
  return badSubcommand("SCRIPT", SCRIPT_SUBCOMMANDS, args[0]!);
}

/** COMMAND INFO of the script commands, as Redis 7.0 gives it (spec.ts `info`). */
export const SCRIPT_RUN_INFO = { flags: ["noscript", "stale", "skip_monitor", "no_mandatory_keys", "movablekeys"], categories: ["@slow", "@scripting"] };
export const READ_ONLY_SCRIPT_RUN_INFO = { flags: ["readonly", ...SCRIPT_RUN_INFO.flags], categories: SCRIPT_RUN_INFO.categories };
export const CONTAINER_INFO = { flags: [], categories: ["@slow"] };

const EVAL_SUMMARY = "Runs a Lua script (numkeys, keys, then arguments) atomically";

export const evalCommands: CommandSpec[] = [
  {
    ...defineCommand({
      name: "EVAL",
      arity: -3,
      flags: ["write", "noscript", "stale", "skip_slowlog", "movablekeys"],
      firstKey: 0,
      summary: EVAL_SUMMARY,
      info: SCRIPT_RUN_INFO,
      run: (ctx, args) => runEval(ctx, args, { bySha: false, readOnly: false }),
    }),
    readsOnly: (engine, argv) => declaredReadOnly(engine, argv, false),
  },
  {
    ...defineCommand({
      name: "EVALSHA",
      arity: -3,
      flags: ["write", "noscript", "stale", "skip_slowlog", "movablekeys"],
      firstKey: 0,
      summary: "Runs a script of the script cache by its sha1",
      info: SCRIPT_RUN_INFO,
      run: (ctx, args) => runEval(ctx, args, { bySha: true, readOnly: false }),
    }),
    readsOnly: (engine, argv) => declaredReadOnly(engine, argv, true),
  },
  defineCommand({
    name: "EVAL_RO",
    arity: -3,
    flags: ["readonly", "noscript", "stale", "skip_slowlog", "movablekeys"],
    firstKey: 0,
    summary: "Runs a read-only Lua script",
    info: READ_ONLY_SCRIPT_RUN_INFO,
    run: (ctx, args) => runEval(ctx, args, { bySha: false, readOnly: true }),
  }),
  defineCommand({
    name: "EVALSHA_RO",
    arity: -3,
    flags: ["readonly", "noscript", "stale", "skip_slowlog", "movablekeys"],
    firstKey: 0,
    summary: "Runs a read-only script of the script cache by its sha1",
    info: READ_ONLY_SCRIPT_RUN_INFO,
    run: (ctx, args) => runEval(ctx, args, { bySha: true, readOnly: true }),
  }),
  defineCommand({
    name: "SCRIPT",
    arity: -2,
    flags: ["readonly", "noscript", "stale"],
    firstKey: 0,
    hasSubcommands: true,
    summary: "LOAD, EXISTS, FLUSH, KILL, HELP: this node's script cache",
    info: CONTAINER_INFO,
    run: script,
  }),
];
