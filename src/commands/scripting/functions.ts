/**
 * FUNCTION LOAD | DELETE | FLUSH | RESTORE (writes: log entries, applied on every replica),
 * FUNCTION LIST | DUMP | STATS | KILL | HELP (reads), FCALL and FCALL_RO: Redis 7.0's
 * functions. The libraries are replicated state (engine/function_libraries.ts, saved in
 * checkpoints); each node compiles them into its Lua state (script_host.ts).
 *
 * FUNCTION DUMP's payload is walnut's own (a format tag, the libraries as name and code,
 * a CRC32), not Redis' RDB encoding: RESTORE takes walnut's payloads and refuses others
 * with Redis' "payload version or checksum are wrong" error.
 */
import { crc32 } from "node:zlib";
import type { ByteString } from "../../engine/bytes.js";
import { array, bulk, error, integer, map, NIL, OK, set, status, type Reply } from "../../engine/reply.js";
import { defineCommand } from "../define.js";
import { globMatches } from "../glob.js";
import type { CommandContext, CommandSpec } from "../spec.js";
import { killScript, runningScriptStats, settleRun, takePausable } from "./script_busy.js";
import { atomically, badSubcommand, inApply, CONTAINER_INFO, READ_ONLY_SCRIPT_RUN_INFO, SCRIPT_RUN_INFO, splitKeys } from "./eval_commands.js";
import { BAD_NAME, isValidName } from "./register_function.js";
import { scriptCalls } from "./script_calls.js";
import { scriptHost } from "./script_host.js";

/** The library name of FUNCTION LOAD's code: its "#!lua name=<name>" first line, or Redis' error. */
function libraryName(code: ByteString): string | Reply {
  if (!code.startsWith("#!")) return error("ERR", "Missing library metadata");
  const end = code.indexOf("\n");
  const parts = (end < 0 ? code.slice(2) : code.slice(2, end)).split(" ").filter((part) => part !== "");
  const engine = parts[0] ?? "";
  if (engine.toLowerCase() !== "lua") return error("ERR", `Engine '${engine}' not found`);
  let name: string | null = null;
  for (const part of parts.slice(1)) {
    if (!part.startsWith("name=")) return error("ERR", `Invalid metadata value given: ${part}`);
    name = part.slice("name=".length);
  }
  if (name === null) return error("ERR", "Library name was not given");
  if (!isValidName(name)) return error("ERR", BAD_NAME);
  return name;
}

/**
 * Replaces the libraries with `next` after compiling `added` (name → code) to check them:
 * an error reply (compile error, no function, a function name another library has), else null.
 */
function commitLibraries(ctx: CommandContext, next: Array<[string, ByteString]>, added: Array<[string, ByteString]>): Reply | null {
  const host = scriptHost(ctx.engine);
  const taken = new Map<string, string>();
  for (const loaded of host.functions(ctx.engine).values()) taken.set(loaded.name, loaded.library);
  const replaced = new Set(added.map(([name]) => name));
  for (const [name, owner] of [...taken]) if (replaced.has(owner)) taken.delete(name);
  for (const [library, code] of added) {
    const loaded = host.vm.loadLibrary(code, { name: library });
    if (typeof loaded === "string") return { type: "error", text: loaded };
    host.vm.releaseFunctions(loaded);
    for (const name of loaded.keys()) {
      if (taken.has(name)) return error("ERR", `Function ${name} already exists`);
      taken.set(name, library);
    }
  }
  ctx.engine.functionLibraries.replaceAll(next);
  return null;
}

function load(ctx: CommandContext, args: ByteString[]): Reply {
  const replace = args.length === 3 && args[1]!.toUpperCase() === "REPLACE";
  if (args.length === 3 && !replace) return error("ERR", `Unknown option given: ${args[1]}`);
  if (args.length !== 2 && args.length !== 3) return badSubcommand("FUNCTION", FUNCTION_SUBCOMMANDS, args[0]!);
  const code = args[args.length - 1]!;
  const name = libraryName(code);
  if (typeof name !== "string") return name;
  const libraries = ctx.engine.functionLibraries;
  if (libraries.code(name) !== undefined && !replace) return error("ERR", `Library '${name}' already exists`);
  const next = libraries.entries();
  const at = next.findIndex(([existing]) => existing === name);
  if (at >= 0) next[at] = [name, code];
  else next.push([name, code]);
  return commitLibraries(ctx, next, [[name, code]]) ?? bulk(name);
}

const DUMP_TAG = "WALNUTFN1";

function dumpPayload(libraries: Array<[string, ByteString]>): ByteString {
  const body = JSON.stringify(libraries);
  const bytes = Buffer.from(DUMP_TAG + body, "latin1");
  const check = Buffer.alloc(4);
  check.writeUInt32LE(crc32(bytes) >>> 0);
  return Buffer.concat([bytes, check]).toString("latin1");
}

function readPayload(payload: ByteString): Array<[string, ByteString]> | null {
  const bytes = Buffer.from(payload, "latin1");
  if (bytes.length < DUMP_TAG.length + 4 || !payload.startsWith(DUMP_TAG)) return null;
  const body = bytes.subarray(0, bytes.length - 4);
  if ((crc32(body) >>> 0) !== bytes.readUInt32LE(bytes.length - 4)) return null;
  try {
    const parsed: unknown = JSON.parse(body.subarray(DUMP_TAG.length).toString("latin1"));
    if (!Array.isArray(parsed) || !parsed.every((entry) => Array.isArray(entry) && typeof entry[0] === "string" && typeof entry[1] === "string")) return null;
    return parsed as Array<[string, ByteString]>;
  } catch {
    return null;
  }
}

function restore(ctx: CommandContext, args: ByteString[]): Reply {
  if (args.length !== 2 && args.length !== 3) return badSubcommand("FUNCTION", FUNCTION_SUBCOMMANDS, args[0]!);
  const policy = (args[2] ?? "APPEND").toUpperCase();
  if (!["APPEND", "REPLACE", "FLUSH"].includes(policy)) return error("ERR", "Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.");
  const restored = readPayload(args[1]!);
  if (restored === null) return error("ERR", "DUMP payload version or checksum are wrong");
  const current = policy === "FLUSH" ? [] : ctx.engine.functionLibraries.entries();
  const next = [...current];
  for (const [name, code] of restored) {
    const at = next.findIndex(([existing]) => existing === name);
    if (at >= 0 && policy === "APPEND") return error("ERR", `Library ${name} already exists`);
    if (at >= 0) next[at] = [name, code];
    else next.push([name, code]);
  }
  if (policy === "FLUSH") ctx.engine.functionLibraries.replaceAll([]);
  return commitLibraries(ctx, next, restored) ?? OK;
}

function list(ctx: CommandContext, args: ByteString[]): Reply {
  let pattern: ByteString | null = null;
  let withCode = false;
  for (let at = 1; at < args.length; at++) {
    const option = args[at]!.toUpperCase();
    if (option === "WITHCODE" && !withCode) withCode = true;
    else if (option === "LIBRARYNAME" && pattern === null && at + 1 < args.length) pattern = args[++at]!;
    else return error("ERR", `Unknown argument ${args[at]}`);
  }
  const functions = [...scriptHost(ctx.engine).functions(ctx.engine).values()];
  const libraries: Reply[] = [];
  for (const [name, code] of ctx.engine.functionLibraries.entries()) {
    if (pattern !== null && !globMatches(pattern, name)) continue;
    const described = functions
      .filter((loaded) => loaded.library === name)
      .map((loaded) =>
        map([
          [bulk("name"), bulk(loaded.name)],
          [bulk("description"), loaded.description === null ? NIL : bulk(loaded.description)],
          [bulk("flags"), set([...loaded.flags].map((flag) => status(flag)))],
        ]),
      );
    const fields: Array<[Reply, Reply]> = [
      [bulk("library_name"), bulk(name)],
      [bulk("engine"), bulk("LUA")],
      [bulk("functions"), array(described)],
    ];
    if (withCode) fields.push([bulk("library_code"), bulk(code)]);
    libraries.push(map(fields));
  }
  return array(libraries);
}

const FUNCTION_HELP = [
  "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "LOAD [REPLACE] <FUNCTION CODE>",
  "    Create a new library with the given library name and code.",
  "DELETE <LIBRARY NAME>",
  "    Delete the given library.",
  "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
  "    Return general information on all the libraries:",
  "    * Library name",
  "    * The engine used to run the Library",
  "    * Library description",
  "    * Functions list",
  "    * Library code (if WITHCODE is given)",
  "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
  "STATS",
  "    Return information about the current function running:",
  "    * Function name",
  "    * Command used to run the function",
  "    * Duration in MS that the function is running",
  "    If no function is running, return nil",
  "    In addition, returns a list of available engines.",
  "KILL",
  "    Kill the current running function.",
  "FLUSH [ASYNC|SYNC]",
  "    Delete all the libraries.",
  "    When called without the optional mode argument, the behavior is determined by the",
  "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
  "    * ASYNC: Asynchronously flush the libraries.",
  "    * SYNC: Synchronously flush the libraries.",
  "DUMP",
  "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
  "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
  "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
  "    control how to handle existing libraries (default APPEND):",
  "    * FLUSH: delete all existing libraries.",
  "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
  "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
  "      libraries with the new libraries (notice that even on this option there is a chance of failure",
  "      in case of functions name collision with another library).",
  "HELP",
  "    Prints this help.",
];

const FUNCTION_SUBCOMMANDS = ["LOAD", "DELETE", "FLUSH", "RESTORE", "LIST", "DUMP", "STATS", "KILL", "HELP"];
const WRITING_SUBCOMMANDS = new Set(["LOAD", "DELETE", "FLUSH", "RESTORE"]);

function functionCommand(ctx: CommandContext, args: ByteString[]): Reply {
  const sub = args[0]!.toUpperCase();
  const libraries = ctx.engine.functionLibraries;
  switch (sub) {
    case "LOAD":
      return load(ctx, args);
    case "RESTORE":
      return restore(ctx, args);
    case "LIST":
      return list(ctx, args);
    case "DELETE":
      if (args.length !== 2) break;
      if (libraries.code(args[1]!) === undefined) return error("ERR", "Library not found");
      libraries.replaceAll(libraries.entries().filter(([name]) => name !== args[1]));
      return OK;
    case "FLUSH": {
      if (args.length > 2) break;
      const mode = (args[1] ?? "SYNC").toUpperCase();
      if (mode !== "SYNC" && mode !== "ASYNC") return error("ERR", "FUNCTION FLUSH only supports SYNC|ASYNC option");
      libraries.replaceAll([]);
      return OK;
    }
    case "DUMP":
      if (args.length !== 1) break;
      return bulk(dumpPayload(libraries.entries()));
    case "STATS": {
      if (args.length !== 1) break;
      const counts = map([
        [bulk("libraries_count"), integer(libraries.size)],
        [bulk("functions_count"), integer(scriptHost(ctx.engine).functions(ctx.engine).size)],
      ]);
      const running = runningScriptStats(ctx.engine);
      if (running !== null && running.type === "error") return running; // an EVAL is running: Redis answers BUSY
      return map([
        [bulk("running_script"), running ?? NIL],
        [bulk("engines"), map([[bulk("LUA"), counts]])],
      ]);
    }
    case "KILL":
      if (args.length !== 1) break;
      return killScript(ctx.engine, "function");
    case "HELP":
      if (args.length !== 1) break;
      return array(FUNCTION_HELP.map((line) => status(line)));
  }
  return badSubcommand("FUNCTION", FUNCTION_SUBCOMMANDS, args[0]!);
}

function fcall(ctx: CommandContext, args: ByteString[], readOnlyCommand: boolean): Reply {
  const split = splitKeys(args[1]!, args.slice(2));
  if ("type" in split) return split.type === "error" && split.text.includes("not an integer") ? error("ERR", "Bad number of keys provided") : split;
  const host = scriptHost(ctx.engine);
  const loaded = host.functions(ctx.engine).get(args[0]!);
  if (loaded === undefined) return error("ERR", "Function not found");
  const declaredReadOnly = loaded.flags.has("no-writes");
  if (readOnlyCommand && !declaredReadOnly) return error("ERR", "Can not execute a script with write flag using *_ro command.");
  const run = { keys: split.keys, args: split.args, calls: scriptCalls(ctx, declaredReadOnly), randomSeed: ctx.index, name: loaded.name };
  const pausable = takePausable(host);
  const outcome = declaredReadOnly
    ? host.vm.runFunction(loaded, run, pausable)
    : atomically(ctx.engine, () => host.vm.runFunction(loaded, run, pausable), () => host.vm.wasStopped);
  const argv = [readOnlyCommand ? "fcall_ro" : "fcall", ...args];
  return settleRun(host, outcome, { kind: "function", logged: inApply(ctx), name: loaded.name, argv });
}

export const functionCommands: CommandSpec[] = [
  {
    ...defineCommand({
      name: "FUNCTION",
      arity: -2,
      // denyoom as Redis' FUNCTION LOAD and RESTORE: over maxmemory the logged subcommands are refused.
      flags: ["write", "denyoom", "noscript"],
      firstKey: 0,
      hasSubcommands: true,
      summary: "LOAD, DELETE, FLUSH, RESTORE (logged); LIST, DUMP, STATS, KILL, HELP: function libraries",
      info: CONTAINER_INFO,
      run: functionCommand,
    }),
    readsOnly: (_engine, argv) => !WRITING_SUBCOMMANDS.has((argv[1] ?? "").toUpperCase()),
  },
  {
    ...defineCommand({
      name: "FCALL",
      arity: -3,
      flags: ["write", "noscript", "stale", "skip_slowlog", "movablekeys"],
      firstKey: 0,
      summary: "Calls a function of a loaded library (name, numkeys, keys, arguments)",
      info: SCRIPT_RUN_INFO,
      run: (ctx, args) => fcall(ctx, args, false),
    }),
    readsOnly: (engine, argv) => scriptHost(engine).functions(engine).get(argv[1] ?? "")?.flags.has("no-writes") === true,
  },
  defineCommand({
    name: "FCALL_RO",
    arity: -3,
    flags: ["readonly", "noscript", "stale", "skip_slowlog", "movablekeys"],
    firstKey: 0,
    summary: "Calls a no-writes function of a loaded library",
    info: READ_ONLY_SCRIPT_RUN_INFO,
    run: (ctx, args) => fcall(ctx, args, true),
  }),
];
