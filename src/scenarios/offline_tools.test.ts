/**
 * The offline tools through the installed binary, as an operator would mistype or misuse
 * them: every one refuses a running node (walnut wal repair used to cut a live WAL), a
 * path with no walnut data (walnut checkpoint used to create a new empty node there), and
 * `walnut wal inspect | head` stops quietly when head has read enough.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { test } from "node:test";
import assert from "node:assert/strict";
import { open } from "../db.js";
import { startTestNode } from "./harness.js";

const run = promisify(execFile);
const walnut = fileURLToPath(new URL("../../bin/walnut.js", import.meta.url));

/** Runs a walnut command that must fail; resolves to its exit code and stderr. */
async function walnutFailure(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    await run(process.execPath, [walnut, ...args]);
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
  }
  throw new Error(`walnut ${args.join(" ")} succeeded; it should have failed`);
}

async function withTemporaryDirectory(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "walnut-offline-"));
  try {
    await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const OFFLINE_TOOLS: string[][] = [["wal", "inspect"], ["wal", "verify"], ["wal", "repair"], ["wal", "repair", "--dry-run"], ["checkpoint"], ["restore", "--checkpoint", "1"]];

test("every offline tool refuses a running node, and the node's WAL stays whole", async () => {
  const node = await startTestNode();
  try {
    let writing = true;
    let written = 0;
    const writer = (async () => {
      while (writing) await node.db.set(`key:${written++}`, "x".repeat(100));
    })();
    try {
      for (const tool of OFFLINE_TOOLS) {
        const refused = await walnutFailure(...tool, "--data-dir", node.dir);
        assert.equal(refused.code, 1, `walnut ${tool.join(" ")}`);
        assert.match(refused.stderr, new RegExp(`in use by process ${process.pid} \\(a running node\\? stop it first\\)`), `walnut ${tool.join(" ")}`);
        assert.doesNotMatch(refused.stdout, /dropped|would drop|WAL ok|checkpoint /, `walnut ${tool.join(" ")} did nothing`);
      }
    } finally {
      writing = false;
      await writer;
    }
    assert.ok(written > 0);
  } finally {
    await node.servers.close();
    await node.db.close();
  }
  try {
    const { stdout } = await run(process.execPath, [walnut, "wal", "verify", "--data-dir", node.dir]);
    assert.match(stdout, /^WAL ok: \d+ frames/);
    const reopened = await open({ dir: node.dir, checkpointInterval: 0 });
    assert.equal(await reopened.get("key:0"), "x".repeat(100));
    await reopened.close();
    const { stdout: repaired } = await run(process.execPath, [walnut, "wal", "repair", "--data-dir", node.dir]);
    assert.equal(repaired, "WAL ok: nothing to repair\n", "a stopped node can be repaired");
  } finally {
    await rm(node.dir, { recursive: true, force: true });
  }
});

test("every offline tool refuses a path that holds no walnut data, and creates nothing there", async () => {
  await withTemporaryDirectory(async (dir) => {
    const missing = join(dir, "no-such-dir");
    const empty = join(dir, "empty");
    const file = join(dir, "a-file");
    await writeFile(file, "not a node\n");
    await mkdir(empty);
    const cases: Array<[string, RegExp]> = [
      [missing, /no such directory \(is --data-dir right\?\)/],
      [empty, /it holds no walnut data \(no control\.toml; is --data-dir right\?\)/],
      [file, /it is a file, not a data directory/],
    ];
    for (const tool of OFFLINE_TOOLS) {
      for (const [path, reason] of cases) {
        const refused = await walnutFailure(...tool, "--data-dir", path);
        assert.equal(refused.code, 1, `walnut ${tool.join(" ")} --data-dir ${path}`);
        assert.match(refused.stderr, new RegExp(`^walnut ${tool[0]}: Cannot .* ${path.replace(/[/.]/g, "\\$&")}: `), `walnut ${tool.join(" ")}`);
        assert.match(refused.stderr, reason, `walnut ${tool.join(" ")} --data-dir ${path}`);
        assert.equal(refused.stdout, "");
      }
    }
    assert.deepEqual((await readdir(dir)).sort(), ["a-file", "empty"], "no directory was created");
    assert.deepEqual(await readdir(empty), [], "nothing was written into the empty directory");
  });
});

test("walnut serve names a data directory that is a file", async () => {
  await withTemporaryDirectory(async (dir) => {
    const file = join(dir, "a-file");
    await writeFile(file, "not a node\n");
    const refused = await walnutFailure("serve", "--data-dir", file, "--port", "0", "--http-port", "0");
    assert.equal(refused.stderr, `walnut serve: Cannot create data directory ${file}: it is a file, not a directory\n`);
  });
});

test("walnut wal inspect | head stops quietly once head has read enough", async () => {
  await withTemporaryDirectory(async (dir) => {
    const db = await open({ dir, checkpointInterval: 0 });
    for (let i = 0; i < 3000; i++) await db.set(`key:${i}`, "v");
    await db.close();
    // More than a pipe holds (64 KiB): inspect is still writing when head exits.
    const { stdout, stderr } = await run("bash", ["-o", "pipefail", "-c", `"${process.execPath}" "${walnut}" wal inspect --data-dir "${dir}" | head -n 2`]);
    assert.equal(stdout.split("\n").length, 3);
    assert.equal(stderr, "", "no EPIPE stack trace");
    assert.deepEqual((await readdir(dir)).filter((name) => name === "LOCK"), [], "inspect released the lock");
  });
});
