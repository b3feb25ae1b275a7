import { test } from "node:test";
import assert from "node:assert/strict";
import type { Entry } from "../raft/types.js";
import { bootstrapState, foundingSnapshotState, SimulatedDisk } from "./disk.js";

function entry(index: number, term: number): Entry {
  return { index, term, type: "normal", data: new Uint8Array([index]) };
}

test("writes become durable only when synced", () => {
  const disk = new SimulatedDisk(bootstrapState({ voters: [], learners: [] }, new Uint8Array()));
  disk.writeEntries([entry(1, 1), entry(2, 1)]);
  disk.writeHardState({ term: 1, vote: 2, commit: 0 });
  disk.crash(0);
  assert.deepEqual(disk.recover().entries, []);
  assert.deepEqual(disk.recover().hardState, { term: 0, vote: 0, commit: 0 });
  disk.writeEntries([entry(1, 1)]);
  disk.sync();
  assert.equal(disk.recover().entries.length, 1);
});

test("a crash keeps a prefix of the unsynced writes, in the order they were made", () => {
  const disk = new SimulatedDisk(bootstrapState({ voters: [], learners: [] }, new Uint8Array()));
  disk.writeEntries([entry(1, 1), entry(2, 1), entry(3, 1)]);
  disk.writeHardState({ term: 1, vote: 1, commit: 0 });
  disk.crash(2);
  assert.deepEqual(disk.recover().entries.map((each) => each.index), [1, 2]);
  assert.equal(disk.recover().hardState.term, 0, "the hard state was written last and lost");
  assert.equal(disk.stats.writesLost, 2);
});

test("appending over a conflicting suffix truncates it", () => {
  const disk = new SimulatedDisk(bootstrapState({ voters: [], learners: [] }, new Uint8Array()));
  disk.writeEntries([entry(1, 1), entry(2, 1), entry(3, 1)]);
  disk.writeEntries([entry(2, 2)]);
  disk.sync();
  assert.deepEqual(disk.recover().entries.map((each) => `${each.index}/${each.term}`), ["1/1", "2/2"]);
});

test("a received snapshot replaces the log; a compaction keeps what follows it", () => {
  const disk = new SimulatedDisk(foundingSnapshotState({ voters: [1, 2, 3], learners: [] }, new Uint8Array()));
  disk.writeEntries([entry(2, 1), entry(3, 1), entry(4, 2)]);
  disk.sync();
  disk.compact({ metadata: { index: 3, term: 1, confState: { voters: [1, 2, 3], learners: [] } }, data: new Uint8Array([9]) });
  assert.deepEqual(disk.recover().entries.map((each) => each.index), [4]);
  assert.equal(disk.termAt(3), 1);
  disk.writeSnapshot({ metadata: { index: 10, term: 3, confState: { voters: [1, 2, 3], learners: [] } }, data: new Uint8Array([7]) });
  disk.sync();
  const recovered = disk.recover();
  assert.deepEqual(recovered.entries, []);
  assert.equal(recovered.snapshot.metadata.index, 10);
  assert.deepEqual([...recovered.snapshot.data], [7]);
});

test("a founding member starts from its membership as a committed snapshot at index 1", () => {
  const disk = new SimulatedDisk(foundingSnapshotState({ voters: [1, 2], learners: [] }, new Uint8Array()));
  const recovered = disk.recover();
  assert.deepEqual(recovered.snapshot.metadata, { index: 1, term: 1, confState: { voters: [1, 2], learners: [] } });
  assert.equal(recovered.hardState.commit, 1);
});
