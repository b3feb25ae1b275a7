/**
 * The file-system preload reaches the calls walnut really makes: run in a child process
 * with NODE_OPTIONS=--import, the WAL's own file system (wal/file_system.ts, which calls
 * node:fs through its namespace) and fs/promises FileHandles (checkpoints, the control
 * file) fail with ENOSPC under the data directory while the switch says the disk is
 * full, files elsewhere are untouched, fsyncs under the data directory wait, and the
 * sync log (for the power-loss nemesis) records how far each file is durable.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileSystemFaultSwitch } from "./file_system_fault_switch.js";

const fileSystemModule = new URL("../wal/file_system.js", import.meta.url).href;

/** Runs `script` (an ES module body) in a child with the preload for `dataDir`; returns its stdout. */
function runWithPreload(faultSwitch: FileSystemFaultSwitch, dataDir: string, script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["--input-type=module", "-e", script], { env: { ...process.env, ...faultSwitch.environment(1, dataDir) } }, (error, stdout, stderr) =>
      error === null ? resolve(stdout) : reject(new Error(`${error.message}\n${stderr}`)),
    );
  });
}

async function withDirectories(body: (root: string, faultSwitch: FileSystemFaultSwitch) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), "walnut-preload-test-"));
  try {
    await body(root, new FileSystemFaultSwitch(root));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

const WRITE_PROBE = `
import { nodeFileSystem as wal } from ${JSON.stringify(fileSystemModule)};
import { open } from "node:fs/promises";
const [inside, outside] = process.argv.slice(-2);
const attempt = (path) => new Promise((resolve) => wal.open(path, "w", (error, fd) => {
  if (error) return resolve("open " + error.code);
  let sync = "ok";
  try { wal.writeSync(fd, Buffer.from("x"), 0, 1, 0); } catch (e) { sync = e.code; }
  wal.write(fd, Buffer.from("y"), 0, 1, 1, (e) => resolve(sync + "/" + (e ? e.code : "ok")));
}));
const handle = await open(process.argv.at(-2) + ".handle", "w");
const viaHandle = await handle.write(Buffer.from("z")).then(() => "ok", (e) => e.code);
await handle.close();
console.log(JSON.stringify([await attempt(inside), await attempt(outside), viaHandle]));
`;

test("with the disk full, the WAL's writes and FileHandle writes under the data directory fail with ENOSPC, and no others", async () => {
  await withDirectories(async (root, faultSwitch) => {
    const dataDir = join(root, "data");
    await faultSwitch.set(1, { diskFull: true });
    await mkdir(dataDir);
    const script = WRITE_PROBE.replace("process.argv.slice(-2)", JSON.stringify([join(dataDir, "segment.wal"), join(root, "elsewhere.wal")]))
      .replace("process.argv.at(-2)", JSON.stringify(join(dataDir, "checkpoint")));
    assert.deepEqual(JSON.parse(await runWithPreload(faultSwitch, dataDir, script)), ["ENOSPC/ENOSPC", "ok/ok", "ENOSPC"]);
    await faultSwitch.clear(1);
    assert.deepEqual(JSON.parse(await runWithPreload(faultSwitch, dataDir, script)), ["ok/ok", "ok/ok", "ok"]);
  });
});

test("with slow fsync, the WAL's fdatasync under the data directory answers after an fdatasync elsewhere", async () => {
  await withDirectories(async (root, faultSwitch) => {
    const dataDir = join(root, "data");
    await mkdir(dataDir);
    // A delay far longer than any fdatasync: the order of the answers shows the wrapper acted.
    await faultSwitch.set(1, { fsyncDelayMs: 3_000 });
    const script = `
import { nodeFileSystem as wal } from ${JSON.stringify(fileSystemModule)};
const order = [];
const sync = (path, name) => new Promise((resolve) => wal.open(path, "w", (error, fd) => wal.fdatasync(fd, () => { order.push(name); resolve(); })));
await Promise.all([sync(${JSON.stringify(join(dataDir, "segment.wal"))}, "inside"), sync(${JSON.stringify(join(root, "elsewhere.wal"))}, "outside")]);
console.log(JSON.stringify(order));
`;
    assert.deepEqual(JSON.parse(await runWithPreload(faultSwitch, dataDir, script)), ["outside", "inside"]);
  });
});

test("the sync log says how far each file under the data directory is durable, following renames", async () => {
  await withDirectories(async (root, faultSwitch) => {
    const dataDir = join(root, "data");
    await mkdir(dataDir);
    await faultSwitch.clear(1);
    const temporary = join(dataDir, "segment.wal.tmp");
    const script = `
import { nodeFileSystem as wal } from ${JSON.stringify(fileSystemModule)};
import { renameSync } from "node:fs";
await new Promise((resolve) => wal.open(${JSON.stringify(temporary)}, "w", (error, fd) => {
  wal.writeSync(fd, Buffer.from("synced"), 0, 6, 0);
  wal.fdatasync(fd, () => {
    renameSync(${JSON.stringify(temporary)}, ${JSON.stringify(join(dataDir, "segment.wal"))});
    wal.writeSync(fd, Buffer.from("not synced"), 0, 10, 6);
    resolve();
  });
}));
`;
    await runWithPreload(faultSwitch, dataDir, script);
    assert.deepEqual([...(await faultSwitch.syncedSizes(1))], [[join(dataDir, "segment.wal"), 6]]);
  });
});
