/**
 * ReadBarriers' batching: one ReadIndex request out at a time; reads that arrive while it
 * is out gather for the next one, which goes when the first is answered (or, lost, after
 * its reissue delay). Every read is released only once its own request's index is applied.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ReadBarriers } from "./read_barrier.js";

function recorder(): { sent: Uint8Array[]; readIndex: (context: Uint8Array) => void } {
  const sent: Uint8Array[] = [];
  return { sent, readIndex: (context) => void sent.push(context) };
}

test("reads arriving while a request is out wait for the next request, sent once the first is answered", async () => {
  const barriers = new ReadBarriers(5_000);
  const { sent, readIndex } = recorder();
  const released: string[] = [];
  void barriers.request(0).then(() => released.push("first"));
  barriers.issue(readIndex, 0);
  assert.equal(sent.length, 1);
  void barriers.request(1).then(() => released.push("second"));
  void barriers.request(1).then(() => released.push("third"));
  barriers.issue(readIndex, 1);
  assert.equal(sent.length, 1, "no second request while the first is out");
  barriers.confirm(sent[0] as Uint8Array, 10, 10);
  await Promise.resolve();
  assert.deepEqual(released, ["first"]);
  barriers.issue(readIndex, 2);
  assert.equal(sent.length, 2, "the gathered reads go out as one request");
  barriers.confirm(sent[1] as Uint8Array, 12, 11);
  await Promise.resolve();
  assert.deepEqual(released, ["first"], "not before index 12 is applied");
  barriers.applied(12);
  await Promise.resolve();
  assert.deepEqual(released, ["first", "second", "third"]);
});

test("a request never answered is sent again with the reads gathered behind it after the reissue delay", () => {
  const barriers = new ReadBarriers(5_000);
  const { sent, readIndex } = recorder();
  void barriers.request(0);
  barriers.issue(readIndex, 0);
  void barriers.request(10);
  barriers.issue(readIndex, 10);
  assert.equal(sent.length, 1);
  barriers.expire(400);
  barriers.issue(readIndex, 400);
  assert.equal(sent.length, 2, "the lost request's reads and the gathered one go out together");
});
