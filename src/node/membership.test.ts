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
