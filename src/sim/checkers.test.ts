import { test } from "node:test";
import assert from "node:assert/strict";
import type { Entry } from "../raft/types.js";
import { InvariantViolation, SafetyCheckers } from "./checkers.js";
import { SimulatedDisk, bootstrapState } from "./disk.js";

function entry(index: number, term: number, text = `${index}/${term}`): Entry {
  return { index, term, type: "normal", data: new TextEncoder().encode(text) };
}

/** A checker over blank disks for nodes 1..count; `write` persists entries on one of them. */
function setup(count: number): { checkers: SafetyCheckers; write: (node: number, entries: Entry[]) => void; disks: SimulatedDisk[] } {
  const checkers = new SafetyCheckers();
  const disks = Array.from({ length: count }, () => new SimulatedDisk(bootstrapState({ voters: [], learners: [] }, new Uint8Array())));
  disks.forEach((disk, index) => checkers.attach(index + 1, disk, 0));
  const write = (node: number, entries: Entry[]): void => {
    const disk = disks[node - 1] as SimulatedDisk;
    disk.writeEntries(entries);
    disk.sync();
    checkers.onPersist(node, entries);
  };
  return { checkers, write, disks };
}

function violates(invariant: string): (error: unknown) => boolean {
  return (error) => error instanceof InvariantViolation && error.invariant === invariant;
}

test("two leaders of one term break election safety", () => {
  const { checkers } = setup(2);
  checkers.onRoleChange(1, { isLeader: true, term: 3 });
  checkers.onRoleChange(1, { isLeader: false, term: 3 });
  checkers.onRoleChange(2, { isLeader: true, term: 4 });
  assert.throws(() => checkers.onRoleChange(1, { isLeader: true, term: 4 }), violates("election safety"));
});

test("the same index and term with different contents breaks log matching", () => {
  const { write } = setup(2);
  write(1, [entry(1, 1, "x")]);
  assert.throws(() => write(2, [entry(1, 1, "y")]), violates("log matching"));
});

test("the same index and term after different previous terms breaks log matching", () => {
  const { write } = setup(2);
  write(1, [entry(1, 1), entry(2, 2, "same")]);
  write(2, [entry(1, 2, "other")]);
  assert.throws(() => write(2, [entry(2, 2, "same")]), violates("log matching"));
});

test("the full comparison finds logs that share an entry but differ below it", () => {
  const checkers = new SafetyCheckers();
  const disks = [1, 2].map(() => new SimulatedDisk(bootstrapState({ voters: [], learners: [] }, new Uint8Array())));
  disks[0]?.writeEntries([entry(1, 1, "a"), entry(2, 2, "b")]);
  disks[1]?.writeEntries([entry(1, 1, "z"), entry(2, 2, "b")]);
  disks.forEach((disk, index) => {
    disk.sync();
    checkers.attach(index + 1, disk, 0);
  });
  assert.throws(() => checkers.checkAllLogsMatch(), violates("log matching"));
});

test("applying different entries at one index breaks state machine safety", () => {
  const { checkers } = setup(2);
  checkers.onApply(1, entry(1, 1, "x"));
  assert.throws(() => checkers.onApply(2, entry(1, 1, "y")), violates("state machine safety"));
});

test("applying with a gap breaks state machine safety", () => {
  const { checkers } = setup(1);
  checkers.onApply(1, entry(1, 1));
  assert.throws(() => checkers.onApply(1, entry(3, 1)), violates("state machine safety"));
});

test("a leader elected without a committed entry breaks leader completeness", () => {
  const { checkers, write } = setup(2);
  write(1, [entry(1, 1), entry(2, 1)]);
  write(2, [entry(1, 1)]);
  checkers.observeTerm(1);
  checkers.onApply(1, entry(1, 1));
  checkers.onApply(1, entry(2, 1));
  checkers.observeTerm(2);
  assert.throws(() => checkers.onRoleChange(2, { isLeader: true, term: 2 }), violates("leader completeness"));
});

test("a leader of an older term may lack an entry committed later", () => {
  const { checkers, write } = setup(2);
  write(1, [entry(1, 1), entry(2, 1)]);
  write(2, [entry(1, 1)]);
  checkers.observeTerm(3);
  checkers.onApply(1, entry(1, 1));
  checkers.onApply(1, entry(2, 1));
  checkers.onRoleChange(2, { isLeader: true, term: 2 }); // votes granted before the commit in term 3
});
