/** GET /backup: the checkpoint file with headers that let a client check what it got. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { crc32 } from "node:zlib";
import { startTestNode } from "../../scenarios/harness.js";
import { readCheckpoint } from "../../snapshot/reader.js";

test("GET /backup streams a fresh checkpoint with its size, index, term and CRC in the headers", async () => {
  const node = await startTestNode();
  const dir = await mkdtemp(join(tmpdir(), "walnut-backup-route-"));
  try {
    for (let i = 0; i < 100; i++) await node.db.set(`k${i}`, `v${i}`);
    const response = await fetch(`http://127.0.0.1:${node.httpPort}/backup`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "application/octet-stream");
    const body = Buffer.from(await response.arrayBuffer());
    assert.equal(Number(response.headers.get("content-length")), body.length);
    assert.equal(Number(response.headers.get("x-walnut-crc32")), crc32(body));
    const path = join(dir, "backup.ckpt");
    await writeFile(path, body);
    const loaded = await readCheckpoint(path);
    assert.equal(Number(response.headers.get("x-walnut-index")), loaded.index);
    assert.equal(Number(response.headers.get("x-walnut-term")), loaded.term);
    assert.equal(loaded.keys, 100);
    const head = await fetch(`http://127.0.0.1:${node.httpPort}/backup`, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal((await head.arrayBuffer()).byteLength, 0);
    const post = await fetch(`http://127.0.0.1:${node.httpPort}/backup`, { method: "POST" });
    assert.equal(post.status, 405);
  } finally {
    await node.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test("GET /backup is refused to a user without the admin category", async () => {
  const dir = await mkdtemp(join(tmpdir(), "walnut-backup-route-"));
  const aclFile = join(dir, "acl.toml");
  await writeFile(aclFile, '[users.default]\nnopass = true\ncategories = ["read", "write"]\n');
  const node = await startTestNode({ servers: { aclFile } });
  try {
    const response = await fetch(`http://127.0.0.1:${node.httpPort}/backup`);
    assert.equal(response.status, 403);
    assert.match(((await response.json()) as { detail: string }).detail, /no permissions to admin \(GET \/backup\)/);
    assert.equal((await fetch(`http://127.0.0.1:${node.httpPort}/status`)).status, 200, "reads stay allowed");
  } finally {
    await node.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
