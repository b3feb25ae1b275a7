/**
 * Session numbers come in blocks named by the index of an entry the node proposed: none
 * before the first, the next one taken at half, and, on a real node, numbers never
 * repeat across a restart.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { open } from "../db.js";
import { SESSIONS_PER_BLOCK, SessionNumbers } from "./session_numbers.js";

test("numbers come from the block of the index an own entry was applied at; the next block is taken at half", () => {
  const numbers = new SessionNumbers();
  assert.equal(numbers.take(), null, "nothing at hand before the first block");
  numbers.appliedOwn(7);
  numbers.appliedOwn(8); // not wanted: the block of 7 is whole
  const taken: number[] = [];
  for (let n = 0; n < SESSIONS_PER_BLOCK / 2; n++) taken.push(numbers.take() as number);
  assert.deepEqual([taken[0], taken.at(-1)], [7 * SESSIONS_PER_BLOCK, 7 * SESSIONS_PER_BLOCK + SESSIONS_PER_BLOCK / 2 - 1]);
  assert.equal(numbers.wanted, true, "half is used: the next own entry brings a block");
  numbers.appliedOwn(12);
  assert.equal(numbers.wanted, false);
  assert.equal(numbers.take(), 12 * SESSIONS_PER_BLOCK, "the new block replaces what was left of the old one");
});

test("an index whose block would pass 2^53 gives none", () => {
  const numbers = new SessionNumbers();
  numbers.appliedOwn(2 ** 43);
  numbers.appliedOwn(0);
  assert.equal(numbers.take(), null);
});

test("a real node's session numbers never repeat, across a restart too", async () => {
  const dir = await mkdtemp(join(tmpdir(), "walnut-session-numbers-"));
  const seen = new Set<number>();
  try {
    for (let life = 0; life < 2; life++) {
      const db = await open({ dir, fsync: "always", checkpointInterval: 0 });
      try {
        assert.equal(db.node.sessionNumber(), null, "a fresh process has no block yet");
        await db.set("k", `life ${life}`); // the process's first own write names its first block
        const first = db.node.sessionNumber();
        assert.ok(first !== null && first % SESSIONS_PER_BLOCK === 0, `a block came with the write (${first})`);
        const taken = [first, ...Array.from({ length: 100 }, () => db.node.sessionNumber() as number)];
        for (const number of taken) {
          assert.ok(Number.isSafeInteger(number) && number > 0);
          assert.ok(!seen.has(number), `${number} handed out twice`);
          seen.add(number);
        }
      } finally {
        await db.close();
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
