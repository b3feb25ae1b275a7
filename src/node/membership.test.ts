import { test } from "node:test";
import assert from "node:assert/strict";
import { MembershipBook } from "./membership.js";

/** A transport stand-in that records what the address book tells it. */
function recordingDirectory(): { calls: string[]; addPeer(id: number, address: { host: string; port: number }): void; removePeer(id: number): void } {
  const calls: string[] = [];
  return {
    calls,
    addPeer: (id, address) => calls.push(`add ${id} ${address.host}:${address.port}`),
    removePeer: (id) => calls.push(`remove ${id}`),
  };
}

test("a new member's address reaches the transport as soon as the change is appended", () => {
  const book = new MembershipBook();
  const directory = recordingDirectory();
  book.attach(directory);
  book.noteAppended({ type: "addLearner", node: 4, address: "127.0.0.1:7383" });
  assert.deepEqual(directory.calls, ["add 4 127.0.0.1:7383"]);
  assert.deepEqual(book.recorded(), { "4": "127.0.0.1:7383" });
});

test("a removed member stays reachable until the removal is applied, so a leader removing itself hears the acknowledgements", () => {
  const book = new MembershipBook();
  book.set(3, { host: "127.0.0.1", port: 7382 });
  const directory = recordingDirectory();
  book.attach(directory);
  book.noteAppended({ type: "remove", node: 3 });
  assert.deepEqual(directory.calls, []);
  assert.deepEqual(book.recorded(), { "3": "127.0.0.1:7382" });
  book.noteApplied({ type: "remove", node: 3 });
  assert.deepEqual(directory.calls, ["remove 3"]);
  assert.deepEqual(book.recorded(), {});
});

test("a checkpoint installed from the leader makes the members it records reachable, keeping addresses already known", () => {
  const book = new MembershipBook();
  book.set(1, { host: "127.0.0.1", port: 7381 });
  book.set(2, { host: "10.0.0.2", port: 7382 }); // the operator's word (--peers): it stays
  const directory = recordingDirectory();
  book.attach(directory);
  const recorded = { "1": "127.0.0.1:7381", "2": "127.0.0.1:7382", "3": "127.0.0.1:7383", "4": "127.0.0.1:7384", "5": "127.0.0.1:7385" };
  // Node 1 installs it; 4 is a learner it only hears of here; 5 is no member any more.
  book.learnFromCheckpoint(recorded, { voters: [1, 2, 3], learners: [4] }, 1);
  assert.deepEqual(directory.calls, ["add 3 127.0.0.1:7383", "add 4 127.0.0.1:7384"]);
  assert.deepEqual(book.recorded(), { "1": "127.0.0.1:7381", "2": "10.0.0.2:7382", "3": "127.0.0.1:7383", "4": "127.0.0.1:7384" });
});

test("a removal applied after the change adding the id back was appended keeps the re-added member's address", () => {
  const book = new MembershipBook();
  book.set(2, { host: "127.0.0.1", port: 7382 });
  const directory = recordingDirectory();
  book.attach(directory);
  // A node catching up appends both, then applies both.
  book.noteAppended({ type: "remove", node: 2 });
  book.noteAppended({ type: "addLearner", node: 2, address: "127.0.0.1:7392" });
  book.noteApplied({ type: "remove", node: 2 });
  book.noteApplied({ type: "addLearner", node: 2, address: "127.0.0.1:7392" });
  assert.deepEqual(directory.calls, ["add 2 127.0.0.1:7392"]);
  assert.deepEqual(book.recorded(), { "2": "127.0.0.1:7392" });
  // Removed again later, it goes.
  book.noteAppended({ type: "remove", node: 2 });
  book.noteApplied({ type: "remove", node: 2 });
  assert.deepEqual(book.recorded(), {});
});
