/**
 * The guides, walked as a user walks them: the shell commands of docs/getting-started.md's
 * "1. One node" and of README.md's quick start are read out of the markdown and run, one
 * by one, against a real `walnut serve` process (bin/walnut.js), in a temporary directory
 * as the working directory so nothing lands in the tree. Client commands run under
 * `script`, on a pseudo-terminal, because the docs show what a terminal shows
 * (`(integer) 1`, `"hello"`). Every `# comment` after a command is taken as the output the
 * docs promise and must be exactly what the command prints, unless it is one of the
 * DESCRIPTIONS below (a comment that says what a command does rather than what it prints).
 *
 * What cannot run as written runs as its faithful equivalent: `git clone` and `npm
 * install` are this tree (the test checks that `npm install` builds, and that `npm start`
 * is `walnut serve --data-dir ./walnut-data`); the node listens on free ports below 32768
 * instead of 6380 and 8380, so the commands have those ports put in their place (and
 * `walnut cli` without `-p` is given the RESP port); the interactive `walnut cli` gets its
 * lines on stdin. The single-node sections of docs/operations.md (offline tools, backup,
 * restore, time travel) and README's "Running a node" lines are walked the same way, their
 * prose claims checked: the messages, exit codes and files the docs name.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, open as openFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import assert from "node:assert/strict";
import { freePort, waitUntil } from "./server_fixtures.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "bin", "walnut.js");
const TEST_TIMEOUT_MS = 180_000;
const COMMAND_TIMEOUT_MS = 30_000;
const SCRIPT_PATH = "/usr/bin/script";

/** Comments in the walked sections that describe a command instead of claiming its output. */
const DESCRIPTIONS = new Set([
  "an interactive prompt with HELP and history",
  "or: redis-cli -p 6380 SET greeting hello",
]);

interface DocCommand {
  where: string;
  command: string;
  /** The comment after the command, if any. */
  comment: string | null;
}

/** The lines of the ```sh blocks in `markdown` between the heading `from` and the next heading of its level (or the heading `until`). */
function shellCommands(text: string, where: string, from: string, until?: string): DocCommand[] {
  const markdown = `\n${text}`;
  const start = markdown.indexOf(`\n${from}\n`);
  assert.ok(start >= 0, `${where} has the heading "${from}"`);
  const level = /^#+ /.exec(from)?.[0] ?? "## ";
  const next = markdown.indexOf(until === undefined ? `\n${level}` : `\n${until}\n`, start + from.length + 1);
  const section = markdown.slice(start, next < 0 ? undefined : next);
  const lines = [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].flatMap((block) => (block[1] as string).split("\n"));
  return lines
    .filter((line) => line.trim() !== "" && !line.trim().startsWith("#"))
    .map((line) => {
      const split = /^(.*?\S)\s{2,}#\s?(.*)$/.exec(line);
      return split === null ? { where, command: line.trim(), comment: null } : { where, command: split[1] as string, comment: (split[2] as string).trim() };
    });
}

interface Ports {
  resp: number;
  http: number;
}

/** The doc's command as it runs here: our walnut, our ports. */
function runnable(command: string, ports: Ports): string {
  return command
    .replace(/^npx walnut /, `node ${BIN} `)
    .replace(/\b6380\b/g, String(ports.resp))
    .replace(/\b8380\b/g, String(ports.http))
    .replace(/^(node \S+ cli)(?! -p)/, `$1 -p ${ports.resp}`);
}

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a shell line in `cwd`: on a pseudo-terminal (as a user in a terminal sees it) when `terminal`. */
function run(line: string, cwd: string, options: { terminal?: boolean; input?: string } = {}): Promise<Ran> {
  const [file, args] = options.terminal === true ? [SCRIPT_PATH, ["-qec", line, "/dev/null"]] : ["bash", ["-c", line]];
  return new Promise((resolve) => {
    const child = execFile(file, args, { cwd, timeout: COMMAND_TIMEOUT_MS, env: { ...process.env, WALNUT_LOG_FORMAT: "json" } }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
      resolve({ code, stdout: stdout.replace(/\r/g, ""), stderr: stderr.replace(/\r/g, "") });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

/** A `walnut serve` process, as `npm start` runs it, on free ports. */
class Serve {
  stderr = "";
  private readonly exited: Promise<number | null>;

  private constructor(private readonly child: ChildProcess) {
    child.stderr?.on("data", (chunk: Buffer) => (this.stderr += chunk.toString("utf8")));
    this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  }

  static async start(cwd: string, ports: Ports, args: string[]): Promise<Serve> {
    const child = spawn(process.execPath, [BIN, ...args, "--port", String(ports.resp), "--http-port", String(ports.http)], { cwd, stdio: ["ignore", "ignore", "pipe"] });
    const serve = new Serve(child);
    let gone = false;
    void serve.exited.then(() => (gone = true));
    await waitUntil(`walnut serve ${args.join(" ")} is ready`, () => {
      assert.ok(!gone, `walnut serve exited before it was ready: ${serve.stderr}`);
      return /"msg":"walnut node \d+ ready/.test(serve.stderr);
    });
    return serve;
  }

  /** Sends `signal` and resolves to the exit code. */
  async stop(signal: NodeJS.Signals = "SIGINT"): Promise<number | null> {
    this.child.kill(signal);
    return this.exited;
  }
}

async function freePorts(): Promise<Ports> {
  for (;;) {
    const resp = await freePort();
    const http = await freePort();
    if (resp !== http) return { resp, http };
  }
}

/** Runs `commands` in order on a terminal; every comment not a description must be exactly the output. */
async function walk(commands: DocCommand[], cwd: string, ports: Ports): Promise<void> {
  for (const { where, command, comment } of commands) {
    const ran = await run(runnable(command, ports), cwd, { terminal: true });
    assert.equal(ran.code, 0, `${where}: \`${command}\` exits 0 (${ran.stdout}${ran.stderr})`);
    if (comment !== null && !DESCRIPTIONS.has(comment)) assert.equal(ran.stdout.trim(), comment, `${where}: \`${command}\` prints what the doc says`);
  }
}

async function temporaryDirectory(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), "walnut-guide-"));
  t.after(() => rm(directory, { recursive: true, force: true }));
  return directory;
}

const SKIP_NO_SCRIPT = existsSync(SCRIPT_PATH) ? false : `no ${SCRIPT_PATH} (util-linux) to run commands on a terminal`;

test("npm install builds walnut and npm start is walnut serve --data-dir ./walnut-data, as getting-started.md says", async () => {
  const packageJson = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string>; bin: Record<string, string> };
  assert.equal(packageJson.scripts.start, "node bin/walnut.js serve --data-dir ./walnut-data");
  assert.match(packageJson.scripts.prepare ?? "", /^tsc -p tsconfig\.json$/, "npm install runs prepare, which builds dist/");
  assert.equal(packageJson.bin.walnut, "./bin/walnut.js", "npx walnut is bin/walnut.js");
  const guide = await readFile(join(ROOT, "docs", "getting-started.md"), "utf8");
  const commands = shellCommands(guide, "getting-started.md", "## 1. One node").map((each) => each.command);
  assert.deepEqual(commands.slice(0, 2), ["git clone <this repository> walnut && cd walnut", "npm install && npm start"]);
});

test("getting-started.md, 1. One node: every command prints what the guide says; Ctrl-C closes cleanly; writes survive a restart and kill -9", { skip: SKIP_NO_SCRIPT, timeout: TEST_TIMEOUT_MS }, async (t) => {
  const cwd = await temporaryDirectory(t);
  const ports = await freePorts();
  const guide = await readFile(join(ROOT, "docs", "getting-started.md"), "utf8");
  const all = shellCommands(guide, "getting-started.md", "## 1. One node");
  // The first two (clone, install and start) are this tree and the Serve below.
  const interactive = all.find((each) => each.command === "npx walnut cli");
  const talk = all.slice(2).filter((each) => each !== interactive);
  assert.ok(interactive !== undefined, "the guide shows the interactive prompt");
  assert.deepEqual(
    talk.map((each) => each.command),
    ["npx walnut cli SET greeting hello", "npx walnut cli GET greeting", "redis-cli -p 6380 INCR visits", "curl -s localhost:8380/key/greeting"],
    "the commands this test walks (update it with the guide)",
  );

  let serve = await Serve.start(cwd, ports, ["serve", "--data-dir", "./walnut-data"]);
  try {
    await walk(talk, cwd, ports);
    // "an interactive prompt with HELP and history": typed on a terminal (HOME here, so the history lands in cwd).
    const typed = await run(`HOME=${cwd} ${runnable(interactive.command, ports)}`, cwd, { terminal: true, input: "GET greeting\nHELP\nQUIT\n" });
    assert.equal(typed.code, 0, typed.stderr);
    assert.match(typed.stdout, new RegExp(`127\\.0\\.0\\.1:${ports.resp}> `), "it prompts");
    assert.match(typed.stdout, /"hello"/, "it answers a command");
    assert.match(typed.stdout, /HELP|help/i, "it has HELP");
    assert.deepEqual((await readFile(join(cwd, ".walnut_history"), "utf8")).split("\n"), ["GET greeting", "HELP", "QUIT", ""], "it keeps a history");
    // Fed from a pipe, as redis-cli: only the replies.
    const piped = await run(runnable(interactive.command, ports), cwd, { input: "GET greeting\nINCR visits\n" });
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(piped.stdout, "hello\n2\n", "piped commands print their replies and no prompt");

    // "Stop it with Ctrl-C: ... ("closed cleanly")."
    assert.equal(await serve.stop("SIGINT"), 0, "Ctrl-C exits 0");
    assert.match(serve.stderr, /closed cleanly/);
    const files = await readdir(join(cwd, "walnut-data"));
    for (const name of ["control.toml", "wal", "checkpoints"]) assert.ok(files.includes(name), `the data directory holds ${name}: ${files.join(", ")}`);

    // "Start it again with npm start and every acknowledged write is there — also after kill -9."
    serve = await Serve.start(cwd, ports, ["serve", "--data-dir", "./walnut-data"]);
    assert.equal((await run(runnable("npx walnut cli GET greeting", ports), cwd)).stdout.trim(), "hello");
    assert.equal((await run(runnable("npx walnut cli SET after-restart yes", ports), cwd)).stdout.trim(), "OK");
    await serve.stop("SIGKILL");
    serve = await Serve.start(cwd, ports, ["serve", "--data-dir", "./walnut-data"]);
    assert.equal((await run(runnable("npx walnut cli GET after-restart", ports), cwd)).stdout.trim(), "yes");
    assert.equal((await run(runnable("npx walnut cli GET visits", ports), cwd)).stdout.trim(), "2");
  } finally {
    await serve.stop("SIGINT");
  }
});

test("README.md's quick start on a fresh node prints what the README says", { skip: SKIP_NO_SCRIPT, timeout: TEST_TIMEOUT_MS }, async (t) => {
  const cwd = await temporaryDirectory(t);
  const ports = await freePorts();
  const readme = await readFile(join(ROOT, "README.md"), "utf8");
  const commands = shellCommands(readme, "README.md", "# walnut", "## A cluster").filter((each) => !each.command.startsWith("npm "));
  assert.deepEqual(
    commands.map((each) => each.command.split(" ").slice(0, 3).join(" ")),
    ["npx walnut cli", "npx walnut cli", "curl -X PUT", "curl localhost:8380/key/visits"],
    "the commands this test walks (update it with the README)",
  );
  const serve = await Serve.start(cwd, ports, ["serve", "--data-dir", "./walnut-data"]);
  try {
    await walk(commands, cwd, ports);
  } finally {
    await serve.stop("SIGINT");
  }
});

/** The lines of README's "Running a node" block, by their first words. */
async function readmeRunningLines(): Promise<Map<string, DocCommand>> {
  const readme = await readFile(join(ROOT, "README.md"), "utf8");
  const lines = shellCommands(readme, "README.md", "## Running a node");
  return new Map(lines.map((each) => [each.command.replace(/\s+--data-dir.*$|\s+-h .*$/, "").replace(/\s+/g, " "), each]));
}

test("operations.md and README, one node: offline tools, backup, restore and time travel do and print what the docs say", { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const cwd = await temporaryDirectory(t);
  const ports = await freePorts();
  const lines = await readmeRunningLines();
  const line = (key: string): string => {
    const found = lines.get(key);
    assert.ok(found !== undefined, `README's "Running a node" has \`${key} ...\` (has: ${[...lines.keys()].join("; ")})`);
    return runnable(found.command, ports);
  };
  const cli = (args: string): Promise<Ran> => run(runnable(`npx walnut cli ${args}`, ports), cwd);

  let serve = await Serve.start(cwd, ports, ["serve", "--data-dir", "./walnut-data", "--fsync", "always"]);
  try {
    assert.equal((await cli("SET greeting hello")).stdout.trim(), "OK");
    assert.equal((await cli("INCR visits")).stdout.trim(), "1");

    // Offline tools refuse a running node: "it is in use by process N (a running node? stop it first)", exit 1.
    const busy = await run(line("npx walnut wal verify"), cwd);
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, /^walnut wal: Cannot verify the WAL in \.\/walnut-data: it is in use by process \d+ \(a running node\? stop it first\)$/m);

    // Backup: "backup FILE: index I, term T, K keys, S bytes"; given the RESP port by mistake it says so.
    const backup = await run(line("npx walnut backup"), cwd);
    assert.equal(backup.code, 0, backup.stderr);
    assert.match(backup.stdout + backup.stderr, /^backup backup\.ckpt: index \d+, term \d+, 2 keys, \d+ bytes$/m);
    const wrongPort = await run(`node ${BIN} backup -p ${ports.resp} --out wrong.ckpt`, cwd);
    assert.notEqual(wrongPort.code, 0);
    assert.match(wrongPort.stderr, /is -p the node's HTTP port, serve's --http-port\?/);
    const noDirectory = await run(`node ${BIN} backup -p ${ports.http} --out nodir/b.ckpt`, cwd);
    assert.notEqual(noDirectory.code, 0);
    assert.match(noDirectory.stderr, /^walnut backup: Cannot back up into nodir\/b\.ckpt: its directory .*: it does not exist$/m);

    assert.equal((await cli("SET after-backup yes")).stdout.trim(), "OK");
    assert.equal(await serve.stop("SIGINT"), 0);

    // wal inspect: one line per WAL frame; verify: ok; repair: nothing to do.
    const inspect = await run(line("npx walnut wal inspect"), cwd);
    assert.equal(inspect.code, 0, inspect.stderr);
    const verify = await run(line("npx walnut wal verify"), cwd);
    assert.equal(verify.code, 0, verify.stderr);
    const frames = Number(/WAL ok: (\d+) frames/.exec(verify.stdout)?.[1]);
    assert.equal(inspect.stdout.trim().split("\n").length, frames, "inspect prints one line per frame");
    const dryRun = await run(`${line("npx walnut wal repair")} --dry-run`, cwd);
    assert.equal(dryRun.code, 0, dryRun.stderr);

    // walnut checkpoint: an offline checkpoint of the stopped node.
    const checkpoint = await run(line("npx walnut checkpoint"), cwd);
    assert.equal(checkpoint.code, 0, checkpoint.stderr);
    assert.match(checkpoint.stdout, /^checkpoint walnut-data\/checkpoints\/\d+-\d+\.ckpt: index (\d+), term \d+, 3 keys, \d+ bytes$/m);
    const checkpointIndex = Number(/index (\d+)/.exec(checkpoint.stdout)?.[1]);

    // A path without walnut data is refused, and nothing is created there.
    const missing = await run(`node ${BIN} checkpoint --data-dir /no/such/dir`, cwd);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr.trim(), "walnut checkpoint: Cannot take a checkpoint of /no/such/dir: no such directory (is --data-dir right?)");

    // Damage: verify exits 1 naming the first bad offset; repair truncates there.
    serve = await Serve.start(cwd, ports, ["serve", "--data-dir", "./walnut-data"]);
    assert.equal((await cli("SET after-checkpoint yes")).stdout.trim(), "OK");
    assert.equal(await serve.stop("SIGINT"), 0);
    const segments = (await readdir(join(cwd, "walnut-data", "wal"))).filter((name) => name.endsWith(".wal")).sort();
    const newest = join(cwd, "walnut-data", "wal", segments[segments.length - 1] as string);
    const handle = await openFile(newest, "r+");
    try {
      const { size } = await handle.stat();
      await handle.write(Buffer.from([0xff, 0xff, 0xff, 0xff]), 0, 4, size - 6);
    } finally {
      await handle.close();
    }
    const damaged = await run(line("npx walnut wal verify"), cwd);
    assert.equal(damaged.code, 1, "verify exits 1 on damage");
    assert.match(damaged.stdout + damaged.stderr, /offset \d+/, "and names the first bad offset");
    const repaired = await run(line("npx walnut wal repair"), cwd);
    assert.equal(repaired.code, 0, repaired.stderr);
    assert.equal((await run(line("npx walnut wal verify"), cwd)).code, 0, "the WAL verifies after repair");

    // Restore from the backup into a new directory, and serve it: the backup's keys, not later ones.
    const restore = await run(line("npx walnut restore --from backup.ckpt"), cwd);
    assert.equal(restore.code, 0, restore.stderr);
    assert.match(restore.stdout, /^restored \.\/restored from backup\.ckpt: index \d+, term \d+, 2 keys, voters 1$/m);
    const restoredPorts = await freePorts();
    serve = await Serve.start(cwd, restoredPorts, ["serve", "--data-dir", "./restored"]);
    const restoredCli = (args: string): Promise<Ran> => run(runnable(`npx walnut cli ${args}`, restoredPorts), cwd);
    assert.equal((await restoredCli("GET greeting")).stdout.trim(), "hello");
    assert.equal((await restoredCli("EXISTS after-backup")).stdout.trim(), "0");
    assert.equal(await serve.stop("SIGINT"), 0);
    const again = await run(line("npx walnut restore --from backup.ckpt"), cwd);
    assert.equal(again.code, 1, "restore into a node is refused");
    assert.match(again.stderr, /it already holds a node .*--force moves those into/);
    await rm(join(cwd, "bad.ckpt"), { force: true });
    const backupBytes = await readFile(join(cwd, "backup.ckpt"));
    const truncated = await openFile(join(cwd, "bad.ckpt"), "w");
    await truncated.write(backupBytes.subarray(0, Math.floor(backupBytes.length / 2)));
    await truncated.close();
    const corrupt = await run(`node ${BIN} restore --from bad.ckpt --data-dir ./r2`, cwd);
    assert.equal(corrupt.code, 1);
    assert.match(corrupt.stderr, /Cannot restore from bad\.ckpt: bad\.ckpt is not a valid checkpoint \(/);
    assert.ok(!existsSync(join(cwd, "r2", "control.toml")), "a refused restore leaves no node behind");

    // Time travel: back to the offline checkpoint; the write after it is gone, moved aside, not deleted.
    const travel = await run(line("npx walnut restore --checkpoint <index>").replace("<index>", String(checkpointIndex)), cwd);
    assert.equal(travel.code, 0, travel.stderr);
    assert.match(travel.stdout, new RegExp(`^restored \\./walnut-data to its checkpoint at index ${checkpointIndex}, term \\d+ \\(3 keys\\); the WAL and \\d+ newer checkpoints? are in walnut-data/restore-backup-\\S+$`, "m"));
    assert.ok((await readdir(join(cwd, "walnut-data"))).some((name) => name.startsWith("restore-backup-")));
    serve = await Serve.start(cwd, ports, ["serve", "--data-dir", "./walnut-data"]);
    assert.equal((await cli("GET after-backup")).stdout.trim(), "yes");
    assert.equal((await cli("EXISTS after-checkpoint")).stdout.trim(), "0");
  } finally {
    await serve.stop("SIGINT");
  }
});
