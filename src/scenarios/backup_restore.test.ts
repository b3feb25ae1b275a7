/**
 * Backup and restore through the installed binary: `walnut backup` from a live node,
 * `walnut restore --from` into a new directory (which then opens with every key), the
 * refusals (a corrupt file, a directory that holds a node, a running node, a cluster
 * member going back alone), and `walnut restore --checkpoint` going back to an older
 * checkpoint.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { test } from "node:test";
import assert from "node:assert/strict";
import { membershipFor, writeWithMembership } from "../cli/restore_membership.js";
import { parsePeers, type PeerAddress } from "../config/peers.js";
import { open } from "../db.js";
import { readControlFile } from "../node/control_file.js";
import { clusterIdOf } from "../node/node.js";
import { readCheckpoint } from "../snapshot/reader.js";
import { startTestNode } from "./harness.js";

const run = promisify(execFile);
const walnut = fileURLToPath(new URL("../../bin/walnut.js", import.meta.url));
const KEY_COUNT = 500;

function walnutCommand(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [walnut, ...args]);
}

/** Runs a walnut command that must fail; resolves to its exit code and stderr. */
async function walnutFailure(...args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    await walnutCommand(...args);
  } catch (error) {
    const failure = error as { code: number; stderr: string };
    return { code: failure.code, stderr: failure.stderr };
  }
  throw new Error(`walnut ${args.join(" ")} succeeded; it should have failed`);
}

async function withTemporaryDirectory(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "walnut-backup-"));
  try {
    await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Backs up a live node holding KEY_COUNT keys into `<dir>/backup.ckpt`. */
async function backupOfLiveNode(dir: string): Promise<string> {
  const node = await startTestNode();
  try {
    for (let i = 0; i < KEY_COUNT; i++) await node.db.set(`key:${i}`, `value ${i}`);
    const out = join(dir, "backup.ckpt");
    const { stdout, stderr } = await walnutCommand("backup", "-p", String(node.httpPort), "--out", out);
    assert.match(stdout, new RegExp(`^backup ${out}: index \\d+, term \\d+, ${KEY_COUNT} keys, \\d+ bytes\\n$`));
    assert.match(stderr, /received 100%/);
    return out;
  } finally {
    await node.stop();
  }
}

test("walnut backup copies a live node and restore --from seeds a directory that opens with every key", async () => {
  await withTemporaryDirectory(async (dir) => {
    const backup = await backupOfLiveNode(dir);
    assert.deepEqual((await readdir(dir)).sort(), ["backup.ckpt"], "no FILE.tmp is left behind");
    const restored = join(dir, "restored");
    const { stdout } = await walnutCommand("restore", "--from", backup, "--data-dir", restored);
    assert.match(stdout, new RegExp(`^restored ${restored} from ${backup}: index \\d+, term \\d+, ${KEY_COUNT} keys, voters 1\\n$`));
    assert.deepEqual(await readdir(join(restored, "wal")), []);
    const db = await open({ dir: restored, checkpointInterval: 0 });
    try {
      for (let i = 0; i < KEY_COUNT; i++) assert.equal(await db.get(`key:${i}`), `value ${i}`);
      await db.set("after", "the restore");
    } finally {
      await db.close();
    }
    const reopened = await open({ dir: restored, checkpointInterval: 0 });
    try {
      assert.equal(await reopened.get("after"), "the restore", "the log continues after the restored checkpoint");
      assert.equal(await reopened.get("key:0"), "value 0");
    } finally {
      await reopened.close();
    }
  });
});

test("walnut restore refuses a corrupt backup and leaves the directory without a node", async () => {
  await withTemporaryDirectory(async (dir) => {
    const backup = await backupOfLiveNode(dir);
    const bytes = await readFile(backup);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = (bytes[middle] as number) ^ 0xff;
    const corrupt = join(dir, "corrupt.ckpt");
    await writeFile(corrupt, bytes);
    const target = join(dir, "target");
    const failure = await walnutFailure("restore", "--from", corrupt, "--data-dir", target);
    assert.equal(failure.code, 1);
    assert.match(failure.stderr, new RegExp(`^walnut restore: Cannot restore from ${corrupt}: ${corrupt} is not a valid checkpoint \\(.+\\)\\n$`));
    await assert.rejects(stat(join(target, "control.toml")), /ENOENT/);
  });
});

test("walnut restore refuses a directory that holds a node unless --force, which moves its files aside", async () => {
  await withTemporaryDirectory(async (dir) => {
    const backup = await backupOfLiveNode(dir);
    const used = join(dir, "used");
    const db = await open({ dir: used, checkpointInterval: 0 });
    await db.set("local", "only here");
    await db.close();
    const failure = await walnutFailure("restore", "--from", backup, "--data-dir", used);
    assert.equal(failure.code, 1);
    assert.match(failure.stderr, /Cannot restore into .*used: it already holds a node \(.*control\.toml.*\); --force moves those/);
    await walnutCommand("restore", "--from", backup, "--data-dir", used, "--force");
    const [aside, ...others] = (await readdir(used)).filter((name) => name.startsWith("restore-backup-"));
    assert.equal(others.length, 0);
    // The node never checkpointed: its empty checkpoints/ stays, the rest moves.
    assert.deepEqual((await readdir(join(used, aside as string))).sort(), ["control.toml", "wal"]);
    const restored = await open({ dir: used, checkpointInterval: 0 });
    try {
      assert.equal(await restored.get("local"), null);
      assert.equal(await restored.get(`key:${KEY_COUNT - 1}`), `value ${KEY_COUNT - 1}`);
    } finally {
      await restored.close();
    }
  });
});

test("walnut backup needs the password when the node has one", async () => {
  await withTemporaryDirectory(async (dir) => {
    const node = await startTestNode({ servers: { requirePass: "s3cret" } });
    try {
      const out = join(dir, "backup.ckpt");
      const failure = await walnutFailure("backup", "-p", String(node.httpPort), "--out", out);
      assert.match(failure.stderr, /Cannot back up from http:\/\/127\.0\.0\.1:\d+\/backup: HTTP 401 Authentication required/);
      await walnutCommand("backup", "-p", String(node.httpPort), "-a", "s3cret", "--out", out);
      assert.ok((await stat(out)).size > 0);
    } finally {
      await node.stop();
    }
  });
});

test("walnut restore --checkpoint goes back to an older checkpoint and keeps what it moved", async () => {
  await withTemporaryDirectory(async (dir) => {
    const db = await open({ dir, checkpointInterval: 0 });
    await db.set("early", "1");
    const older = await db.checkpoint();
    await db.set("late", "2");
    const newer = await db.checkpoint();
    await db.set("latest", "3");
    const refused = await walnutFailure("restore", "--checkpoint", String(older.index), "--data-dir", dir);
    assert.match(refused.stderr, /in use by process/, "a running node is refused");
    await db.close();
    const missing = await walnutFailure("restore", "--checkpoint", "999999", "--data-dir", dir);
    assert.match(missing.stderr, new RegExp(`has no checkpoint at that index \\(it has: ${newer.index}, ${older.index}\\)`));
    const { stdout } = await walnutCommand("restore", "--checkpoint", String(older.index), "--data-dir", dir);
    assert.match(stdout, new RegExp(`to its checkpoint at index ${older.index}, term ${older.term} \\(1 keys\\); the WAL and 1 newer checkpoint are in`));
    const [aside] = (await readdir(dir)).filter((name) => name.startsWith("restore-backup-"));
    assert.ok(aside !== undefined);
    assert.deepEqual(await readdir(join(dir, aside, "checkpoints")), [newer.path.split("/").pop()]);
    assert.ok((await readdir(join(dir, aside, "wal"))).length > 0, "the WAL is kept");
    const restored = await open({ dir, checkpointInterval: 0 });
    try {
      assert.equal(await restored.get("early"), "1");
      assert.equal(await restored.get("late"), null);
      assert.equal(await restored.get("latest"), null);
    } finally {
      await restored.close();
    }
  });
});

test("walnut restore --force can seed a directory from one of the checkpoints it moves aside", async () => {
  await withTemporaryDirectory(async (dir) => {
    const db = await open({ dir, checkpointInterval: 0 });
    await db.set("kept", "yes");
    const checkpoint = await db.checkpoint();
    await db.set("dropped", "yes");
    await db.close();
    await walnutCommand("restore", "--from", checkpoint.path, "--data-dir", dir, "--force");
    const restored = await open({ dir, checkpointInterval: 0 });
    try {
      assert.equal(await restored.get("kept"), "yes");
      assert.equal(await restored.get("dropped"), null);
    } finally {
      await restored.close();
    }
  });
});

test("walnut restore --checkpoint refuses a cluster member's checkpoint: the node cannot go back alone", async () => {
  await withTemporaryDirectory(async (dir) => {
    const db = await open({ dir, checkpointInterval: 0 });
    await db.set("k", "v");
    const checkpoint = await db.checkpoint();
    await db.close();
    const membership = membershipFor(1, parsePeers("1=127.0.0.1:7381,2=127.0.0.1:7382,3=127.0.0.1:7383"));
    await writeWithMembership(await readCheckpoint(checkpoint.path), { dir: join(dir, "checkpoints"), membership, clusterId: "c0ffee", nodeId: 1 });
    const failure = await walnutFailure("restore", "--checkpoint", String(checkpoint.index), "--data-dir", dir);
    assert.equal(failure.code, 2);
    assert.match(failure.stderr, /on this node alone: it is one of the voters 1, 2, 3 .* walnut restore --from FILE --force/);
    assert.deepEqual((await readdir(dir)).filter((name) => name.startsWith("restore-backup-")), [], "nothing moved");
  });
});

test("walnut restore --peers records the membership and the cluster id serve derives from the members and the secret", async () => {
  await withTemporaryDirectory(async (dir) => {
    const backup = await backupOfLiveNode(dir);
    const target = join(dir, "node2");
    const peersText = "1=127.0.0.1:7381,2=127.0.0.1:7382,3=127.0.0.1:7383";
    const { stdout } = await walnutCommand("restore", "--from", backup, "--data-dir", target, "--id", "2", "--peers", peersText, "--cluster-secret", "S");
    assert.match(stdout, /voters 1,2,3\n$/);
    const peers = parsePeers(peersText);
    const control = await readControlFile(target);
    assert.equal(control?.nodeId, 2);
    assert.equal(control?.clusterId, clusterIdOf({ listen: peers.get(2) as PeerAddress, peers, secret: "S" }));
    const [name] = await readdir(join(target, "checkpoints"));
    const restored = await readCheckpoint(join(target, "checkpoints", name as string));
    assert.deepEqual(restored.metadata.members, { "1": "127.0.0.1:7381", "2": "127.0.0.1:7382", "3": "127.0.0.1:7383" });
    assert.equal(restored.keys, KEY_COUNT);
  });
});
