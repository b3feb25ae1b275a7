import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeRequest, encodeRequest, KvStore } from "./kv.js";

test("put, append, get and compare-and-set follow the model", () => {
  const store = new KvStore();
  assert.equal(store.apply({ client: 1, sequence: 1, command: { kind: "put", key: "k", value: "a" } }), "ok");
  assert.equal(store.apply({ client: 1, sequence: 2, command: { kind: "append", key: "k", value: "b" } }), "ok");
  assert.equal(store.apply({ client: 1, sequence: 3, command: { kind: "get", key: "k" } }), "ab");
  assert.equal(store.apply({ client: 1, sequence: 4, command: { kind: "cas", key: "k", expected: "x", value: "c" } }), "false");
  assert.equal(store.apply({ client: 1, sequence: 5, command: { kind: "cas", key: "k", expected: "ab", value: "c" } }), "true");
  assert.equal(store.read("k"), "c");
});

test("a request applied twice takes effect once and answers the first result", () => {
  const store = new KvStore();
  const append = { client: 7, sequence: 1, command: { kind: "append" as const, key: "k", value: "x" } };
  store.apply(append);
  assert.equal(store.apply(append), "ok");
  assert.equal(store.read("k"), "x");
});

test("a snapshot restores values and sessions", () => {
  const store = new KvStore();
  store.apply({ client: 2, sequence: 1, command: { kind: "append", key: "k", value: "x" } });
  const restored = KvStore.restore(store.snapshot());
  assert.equal(restored.read("k"), "x");
  restored.apply({ client: 2, sequence: 1, command: { kind: "append", key: "k", value: "x" } });
  assert.equal(restored.read("k"), "x", "the session table came along");
});

test("requests round-trip through entry data; an empty entry is a no-op", () => {
  const request = { client: 3, sequence: 9, command: { kind: "get" as const, key: "k" } };
  assert.deepEqual(decodeRequest(encodeRequest(request)), request);
  assert.equal(decodeRequest(new Uint8Array()), null);
});
