import { test } from "node:test";
import assert from "node:assert/strict";
import { percentile, runFailoverLoad, runLoad, VALUE_BYTES, type Writer, type WriterFactory } from "./cluster_load.js";

/** Writers that acknowledge at once, except on `deadPort`, where every write fails; records what was written. */
function fakeWriters(options: { deadPort?: number }): { open: WriterFactory; written: Array<{ port: number; key: string; value: string }> } {
  const written: Array<{ port: number; key: string; value: string }> = [];
  const open: WriterFactory = async (port) => {
    const writer: Writer = {
      async put(key, value) {
        await new Promise((resolve) => setImmediate(resolve));
        if (port === options.deadPort) throw new Error("Cannot write: the member is gone");
        written.push({ port, key, value });
      },
      close: () => undefined,
    };
    return writer;
  };
  return { open, written };
}

test("percentile picks the nearest rank of sorted latencies", () => {
  const sorted = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal(percentile(sorted, 0.5), 5);
  assert.equal(percentile(sorted, 0.99), 10);
  assert.equal(percentile(sorted, 0), 1);
  assert.ok(Number.isNaN(percentile(new Float64Array(0), 0.5)));
});

test("runLoad writes 100-byte values from every worker and records every acknowledged latency, sorted", async () => {
  const writers = fakeWriters({});
  const result = await runLoad({ openWriter: writers.open, clientPort: 7, inFlight: 4, durationMs: 20 });
  assert.equal(result.writes, writers.written.length);
  assert.equal(result.latenciesMs.length, result.writes);
  assert.equal(result.failedWrites, 0);
  assert.ok(result.latenciesMs.every((latency, index, all) => index === 0 || (all[index - 1] as number) <= latency));
  assert.ok(writers.written.every((write) => write.port === 7 && write.value.length === VALUE_BYTES));
  assert.deepEqual(new Set(writers.written.map((write) => write.key.split(":")[1])), new Set(["0", "1", "2", "3"]));
});

test("runLoad counts failed writes apart from acknowledged ones", async () => {
  const writers = fakeWriters({ deadPort: 9 });
  const result = await runLoad({ openWriter: writers.open, clientPort: 9, inFlight: 2, durationMs: 20 });
  assert.equal(result.writes, 0);
  assert.ok(result.failedWrites > 0);
});

test("a failover load moves to the next target after a failure and reports the first write sent after a moment", async () => {
  const writers = fakeWriters({ deadPort: 1 });
  const targets = [1, 2];
  let turn = 0;
  const load = runFailoverLoad({ openWriter: writers.open, inFlight: 3, nextClientPort: () => targets[turn++ % targets.length] as number, writeTimeoutMs: 1000 });
  const since = performance.now();
  let first: number | null = null;
  while (first === null) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    first = load.firstAnsweredSentSince(since);
  }
  const result = await load.stop();
  assert.ok(first >= since);
  assert.ok(result.failedWrites > 0);
  assert.ok(result.acknowledgements.length > 0);
  assert.ok(writers.written.every((write) => write.port === 2));
});
