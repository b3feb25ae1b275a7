/**
 * A node alone applies the entries its stored commit index covers while recovery reads the
 * WAL (recovery.ts, applyWhileReading), and hands the Raft core only the rest. The data
 * directory is made by a real node; recovery is then run with a state machine that records.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { open } from "../db.js";
import { silentLogger } from "../lib/log.js";
import type { Engine } from "../engine/engine.js";
import { OK, type Reply } from "../engine/reply.js";
import type { EntryPayload } from "./entry.js";
import { recoverNode, type RecoveredNode } from "./recovery.js";
import type { StateMachine } from "./state_machine.js";

const WRITES = 30;

/** Records what it is asked to apply; `pauseAt` answers that index with a promise (a long script's pause). */
function recordingStateMachine(options: { pauseAt?: number } = {}): StateMachine & { applied: number[]; commands: string[]; pauseEnded: boolean } {
  const machine = {
    applied: [] as number[],
    commands: [] as string[],
    pauseEnded: false,
    apply(engine: Engine, index: number, term: number, payload: EntryPayload): Reply | Promise<Reply> {
      machine.applied.push(index);
      if (payload.type === "command") machine.commands.push(payload.call.argv.join(" "));
      engine.appliedIndex = index;
      engine.appliedTerm = term;
      if (index !== options.pauseAt) return OK;
      return new Promise<Reply>((resolve) => setTimeout(() => ((machine.pauseEnded = true), resolve(OK)), 20));
    },
    expiredKeySweeps: () => [],
  };
  return machine;
}

async function withWrittenDataDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "walnut-recovery-apply-"));
  try {
    const db = await open({ dir, checkpointInterval: 0, checkpointWalBytes: 0 });
    for (let key = 0; key < WRITES; key++) await db.set(`key:${key}`, `value:${key}`);
    await db.close();
    await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function recover(dir: string, stateMachine?: StateMachine): Promise<RecoveredNode> {
  const recovered = await recoverNode({
    dataDir: dir,
    nodeId: 1,
    fsync: "always",
    segmentSizeBytes: 1 << 20,
    bootstrapConfState: { voters: [1], learners: [] },
    log: silentLogger,
    ...(stateMachine === undefined ? {} : { stateMachine }),
  });
  await recovered.wal.close();
  return recovered;
}

test("recovery applies the committed entries as it reads them and hands the core only those after the commit index", async () => {
  await withWrittenDataDir(async (dir) => {
    const held = await recover(dir);
    assert.equal(held.entriesApplied, 0);
    assert.equal(held.snapshot.index, 0);
    const total = held.entries.length;
    assert.ok(total > WRITES, `${total} entries: the writes and the leader's no-ops`);

    const machine = recordingStateMachine();
    const applying = await recover(dir, machine);
    assert.ok(applying.entriesApplied > WRITES / 2, `${applying.entriesApplied} of ${total} applied while reading`);
    assert.ok(applying.hardState.commit >= applying.snapshot.index);
    assert.deepEqual(machine.applied, Array.from({ length: applying.entriesApplied }, (_, at) => at + 1));
    assert.equal(applying.snapshot.index, applying.entriesApplied);
    assert.equal(applying.engine.appliedIndex, applying.snapshot.index);
    assert.deepEqual(applying.snapshot.confState, held.snapshot.confState);
    assert.deepEqual(applying.entries.map((entry) => entry.index), held.entries.slice(applying.entriesApplied).map((entry) => entry.index));
    assert.equal(applying.snapshot.term, (held.entries[applying.entriesApplied - 1] as { term: number }).term);
    assert.ok(machine.commands.includes("SET key:0 value:0"), machine.commands.slice(0, 3).join(", "));
  });
});

test("an apply that pauses stops applying while reading: recovery waits for it, and the core gets every entry after it", async () => {
  await withWrittenDataDir(async (dir) => {
    const pauseAt = 5;
    const machine = recordingStateMachine({ pauseAt });
    const recovered = await recover(dir, machine);
    assert.equal(machine.pauseEnded, true);
    assert.equal(recovered.entriesApplied, pauseAt);
    assert.equal(recovered.snapshot.index, pauseAt);
    assert.equal(recovered.entries[0]?.index, pauseAt + 1);
  });
});

test("a reopened node alone has every key its WAL holds after applying while reading", async () => {
  await withWrittenDataDir(async (dir) => {
    const db = await open({ dir, checkpointInterval: 0, checkpointWalBytes: 0 });
    try {
      for (let key = 0; key < WRITES; key++) assert.equal(await db.get(`key:${key}`), `value:${key}`);
      await db.set("after", "restart");
      assert.equal(await db.get("after"), "restart");
    } finally {
      await db.close();
    }
  });
});
