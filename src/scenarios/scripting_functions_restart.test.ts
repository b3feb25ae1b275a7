/**
 * FUNCTION libraries are replicated state: a library loaded, then checkpointed, is in the
 * checkpoint's metadata, and after a restart on the same data directory FCALL still runs
 * it and FUNCTION LIST still shows it; FUNCTION DUMP and RESTORE carry libraries from one
 * node to another.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { readCheckpoint } from "../snapshot/reader.js";
import { listCheckpoints } from "../snapshot/store.js";
import { startTestNode } from "./harness.js";

const LIBRARY = `#!lua name=counters
redis.register_function('bump', function(keys, args) return redis.call('INCRBY', keys[1], args[1]) end)
redis.register_function{function_name = 'peek', callback = function(keys) return redis.call('GET', keys[1]) end, flags = {'no-writes'}}`;

test("function libraries survive a checkpoint and a restart, and travel by DUMP and RESTORE", async () => {
  const dir = await mkdtemp(join(tmpdir(), "walnut-functions-"));
  try {
    const first = await startTestNode({ dir });
    const client = new Redis({ port: first.respPort, host: "127.0.0.1" });
    assert.equal(await client.function("LOAD", LIBRARY), "counters");
    assert.equal(await client.fcall("bump", 1, "n", 5), 5);
    const dump = (await client.callBuffer("FUNCTION", "DUMP")) as Buffer;
    await first.db.checkpoint();
    assert.equal(await client.fcall("bump", 1, "n", 2), 7);
    client.disconnect();
    await first.stop();

    const checkpoints = await listCheckpoints(join(dir, "checkpoints"));
    const newest = checkpoints[0];
    assert.ok(newest !== undefined, "a checkpoint was written");
    const loaded = await readCheckpoint(newest.path);
    assert.deepEqual(loaded.metadata.functions, [["counters", LIBRARY]]);

    const second = await startTestNode({ dir });
    const again = new Redis({ port: second.respPort, host: "127.0.0.1" });
    try {
      assert.equal(await again.fcall("bump", 1, "n", 1), 8);
      assert.equal(await again.fcall_ro("peek", 1, "n"), "8");
      const listed = (await again.function("LIST")) as unknown[][];
      assert.equal(listed.length, 1);
      assert.equal(listed[0]![1], "counters");
    } finally {
      again.disconnect();
      await second.stop();
    }

    const other = await startTestNode();
    const restorer = new Redis({ port: other.respPort, host: "127.0.0.1" });
    try {
      await assert.rejects(restorer.fcall("bump", 1, "n", 1), /Function not found/);
      assert.equal(await restorer.call("FUNCTION", "RESTORE", dump), "OK");
      assert.equal(await restorer.fcall("bump", 1, "n", 3), 3);
      await assert.rejects(restorer.call("FUNCTION", "RESTORE", dump), /Library counters already exists/);
      await assert.rejects(restorer.call("FUNCTION", "RESTORE", "not a payload"), /DUMP payload version or checksum are wrong/);
    } finally {
      restorer.disconnect();
      await other.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
