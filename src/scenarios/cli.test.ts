/**
 * The installed binary: `walnut cli` one-shot and as a REPL replaying a LokiKV session,
 * and `walnut serve` refusing bad flags with one clear line.
 */
import { execFile, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { test } from "node:test";
import assert from "node:assert/strict";
import { startTestNode } from "./harness.js";

const run = promisify(execFile);
const walnut = fileURLToPath(new URL("../../bin/walnut.js", import.meta.url));

function repl(port: number, input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [walnut, "cli", "-p", String(port), "--raw=false"], { env: { ...process.env, HOME: "/tmp" } });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", reject);
    child.on("exit", () => resolve(output));
    child.stdin.end(input);
  });
}

test("walnut cli runs one command and exits", async () => {
  const node = await startTestNode();
  try {
    const set = await run(process.execPath, [walnut, "cli", "-p", String(node.respPort), "SET", "k", "hello world"]);
    assert.equal(set.stdout, "OK\n");
    const get = await run(process.execPath, [walnut, "cli", "-p", String(node.respPort), "GET", "k"]);
    assert.equal(get.stdout, "hello world\n");
    await assert.rejects(
      run(process.execPath, [walnut, "cli", "-p", String(node.respPort), "INCR", "k"]),
      (error: { stdout: string; code: number }) => error.code === 1 && /not an integer/.test(error.stdout),
    );
  } finally {
    await node.stop();
  }
});

test("walnut cli replays a LokiKV session with slash commands", async () => {
  const node = await startTestNode();
  try {
    const output = await repl(
      node.respPort,
      ["/c_bcol books", "/selectcol books", "SET b 2", 'SET a "one book"', "/getcur_colname", "DISPLAY", "/listcolnames", "quit", ""].join("\n"),
    );
    assert.match(output, /"books"/);
    assert.match(output, /a => "one book"\nb => "2"/);
    assert.match(output, /"ordered"/);
  } finally {
    await node.stop();
  }
});

test("walnut serve refuses a bad flag with one line naming it", async () => {
  await assert.rejects(run(process.execPath, [walnut, "serve", "--fsync", "sometimes"]), (error: { stderr: string; code: number }) => {
    assert.equal(error.code, 2);
    assert.equal(error.stderr, 'walnut serve: --fsync must be always, everysec or no (got "sometimes")\n');
    return true;
  });
  await assert.rejects(run(process.execPath, [walnut, "serve", "--segment-size", "lots"]), /--segment-size must be a size/);
  await assert.rejects(run(process.execPath, [walnut, "serve", "--no-such-flag"]), /unknown flag --no-such-flag/);
});

test("every walnut command answers --help with its usage and flags, and exits 0", async () => {
  const commands = [["serve"], ["cli"], ["wal"], ["wal", "inspect"], ["checkpoint"], ["cluster"], ["cluster", "up"], ["backup"], ["restore"], ["acl"]];
  for (const command of commands) {
    const { stdout } = await run(process.execPath, [walnut, ...command, "--help"]);
    assert.match(stdout, new RegExp(`^usage: walnut ${command[0]}`), `walnut ${command.join(" ")} --help`);
  }
});
