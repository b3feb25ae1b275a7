/**
 * The installed binary: `walnut cli` one-shot and as a REPL replaying a LokiKV session,
 * and `walnut serve` refusing bad flags with one clear line.
 */
import { execFile, spawn } from "node:child_process";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
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
  await assert.rejects(run(process.execPath, [walnut, "serve", "--prot", "3"]), (error: { stderr: string; code: number }) => {
    assert.equal(error.code, 2);
    assert.equal(error.stderr, "walnut serve: unknown flag --prot (see walnut serve --help)\n", "the command is named once");
    return true;
  });
});

test("every walnut command answers --help with its usage and flags, and exits 0", async () => {
  const commands = [["serve"], ["cli"], ["wal"], ["wal", "inspect"], ["checkpoint"], ["cluster"], ["cluster", "up"], ["backup"], ["restore"], ["acl"], ["acl", "hash-password"]];
  for (const command of commands) {
    const { stdout } = await run(process.execPath, [walnut, ...command, "--help"]);
    assert.match(stdout, new RegExp(`^usage: walnut ${command[0]}`), `walnut ${command.join(" ")} --help`);
  }
});

test("walnut cli answers the seed's LokiKV persistence session (blob markers, PERSIST, LOAD_HMAP, SHUTDOWN); RESP keeps Redis' meanings", async () => {
  const node = await startTestNode();
  try {
    const output = await repl(
      node.respPort,
      [
        "/c_bcust namor", "/selectcol namor", "SET data 12", "SET name 'akshat'", "/selectcol default",
        "SET data <BLOB_BEGINS>hello world<BLOB_ENDS>", "WALNUT.TYPE data", "GET data", "DISPLAY",
        "PERSIST namor", "PERSIST default", "LOAD_HMAP default", "LOAD_HMAP namor", "LOAD_HMAP nothing",
        "RPUSH list <BLOB_BEGINS>x<BLOB_ENDS>", "COLLECTION HELP", "help", "SHUTDOWN", "PING", "",
      ].join("\n"),
    );
    assert.match(output, /^blob$/m, "the blob markers made a blob");
    assert.match(output, /^"hello world"$/m, "the markers are not part of the value");
    assert.match(output, /^data => "hello world"$/m);
    assert.match(output, /collection "namor" is already on disk; to copy it to a file: COLLECTION EXPORT namor \/path\/on\/server/);
    assert.match(output, /collection "default" is already on disk/);
    assert.match(output, /"default" is here \(hash\); \/selectcol default uses it; to load a file written by COLLECTION EXPORT: COLLECTION IMPORT \/path\/on\/server default hash/);
    assert.match(output, /"namor" is here \(ordered\).*COLLECTION IMPORT \/path\/on\/server namor hash/);
    assert.match(output, /walnut has no collection "nothing"/);
    assert.match(output, /\(error\) blob markers go around a SET value/);
    assert.match(output, /EXPORT <name> <path>[\s\S]*IMPORT <path> <name> hash\|ordered/, "COLLECTION HELP lists EXPORT and IMPORT");
    assert.match(output, /Persistence is automatic/);
    assert.match(output, /\(the server shut down\)/);
    assert.doesNotMatch(output, /PONG|unknown command/, "the REPL ended with the server; no LokiKV command was unknown");
    const request = await node.servers.shutdownRequested;
    assert.equal(request.saved, false);
  } finally {
    await node.stop();
  }
  const second = await startTestNode();
  try {
    // The same words over RESP mean what they mean in Redis.
    const redisCli = (...args: string[]): Promise<string> => run("redis-cli", ["-p", String(second.respPort), ...args]).then((out) => out.stdout.trim());
    await redisCli("COLLECTION", "CREATE", "namor", "hash");
    assert.equal(await redisCli("PERSIST", "namor"), "0");
    assert.equal(await redisCli("SET", "data", "<BLOB_BEGINS>hello<BLOB_ENDS>"), "OK");
    assert.equal(await redisCli("GET", "data"), "<BLOB_BEGINS>hello<BLOB_ENDS>");
    assert.match(await redisCli("LOAD_HMAP", "namor"), /unknown command/);
    // In walnut cli, PERSIST on a key (even one named like a collection) is Redis' PERSIST.
    await redisCli("SET", "namor", "v", "EX", "100");
    const persisted = await run(process.execPath, [walnut, "cli", "-p", String(second.respPort), "PERSIST", "namor"]);
    assert.equal(persisted.stdout, "1\n");
  } finally {
    await second.stop();
  }
});

test("walnut cli says which flag limits a value the server refused as too large", async () => {
  const node = await startTestNode({ servers: { maxRequestBytes: 1024 } });
  try {
    const output = await repl(node.respPort, [`SET big ${"x".repeat(2048)}`, ""].join("\n"));
    assert.match(output, /\(error\) ERR Protocol error: invalid bulk length\n/, "the server's reply is Redis' own");
    assert.match(output, /larger than its --max-request-bytes/);
  } finally {
    await node.stop();
  }
});

test("walnut backup refuses an --out in a missing directory before the node takes a checkpoint", async () => {
  const node = await startTestNode();
  try {
    const out = join(node.dir, "no-such-dir", "b.ckpt");
    await assert.rejects(run(process.execPath, [walnut, "backup", "-p", String(node.httpPort), "--out", out]), (error: { stderr: string; code: number }) => {
      assert.equal(error.code, 2);
      assert.equal(error.stderr, `walnut backup: Cannot back up into ${out}: its directory ${join(node.dir, "no-such-dir")}: it does not exist\n`);
      return true;
    });
    assert.deepEqual(await readdir(join(node.dir, "checkpoints")), [], "the node took no checkpoint");
  } finally {
    await node.stop();
  }
});
