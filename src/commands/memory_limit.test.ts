import { test } from "node:test";
import assert from "node:assert/strict";
import { heapSizeLimit, heapUsage } from "../lib/heap_usage.js";
import { EXECABORT_OOM_REPLY, isDenyoomCall, isOutOfMemoryReply, MemoryLimit, OOM_REPLY, resolveMaxmemory } from "./memory_limit.js";
import { lookupDataCommand } from "./table.js";
import type { CommandSpec } from "./spec.js";

/** `mib` MiB of flat strings on the V8 heap, 512 KiB each. */
function megabytes(mib: number): string[] {
  return Array.from({ length: mib * 2 }, (_, index) => Buffer.alloc(512 * 1024, 97 + (index % 26)).toString("latin1"));
}

const spec = (name: string): CommandSpec => lookupDataCommand(name) as CommandSpec;

test("denyoom follows the table's flags, and COLLECTION CREATE and LOAD add data while DROP frees it", () => {
  assert.equal(isDenyoomCall(spec("SET"), ["SET", "k", "v"]), true);
  assert.equal(isDenyoomCall(spec("DEL"), ["DEL", "k"]), false);
  assert.equal(isDenyoomCall(spec("LPOP"), ["LPOP", "k"]), false);
  assert.equal(isDenyoomCall(spec("COLLECTION"), ["COLLECTION", "CREATE", "c", "hash"]), true);
  assert.equal(isDenyoomCall(spec("COLLECTION"), ["COLLECTION", "load", "c", "hash", "image"]), true);
  assert.equal(isDenyoomCall(spec("COLLECTION"), ["COLLECTION", "DROP", "c"]), false);
  assert.equal(isOutOfMemoryReply(OOM_REPLY), true);
  assert.equal(isOutOfMemoryReply(EXECABORT_OOM_REPLY), true);
  assert.equal(isOutOfMemoryReply({ type: "error", text: "ERR no" }), false);
});

test("a limit is 0 for the default (half the heap limit), at most three quarters of the heap limit", () => {
  assert.equal(resolveMaxmemory(0, "--maxmemory"), Math.floor(heapSizeLimit() * 0.5));
  assert.equal(resolveMaxmemory(12345, "--maxmemory"), 12345);
  assert.equal(resolveMaxmemory(Math.floor(heapSizeLimit() * 0.75), "--maxmemory"), Math.floor(heapSizeLimit() * 0.75));
  assert.throws(() => resolveMaxmemory(Math.floor(heapSizeLimit() * 0.75) + 1, "--maxmemory"), /^WalnutError: Cannot use --maxmemory .* raise the heap with NODE_OPTIONS=--max-old-space-size=\d+ \(MiB\) or lower --maxmemory$/);
  assert.throws(() => resolveMaxmemory(-1, "maxmemory"), /whole number of bytes/);
});

test("garbage over the limit is collected before a write is refused; live data over it is refused, and a batch whole", () => {
  const limit = new MemoryLimit();
  try {
    heapUsage.sample();
    limit.setMaxmemory(heapUsage.usedBytes + 32 * 1024 * 1024);
    let garbage: string[] | null = megabytes(64);
    assert.equal(garbage.length, 128);
    garbage = null;
    heapUsage.sample();
    assert.equal(limit.isOver(), true, "the sample counts the garbage");
    assert.equal(limit.admit(spec("SET"), ["SET", "k", "v"]), null, "a collection showed it was garbage");
    assert.equal(limit.isOver(), false);

    const live = megabytes(64);
    heapUsage.sample();
    assert.deepEqual(limit.admit(spec("SET"), ["SET", "k", "v"]), OOM_REPLY);
    assert.equal(limit.admit(spec("DEL"), ["DEL", "k"]), null);
    assert.equal(limit.admitBatch([spec("DEL"), spec("SET")], [{ argv: ["DEL", "k"] }, { argv: ["SET", "k", "v"] }]), false);
    assert.equal(limit.admitBatch([spec("DEL"), spec("LPOP")], [{ argv: ["DEL", "k"] }, { argv: ["LPOP", "k"] }]), true);
    assert.equal(live.length, 128);
  } finally {
    limit.close();
  }
});

test("the bytes of admitted writes count until the next sample, so a burst cannot run past the limit unseen", () => {
  const limit = new MemoryLimit();
  try {
    heapUsage.sample();
    limit.setMaxmemory(heapUsage.usedBytes + 1024 * 1024);
    const value = "v".repeat(600 * 1024);
    assert.equal(limit.admit(spec("SET"), ["SET", "a", value]), null);
    assert.equal(limit.admit(spec("SET"), ["SET", "b", value]), null);
    assert.ok(limit.usedBytes >= heapUsage.usedBytes + 2 * value.length);
    // Over by what was admitted: refused unless a collection shows otherwise (none is allowed this soon).
    assert.equal(limit.isOver(), true);
  } finally {
    limit.close();
  }
});
