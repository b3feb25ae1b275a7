/**
 * maxmemory in the embedded API: open({ maxmemory }) takes bytes or a size, refuses one
 * the heap cannot hold, and while used memory is over it, writes that add data reject
 * with code OOM while reads and deletes go on.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { open } from "../db.js";
import { isWalnutError } from "../lib/errors.js";
import { heapSizeLimit } from "../lib/heap_usage.js";

async function withDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "walnut-maxmemory-api-"));
  try {
    await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const isOom = (error: unknown): boolean => isWalnutError(error, "OOM") && /over maxmemory/.test(error.message);

test("over maxmemory, writes that add data reject with OOM; reads and deletes go on; a higher limit lets writes in again", () =>
  withDir(async (dir) => {
    const db = await open({ dir, checkpointInterval: 0 });
    try {
      await db.set("k", "v");
      await db.set("n", 1);
      await db.command("RPUSH", "list", "a", "b");
      const logs = await db.createCollection("logs", "ordered");
      await logs.set("l:1", "x");

      db.memory.setMaxmemory(1);
      assert.equal(db.memory.maxmemory, 1);
      await assert.rejects(db.set("new", "x"), isOom);
      await assert.rejects(db.set("typed", 5), isOom);
      await assert.rejects(db.set("list2", ["a"]), isOom); // an atomic batch underneath
      await assert.rejects(db.incr("n"), isOom);
      await assert.rejects(db.command("LPUSH", "list", "c"), isOom);
      await assert.rejects(db.batch([{ op: "set", key: "b", value: "1" }, { op: "delete", key: "k" }]), isOom);
      await assert.rejects(db.createCollection("more"), isOom);
      await assert.rejects(logs.set("l:2", "y"), isOom);

      assert.equal(await db.get("k"), "v");
      assert.equal(await db.get("n"), 1);
      assert.equal(await db.expire("k", 100), true);
      assert.deepEqual(await db.command("LPOP", "list"), { type: "bulk", value: "a" });
      assert.deepEqual(await db.batch([{ op: "delete", key: "n" }]), [true]);
      assert.equal(await db.delete("k"), true);
      assert.equal(await db.dropCollection("logs"), true);
      assert.equal(await db.get("k"), null);

      db.memory.setMaxmemory(0); // the default: half of V8's heap limit
      assert.equal(db.memory.maxmemory, Math.floor(heapSizeLimit() * 0.5));
      assert.equal(typeof (await db.set("new", "x")), "number");
      assert.equal(await db.get("new"), "x");
    } finally {
      await db.close();
    }
  }));

test("open takes maxmemory as bytes or a size, and refuses one the heap cannot hold", () =>
  withDir(async (dir) => {
    const sized = await open({ dir, maxmemory: "64mb" });
    assert.equal(sized.memory.maxmemory, 64 * 1024 * 1024);
    await sized.close();
    const bytes = await open({ dir, maxmemory: 50_000_000 });
    assert.equal(bytes.memory.maxmemory, 50_000_000);
    await bytes.close();

    const refused = (pattern: RegExp) => (error: unknown) => isWalnutError(error, "BAD_CONFIG") && pattern.test(error.message);
    await assert.rejects(open({ dir, maxmemory: heapSizeLimit() }), refused(/^Cannot use options\.maxmemory .*NODE_OPTIONS=--max-old-space-size=\d+/));
    await assert.rejects(open({ dir, maxmemory: "lots" }), refused(/options\.maxmemory: "lots" is not a size/));
    await assert.rejects(open({ dir, maxmemory: -1 }), refused(/must be a whole number of bytes/));
    // A refused open touched nothing: the directory opens again.
    const again = await open({ dir });
    assert.equal(again.memory.maxmemory, Math.floor(heapSizeLimit() * 0.5));
    await again.close();
  }));
